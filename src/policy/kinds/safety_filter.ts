/**
 * `safety-filter` (input and output): keyword categories. `block_if` maps a
 * category name to keywords/phrases (case-insensitive, whole word); a category
 * named like a built-in one with an empty list takes the built-in phrases, and
 * `categories` selects built-in categories by name (default: all of them).
 *
 * Reason code: `unsafe_content`. Findings: category → matches.
 *
 * @module
 */
import { z } from "zod";
import {
  allowDecision,
  type EvalInput,
  type PolicyDecision,
  type PolicyKindModule,
  scanSegments,
  viewSpans,
} from "./common.ts";
import { type NormalizedView, normalizeView } from "../normalize.ts";
import { TermMatcher } from "./term_matcher.ts";
import { viewHold } from "../stream_hold.ts";

/**
 * Built-in categories: phrases specific enough to mean harm (not single words such as
 * "kill", which are everyday English: "kill the process").
 */
export const BUILTIN_SAFETY_CATEGORIES: Readonly<Record<string, readonly string[]>> = {
  violence: [
    "how to kill someone",
    "how do i kill someone",
    "kill someone without getting caught",
    "how to murder",
    "murder someone",
    "hire a hitman",
    "find a hitman",
    "torture someone",
    "shoot up a school",
    "shoot up my school",
    "mass shooting plan",
    "plan a mass shooting",
    "poison someone",
    "strangle someone",
    "beat someone to death",
  ],
  weapons: [
    "make a bomb",
    "build a bomb",
    "how to make a bomb",
    "pipe bomb",
    "nail bomb",
    "make explosives",
    "homemade explosive",
    "homemade explosives",
    "make napalm",
    "make thermite",
    "ghost gun",
    "untraceable gun",
    "3d print a gun",
    "convert to full auto",
    "make sarin",
    "nerve agent",
    "make ricin",
    "weaponize anthrax",
    "dirty bomb",
    "molotov cocktail",
  ],
  self_harm: [
    "kill myself",
    "end my life",
    "want to die",
    "commit suicide",
    "suicide method",
    "suicide methods",
    "how to commit suicide",
    "painless way to die",
    "cut myself",
    "hurt myself",
    "hang myself",
    "overdose on purpose",
    "self-harm",
    "self harm",
  ],
  drugs: [
    "make meth",
    "cook meth",
    "synthesize methamphetamine",
    "make methamphetamine",
    "make fentanyl",
    "synthesize fentanyl",
    "make crack cocaine",
    "extract dmt",
    "make lsd",
    "buy drugs online",
  ],
  hate: [
    "ethnic cleansing",
    "master race",
    "white power",
    "subhuman race",
  ],
  sexual_minors: [
    "child porn",
    "child pornography",
    "csam",
    "sexual content involving minors",
    "underage sex",
    "sexualize a child",
  ],
  cybercrime: [
    "write ransomware",
    "create ransomware",
    "build ransomware",
    "make malware",
    "write malware",
    "create a keylogger",
    "write a keylogger",
    "steal credit card numbers",
    "steal passwords",
    "ddos attack on",
    "launch a ddos",
    "phishing kit",
    "credential stuffing attack",
  ],
};

const BUILTIN_NAMES = Object.keys(BUILTIN_SAFETY_CATEGORIES) as [string, ...string[]];

/** Schema of `policy.safety-filter`. */
export const safetyFilterSchema = z.strictObject({
  /** Category → keywords. An empty list for a built-in category name takes the built-in phrases. */
  block_if: z.record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, "a category name such as violence"),
    z.array(z.string().min(1).max(200)).max(10_000),
  ).default({}),
  /** Built-in categories to enable (default: all). */
  categories: z.array(z.enum(BUILTIN_NAMES)).default(BUILTIN_NAMES),
  action: z.enum(["block", "log"]).default("block"),
  message: z.string().max(1000).default("The content was blocked by the safety policy."),
});

/** A validated `policy.safety-filter` block. */
export type SafetyFilterConfig = z.infer<typeof safetyFilterSchema>;

/** The safety-filter kind. */
export const safetyFilter: PolicyKindModule = {
  definition: { kind: "safety-filter", phases: ["input", "output"], schema: safetyFilterSchema },
  compile(block: unknown) {
    const cfg = safetyFilterSchema.parse(block ?? {});
    const terms: Array<{ term: string; entity: string }> = [];
    for (const name of cfg.categories) {
      for (const term of BUILTIN_SAFETY_CATEGORIES[name]) terms.push({ term, entity: name });
    }
    for (const [name, list] of Object.entries(cfg.block_if)) {
      const source = list.length === 0 ? BUILTIN_SAFETY_CATEGORIES[name] ?? [] : list;
      for (const term of source) terms.push({ term, entity: name });
    }
    const matcher = new TermMatcher(terms);
    const spans = (view: NormalizedView) => viewSpans(view, (text) => matcher.find(text));
    return {
      kind: "safety-filter",
      phases: ["input", "output"],
      inspectsOutput: true,
      checksToolCalls: false,
      textOnly: true,
      spans,
      holdFrom: (text) => viewHold(normalizeView(text), (t) => matcher.openTail(t)),
      evaluate(input: EvalInput): PolicyDecision {
        const { findings } = scanSegments(input, spans, undefined);
        if (Object.keys(findings).length === 0) return allowDecision();
        if (cfg.action === "log") return { verdict: "allow", reasonCode: "unsafe_content", findings };
        return { verdict: "block", reasonCode: "unsafe_content", findings, message: cfg.message };
      },
    };
  },
};

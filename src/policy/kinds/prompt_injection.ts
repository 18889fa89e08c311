/**
 * `prompt-injection` (input): scores every user-supplied message (roles user,
 * tool, function, prompt, input) from 0 to 1 and blocks (or logs) when the
 * highest score reaches `threshold`.
 *
 * Each message is normalised (NFKC, zero-width characters stripped, Cyrillic and
 * Greek lookalikes mapped to Latin, lower-cased, whitespace collapsed); base64
 * runs are decoded and scanned too. Rules are grouped in families, each rule
 * with a weight; matched weights combine as `1 - Π(1 - w)`. A rule runs only
 * when one of its anchor words occurs (a cheap `indexOf` prefilter), and every
 * rule is a regex without nested or unbounded-overlapping quantifiers.
 *
 * Reason code: `prompt_injection`. Findings: family → matched rules
 * (`instruction_override`, `jailbreak`, `role_boundary`, `delimiter`, `prompt_leak`,
 * `custom`, `encoded_payload`).
 *
 * @module
 */
import { z } from "zod";
import {
  allowDecision,
  count,
  type EvalInput,
  type PolicyDecision,
  type PolicyKindModule,
  USER_SUPPLIED_ROLES,
} from "./common.ts";
import { checkUserPattern, compileUserPattern } from "../safe_regex.ts";

/** Schema of `policy.prompt-injection`. */
export const promptInjectionSchema = z.strictObject({
  threshold: z.number().min(0).max(1).default(0.5),
  encoding: z.strictObject({
    decode_base64: z.boolean().default(true),
    normalize_unicode: z.boolean().default(true),
  }).default({ decode_base64: true, normalize_unicode: true }),
  detect_homoglyphs: z.boolean().default(true),
  detection: z.strictObject({
    attack_patterns: z.array(z.string().min(1).max(1000)).max(100).default([]),
  }).default({ attack_patterns: [] }),
  response: z.strictObject({
    action: z.enum(["block", "log"]).default("block"),
    message: z.string().max(1000).default(
      "The request was blocked because it looks like a prompt-injection attempt.",
    ),
  }).default({
    action: "block",
    message: "The request was blocked because it looks like a prompt-injection attempt.",
  }),
});

/** A validated `policy.prompt-injection` block. */
export type PromptInjectionConfig = z.infer<typeof promptInjectionSchema>;

interface Rule {
  family: string;
  weight: number;
  /** Any of these substrings must occur in the normalised text for the regex to run. */
  anchors: readonly string[];
  re: RegExp;
}

const QUAL =
  "(?:all|any|every|each|the|your|these|those|of|previous|prior|above|earlier|preceding|foregoing|original|initial|current|existing|system|safety|content|ethical|moral|security|old|other|given|developer|hidden|and|former|standing)";
const TARGET =
  "(?:instructions?|prompts?|rules|directions|guidelines|guidance|programming|guardrails|directives?|constraints|restrictions|policies|policy|commands|context|training|orders|filters)";
const VERB =
  "(?:ignore|disregard|forget|override|bypass|abandon|discard|set aside|don't follow|do not follow|stop following|neglect|overrule|erase|delete|throw away|pay no attention to|skip)";
const VERB_ANCHORS = [
  "ignore",
  "disregard",
  "forget",
  "override",
  "bypass",
  "abandon",
  "discard",
  "aside",
  "follow",
  "neglect",
  "overrule",
  "erase",
  "delete",
  "throw away",
  "attention",
  "skip",
];
const LEAK_VERB =
  "(?:reveal|print|show|output|repeat|leak|display|dump|expose|disclose|tell me|give me|write out|spell out|paste|recite|return)";
const LEAK_OWNER =
  "(?:your |the (?:hidden|secret|initial|original|internal|confidential|system|developer|above|preceding) |(?:hidden|secret|initial|original|internal|confidential) )";
const NO_LIMITS = "(?:rules|restrictions|limits|filters|guidelines|boundaries|morals|ethics)";

/**
 * Built-in rules as `[family, weight, anchors, regex source]`. Weights are calibrated on
 * tests/corpus (see docs/policies.md): a single strong signal (≥ 0.5) blocks at the
 * default threshold; weak signals (< 0.5) need company.
 */
const RULE_TABLE: ReadonlyArray<[string, number, readonly string[], string]> = [
  // Instruction override.
  ["instruction_override", 0.9, VERB_ANCHORS, `\\b${VERB} (?:${QUAL} ){1,5}${TARGET}\\b`],
  [
    "instruction_override",
    0.9,
    ["ignore", "disregard", "forget"],
    `\\b${VERB} (?:all|everything) (?:above|before|prior|previously|you (?:were|have been) told)\\b`,
  ],
  [
    "instruction_override",
    0.9,
    ["ignore", "disregard", "forget"],
    "\\b(?:ignore|disregard|forget) (?:what|everything) (?:you (?:were|have been) told|i said before|was said) (?:before|above|earlier|previously)\\b",
  ],
  [
    "instruction_override",
    0.75,
    ["no longer"],
    "\\byou (?:are|re) no longer (?:bound|restricted|limited|an ai|a language model|chatgpt|claude|an assistant|required to follow|subject to)\\b",
  ],
  [
    "instruction_override",
    0.6,
    ["instruction"],
    "\\b(?:new|updated|real|actual|true|revised|secret|override|priority) (?:system )?instructions?(?: are| follow)? ?:",
  ],
  [
    "instruction_override",
    0.45,
    ["instead"],
    "\\binstead,? (?:you (?:will|must|should) )?(?:do|say|respond|reply|output|print)\\b",
  ],
  ["instruction_override", 0.4, ["from now on"], "\\bfrom now on,? you (?:will|are|must|shall|have)\\b"],
  [
    "instruction_override",
    0.85,
    ["override", "sudo"],
    "\\b(?:system|admin|administrator|developer|root) override\\b|\\bsudo mode\\b",
  ],
  [
    "instruction_override",
    0.8,
    ["previous", "above", "prior"],
    `\\b(?:the |all )?(?:previous|above|prior|preceding) ${TARGET} (?:are|is|were|was) (?:void|invalid|cancell?ed|revoked|obsolete|no longer valid|null)\\b`,
  ],
  [
    "instruction_override",
    0.7,
    ["your"],
    "\\byour (?:real|true|new|only|actual) (?:instructions|rules|programming|task|purpose) (?:is|are)\\b",
  ],
  // Jailbreak and role play.
  ["jailbreak", 0.95, ["do anything now"], "\\bdo anything now\\b"],
  [
    "jailbreak",
    0.9,
    ["dan"],
    "\\b(?:you are|you're|act as|pretend to be|become|called|named|play|enable|activate) (?:now )?(?:a |the )?dan\\b|\\bdan,? (?:you|an ai|who)\\b",
  ],
  [
    "jailbreak",
    0.85,
    ["god mode", "jailbr", "unrestricted", "unfiltered", "uncensored", "dan mode", "evil mode", "chaos mode"],
    "\\b(?:god|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|dan|evil|chaos) mode\\b",
  ],
  [
    "jailbreak",
    0.45,
    ["developer mode", "dev mode", "debug mode"],
    "\\b(?:developer|dev|debug) mode (?:enabled|activated|engaged|is on)\\b",
  ],
  [
    "jailbreak",
    0.8,
    ["responses", "answers"],
    "\\b(?:two|2|dual) (?:different )?(?:responses|answers)\\b.{0,80}\\b(?:uncensored|unfiltered|jailbroken|developer mode|no restrictions|unrestricted)\\b",
  ],
  [
    "jailbreak",
    0.8,
    [
      "unrestricted",
      "unfiltered",
      "uncensored",
      "amoral",
      "unaligned",
      "jailbr",
      "evil",
      "unethical",
      "rogue",
      "limitless",
      "limits",
      "unbound",
    ],
    "\\b(?:unrestricted|unfiltered|uncensored|amoral|unaligned|jailbroken|evil|unethical|rogue|no-limits|limitless|unbound) (?:ai|assistant|model|chatbot|llm|version of (?:yourself|you|chatgpt|the model)|persona|twin|alter ego)\\b",
  ],
  [
    "jailbreak",
    0.85,
    ["bound by", "restricted by", "limited by", "constrained by"],
    "\\b(?:not|never|no longer|isn't|aren't) (?:be )?(?:bound|restricted|limited|constrained) by (?:any |the |your |openai's |anthropic's |ethical |content |safety )*(?:rules|guidelines|policies|restrictions|filters|limitations|ethics|principles|censorship)\\b",
  ],
  [
    "jailbreak",
    0.55,
    ["without", "free of", "free from", "with no", "ignoring"],
    "\\b(?:without|free of|free from|with no|ignoring) (?:any )?(?:ethical |moral |content |safety )?(?:restrictions|filters|filtering|censorship|limitations|guardrails|safety guidelines|content policy|content policies)\\b",
  ],
  [
    "jailbreak",
    0.8,
    ["apply", "matter", "exist", "bind", "restrict", "limit"],
    "\\b(?:ethical|moral|content|safety|openai|anthropic|your) (?:guidelines|policies|filters|restrictions|rules|principles|ethics) (?:don't|do not|no longer|won't|will not|cannot|can't) (?:apply|matter|exist|bind you|restrict you|limit you)\\b",
  ],
  [
    "jailbreak",
    0.65,
    ["pretend", "imagine", "roleplay", "role-play", "role play", "act as", "simulate", "suppose"],
    `\\b(?:pretend|imagine|roleplay|role-play|role play|act as if|simulate|suppose) (?:that )?(?:you are|you're|you have|to be|as) (?:an? )?(?:ai|model|assistant|chatbot|llm|character|persona)? ?(?:with(?:out)? (?:no |any )?${NO_LIMITS}|that (?:can|will) (?:do|say|answer) anything|who (?:has no|ignores|doesn't follow|does not follow))`,
  ],
  [
    "jailbreak",
    0.6,
    ["no "],
    `\\byou (?:have|has|now have) no ${NO_LIMITS}\\b`,
  ],
  [
    "jailbreak",
    0.7,
    ["anything"],
    "\\b(?:ai|assistant|model|chatbot|bot|llm) (?:that|who|which) (?:can|will) (?:do|say|answer) anything\\b",
  ],
  [
    "jailbreak",
    0.3,
    ["character"],
    "\\b(?:stay in character|never break character|don't break character|do not break character)\\b",
  ],
  [
    "jailbreak",
    0.9,
    ["jailbreak"],
    "\\bjailbreak (?:prompt|the (?:ai|model|assistant|chatbot|llm|system)|yourself|you)\\b|\\b(?:this is|here is|use) a jailbreak\\b",
  ],
  [
    "jailbreak",
    0.6,
    ["opposite mode", "evil twin", "antigpt", "anti-gpt", "betterdan", "stan mode", "aim mode", "dude mode"],
    "\\b(?:opposite mode|evil twin|antigpt|anti-gpt|betterdan|stan mode|aim mode|dude mode)\\b",
  ],
  [
    "jailbreak",
    0.7,
    ["hypothetical", "fictional", "story"],
    "\\b(?:hypothetical(?:ly)?|fictional|in a story)\\b.{0,60}\\b(?:no (?:rules|restrictions|filters|ethics)|without (?:rules|restrictions|filters|ethics)|ignore (?:your|all) (?:rules|guidelines|restrictions))",
  ],
  // Fake system / role boundaries.
  [
    "role_boundary",
    0.95,
    ["<|", "[inst]", "[/inst]", "<<sys>>", "<</sys>>"],
    "<\\|(?:im_start|im_end|system|user|assistant|endoftext|end_of_turn|start_header_id|end_header_id|eot_id|begin_of_text|im_sep)\\|>|\\[/?inst\\]|<</?sys>>",
  ],
  [
    "role_boundary",
    0.85,
    ["#"],
    "(?:^|\\n) ?#{1,4} ?(?:system|assistant|developer|admin|instruction|instructions)(?: message| prompt)? ?:?(?: |\\n|$)",
  ],
  [
    "role_boundary",
    0.6,
    [":"],
    "(?:^|\\n) ?(?:system|assistant|developer|admin|root)(?: message| prompt)? ?: ?(?:you|ignore|disregard|new|the user|from now|override|reveal|your)\\b",
  ],
  [
    "role_boundary",
    0.8,
    [
      "<system",
      "</system",
      "<instructions",
      "<admin",
      "[system",
      "[admin",
      "[developer",
      "{{system",
      "<sys",
      "<developer",
    ],
    "</?(?:system|system_prompt|sys|admin|instructions|developer)(?: [^>]{0,40})?>|\\[(?:system|admin|developer)(?: message| note| override)?\\]|\\{\\{system\\}\\}",
  ],
  ["role_boundary", 0.9, ["human:", "user:"], "(?:^|\\n)(?:human|user): .{0,200}\\n(?:assistant|ai): "],
  // Delimiters.
  [
    "delimiter",
    0.8,
    ["end", "begin", "start"],
    "(?:-{3,}|={3,}|#{3,}|\\*{3,}|~{3,}|_{3,}) ?(?:end|begin|start) (?:of )?(?:the )?(?:user|system|admin|developer|original|previous|prompt|document|input|context|instructions)(?: input| prompt| message| instructions| text)?\\b",
  ],
  [
    "delimiter",
    0.7,
    ["end of", "ignore the rest"],
    "\\b(?:end|ignore the rest) of (?:the )?(?:user (?:input|prompt|message)|system prompt|original (?:prompt|instructions)|document)[\\]\\-=#*)>]",
  ],
  ["delimiter", 0.7, ["```", "'''"], "(?:```|''')(?:system|instructions|prompt|admin)\\b"],
  ["delimiter", 0.8, ["<|"], "<\\|[a-z_]{2,24}\\|>"],
  // Prompt leak.
  [
    "prompt_leak",
    0.75,
    ["prompt", "instructions", "message", "guidelines", "rules", "configuration", "context"],
    `\\b${LEAK_VERB} (?:(?:me|all|of|the|entire|full|complete|exact|verbatim) ){0,4}${LEAK_OWNER}(?:(?:entire|full|complete|exact|initial|original|hidden|secret|system|internal|confidential|developer) ){0,3}(?:system prompt|system message|prompt|instructions|guidelines|configuration|rules|pre-?prompt|context)\\b`,
  ],
  [
    "prompt_leak",
    0.6,
    ["given", "told"],
    "\\b(?:system prompt|system message|instructions|rules|guidelines|prompt) (?:that )?you (?:were|have been|got) (?:given|told)\\b",
  ],
  [
    "prompt_leak",
    0.6,
    ["your"],
    "\\bwhat (?:are|were|is) your (?:exact |original |initial |full |system |hidden |secret )*(?:instructions|system prompt|prompt|rules)\\b",
  ],
  [
    "prompt_leak",
    0.7,
    ["above", "before this", "preceding", "prior to this"],
    "\\b(?:repeat|print|output|copy|echo|reproduce) (?:(?:all|the|of|everything|text|words|content|instructions|verbatim) ){0,4}(?:above|before this|preceding|prior to this)(?: line| message| point)?\\b",
  ],
];

/** Built-in rules, compiled once at module load. */
export const BUILTIN_RULES: readonly Rule[] = RULE_TABLE.map(([family, weight, anchors, source]) =>
  r(family, weight, anchors, source)
);

function r(family: string, weight: number, anchors: readonly string[], source: string): Rule {
  return { family, weight, anchors, re: new RegExp(source) };
}

const ZERO_WIDTH = /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
const NON_ASCII = /[^ -~\t\n\r]/;
const SPACES = /[^\S\n]+/g;
const ODD_SPACE = /[^\S \n]| {2}/;

const HOMOGLYPHS: Record<string, string> = {
  // Cyrillic
  "а": "a",
  "в": "b",
  "е": "e",
  "ё": "e",
  "к": "k",
  "м": "m",
  "н": "h",
  "о": "o",
  "р": "p",
  "с": "c",
  "т": "t",
  "у": "y",
  "х": "x",
  "і": "i",
  "ї": "i",
  "ј": "j",
  "ѕ": "s",
  "ԁ": "d",
  "һ": "h",
  "ӏ": "l",
  "ԛ": "q",
  "ԝ": "w",
  "ɡ": "g",
  "ո": "n",
  "ս": "u",
  "А": "a",
  "В": "b",
  "Е": "e",
  "К": "k",
  "М": "m",
  "Н": "h",
  "О": "o",
  "Р": "p",
  "С": "c",
  "Т": "t",
  "Х": "x",
  "У": "y",
  "І": "i",
  "Ј": "j",
  "Ѕ": "s",
  "Ԁ": "d",
  "Ԛ": "q",
  "Ԝ": "w",
  "ԍ": "g",
  // Greek
  "α": "a",
  "β": "b",
  "ε": "e",
  "η": "n",
  "ι": "i",
  "κ": "k",
  "ν": "v",
  "ο": "o",
  "ρ": "p",
  "τ": "t",
  "υ": "u",
  "χ": "x",
  "γ": "y",
  "ω": "w",
  "Α": "a",
  "Β": "b",
  "Ε": "e",
  "Ζ": "z",
  "Η": "h",
  "Ι": "i",
  "Κ": "k",
  "Μ": "m",
  "Ν": "n",
  "Ο": "o",
  "Ρ": "p",
  "Τ": "t",
  "Υ": "y",
  "Χ": "x",
  // Latin lookalikes outside ASCII that NFKC keeps
  "ı": "i",
  "ȷ": "j",
  "ℓ": "l",
};
const HOMOGLYPH_RE = new RegExp(`[${Object.keys(HOMOGLYPHS).join("")}]`, "g");

/** Normalises a message for rule matching. */
export function normalizeForScan(text: string, unicode: boolean, homoglyphs: boolean): string {
  let t = text;
  if (NON_ASCII.test(t)) {
    if (unicode) t = t.normalize("NFKC").replace(ZERO_WIDTH, "").replace(/[\u2018\u2019\u02bc]/g, "'");
    if (homoglyphs) t = t.replace(HOMOGLYPH_RE, (ch) => HOMOGLYPHS[ch] ?? ch);
  }
  t = t.toLowerCase();
  // Collapse horizontal whitespace runs (and exotic spaces) to one space; newlines stay.
  return ODD_SPACE.test(t) ? t.replace(SPACES, " ") : t;
}

const BASE64_MIN = 16;
const MAX_DECODES = 16;

/** Finds base64 runs (≥ 16 characters) and returns the printable decodings. */
export function decodeBase64Runs(text: string): string[] {
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n && out.length < MAX_DECODES) {
    const c = text.charCodeAt(i);
    if (!isB64(c)) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && isB64(text.charCodeAt(j))) j++;
    let end = j;
    while (end < n && end - j < 2 && text.charCodeAt(end) === 61) end++;
    const len = j - i;
    if (len >= BASE64_MIN && len <= 1 << 16) {
      const run = text.slice(i, end);
      const decoded = tryDecode(run);
      if (decoded) out.push(decoded);
    }
    i = end + (end === i ? 1 : 0);
  }
  return out;
}

const B64 = new Uint8Array(128);
for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_") {
  B64[ch.charCodeAt(0)] = 1;
}

function isB64(c: number): boolean {
  return c < 128 && B64[c] === 1;
}

function tryDecode(run: string): string | null {
  // Runs of pure letters are words, not payloads; require a digit, '+', '/', '=' or mixed case.
  if (!/[0-9+\/=_-]/.test(run) && !(/[a-z]/.test(run) && /[A-Z]/.test(run))) return null;
  let s = run.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (s.length % 4 === 1) return null;
  while (s.length % 4 !== 0) s += "=";
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    return null;
  }
  let printable = 0;
  for (let i = 0; i < bin.length; i++) {
    const c = bin.charCodeAt(i);
    if ((c >= 32 && c < 127) || c === 10 || c === 13 || c === 9) printable++;
  }
  if (bin.length < 8 || printable / bin.length < 0.9) return null;
  try {
    return new TextDecoder("utf-8", { fatal: false }).decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
  } catch {
    return bin;
  }
}

/** Result of scoring one text. */
export interface InjectionScore {
  score: number;
  /** Matched rules by family. */
  families: Record<string, number>;
}

/** Scores a text against rules; returns the combined score and the matched families. */
export function scoreText(
  text: string,
  rules: readonly Rule[] | RuleSet,
  opts: { unicode: boolean; homoglyphs: boolean; base64: boolean },
): InjectionScore {
  const set = rules instanceof RuleSet ? rules : new RuleSet(rules);
  const families: Record<string, number> = {};
  let keep = 1;
  const scan = (raw: string, bonus: number): boolean => {
    const t = normalizeForScan(raw, opts.unicode, opts.homoglyphs);
    const active = set.activeRules(t);
    for (let i = 0; i < set.rules.length; i++) {
      if (active[i] === 0) continue;
      const rule = set.rules[i];
      if (!rule.re.test(t)) continue;
      count(families, rule.family);
      keep *= 1 - Math.min(1, rule.weight + bonus);
    }
    return set.lastHadBase64Run;
  };
  const maybeBase64 = scan(text, 0);
  if (opts.base64 && maybeBase64) {
    for (const decoded of decodeBase64Runs(text)) {
      const before = keep;
      scan(decoded, 0.05);
      if (keep < before) count(families, "encoded_payload");
    }
  }
  return { score: 1 - keep, families };
}

const SYM_LT_PIPE = 1, SYM_HASH = 2, SYM_COLON = 4, SYM_BACKTICK = 8, SYM_QUOTE3 = 16;
const KEY_LETTERS = 6;
const BLOOM_BITS = 4096;

function wordKey(word: string): number {
  let k = 0;
  for (let i = 0; i < word.length && i < KEY_LETTERS; i++) k = k * 27 + (word.charCodeAt(i) - 96);
  return k;
}

/**
 * Rules with a one-pass prefilter: every anchor is reduced to the first six letters of its
 * longest word (or to a symbol such as `<|`), and one scan over the normalised text marks
 * which rules can possibly match; only those run their regex. This replaces ~120 `indexOf`
 * scans per message by one pass (and tells whether a base64 run of 16+ characters exists).
 */
export class RuleSet {
  readonly rules: readonly Rule[];
  readonly #byKey = new Map<number, number[]>();
  readonly #bloom = new Uint8Array(BLOOM_BITS);
  readonly #bySymbol: Array<[number, number]> = [];
  readonly #always: number[] = [];
  readonly #active: Uint8Array;
  /** Whether the last scanned text had a run of 16+ base64 characters. */
  lastHadBase64Run = false;

  constructor(rules: readonly Rule[]) {
    this.rules = rules;
    this.#active = new Uint8Array(rules.length);
    rules.forEach((rule, i) => {
      if (rule.anchors.length === 0) this.#always.push(i);
      for (const anchor of rule.anchors) {
        const words = anchor.match(/[a-z]+/g);
        if (words) {
          const longest = words.reduce((x, y) => (y.length > x.length ? y : x));
          const key = wordKey(longest);
          const list = this.#byKey.get(key) ?? [];
          if (!list.includes(i)) list.push(i);
          this.#byKey.set(key, list);
          this.#bloom[key % BLOOM_BITS] = 1;
          continue;
        }
        const sym = anchor.includes("<|")
          ? SYM_LT_PIPE
          : anchor.includes("#")
          ? SYM_HASH
          : anchor.includes(":")
          ? SYM_COLON
          : anchor.includes("`")
          ? SYM_BACKTICK
          : anchor.includes("'")
          ? SYM_QUOTE3
          : 0;
        if (sym) this.#bySymbol.push([sym, i]);
        else this.#always.push(i);
      }
    });
  }

  /** Marks the rules whose anchors occur in `t` (lower-cased); the array is reused per call. */
  activeRules(t: string): Uint8Array {
    const active = this.#active;
    active.fill(0);
    for (const i of this.#always) active[i] = 1;
    const bloom = this.#bloom;
    let symbols = 0;
    let key = 0;
    let letters = 0;
    let b64run = 0;
    let hadB64 = false;
    const n = t.length;
    for (let p = 0; p <= n; p++) {
      const c = p < n ? t.charCodeAt(p) : 32;
      if (c >= 97 && c <= 122) {
        if (letters < KEY_LETTERS) key = key * 27 + (c - 96);
        letters++;
      } else {
        if (letters > 0) {
          if (bloom[key % BLOOM_BITS] === 1) {
            const list = this.#byKey.get(key);
            if (list) { for (const i of list) active[i] = 1; }
          }
          letters = 0;
          key = 0;
        }
        if (c === 124 && p > 0 && t.charCodeAt(p - 1) === 60) symbols |= SYM_LT_PIPE;
        else if (c === 35) symbols |= SYM_HASH;
        else if (c === 58) symbols |= SYM_COLON;
        else if (c === 96) symbols |= SYM_BACKTICK;
        else if (c === 39 && t.charCodeAt(p + 1) === 39) symbols |= SYM_QUOTE3;
      }
      // base64 alphabet (lower-cased text: letters, digits, + / - _ =)
      if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 45 || c === 95) {
        if (++b64run >= 16) hadB64 = true;
      } else b64run = 0;
    }
    if (symbols !== 0) { for (const [sym, i] of this.#bySymbol) if (symbols & sym) active[i] = 1; }
    this.lastHadBase64Run = hadB64;
    return active;
  }
}

/** The prompt-injection kind. */
export const promptInjection: PolicyKindModule = {
  definition: {
    kind: "prompt-injection",
    phases: ["input"],
    schema: promptInjectionSchema,
    check(block: unknown) {
      const cfg = block as PromptInjectionConfig;
      const issues: Array<{ path: string; message: string; code?: "E006"; hint?: string }> = [];
      cfg.detection.attack_patterns.forEach((p, i) => {
        const problem = checkUserPattern(p, true);
        if (problem) {
          issues.push({
            path: `detection.attack_patterns.${i}`,
            message: problem.message,
            code: "E006",
            hint: problem.hint,
          });
        }
      });
      return issues;
    },
  },
  compile(block: unknown) {
    const cfg = promptInjectionSchema.parse(block ?? {});
    const custom: Rule[] = cfg.detection.attack_patterns.map((p) => {
      const re = compileUserPattern(p, true);
      return { family: "custom", weight: 0.9, anchors: [], re: new RegExp(re.source, "iu") };
    });
    const rules = new RuleSet([...BUILTIN_RULES, ...custom]);
    const opts = {
      unicode: cfg.encoding.normalize_unicode,
      homoglyphs: cfg.detect_homoglyphs,
      base64: cfg.encoding.decode_base64,
    };
    return {
      kind: "prompt-injection",
      phases: ["input"],
      inspectsOutput: false,
      checksToolCalls: false,
      textOnly: true,
      evaluate(input: EvalInput): PolicyDecision {
        let max = 0;
        const findings: Record<string, number> = {};
        for (const seg of input.segments) {
          if (!USER_SUPPLIED_ROLES.has(seg.role)) continue;
          const s = scoreText(seg.text, rules, opts);
          if (s.score > max) max = s.score;
          for (const [f, n] of Object.entries(s.families)) count(findings, f, n);
        }
        if (max < cfg.threshold || max === 0) return allowDecision();
        if (cfg.response.action === "log") {
          return { verdict: "allow", reasonCode: "prompt_injection", findings };
        }
        return { verdict: "block", reasonCode: "prompt_injection", findings, message: cfg.response.message };
      },
    };
  },
};

/**
 * `dlp-filter` (input and output): `blocked_terms` (case-insensitive, whole
 * word, optional fuzzy matching within `max_distance` edits) and
 * `detect_patterns` (named custom regexes); `action: redact|block`. Both match the
 * segment's normalised view (src/policy/normalize.ts): `project‐falcon` (U+2010), a
 * zero-width or soft hyphen inside the term, a Cyrillic `о` or fullwidth letters all match
 * `project-falcon`, and redaction replaces exactly the original span.
 *
 * Reason code: `dlp_violation`. Findings: `blocked_term`, `blocked_term_fuzzy`, or the
 * pattern names.
 *
 * @module
 */
import { z } from "zod";
import {
  customPatternSchema,
  detectPatternIssues,
  detectPatternScanner,
  type EvalInput,
  normalizeSpans,
  type PolicyDecision,
  type PolicyKindModule,
  type Span,
  spanDecision,
  viewSpans,
} from "./common.ts";
import { TermMatcher } from "./term_matcher.ts";
import { viewHold } from "../stream_hold.ts";
import { type NormalizedView, normalizeView } from "../normalize.ts";

/** Schema of `policy.dlp-filter`. */
export const dlpFilterSchema = z.strictObject({
  action: z.enum(["redact", "block"]).default("block"),
  blocked_terms: z.array(z.string().min(1).max(200)).max(10_000).default([]),
  detect_patterns: z.array(customPatternSchema).max(100).default([]),
  fuzzy_matching: z.strictObject({
    enabled: z.boolean().default(false),
    max_distance: z.number().int().min(1).max(3).default(1),
    /** Terms shorter than this match exactly only (short words have too many near neighbours). */
    min_term_length: z.number().int().min(3).max(100).default(5),
  }).default({ enabled: false, max_distance: 1, min_term_length: 5 }),
  /** Replacement text for redacted matches. */
  marker: z.string().max(100).default("[REDACTED]"),
});

/** A validated `policy.dlp-filter` block. */
export type DlpFilterConfig = z.infer<typeof dlpFilterSchema>;

function blockMessage(subject: string): string {
  return `${subject} contains restricted content (data-loss-prevention policy).`;
}

/** The dlp-filter kind. */
export const dlpFilter: PolicyKindModule = {
  definition: {
    kind: "dlp-filter",
    phases: ["input", "output"],
    schema: dlpFilterSchema,
    check(block: unknown) {
      return detectPatternIssues((block as DlpFilterConfig).detect_patterns);
    },
  },
  compile(block: unknown) {
    const cfg = dlpFilterSchema.parse(block ?? {});
    const terms = new TermMatcher(
      // Terms are normalised like the text they are matched in (a term written with a non-ASCII dash or
      // fullwidth letters still matches).
      cfg.blocked_terms.map((term) => ({ term: normalizeView(term).text, entity: "blocked_term" })),
      {
        maxDistance: cfg.fuzzy_matching.enabled ? cfg.fuzzy_matching.max_distance : 0,
        minFuzzyLength: cfg.fuzzy_matching.min_term_length,
      },
    );
    const custom = detectPatternScanner(cfg.detect_patterns);
    const redact = cfg.action === "block" ? undefined : () => cfg.marker;
    const scan = (text: string): Span[] => {
      const found = terms.find(text);
      custom?.(text, found);
      return normalizeSpans(found);
    };
    const spans = (view: NormalizedView): Span[] => viewSpans(view, scan);
    return {
      kind: "dlp-filter",
      phases: ["input", "output"],
      inspectsOutput: true,
      checksToolCalls: false,
      textOnly: true,
      spans,
      // Custom patterns can match anything: the guard's fixed window holds for them.
      holdFrom: custom ? undefined : (text) => viewHold(normalizeView(text), (t) => terms.openTail(t)),
      evaluate(input: EvalInput): PolicyDecision {
        return spanDecision(
          input,
          spans,
          redact,
          "dlp_violation",
          blockMessage,
        );
      },
    };
  },
};

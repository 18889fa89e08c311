/**
 * `dlp-filter` (input and output): `blocked_terms` (case-insensitive, whole
 * word, optional fuzzy matching within `max_distance` edits) and
 * `detect_patterns` (named custom regexes); `action: redact|block`.
 *
 * Reason code: `dlp_violation`. Findings: `blocked_term`, `blocked_term_fuzzy`, or the
 * pattern names.
 *
 * @module
 */
import { z } from "zod";
import {
  allowDecision,
  customPatternSchema,
  detectPatternIssues,
  detectPatternScanner,
  type EvalInput,
  normalizeSpans,
  type PolicyDecision,
  type PolicyKindModule,
  scanSegments,
  type Span,
} from "./common.ts";
import { TermMatcher } from "./term_matcher.ts";

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
      cfg.blocked_terms.map((term) => ({ term, entity: "blocked_term" })),
      {
        maxDistance: cfg.fuzzy_matching.enabled ? cfg.fuzzy_matching.max_distance : 0,
        minFuzzyLength: cfg.fuzzy_matching.min_term_length,
      },
    );
    const custom = detectPatternScanner(cfg.detect_patterns);
    const spans = (text: string): Span[] => {
      const found = terms.find(text);
      custom?.(text, found);
      return normalizeSpans(found);
    };
    return {
      kind: "dlp-filter",
      phases: ["input", "output"],
      inspectsOutput: true,
      checksToolCalls: false,
      textOnly: true,
      spans,
      evaluate(input: EvalInput): PolicyDecision {
        const segs = input.segments;
        const { findings, segments } = scanSegments(
          segs,
          spans,
          cfg.action === "block" ? undefined : () => cfg.marker,
        );
        if (Object.keys(findings).length === 0) return allowDecision();
        if (cfg.action === "block") {
          return {
            verdict: "block",
            reasonCode: "dlp_violation",
            findings,
            message: `${
              input.phase === "input" ? "The request" : "The response"
            } contains restricted content (data-loss-prevention policy).`,
          };
        }
        return { verdict: "redact", reasonCode: "dlp_violation", findings, segments: segments ?? segs };
      },
    };
  },
};

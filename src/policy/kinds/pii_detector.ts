/**
 * `pii-detector` (input and output): finds personal data with the built-in
 * scanner ({@link scanPii}) plus `detect_patterns`, then redacts or blocks.
 *
 * Reason code: `pii_detected`. Findings: entity name → count.
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
} from "./common.ts";
import { PII_ENTITIES, scanPii } from "./pii_scanner.ts";
import type { RequestPolicyState } from "../types.ts";

const ENTITY_NAMES = [...PII_ENTITIES, "ip_address"] as const;

/** Schema of `policy.pii-detector`. */
export const piiDetectorSchema = z.strictObject({
  action: z.enum(["redact", "block"]).default("redact"),
  /** Built-in entities to detect (default: all; `mrn`/`npi` also need `healthcare_mode`). */
  entities: z.array(z.enum(ENTITY_NAMES)).optional(),
  healthcare_mode: z.boolean().default(false),
  detect_patterns: z.array(customPatternSchema).max(100).default([]),
  redaction: z.strictObject({
    marker_format: z.enum(["label", "asterisks", "partial"]).default("label"),
    restore: z.boolean().default(false),
  }).default({ marker_format: "label", restore: false }),
});

/** A validated `policy.pii-detector` block. */
export type PiiDetectorConfig = z.infer<typeof piiDetectorSchema>;

const placeholderCounters = new WeakMap<
  RequestPolicyState,
  { byValue: Map<string, string>; n: Map<string, number> }
>();

/** `****1234`: the last four letters or digits of the value (for emails, the last four characters). */
function partialMarker(original: string, entity: string): string {
  if (entity === "email") return `****${original.slice(-4)}`;
  const alnum = original.replace(/[^A-Za-z0-9]/g, "");
  return alnum.length >= 8 ? `****${alnum.slice(-4)}` : "****";
}

/** Placeholder for `redaction.restore`: unique per distinct value within a request. */
function placeholder(state: RequestPolicyState, entity: string, original: string): string {
  let c = placeholderCounters.get(state);
  if (!c) {
    c = { byValue: new Map(), n: new Map() };
    placeholderCounters.set(state, c);
  }
  const existing = c.byValue.get(original);
  if (existing) return existing;
  const label = entity.toUpperCase();
  const n = (c.n.get(label) ?? 0) + 1;
  c.n.set(label, n);
  const p = `[${label}_${n}]`;
  c.byValue.set(original, p);
  state.restore.set(p, original);
  return p;
}

function blockMessage(subject: string, entities: string[]): string {
  return `${subject} contains personal data (${entities.join(", ")}); remove it and retry.`;
}

/** The pii-detector kind. */
export const piiDetector: PolicyKindModule = {
  definition: {
    kind: "pii-detector",
    phases: ["input", "output"],
    schema: piiDetectorSchema,
    check(block: unknown) {
      return detectPatternIssues((block as PiiDetectorConfig).detect_patterns);
    },
  },
  compile(block: unknown) {
    const cfg = piiDetectorSchema.parse(block ?? {});
    const entities = new Set<string>(cfg.entities ?? PII_ENTITIES);
    if (entities.has("ip_address")) {
      entities.add("ipv4");
      entities.add("ipv6");
    }
    const scanOpts = { entities, healthcare: cfg.healthcare_mode };
    const custom = detectPatternScanner(cfg.detect_patterns);
    const format = cfg.redaction.marker_format;
    const restore = cfg.redaction.restore;

    const spans = (text: string): Span[] => {
      const found = scanPii(text, scanOpts);
      if (!custom) return found;
      custom(text, found);
      return normalizeSpans(found);
    };

    const marker = (state: RequestPolicyState, phase: string, s: Span, original: string): string => {
      if (restore && phase === "input") return placeholder(state, s.entity, original);
      if (format === "asterisks") return "*****";
      if (format === "partial") return partialMarker(original, s.entity);
      return `[${s.entity.toUpperCase()}]`;
    };

    return {
      kind: "pii-detector",
      phases: ["input", "output"],
      inspectsOutput: true,
      checksToolCalls: false,
      textOnly: true,
      spans,
      evaluate(input: EvalInput): PolicyDecision {
        return spanDecision(
          input,
          spans,
          cfg.action === "block" ? undefined : (s, original) => marker(input.state, input.phase, s, original),
          "pii_detected",
          blockMessage,
        );
      },
    };
  },
};

/**
 * `pii-detector` (input and output): finds personal data with the built-in
 * scanner ({@link scanPii}) plus `detect_patterns`, then redacts or blocks. Both scan the
 * segment's normalised view (src/policy/normalize.ts), so fullwidth digits, zero-width
 * characters and lookalike letters do not hide an entity; redaction replaces the original span.
 *
 * Reason code: `pii_detected`. Findings: entity name → count.
 *
 * @module
 */
import { tokenHold } from "../stream_hold.ts";
import { z } from "zod";
import {
  customPatternSchema,
  detectPatternIssues,
  detectPatternScanner,
  type EvalInput,
  namedPatterns,
  normalizeSpans,
  type PolicyDecision,
  type PolicyKindModule,
  type Span,
  spanDecision,
  viewSpans,
} from "./common.ts";
import { PII_ENTITIES, scanPii } from "./pii_scanner.ts";
import type { RequestPolicyState } from "../types.ts";
import type { NormalizedView } from "../normalize.ts";

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

/**
 * The `redaction.restore` placeholders this kind emits, `[LABEL_n]`: the label is {@link restoreLabel} of the
 * entity (at most 64 characters), `n` counts the label's distinct values in the request. The engine restores
 * exactly the texts this matches that are keys of the request's restore map.
 */
export const PLACEHOLDER: RegExp = /\[[A-Z][A-Z0-9_.-]{0,63}_\d{1,12}\]/g;

/**
 * The placeholder label of an entity or `detect_patterns` name: upper-cased, characters other than
 * `A-Z 0-9 _ . -` as `_`, starting with a letter (else `X` is put first), at most 64 characters; so every
 * placeholder fits {@link PLACEHOLDER}.
 */
export function restoreLabel(entity: string): string {
  let label = entity.toUpperCase().replace(/[^A-Z0-9_.-]/g, "_");
  if (!/^[A-Z]/.test(label)) label = `X${label}`;
  return label.slice(0, 64);
}

/** A W003 lint warning of this kind. */
interface LabelIssue {
  path: string;
  message: string;
  code: "W003";
  hint: string;
}

/** Lint feedback on `detect_patterns` names as placeholder labels (with `redaction.restore`). */
function labelIssues(cfg: PiiDetectorConfig): LabelIssue[] {
  if (!cfg.redaction.restore) return [];
  const issues: LabelIssue[] = [];
  const seen = new Map<string, string>();
  for (const e of PII_ENTITIES) seen.set(restoreLabel(e), `built-in entity ${e}`);
  namedPatterns(cfg.detect_patterns).forEach((p, i) => {
    const label = restoreLabel(p.name);
    const path = typeof cfg.detect_patterns[i] === "string"
      ? `detect_patterns.${i}`
      : `detect_patterns.${i}.name`;
    if (label !== p.name.toUpperCase()) {
      issues.push({
        path,
        message: `pattern "${p.name}": restore placeholders are named [${label}_n]`,
        code: "W003",
        hint: "use letters, digits, _ . - (at most 64, starting with a letter) to keep the name",
      });
    }
    const other = seen.get(label);
    if (other !== undefined) {
      issues.push({
        path,
        message: `pattern "${p.name}" shares restore placeholders [${label}_n] with ${other}`,
        code: "W003",
        hint: "give it a distinct name so findings and placeholders tell them apart",
      });
    } else seen.set(label, `pattern "${p.name}"`);
  });
  return issues;
}

/**
 * `spans` without those inside one of the request's placeholders (a placeholder the model echoes must reach
 * the restore step intact, even when a `detect_patterns` entry (`EMP_\d+`) matches its text), and without
 * those that are one of the caller's own redacted values.
 */
function outsidePlaceholders(found: Span[], text: string, restore: Map<string, string>): Span[] {
  if (found.length === 0) return found;
  // The caller's own values (restored into text, or echoed by the model) are given back, not redacted:
  // the output phase may see text that restore already wrote (streamed tool calls, summary events).
  const own = new Set(restore.values());
  found = found.filter((s) => !own.has(text.slice(s.start, s.end)));
  if (found.length === 0 || text.indexOf("[") < 0) return found;
  const kept: Array<[number, number]> = [];
  PLACEHOLDER.lastIndex = 0;
  for (let m; (m = PLACEHOLDER.exec(text)) !== null;) {
    if (restore.has(m[0])) kept.push([m.index, m.index + m[0].length]);
  }
  if (kept.length === 0) return found;
  return found.filter((s) => !kept.some(([a, b]) => s.start >= a && s.end <= b));
}

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

/**
 * Placeholder for `redaction.restore`: `[label_n]` with a {@link restoreLabel} label, unique per distinct
 * value within a request.
 */
function placeholder(state: RequestPolicyState, label: string, original: string): string {
  let c = placeholderCounters.get(state);
  if (!c) {
    c = { byValue: new Map(), n: new Map() };
    placeholderCounters.set(state, c);
  }
  const existing = c.byValue.get(original);
  if (existing) return existing;
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
      const cfg = block as PiiDetectorConfig;
      return [...detectPatternIssues(cfg.detect_patterns), ...labelIssues(cfg)];
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

    const scan = (text: string): Span[] => {
      const found = scanPii(text, scanOpts);
      if (!custom) return found;
      custom(text, found);
      return normalizeSpans(found);
    };
    const spans = (view: NormalizedView): Span[] => viewSpans(view, scan);

    // Placeholder labels, normalised once: every placeholder this block emits is restorable.
    const labels = new Map<string, string>();
    for (const e of [...entities, ...namedPatterns(cfg.detect_patterns).map((p) => p.name)]) {
      labels.set(e, restoreLabel(e));
    }
    const marker = (state: RequestPolicyState, phase: string, s: Span, original: string): string => {
      if (restore && phase === "input") {
        return placeholder(state, labels.get(s.entity) ?? restoreLabel(s.entity), original);
      }
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
      // Every built-in entity is one token or a run of number groups; custom patterns and the
      // healthcare identifiers (read with their context words) keep the guard's fixed window.
      holdFrom: custom || cfg.healthcare_mode ? undefined : tokenHold,
      evaluate(input: EvalInput): PolicyDecision {
        const restoreMap = input.state.restore;
        return spanDecision(
          input,
          input.phase === "output" && restoreMap.size > 0
            ? (view) => outsidePlaceholders(spans(view), view.original, restoreMap)
            : spans,
          cfg.action === "block" ? undefined : (s, original) => marker(input.state, input.phase, s, original),
          "pii_detected",
          blockMessage,
        );
      },
    };
  },
};

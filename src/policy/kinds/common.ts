/**
 * Shared building blocks of the policy kinds: the compiled-policy contract the
 * engine drives, text spans and their redaction, glob matching, and the
 * `detect_patterns` schema shared by pii-detector and dlp-filter.
 *
 * @module
 */
import { z } from "zod";
import { checkUserPattern, compileUserPattern, scanRegExp } from "../safe_regex.ts";
import { type NormalizedView, toOriginalSpans } from "../normalize.ts";
import type {
  Phase,
  PolicyKindDefinition,
  PolicyRequest,
  RequestPolicyState,
  RoutingRequirement,
  TextSegment,
  Verdict,
} from "../types.ts";

/** A detected piece of text: `[start, end)` in the scanned string. */
export interface Span {
  start: number;
  end: number;
  /** Entity or finding name (`email`, `credit_card`, `blocked_term`, …). */
  entity: string;
}

/**
 * Memory of one streamed text channel, kept by the stream guard between the pieces it checks (a policy
 * may note that a piece ended inside something it redacts, e.g. a private-key block). Keys are the
 * policy's kind.
 */
export type StreamCarry = Map<string, unknown>;

/** What a compiled policy sees when it runs. */
export interface EvalInput {
  readonly request: PolicyRequest;
  /** Current segments (already redacted by earlier policies of the chain). */
  readonly segments: readonly TextSegment[];
  readonly state: RequestPolicyState;
  readonly phase: Phase;
  /**
   * The normalised view of a segment (src/policy/normalize.ts), computed once per segment text and
   * phase and shared by the policies of the phase.
   */
  view(segment: TextSegment): NormalizedView;
  /** Set when the stream guard runs the phase on a piece of a streamed channel. */
  readonly stream?: StreamCarry;
}

/** One policy's decision inside a phase. */
export interface PolicyDecision {
  verdict: Verdict;
  reasonCode: string | null;
  findings: Record<string, number>;
  /** Replacement segments when the verdict is `redact`. */
  segments?: readonly TextSegment[];
  /** Client-facing message on block (never the blocked content). */
  message?: string;
  /** Routing constraints (data-routing-policy). */
  routing?: RoutingRequirement;
}

/** A policy compiled once per config snapshot. */
export interface CompiledPolicy {
  readonly kind: string;
  readonly phases: readonly Phase[];
  /** True when the output phase reads response content (text or tool calls). */
  readonly inspectsOutput: boolean;
  /** True when the output phase inspects tool calls. */
  readonly checksToolCalls: boolean;
  /** True when the policy looks only at text segments (usable by the stream guard). */
  readonly textOnly: boolean;
  /** Runs the policy. May throw; the engine applies the fail mode. */
  evaluate(input: EvalInput): PolicyDecision;
  /**
   * Spans the policy would act on in a text, in the original's coordinates (the stream guard keeps them
   * whole across chunk cuts).
   */
  spans?(view: NormalizedView): Span[];
  /**
   * Streams: where the still-open tail of a streamed text starts, the earliest index from which the
   * text could yet become part of a finding once more text arrives (`text.length` when nothing could).
   * The stream guard releases everything before it (src/policy/stream_hold.ts). Without it the guard
   * holds a fixed window for this policy.
   */
  holdFrom?(text: string): number;
}

/** A policy kind: its registry definition plus its compiler. */
export interface PolicyKindModule {
  readonly definition: PolicyKindDefinition;
  /** Compiles a block that already passed `definition.schema` (defaults filled). */
  compile(block: unknown): CompiledPolicy;
}

/** A decision that lets the content pass unchanged. */
export function allowDecision(findings: Record<string, number> = {}): PolicyDecision {
  return { verdict: "allow", reasonCode: null, findings };
}

/** Adds `n` to `findings[entity]`. */
export function count(findings: Record<string, number>, entity: string, n = 1): void {
  findings[entity] = (findings[entity] ?? 0) + n;
}

/**
 * Replaces `spans` (sorted by start, possibly overlapping: later overlapping spans are
 * dropped) in `text` with `replace(span, original)`.
 */
export function applySpans(
  text: string,
  spans: readonly Span[],
  replace: (span: Span, original: string) => string,
): string {
  let out = "";
  let pos = 0;
  for (const s of spans) {
    if (s.start < pos) continue;
    out += text.slice(pos, s.start) + replace(s, text.slice(s.start, s.end));
    pos = s.end;
  }
  return pos === 0 && spans.length === 0 ? text : out + text.slice(pos);
}

/** Sorts spans by start (longest first on ties) and drops the ones overlapping an earlier span. */
export function normalizeSpans(spans: Span[]): Span[] {
  if (spans.length < 2) return spans;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Span[] = [];
  let end = -1;
  for (const s of spans) {
    if (s.start >= end) {
      out.push(s);
      end = s.end;
    }
  }
  return out;
}

const globCache = new Map<string, RegExp>();

/** Compiles a glob (`*` any run, `?` one character; case-insensitive) to an anchored regex. */
export function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (!re) {
    // Collapse runs of `*` so the regex has no adjacent unbounded quantifiers.
    const src = glob.replace(/\*+/g, "*").replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")
      .replace(/\?/g, ".");
    re = new RegExp(`^${src}$`, "is");
    globCache.set(glob, re);
  }
  return re;
}

/** A list of globs compiled for repeated matching. */
export class GlobSet {
  readonly #exact = new Set<string>();
  readonly #patterns: RegExp[] = [];
  readonly size: number;
  constructor(globs: readonly string[]) {
    for (const g of globs) {
      if (/[*?]/.test(g)) this.#patterns.push(globToRegExp(g));
      else this.#exact.add(g.toLowerCase());
    }
    this.size = globs.length;
  }
  /** True when `name` matches any glob (names longer than 512 characters never match a wildcard). */
  matches(name: string): boolean {
    if (this.#exact.has(name.toLowerCase())) return true;
    if (name.length > 512) return false;
    for (const re of this.#patterns) if (re.test(name)) return true;
    return false;
  }
}

/** Roles whose text is supplied by the user (or by tools acting on the user's behalf). */
export const USER_SUPPLIED_ROLES: ReadonlySet<string> = new Set([
  "user",
  "tool",
  "prompt",
  "input",
  "function",
]);

/** A custom named pattern (`detect_patterns` entries): a bare string or `{name, pattern, case_insensitive}`. */
export const customPatternSchema = z.union([
  z.string().min(1).max(1000),
  z.strictObject({
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, "a name such as employee_id"),
    pattern: z.string().min(1).max(1000),
    case_insensitive: z.boolean().default(false),
  }),
]);

/** A `detect_patterns` entry after normalisation. */
export interface NamedPattern {
  name: string;
  pattern: string;
  caseInsensitive: boolean;
}

/** Normalises `detect_patterns` entries (bare strings get `pattern_<i>` names). */
export function namedPatterns(entries: readonly z.infer<typeof customPatternSchema>[]): NamedPattern[] {
  return entries.map((e, i) =>
    typeof e === "string"
      ? { name: `pattern_${i + 1}`, pattern: e, caseInsensitive: false }
      : { name: e.name, pattern: e.pattern, caseInsensitive: e.case_insensitive }
  );
}

/**
 * Compiles `detect_patterns` entries into a scanner that appends every match to `found` as a span named
 * after its pattern; undefined when there are no entries.
 */
export function detectPatternScanner(
  entries: readonly z.infer<typeof customPatternSchema>[],
): ((text: string, found: Span[]) => void) | undefined {
  if (entries.length === 0) return undefined;
  const patterns = namedPatterns(entries).map((p) => ({
    name: p.name,
    re: compileUserPattern(p.pattern, p.caseInsensitive),
  }));
  return (text, found) => {
    for (const p of patterns) {
      scanRegExp(p.re, text, (start, end) => found.push({ start, end, entity: p.name }));
    }
  };
}

/**
 * Spans found by `scan` in a normalised view, moved to the original's coordinates: the shape of every
 * content kind's `spans`.
 */
export function viewSpans(view: NormalizedView, scan: (text: string) => Span[]): Span[] {
  return toOriginalSpans(view, scan(view.text));
}

/**
 * Scans every segment's normalised view with `spans` (original coordinates), counts findings by entity
 * and — unless `redact` is undefined (block mode) — rewrites each found span of the original text with
 * `redact`. `segments` is undefined when no text changed.
 */
export function scanSegments(
  input: Pick<EvalInput, "segments" | "view">,
  spans: (view: NormalizedView, segment: TextSegment) => Span[],
  redact: ((span: Span, original: string) => string) | undefined,
): { findings: Record<string, number>; segments: TextSegment[] | undefined } {
  const segs = input.segments;
  const findings: Record<string, number> = {};
  let out: TextSegment[] | undefined;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    const found = spans(input.view(seg), seg);
    if (found.length === 0) continue;
    for (const s of found) count(findings, s.entity);
    if (!redact) continue;
    out ??= segs.slice();
    out[i] = { ...seg, text: applySpans(seg.text, found, redact) };
  }
  return { findings, segments: out };
}

/**
 * The decision of a kind that acts on found spans (pii-detector, dlp-filter, secrets-detector): scans the
 * segments ({@link scanSegments}) and allows when nothing is found; otherwise redacts with `redact`, or —
 * when `redact` is undefined (block mode) — blocks with `blockMessage(subject, entities)`, where `subject`
 * is "The request" or "The response".
 */
export function spanDecision(
  input: EvalInput,
  spans: (view: NormalizedView, segment: TextSegment) => Span[],
  redact: ((span: Span, original: string) => string) | undefined,
  reasonCode: string,
  blockMessage: (subject: string, entities: string[]) => string,
): PolicyDecision {
  const segs = input.segments;
  const { findings, segments } = scanSegments(input, spans, redact);
  const entities = Object.keys(findings);
  if (entities.length === 0) return allowDecision();
  if (!redact) {
    const subject = input.phase === "input" ? "The request" : "The response";
    return { verdict: "block", reasonCode, findings, message: blockMessage(subject, entities) };
  }
  return { verdict: "redact", reasonCode, findings, segments: segments ?? segs };
}

/** A lint problem of a policy block, relative to the block. */
export interface BlockIssue {
  path: string;
  message: string;
  code?: "E006";
  hint?: string;
}

/** E006 issues for `detect_patterns` entries that are not admitted by the safe-regex check. */
export function detectPatternIssues(entries: readonly z.infer<typeof customPatternSchema>[]): BlockIssue[] {
  const issues: BlockIssue[] = [];
  namedPatterns(entries).forEach((p, i) => {
    const problem = checkUserPattern(p.pattern, p.caseInsensitive);
    if (problem) {
      issues.push({
        path: typeof entries[i] === "string" ? `detect_patterns.${i}` : `detect_patterns.${i}.pattern`,
        message: `pattern "${p.name}": ${problem.message}`,
        code: "E006",
        hint: problem.hint,
      });
    }
  });
  return issues;
}

/** E006 issues for a list of bare user regexes (`attack_patterns`, `allow_patterns`) at `path`. */
export function patternListIssues(
  patterns: readonly string[],
  path: string,
  caseInsensitive: boolean,
): BlockIssue[] {
  const issues: BlockIssue[] = [];
  patterns.forEach((p, i) => {
    const problem = checkUserPattern(p, caseInsensitive);
    if (problem) {
      issues.push({ path: `${path}.${i}`, message: problem.message, code: "E006", hint: problem.hint });
    }
  });
  return issues;
}

/** Escapes a literal for use inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * The policy chain engine: compiles `policies.chain` of a validated config into
 * an immutable {@link CompiledChain} (every block parsed with defaults, every
 * pattern compiled once), then runs phases over {@link PolicyRequest}s.
 *
 * Semantics (SPEC 3.2): policies run in chain order, each in the phases it
 * supports; `redact` replaces the segments later policies see and the chain
 * continues; the first `block` stops the phase. A policy that throws yields a
 * result with `error` and — by the fail mode — a `block` with reason
 * `policy_error`, or an `allow` that continues. With `pack.enabled: false`
 * every phase allows and the results carry `pack_disabled` (audit only).
 *
 * Output phase: after all output policies ran, placeholders created by
 * `redaction.restore` are replaced with the original values for the caller,
 * so restored values are never re-redacted.
 *
 * Streams: see {@link STREAM_WINDOW}.
 *
 * One file: the chain, its stream guard and the placeholder streams share the run loop and restore map.
 *
 * @module
 */
import type { KtConfig } from "../config/schema.ts";
import type {
  ChainOptions,
  ChainOutcome,
  CompiledChain,
  Phase,
  PolicyRequest,
  PolicyResult,
  RequestPolicyState,
  RoutingRequirement,
  StreamGuard,
  TextSegment,
  Verdict,
} from "./types.ts";
import type { CompiledPolicy, PolicyDecision, Span, StreamCarry } from "./kinds/common.ts";
import { type NormalizedView, normalizeView } from "./normalize.ts";
import { POLICY_MODULES } from "./registry.ts";
import { auditLoggerSchema } from "./kinds/access.ts";
import { PLACEHOLDER } from "./kinds/pii_detector.ts";

/**
 * Characters of streamed output held back so an entity split across chunks is still
 * caught: text is released once more than `STREAM_WINDOW + STREAM_STEP` characters are
 * pending, keeping the last `STREAM_WINDOW` (moved further back so that no detected
 * entity, restore placeholder or word is cut). Delay is therefore bounded by about
 * 160 characters (a few dozen tokens); `finish()` flushes the rest.
 */
export const STREAM_WINDOW = 128;
/** Minimum characters released per step (amortises scanning of the window). */
export const STREAM_STEP = 32;
/** Spans longer than this never hold back output (bounds the delay on hostile patterns). */
const MAX_HOLD_SPAN = 1024;

function mergeRouting(into: RoutingRequirement, add: RoutingRequirement): void {
  if (add.zeroDataRetention) into.zeroDataRetention = true;
  if (add.noTraining) into.noTraining = true;
  if (add.maxRetentionDays !== undefined) {
    into.maxRetentionDays = into.maxRetentionDays === undefined
      ? add.maxRetentionDays
      : Math.min(into.maxRetentionDays, add.maxRetentionDays);
  }
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 200);
}

/**
 * Replaces restore placeholders with their originals. With `json` the text is JSON source (tool-call
 * arguments), so each original is written JSON-escaped: a value with `"` or `\` keeps the JSON valid.
 */
function restoreText(text: string, restore: Map<string, string>, json = false): string {
  if (restore.size === 0 || text.indexOf("[") < 0) return text;
  return text.replace(PLACEHOLDER, (p) => {
    const v = restore.get(p);
    return v === undefined ? p : json ? JSON.stringify(v).slice(1, -1) : v;
  });
}

class Chain implements CompiledChain {
  readonly kinds: readonly string[];
  readonly enabled: boolean;
  readonly hasOutput: boolean;
  readonly readsOutputText: boolean;
  readonly readsInputText: boolean;
  readonly checksToolCalls: boolean;
  readonly audit: { logAllAccess: boolean; includeContent: "none" | "redacted" };
  readonly #input: readonly CompiledPolicy[];
  readonly #output: readonly CompiledPolicy[];
  readonly #streamText: readonly CompiledPolicy[];
  readonly #failMode: "block" | "allow";

  constructor(config: KtConfig, options: ChainOptions) {
    this.kinds = Object.freeze([...config.policies.chain]);
    this.enabled = config.pack.enabled;
    this.#failMode = options.failMode;
    const blocks = (config.policy ?? {}) as Record<string, unknown>;
    const compiled = this.kinds.map((kind) => {
      const mod = POLICY_MODULES.get(kind);
      if (!mod) throw new Error(`unknown policy kind "${kind}"`);
      return mod.compile(blocks[kind] ?? {});
    });
    this.#input = compiled.filter((p) => p.phases.includes("input"));
    this.#output = compiled.filter((p) => p.phases.includes("output"));
    this.#streamText = this.#output.filter((p) => p.textOnly);
    this.hasOutput = this.#output.some((p) => p.inspectsOutput) ||
      this.#input.some((p) => p.kind === "pii-detector");
    this.checksToolCalls = this.#output.some((p) => p.checksToolCalls);
    this.readsOutputText = this.#streamText.some((p) => p.inspectsOutput);
    this.readsInputText = this.#input.some((p) => p.textOnly);
    const audit = this.kinds.includes("audit-logger")
      ? auditLoggerSchema.parse(blocks["audit-logger"] ?? {})
      : { log_all_access: true, include_content: "none" as const };
    this.audit = Object.freeze({ logAllAccess: audit.log_all_access, includeContent: audit.include_content });
  }

  newState(): RequestPolicyState {
    return { restore: new Map() };
  }

  runInput(request: PolicyRequest, state: RequestPolicyState): ChainOutcome {
    if (!this.enabled) return this.#disabled(request, "input", this.#input);
    return this.#run("input", request, state, this.#input);
  }

  runOutput(request: PolicyRequest, state: RequestPolicyState): ChainOutcome {
    if (!this.enabled) return this.#disabled(request, "output", this.#output);
    const outcome = this.#run("output", request, state, this.#output);
    if (outcome.verdict === "block" || state.restore.size === 0) return outcome;
    let changed = false;
    const segments = outcome.segments.map((s) => {
      const text = restoreText(s.text, state.restore);
      if (text === s.text) return s;
      changed = true;
      return { ...s, text };
    });
    return changed ? { ...outcome, segments, changed: true } : outcome;
  }

  streamGuard(request: PolicyRequest, state: RequestPolicyState): StreamGuard {
    const policies = this.#streamText;
    if (!this.enabled || (policies.length === 0 && state.restore.size === 0)) {
      const done = (): ChainOutcome =>
        this.enabled ? allowOutcome(request, []) : this.#disabled(request, "output", this.#output);
      return {
        push: (delta: string) => ({ emit: delta, released: delta.length }),
        finish: () => ({ emit: "", released: 0, outcome: done() }),
      };
    }
    return new Guard(this, request, state, policies);
  }

  /** Runs one phase over `policies` (exposed to the stream guard). */
  run(
    phase: Phase,
    request: PolicyRequest,
    state: RequestPolicyState,
    policies: readonly CompiledPolicy[],
    stream?: StreamCarry,
  ) {
    return this.#run(phase, request, state, policies, stream);
  }

  #disabled(request: PolicyRequest, phase: Phase, policies: readonly CompiledPolicy[]): ChainOutcome {
    return allowOutcome(
      request,
      policies.map((p) => ({
        policy: p.kind,
        phase,
        verdict: "allow" as const,
        reason_code: "pack_disabled",
        latency_us: 0,
        findings: {},
      })),
      "pack_disabled",
    );
  }

  #run(
    phase: Phase,
    request: PolicyRequest,
    state: RequestPolicyState,
    policies: readonly CompiledPolicy[],
    stream?: StreamCarry,
  ): ChainOutcome {
    let segments = request.segments;
    const view = viewCache();
    const results: PolicyResult[] = [];
    const routing: RoutingRequirement = {};
    let verdict: Verdict = "allow";
    let reasonCode: string | null = null;
    let changed = false;
    // One clock read per policy: each policy's latency runs from the previous one's end.
    let started = performance.now();
    for (const p of policies) {
      let d: PolicyDecision;
      let error: string | undefined;
      try {
        d = p.evaluate({ request, segments, state, phase, view, stream });
      } catch (e) {
        error = errorText(e);
        d = this.#failMode === "block"
          ? {
            verdict: "block",
            reasonCode: "policy_error",
            findings: {},
            message: "A policy could not evaluate the content; the request was blocked (fail mode: block).",
          }
          : { verdict: "allow", reasonCode: "policy_error", findings: {} };
      }
      const ended = performance.now();
      const result: PolicyResult = {
        policy: p.kind,
        phase,
        verdict: d.verdict,
        reason_code: d.reasonCode,
        latency_us: Math.round((ended - started) * 1000),
        findings: d.findings,
      };
      started = ended;
      if (error !== undefined) result.error = error;
      results.push(result);
      if (d.routing) mergeRouting(routing, d.routing);
      if (d.verdict === "block") {
        return {
          verdict: "block",
          reasonCode: d.reasonCode,
          policy: p.kind,
          message: d.message ?? "The content was blocked by policy.",
          results,
          segments,
          changed,
          routing,
        };
      }
      if (d.verdict === "redact" && d.segments) {
        if (d.segments !== segments) changed = true;
        segments = d.segments;
        if (verdict === "allow") {
          verdict = "redact";
          reasonCode = d.reasonCode;
        }
      } else if (reasonCode === null && d.reasonCode !== null && verdict === "allow") {
        reasonCode = d.reasonCode;
      }
    }
    return { verdict, reasonCode, results, segments, changed, routing };
  }
}

/**
 * The normalised views of one phase run: computed on first use per segment (policies that redact hand
 * on new segment objects for the texts they changed, and those get their own view) and shared by every
 * policy of the phase.
 */
export function viewCache(): (segment: TextSegment) => NormalizedView {
  const views = new Map<TextSegment, NormalizedView>();
  return (segment) => {
    let v = views.get(segment);
    if (v === undefined) {
      v = normalizeView(segment.text);
      views.set(segment, v);
    }
    return v;
  };
}

function allowOutcome(
  request: PolicyRequest,
  results: PolicyResult[],
  reasonCode: string | null = null,
): ChainOutcome {
  return { verdict: "allow", reasonCode, results, segments: request.segments, changed: false, routing: {} };
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
}

/** Incremental output checking of one streamed text channel. */
class Guard implements StreamGuard {
  readonly #chain: Chain;
  readonly #request: PolicyRequest;
  readonly #state: RequestPolicyState;
  readonly #policies: readonly CompiledPolicy[];
  #pending = "";
  /** Length of the pending text when its hold was last judged. */
  #judged = 0;
  #blocked: ChainOutcome | undefined;
  #verdict: Verdict = "allow";
  #reason: string | null = null;
  #changed = false;
  readonly #results = new Map<string, PolicyResult>();
  /** What policies remember between the pieces of this channel. */
  readonly #carry: StreamCarry = new Map();

  constructor(
    chain: Chain,
    request: PolicyRequest,
    state: RequestPolicyState,
    policies: readonly CompiledPolicy[],
  ) {
    this.#chain = chain;
    this.#request = request;
    this.#state = state;
    this.#policies = policies;
  }

  push(delta: string): { emit: string; released: number; blocked?: ChainOutcome } {
    if (this.#blocked) return { emit: "", released: 0, blocked: this.#blocked };
    this.#pending += delta;
    const cut = this.#releasable(this.#pending);
    if (cut <= 0) return { emit: "", released: 0 };
    const head = this.#pending.slice(0, cut);
    this.#pending = this.#pending.slice(cut);
    this.#judged -= cut;
    const r = this.#process(head);
    return r.blocked ? { emit: "", released: 0, blocked: r.blocked } : { emit: r.emit, released: cut };
  }

  finish(): { emit: string; released: number; blocked?: ChainOutcome; outcome: ChainOutcome } {
    if (this.#blocked) return { emit: "", released: 0, blocked: this.#blocked, outcome: this.#blocked };
    const rest = this.#pending;
    this.#pending = "";
    const r = rest ? this.#process(rest) : { emit: "" };
    if (r.blocked) return { emit: "", released: 0, blocked: r.blocked, outcome: r.blocked };
    return {
      emit: r.emit,
      released: rest.length,
      outcome: {
        verdict: this.#verdict,
        reasonCode: this.#reason,
        results: [...this.#results.values()],
        segments: this.#request.segments,
        changed: this.#changed,
        routing: {},
      },
    };
  }

  #process(text: string): { emit: string; blocked?: ChainOutcome } {
    const request: PolicyRequest = {
      ...this.#request,
      segments: [{ key: "stream", role: "assistant", text }],
    };
    const outcome = this.#chain.run("output", request, this.#state, this.#policies, this.#carry);
    for (const r of outcome.results) {
      const agg = this.#results.get(r.policy);
      if (!agg) {
        this.#results.set(r.policy, { ...r, findings: { ...r.findings } });
        continue;
      }
      agg.latency_us += r.latency_us;
      for (const [k, v] of Object.entries(r.findings)) agg.findings[k] = (agg.findings[k] ?? 0) + v;
      if (rank(r.verdict) > rank(agg.verdict)) {
        agg.verdict = r.verdict;
        agg.reason_code = r.reason_code;
      }
      if (r.error && !agg.error) agg.error = r.error;
    }
    if (outcome.verdict === "block") {
      this.#blocked = { ...outcome, results: [...this.#results.values()], segments: this.#request.segments };
      return { emit: "", blocked: this.#blocked };
    }
    if (outcome.verdict === "redact" && this.#verdict === "allow") {
      this.#verdict = "redact";
      this.#reason = outcome.reasonCode;
    } else if (this.#reason === null && outcome.reasonCode) this.#reason = outcome.reasonCode;
    let out = outcome.segments[0].text;
    if (outcome.changed) this.#changed = true;
    const restored = restoreText(out, this.#state.restore);
    if (restored !== out) {
      out = restored;
      this.#changed = true;
    }
    return { emit: out };
  }

  /**
   * How much of the pending text can go now: everything before the earliest open tail the policies
   * report (stream_hold.ts); for a policy that reports none, the fixed window of {@link #cut}. A
   * possible restore placeholder still open (`[EMAIL_1` without its `]`) is held too.
   */
  #releasable(pending: string): number {
    // A long hold (a token or a key block still open) is re-judged after it grew by a quarter, not on
    // every delta: what it holds could not go before it ends anyway, and judging it costs its length.
    if (pending.length > 2 * STREAM_WINDOW && pending.length - this.#judged < pending.length / 4) return 0;
    this.#judged = pending.length;
    let cut = pending.length;
    let windowed = false;
    for (const p of this.#policies) {
      if (p.holdFrom) cut = Math.min(cut, p.holdFrom(pending));
      else if (p.inspectsOutput) windowed = true;
    }
    if (windowed) {
      if (pending.length < STREAM_WINDOW + STREAM_STEP) return 0;
      cut = Math.min(cut, this.#cut(pending));
    }
    if (this.#state.restore.size > 0) {
      const open = pending.lastIndexOf("[", cut - 1);
      if (open >= 0 && cut - open <= 90) {
        const close = pending.indexOf("]", open);
        if (close < 0 || close >= cut) cut = open;
      }
    }
    return cut;
  }

  /** Where the pending text can be cut: keeps STREAM_WINDOW characters and never splits a span. */
  #cut(pending: string): number {
    let cut = pending.length - STREAM_WINDOW;
    const spans: Span[] = [];
    let view: NormalizedView | undefined;
    for (const p of this.#policies) {
      if (!p.spans) continue;
      view ??= normalizeView(pending);
      for (const s of p.spans(view)) spans.push(s);
    }
    if (this.#state.restore.size > 0) {
      PLACEHOLDER.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = PLACEHOLDER.exec(pending)) !== null) {
        spans.push({ start: m.index, end: m.index + m[0].length, entity: "placeholder" });
      }
    }
    spans.sort((a, b) => b.start - a.start);
    for (const s of spans) {
      if (s.start < cut && s.end > cut && s.end - s.start <= MAX_HOLD_SPAN) cut = s.start;
    }
    // Do not cut inside a word (an entity may still be growing at the cut).
    let k = cut;
    while (
      k > 0 && cut - k < 32 && isWordChar(pending.charCodeAt(k - 1)) && isWordChar(pending.charCodeAt(k))
    ) k--;
    if (cut - k < 32) cut = k;
    // Nor inside a possible placeholder "[EMAIL_1" that is still open.
    const open = pending.lastIndexOf("[", cut - 1);
    if (open >= 0 && cut - open <= 90) {
      const close = pending.indexOf("]", open);
      if (close < 0 || close >= cut) cut = open;
    }
    return cut;
  }
}

function rank(v: Verdict): number {
  return v === "block" ? 2 : v === "redact" ? 1 : 0;
}

/** Compiles `policies.chain` of a validated config into a {@link CompiledChain}. */
export function compileChain(config: KtConfig, options: ChainOptions): CompiledChain {
  return new Chain(config, options);
}

/**
 * For the gateway: restores placeholders in arbitrary text. With `json` the text is JSON source (tool-call
 * arguments of OpenAI chat and the Responses API) and the originals are inserted JSON-escaped.
 */
export function restorePlaceholders(text: string, state: RequestPolicyState, json = false): string {
  return restoreText(text, state.restore, json);
}

/** Convenience for callers building segments. */
export type { TextSegment };

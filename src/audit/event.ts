/**
 * Decision events (README "Decision events"): one per request, written to a sink.
 *
 * @module
 */
import type { PolicyResult, Verdict } from "../policy/types.ts";

/**
 * The coverage manifest of a decision event: text segments scanned per source (`messages`, `system`,
 * `tools`, `tool_results`, `files`, `stored`, `output_text`, `output_tools`, `reasoning`), media parts
 * seen (images, audio, files forwarded unread), the JSON path of content refused as ungovernable, and
 * stream frames dropped because a policy acted on text kt could not rewrite.
 */
export interface CoverageManifest {
  scanned: Partial<Record<string, number>>;
  media: number;
  refused: string | null;
  dropped?: number;
}

/**
 * A coverage manifest in one line, as `kt events tail` and the console show it:
 * `messages 3, tools 2; media 1; refused messages[0].content[1]`. Tolerates any JSON (events come
 * from gateways of other versions); "-" when it carries nothing.
 */
export function describeCoverage(coverage: unknown): string {
  if (!coverage || typeof coverage !== "object") return "-";
  const c = coverage as Record<string, unknown>;
  const parts: string[] = [];
  const scanned = c.scanned && typeof c.scanned === "object" ? c.scanned as Record<string, unknown> : {};
  const sources = Object.entries(scanned).filter(([, n]) => typeof n === "number" && n > 0)
    .map(([k, n]) => `${k} ${n}`);
  if (sources.length) parts.push(sources.join(", "));
  if (typeof c.media === "number" && c.media > 0) parts.push(`media ${c.media}`);
  if (typeof c.dropped === "number" && c.dropped > 0) parts.push(`dropped ${c.dropped}`);
  if (typeof c.refused === "string") parts.push(`refused ${c.refused}`);
  return parts.length ? parts.join("; ") : "-";
}

/** One decision event. Never carries raw prompts unless `content` is set from redacted text. */
export interface DecisionEvent {
  id: string;
  timestamp: string;
  request_id: string;
  gateway_id: string | null;
  config_version: string | null;
  route: string;
  verdict: Verdict;
  reason_code: string | null;
  /** The policy that decided a block, when any. */
  policy: string | null;
  policy_results: PolicyResult[];
  provider: string | null;
  target_id: string | null;
  model: string | null;
  status: number;
  /** Stable error code when the request failed (`input_blocked`, `rate_limited`, …). */
  error_code: string | null;
  latency_ms: number;
  upstream_latency_ms: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  user_id: string | null;
  team_id: string | null;
  /** sha256 of the request content and its length (for correlation without content). */
  content_sha256: string | null;
  content_length: number | null;
  /** What the request's (and answer's) content was made of, and what kt refused (docs/policies.md). */
  coverage: CoverageManifest;
  /** Only with `audit-logger.include_content: redacted`: the redacted request text. */
  content?: string;
}

/** The fields of a {@link DecisionEvent} in the order the gateway builds them (`content` last, optional). */
const EVENT_KEYS: readonly string[] = [
  "id",
  "timestamp",
  "request_id",
  "gateway_id",
  "config_version",
  "route",
  "verdict",
  "reason_code",
  "policy",
  "policy_results",
  "provider",
  "target_id",
  "model",
  "status",
  "error_code",
  "latency_ms",
  "upstream_latency_ms",
  "input_tokens",
  "output_tokens",
  "user_id",
  "team_id",
  "content_sha256",
  "content_length",
  "coverage",
  "content",
];

/** Characters `JSON.stringify` escapes in a string: quote, backslash, controls, (lone) surrogates. */
// deno-lint-ignore no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Thrown inside {@link decisionEventJson} when a value is not of its field's type. */
const UNEXPECTED = Symbol("unexpected");

function str(v: unknown): string {
  if (typeof v === "string") return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`;
  if (v === null) return "null";
  throw UNEXPECTED;
}

function num(v: unknown): string {
  if (typeof v === "number") return Number.isFinite(v) ? `${v}` : "null";
  if (v === null) return "null";
  throw UNEXPECTED;
}

/**
 * The JSON text of a decision event: exactly `JSON.stringify(event)`, built directly for the fixed
 * fields (about a third less time than the generic walk). Strings go through `JSON.stringify` only
 * when they hold a character it escapes; `policy_results` is stringified as is. An event whose keys
 * are not the gateway's, in its order, or a value of another type, falls back to `JSON.stringify`.
 */
export function decisionEventJson(event: DecisionEvent): string {
  let i = 0;
  for (const key in event) {
    if (key !== EVENT_KEYS[i++]) return JSON.stringify(event);
  }
  if (i < EVENT_KEYS.length - 1 || "toJSON" in event) return JSON.stringify(event);
  const e = event as unknown as Record<string, unknown>;
  const results = e.policy_results;
  if (!Array.isArray(results)) return JSON.stringify(event);
  try {
    const text = `{"id":${str(e.id)},"timestamp":${str(e.timestamp)},"request_id":${str(e.request_id)}` +
      `,"gateway_id":${str(e.gateway_id)},"config_version":${str(e.config_version)}` +
      `,"route":${str(e.route)},"verdict":${str(e.verdict)},"reason_code":${str(e.reason_code)}` +
      `,"policy":${str(e.policy)},"policy_results":${results.length === 0 ? "[]" : JSON.stringify(results)}` +
      `,"provider":${str(e.provider)},"target_id":${str(e.target_id)},"model":${str(e.model)}` +
      `,"status":${num(e.status)},"error_code":${str(e.error_code)},"latency_ms":${num(e.latency_ms)}` +
      `,"upstream_latency_ms":${num(e.upstream_latency_ms)},"input_tokens":${num(e.input_tokens)}` +
      `,"output_tokens":${num(e.output_tokens)},"user_id":${str(e.user_id)},"team_id":${str(e.team_id)}` +
      `,"content_sha256":${str(e.content_sha256)},"content_length":${num(e.content_length)}` +
      `,"coverage":${JSON.stringify(e.coverage)}`;
    return i === EVENT_KEYS.length ? `${text},"content":${str(e.content)}}` : `${text}}`;
  } catch (err) {
    if (err === UNEXPECTED) return JSON.stringify(event);
    throw err;
  }
}

/** Where decision events go. `write` must never block or throw. */
export interface AuditSink {
  write(event: DecisionEvent): void;
  /** Flushes buffered events (best effort) and releases resources. */
  close(): Promise<void>;
}

/** Options of {@link StdoutAuditSink}. */
export interface StdoutAuditSinkOptions {
  /** Where the bytes go (default: `Deno.stdout.writeSync`, looping over partial writes). */
  writeSync?: (bytes: Uint8Array) => number;
  /** Longest time a line waits in the buffer (default 1 ms: the lines of one event-loop turn go together). */
  maxDelayMs?: number;
  /** Buffer size that triggers an immediate flush (default 64 KiB of text). */
  maxBufferChars?: number;
}

/**
 * Writes each event as one JSON line on stdout (local mode). Lines are batched: the events that
 * end within about a millisecond (under load, many per event-loop turn) go out in one write (or at
 * 64 KiB) instead of one syscall each, so a process killed outright loses at most that last
 * millisecond; {@link close} (called on graceful shutdown) flushes what is left.
 */
export class StdoutAuditSink implements AuditSink {
  #encoder = new TextEncoder();
  #pending = "";
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #writeSync: (bytes: Uint8Array) => number;
  readonly #maxDelayMs: number;
  readonly #maxBufferChars: number;

  constructor(options: StdoutAuditSinkOptions = {}) {
    this.#writeSync = options.writeSync ?? ((b) => Deno.stdout.writeSync(b));
    this.#maxDelayMs = options.maxDelayMs ?? 1;
    this.#maxBufferChars = options.maxBufferChars ?? 65_536;
  }

  write(event: DecisionEvent): void {
    this.#pending += decisionEventJson(event) + "\n";
    if (this.#pending.length >= this.#maxBufferChars) this.flush();
    else if (this.#timer === undefined) this.#timer = setTimeout(this.#onTimer, this.#maxDelayMs);
  }

  #onTimer = (): void => {
    this.#timer = undefined;
    this.flush();
  };

  /** Writes the buffered lines now. Never throws. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#pending === "") return;
    let bytes = this.#encoder.encode(this.#pending);
    this.#pending = "";
    try {
      while (bytes.byteLength > 0) {
        const n = this.#writeSync(bytes);
        if (n <= 0) break;
        bytes = bytes.subarray(n);
      }
    } catch {
      // stdout closed: auditing must never break serving
    }
  }

  close(): Promise<void> {
    this.flush();
    return Promise.resolve();
  }
}

/** Keeps events in memory (tests, `kt policy test`). */
export class MemoryAuditSink implements AuditSink {
  readonly events: DecisionEvent[] = [];
  write(event: DecisionEvent): void {
    this.events.push(event);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Decision events (SPEC 3.7): one per request, written to a sink.
 *
 * @module
 */
import type { PolicyResult, Verdict } from "../policy/types.ts";

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
  /** Only with `audit-logger.include_content: redacted`: the redacted request text. */
  content?: string;
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
    this.#pending += JSON.stringify(event) + "\n";
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

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

/** Writes each event as one JSON line on stdout (local mode). */
export class StdoutAuditSink implements AuditSink {
  #encoder = new TextEncoder();
  write(event: DecisionEvent): void {
    try {
      Deno.stdout.writeSync(this.#encoder.encode(JSON.stringify(event) + "\n"));
    } catch {
      // stdout closed: auditing must never break serving
    }
  }
  close(): Promise<void> {
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

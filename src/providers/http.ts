/**
 * Shared upstream HTTP: fetch with a header timeout, an idle timeout while the body streams,
 * cheap client-disconnect propagation, and safe header handling.
 *
 * @module
 */
import { DEFAULT_MAX_RESPONSE_BYTES, MAX_ERROR_BODY_BYTES, UpstreamError } from "./types.ts";
import { watchdog, type Watched } from "./watchdog.ts";
import { type Http1Agent, Http1Error, Http1Exchange } from "./http1_client.ts";

/** Options of {@link upstreamFetch}. */
export interface UpstreamFetchOptions {
  /** Target id for errors. */
  targetId: string;
  /** Bounds the time to response headers and every idle gap while the body streams. */
  timeoutMs: number;
  /** The client's signal: aborting it aborts the upstream call (also mid-body). */
  signal: AbortSignal;
  /** Per-snapshot fetch client (custom CA certificates); used when no `agent` is given. */
  client?: Deno.HttpClient;
  /** kt's HTTP/1.1 client pools of the snapshot; `fetch` is used when absent. */
  agent?: Http1Agent;
  /** Bound on connecting (the target's `connect_timeout_ms`; agent only). */
  connectTimeoutMs?: number;
  /**
   * Bound on a 2xx body (`size_limits.max_response_bytes`, default {@link DEFAULT_MAX_RESPONSE_BYTES}):
   * a declared `content-length` over it fails at once, a body that grows past it errors while it
   * is read, so no more than this is ever held. Bodies outside 2xx are cut at {@link MAX_ERROR_BODY_BYTES}.
   */
  maxBodyBytes?: number;
}

/** Request headers never forwarded upstream whatever the gateway passes. */
const BLOCKED_REQUEST_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "api-key",
  "x-api-key",
  "cookie",
  "host",
  "content-length",
  "content-type",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "accept-encoding",
]);

/**
 * Builds upstream request headers: the gateway's safe headers (minus credentials and hop-by-hop names,
 * and minus names `skip` rejects), the target's static headers, then `auth` and the JSON content type.
 */
export function buildRequestHeaders(
  forwarded: Headers,
  staticHeaders: Record<string, string> | undefined,
  auth: Record<string, string>,
  skip?: (name: string) => boolean,
): Headers {
  const h = new Headers();
  forwarded.forEach((value, name) => {
    if (!BLOCKED_REQUEST_HEADERS.has(name) && !(skip && skip(name))) h.set(name, value);
  });
  if (staticHeaders) {
    for (const [k, v] of Object.entries(staticHeaders)) {
      if (!BLOCKED_REQUEST_HEADERS.has(k.toLowerCase())) h.set(k, v);
    }
  }
  for (const [k, v] of Object.entries(auth)) h.set(k, v);
  h.set("content-type", "application/json");
  return h;
}

/** Header name/value pairs in order, the cheapest `HeadersInit` for `fetch`. */
export type HeaderPairs = [string, string][];

/**
 * Precomputes {@link buildRequestHeaders} for one target: the static headers, `auth` and the content
 * type are fixed per target, so only the forwarded headers are copied per call (into pairs, which
 * `fetch` takes without the sorting and iterator of a `Headers` object). `defaults` are added after
 * the forwarded headers unless one of them already carries that name. Same result as
 * `buildRequestHeaders(forwarded, staticHeaders, auth, skip)` plus the defaults.
 */
export function requestHeaderBuilder(
  staticHeaders: Record<string, string> | undefined,
  auth: Record<string, string>,
  skip?: (name: string) => boolean,
  defaults?: Record<string, string>,
): (forwarded: Headers | readonly (readonly [string, string])[]) => HeaderPairs {
  const fixed: HeaderPairs = [...buildRequestHeaders(new Headers(), staticHeaders, auth)];
  const fixedNames = new Set(fixed.map(([k]) => k));
  const extra = Object.entries(defaults ?? {}).map(([k, v]) => [k.toLowerCase(), v] as [string, string])
    .filter(([k]) => !fixedNames.has(k));
  const keep = (name: string) =>
    !BLOCKED_REQUEST_HEADERS.has(name) && !fixedNames.has(name) && !(skip && skip(name));
  return (forwarded) => {
    const out: HeaderPairs = [];
    if (forwarded instanceof Headers) {
      forwarded.forEach((value, name) => {
        if (keep(name)) out.push([name, value]);
      });
      for (const [k, v] of extra) if (!forwarded.has(k)) out.push([k, v]);
    } else {
      // Pairs (lower-case names, the gateway's form): no Headers object, no sorting.
      for (const [name, value] of forwarded) if (keep(name)) out.push([name, value]);
      for (const [k, v] of extra) if (!forwarded.some(([name]) => name === k)) out.push([k, v]);
    }
    for (const p of fixed) out.push(p);
    return out;
  };
}

/** Upstream response headers worth passing to the client (everything else, hop-by-hop included, is dropped). */
function keepResponseHeader(name: string): boolean {
  return name === "content-type" || name === "retry-after" || name === "retry-after-ms" ||
    name.startsWith("x-ratelimit-") || name.startsWith("anthropic-ratelimit-");
}

/**
 * The safe subset of upstream response headers (content-type, retry-after, rate-limit info) as
 * name/value pairs; `upstream` is a `Headers` (fetch) or the HTTP/1.1 client's pairs.
 */
function responseHeaderPairs(upstream: Iterable<[string, string]>): [string, string][] {
  const out: [string, string][] = [];
  for (const pair of upstream) if (keepResponseHeader(pair[0])) out.push(pair);
  return out;
}

/** A copy of `headers` with the content type replaced. */
export function withContentType(headers: Headers, contentType: string): Headers {
  const h = new Headers(headers);
  h.set("content-type", contentType);
  return h;
}

/**
 * POSTs to an upstream. Resolves with a response carrying only the safe response headers
 * ({@link responseHeaderPairs}) and whose body is bounded in time and size:
 * - time: a non-SSE body with a `content-length` up to the buffer limit is read whole before
 *   resolving (within `timeoutMs` after the headers; reachable without a stream via
 *   {@link bufferedBody}); any other body streams through a watcher that errors it with
 *   `UpstreamError("timeout")` after an idle gap over `timeoutMs`;
 * - size: a 2xx answer declaring more than `maxBodyBytes` rejects with
 *   `UpstreamError("response_too_large")` before its body is read, and a streamed 2xx body errors
 *   with it once past `maxBodyBytes`; a body outside 2xx ends quietly after
 *   {@link MAX_ERROR_BODY_BYTES} (the rest is never read).
 *
 * Rejects with `UpstreamError` on timeout, connection failure or a malformed answer
 * (`invalid_response`), or with the client's abort reason when the client went away.
 *
 * The call goes through `options.agent` (kt's HTTP/1.1 client, see http1_client.ts) when one is
 * given, else through `fetch`.
 */
export async function upstreamFetch(
  url: string,
  headers: HeaderPairs,
  body: BodyInit,
  options: UpstreamFetchOptions,
): Promise<Response> {
  const { signal } = options;
  if (signal.aborted) throw signal.reason;
  // One object per call carries the deadline, the client-abort listener and the cleanup (no closures).
  const call = new UpstreamCall(options);
  let answer: Answer;
  try {
    answer = options.agent
      ? await call.viaAgent(options.agent, url, headers, body)
      : await call.viaFetch(url, headers, body);
  } catch (err) {
    call.cleanup();
    throw call.failure(err, "could not be reached");
  }
  const init = { status: answer.status, statusText: answer.statusText, headers: answer.headers };
  const success = answer.status >= 200 && answer.status < 300;
  if (success && answer.declaredLength > call.maxBodyBytes) {
    call.cleanup();
    if (answer.body instanceof ReadableStream) await answer.body.cancel().catch(() => {});
    throw call.tooLarge();
  }
  if (answer.body === null || answer.body instanceof Uint8Array) {
    call.cleanup();
    const bytes = answer.body && !success && answer.body.byteLength > MAX_ERROR_BODY_BYTES
      ? answer.body.subarray(0, MAX_ERROR_BODY_BYTES)
      : answer.body;
    const out = new Response(bytes as Uint8Array<ArrayBuffer> | null, init);
    if (bytes) BUFFERED.set(out, bytes);
    return out;
  }
  call.lastActivity = performance.now();
  const reader = answer.body.getReader();
  // 2xx: past the limit is an error; otherwise the body is cut short at the error-body bound.
  const limit = success ? call.maxBodyBytes : MAX_ERROR_BODY_BYTES;
  let seen = 0;
  const watched = new ReadableStream<Uint8Array>({
    async pull(c) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (err) {
        call.cleanup();
        c.error(call.failure(err, "response body failed"));
        return;
      }
      if (r.done) {
        call.cleanup();
        c.close();
        return;
      }
      call.lastActivity = performance.now();
      seen += r.value.byteLength;
      if (seen <= limit) {
        c.enqueue(r.value);
        return;
      }
      call.cleanup();
      reader.cancel().catch(() => {});
      if (success) {
        c.error(call.tooLarge());
        return;
      }
      const keep = r.value.byteLength - (seen - limit);
      if (keep > 0) c.enqueue(r.value.subarray(0, keep));
      c.close();
    },
    cancel(reason) {
      call.cleanup();
      return reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
  return new Response(watched, init);
}

/**
 * One upstream call: watched by the {@link watchdog} (stopped after an idle gap over `timeoutMs`),
 * stopped when the client goes away (it is its own abort listener), cleaned up once.
 */
class UpstreamCall implements Watched {
  lastActivity: number = performance.now();
  timedOut = false;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  #exchange: Http1Exchange | undefined;
  #controller: AbortController | undefined;
  #cleaned = false;

  constructor(readonly options: UpstreamFetchOptions) {
    this.timeoutMs = options.timeoutMs;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    watchdog.add(this);
    options.signal.addEventListener("abort", this, { once: true });
  }

  /** The call through kt's HTTP/1.1 client. */
  async viaAgent(agent: Http1Agent, url: string, headers: HeaderPairs, body: BodyInit): Promise<Answer> {
    const { pool, path } = agent.route(url);
    this.#exchange = new Http1Exchange();
    const res = await pool.request({
      method: "POST",
      path,
      headers,
      body: body as Uint8Array | string,
      bufferLimit: Math.min(MAX_BUFFERED_BODY_BYTES, this.maxBodyBytes),
      errorBufferLimit: MAX_ERROR_BODY_BYTES,
      connectTimeoutMs: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    }, this.#exchange);
    const kept = responseHeaderPairs(res.headers);
    const length = res.headers.find(([name]) => name === "content-length")?.[1];
    return {
      status: res.status,
      statusText: res.statusText,
      headers: kept,
      body: res.body,
      declaredLength: declaredLength(length ?? null),
    };
  }

  /** The call through `fetch`. */
  async viaFetch(url: string, headers: HeaderPairs, body: BodyInit): Promise<Answer> {
    this.#controller = new AbortController();
    const client = this.options.client;
    const res = await fetch(url, {
      method: "POST",
      headers,
      body,
      signal: this.#controller.signal,
      ...(client ? { client } : {}),
    });
    const headerList = responseHeaderPairs(res.headers);
    const length = declaredLength(res.headers.get("content-length"));
    // Fast path: a small non-SSE body is read whole with Deno's native reader (a JS stream wrapper
    // costs ~40% of proxy throughput); the timer still bounds the read.
    const bufferLimit = res.ok ? Math.min(MAX_BUFFERED_BODY_BYTES, this.maxBodyBytes) : MAX_ERROR_BODY_BYTES;
    const answerBody = !res.body
      ? null
      : shouldBuffer(res, length, bufferLimit)
      ? await res.bytes()
      : res.body;
    return {
      status: res.status,
      statusText: res.statusText,
      headers: headerList,
      body: answerBody,
      declaredLength: length,
    };
  }

  /** Ends the call in flight (deadline or client gone). */
  stop(): void {
    if (this.#exchange) this.#exchange.abort();
    else {
      const { targetId, timeoutMs } = this.options;
      this.#controller?.abort(new UpstreamError("timeout", targetId, timeoutMessage(targetId, timeoutMs)));
    }
  }

  /** The client went away (`signal`'s abort event). */
  handleEvent(): void {
    this.stop();
  }

  /** {@link Watched.expire}: the idle deadline passed. */
  expire(): void {
    this.timedOut = true;
    this.stop();
  }

  /** Stops watching; idempotent. */
  cleanup(): void {
    if (this.#cleaned) return;
    this.#cleaned = true;
    watchdog.delete(this);
    this.options.signal.removeEventListener("abort", this);
  }

  /**
   * What a failure means: a timeout, the client's abort reason, a malformed answer (kt's HTTP/1.1
   * client refused it), or a connection error.
   */
  failure(err: unknown, what: string): unknown {
    const { targetId, timeoutMs, signal } = this.options;
    if (this.timedOut) return new UpstreamError("timeout", targetId, timeoutMessage(targetId, timeoutMs));
    if (signal.aborted) return signal.reason;
    if (err instanceof UpstreamError) return err;
    if (err instanceof Http1Error && err.code === "invalid_response") {
      return new UpstreamError(
        "invalid_response",
        targetId,
        `target ${targetId} answered with malformed HTTP: ${err.message}`,
      );
    }
    return new UpstreamError("connection_error", targetId, `target ${targetId}: ${what}`, {
      cause: safeCause(err),
    });
  }

  /** The answer's body is over {@link maxBodyBytes}. */
  tooLarge(): UpstreamError {
    const { targetId } = this.options;
    return new UpstreamError(
      "response_too_large",
      targetId,
      `target ${targetId}: the response exceeded size_limits.max_response_bytes (${this.maxBodyBytes})`,
    );
  }
}

/** An upstream answer before it becomes a `Response`: safe headers, and bytes or a stream. */
interface Answer {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** The `content-length` it declared, -1 when none (or not a plain number). */
  declaredLength: number;
}

/** Default bound on connecting when the caller gives none (the config default of `connect_timeout_ms`). */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

const BUFFERED = new WeakMap<Response, Uint8Array>();

/**
 * The whole body of a response {@link upstreamFetch} read before resolving (a non-SSE body with a
 * content-length), or undefined for a streamed body. The gateway writes these bytes to the client
 * directly instead of reading `res.body` (a JS stream built back from the same bytes). Reading the
 * bytes does not consume `res`; a caller that uses them must not read `res.body` as well.
 */
export function bufferedBody(res: Response): Uint8Array | undefined {
  return BUFFERED.get(res);
}

function timeoutMessage(targetId: string, ms: number): string {
  return `target ${targetId} did not answer within ${ms} ms`;
}

/** Keeps only the error name and message of a fetch failure (never headers or request data). */
function safeCause(err: unknown): Error | undefined {
  if (!(err instanceof Error)) return undefined;
  const inner = err.cause instanceof Error ? `: ${err.cause.message}` : "";
  const e = new Error(`${err.message}${inner}`.slice(0, 300));
  e.name = err.name;
  return e;
}

/** Reads a (small) error body as text, tolerating failures. */
export async function readText(res: Response, limit = MAX_ERROR_BODY_BYTES): Promise<string> {
  try {
    const t = await res.text();
    return t.length > limit ? t.slice(0, limit) : t;
  } catch {
    return "";
  }
}

/** Non-SSE bodies with a known length up to this size are read whole (fast path). */
export const MAX_BUFFERED_BODY_BYTES = 16 * 1024 * 1024;

function shouldBuffer(res: Response, length: number, limit: number): boolean {
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("text/event-stream")) return false;
  return length >= 0 && length <= limit;
}

function declaredLength(value: string | null): number {
  return value !== null && /^\d{1,15}$/.test(value.trim()) ? Number(value) : -1;
}

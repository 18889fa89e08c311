/**
 * A small HTTP/1.1 client for provider calls, over `Deno.connect` / `Deno.connectTls`.
 *
 * Why not `fetch`: on the gateway's hot path Deno's fetch client costs ~19 µs of CPU per call more
 * than a plain keep-alive connection does (request object, body extraction, header objects, the
 * pooled hyper client; measured with the same proxy both ways, bench/RESULTS.md). This client does
 * only what a provider call needs:
 *
 * - one write per request (head and body together), `content-length` framing, no `Expect`;
 * - responses framed by `content-length`, `transfer-encoding: chunked` or connection close; interim
 *   1xx answers skipped; obs-fold, bare CR or LF line ends, malformed status lines and statuses
 *   outside 100–599, conflicting lengths and oversized heads rejected at once ({@link Http1Error}
 *   `invalid_response`); a connection whose framing is in doubt is never reused;
 * - keep-alive pooling per origin (LIFO, idle timeout, bounded idle count, the server's
 *   `keep-alive: timeout=` honoured); a request that finds its reused connection closed by the
 *   server before any byte of the answer arrived is retried once on a new connection (the
 *   standard treatment of a keep-alive race);
 * - a connect timeout, and {@link Http1Exchange.abort} to end a call at any point (it closes the
 *   connection, so pending reads fail at once);
 * - TLS with the platform roots or the configured CA certificates, ALPN `http/1.1`.
 *
 * Header names and values are checked for CR, LF and NUL before anything is written (no header
 * injection whatever a config or client sends). The client never follows redirects and never reads
 * proxy settings: {@link upstreamClientKind} picks `fetch` when a proxy is set.
 *
 * @module
 */

/** Stable failure codes of {@link Http1Error}. */
export type Http1ErrorCode =
  | "connect_failed"
  | "connect_timeout"
  | "connection_closed"
  | "invalid_request"
  | "invalid_response"
  | "aborted";

/** A call that produced no usable HTTP answer (or whose body broke off). */
export class Http1Error extends Error {
  /** Stable code. */
  readonly code: Http1ErrorCode;
  /** Creates the error; the message never holds header values or bodies. */
  constructor(code: Http1ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "Http1Error";
    this.code = code;
  }
}

/** One answer: status, header pairs (lower-case names, in order) and the body. */
export interface Http1Response {
  readonly status: number;
  readonly statusText: string;
  readonly headers: [string, string][];
  /**
   * The whole body when it had a `content-length` up to the request's `bufferLimit` and was not
   * an event stream; a stream otherwise; null when the status has no body.
   */
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null;
}

/** One request. */
export interface Http1Request {
  readonly method: string;
  /** Path and query, starting with `/`. */
  readonly path: string;
  /** Header pairs; `host` and `content-length` are set by the client and must not be given. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array | string;
  /** Bodies with a `content-length` up to this many bytes are read whole (not SSE). */
  readonly bufferLimit: number;
  /** {@link bufferLimit} for answers outside 2xx (default: the same). */
  readonly errorBufferLimit?: number;
  /** Bound on connecting (TCP and TLS handshake). */
  readonly connectTimeoutMs: number;
}

/** Pool settings. */
export interface Http1PoolOptions {
  /** PEM CA certificates to trust (TLS only); the platform roots when unset. */
  readonly caCerts?: string[];
  /** How long a connection may stay idle in the pool (default 30 s; shorter when the server says so). */
  readonly idleTimeoutMs?: number;
  /** Idle connections kept per origin (default 256). */
  readonly maxIdle?: number;
}

/**
 * The handle of one call: {@link abort} ends it (connecting, waiting for the head, or streaming the
 * body) by closing its connection.
 */
export class Http1Exchange {
  #aborted = false;
  #conn: Connection | undefined;
  #onAbort: (() => void) | undefined;

  /** True once {@link abort} was called. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Ends the call; idempotent. */
  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#conn?.close();
    this.#onAbort?.();
  }

  /** @internal the connection the call runs on now. */
  attach(conn: Connection | undefined): void {
    this.#conn = conn;
    if (conn && this.#aborted) conn.close();
  }

  /** @internal called on abort while connecting. */
  set onAbort(fn: (() => void) | undefined) {
    this.#onAbort = fn;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 8 * 1024;
const READ_BUFFER_BYTES = 16 * 1024;
const DEFAULT_IDLE_MS = 30_000;
const DEFAULT_MAX_IDLE = 256;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FORBIDDEN_VALUE = /[\r\n\0]/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-5]\d\d)(?: ([^\r\n]*))?$/;
const DIGITS = /^\d{1,15}$/;
const HEX = /^[0-9a-fA-F]{1,12}$/;

/** Which client carries provider calls. */
export type UpstreamClientKind = "http1" | "fetch";

/**
 * The client for provider calls: this module's HTTP/1.1 client unless an HTTP(S) proxy is set in
 * the environment (`fetch` honours `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`, this client does not) or
 * the operator chose `fetch` with `KEEPTRUSTS_UPSTREAM_CLIENT=fetch`.
 */
export function upstreamClientKind(): UpstreamClientKind {
  try {
    if (Deno.env.get("KEEPTRUSTS_UPSTREAM_CLIENT") === "fetch") return "fetch";
    for (const name of ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]) {
      if (Deno.env.get(name)) return "fetch";
    }
  } catch {
    // No env permission: nothing can be configured there.
  }
  return "http1";
}

/** @internal One pooled connection with its read buffer. */
export class Connection {
  buf: Uint8Array = new Uint8Array(READ_BUFFER_BYTES);
  start = 0;
  end = 0;
  /** Bytes received since the current request was written. */
  received = 0;
  closed = false;
  reusable = true;
  idleSince = 0;
  idleTimeoutMs: number;

  constructor(readonly conn: Deno.Conn, idleTimeoutMs: number) {
    this.idleTimeoutMs = idleTimeoutMs;
  }

  /** Reads more into the buffer; false on end of stream. */
  async fill(): Promise<boolean> {
    if (this.start === this.end) {
      this.start = this.end = 0;
    } else if (this.end === this.buf.length) {
      if (this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      } else {
        const bigger = new Uint8Array(this.buf.length * 2);
        bigger.set(this.buf);
        this.buf = bigger;
      }
    }
    const n = await this.conn.read(this.buf.subarray(this.end));
    if (n === null) return false;
    this.end += n;
    this.received += n;
    return true;
  }

  /** Takes up to `max` buffered bytes as a copy (reading first when the buffer is empty); null at end of stream. */
  async take(max: number): Promise<Uint8Array | null> {
    if (this.start === this.end && !(await this.fill())) return null;
    const n = Math.min(max, this.end - this.start);
    const out = this.buf.slice(this.start, this.start + n);
    this.start += n;
    return out;
  }

  /**
   * Reads up to the next CRLF (`blankLine`: up to the empty line that ends a head) and returns the
   * bytes before it, consumed; a view valid until the next read. Line ends must be CRLF: a bare LF,
   * or a CR not followed by LF, is an invalid answer at once (no waiting for a terminator that a
   * lenient peer never sends). More than `max` bytes without a terminator is an invalid answer
   * (`tooLong`). Scanning resumes where the previous read left off (linear in the bytes received).
   */
  async upTo(blankLine: boolean, max: number, tooLong: string): Promise<Uint8Array> {
    let from = this.start;
    while (true) {
      const { buf, end } = this;
      let i = from;
      while (true) {
        const found = buf.indexOf(10, i);
        const lf = found >= 0 && found < end ? found : end;
        const cr = buf.indexOf(13, i);
        // Before `lf`, the only CR allowed is the one right before it; with no LF yet, one at the end waits.
        if (cr >= 0 && cr < lf - 1) throw invalid("a line of the answer has a bare CR");
        if (lf === end) {
          from = end > i && buf[end - 1] === 13 ? end - 1 : end;
          break;
        }
        if (lf === this.start || buf[lf - 1] !== 13) throw invalid("a line of the answer ends in a bare LF");
        const cr1 = lf - 1;
        const terminator = !blankLine
          ? cr1
          : cr1 - 2 >= this.start && buf[cr1 - 1] === 10 && buf[cr1 - 2] === 13
          ? cr1 - 2
          : -1;
        if (terminator >= 0) {
          if (terminator - this.start > max) throw invalid(tooLong);
          const bytes = buf.subarray(this.start, terminator);
          this.start = lf + 1;
          return bytes;
        }
        i = lf + 1;
      }
      if (this.end - this.start > max) throw invalid(tooLong);
      const consumedBefore = this.start;
      if (!(await this.fill())) throw closedEarly();
      // fill() may move the unread bytes to the front of the buffer.
      from -= consumedBefore - this.start;
    }
  }

  /** Reads one CRLF-terminated line of a chunked body (without the CRLF). */
  async line(): Promise<string> {
    return decoder.decode(await this.upTo(false, MAX_LINE_BYTES, "a chunk line is too long"));
  }

  async writeAll(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.reusable = false;
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}

/** The parsed head of an answer. */
interface Head {
  status: number;
  statusText: string;
  headers: [string, string][];
  /** -1: none declared. */
  contentLength: number;
  chunked: boolean;
  /** Body runs until the connection closes (no length, not chunked, or unknown coding). */
  untilClose: boolean;
  keepAlive: boolean;
  keepAliveMs: number | undefined;
  eventStream: boolean;
}

/** Keep-alive connections to one origin. */
export class Http1Pool {
  readonly #hostname: string;
  readonly #port: number;
  readonly #tls: boolean;
  readonly #hostHeader: string;
  readonly #caCerts: string[] | undefined;
  readonly #idleMs: number;
  readonly #maxIdle: number;
  readonly #idle: Connection[] = [];
  #sweep: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /** A pool for `origin` (`http:` or `https:`). */
  constructor(origin: URL, options: Http1PoolOptions = {}) {
    if (origin.protocol !== "http:" && origin.protocol !== "https:") {
      throw new TypeError(`unsupported protocol ${origin.protocol}`);
    }
    this.#tls = origin.protocol === "https:";
    this.#hostname = origin.hostname.startsWith("[") ? origin.hostname.slice(1, -1) : origin.hostname;
    this.#port = origin.port ? Number(origin.port) : this.#tls ? 443 : 80;
    this.#hostHeader = origin.host;
    this.#caCerts = options.caCerts;
    this.#idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_MS;
    this.#maxIdle = options.maxIdle ?? DEFAULT_MAX_IDLE;
  }

  /** Idle connections (for tests and metrics). */
  get idleCount(): number {
    return this.#idle.length;
  }

  /**
   * Sends `req` and resolves with the answer's head and body. Rejects with {@link Http1Error}
   * (or the underlying I/O error) when no answer could be had; `exchange.abort()` ends the call.
   */
  async request(req: Http1Request, exchange: Http1Exchange = new Http1Exchange()): Promise<Http1Response> {
    if (this.#closed) throw new Http1Error("connection_closed", "the connection pool is closed");
    const bytes = encodeRequest(req, this.#hostHeader);
    let conn = this.#checkout();
    let reused = conn !== undefined;
    while (true) {
      if (!conn) conn = await this.#connect(req.connectTimeoutMs, exchange);
      exchange.attach(conn);
      if (exchange.aborted) throw aborted();
      conn.received = 0;
      try {
        await writeOrEarlyAnswer(conn, bytes);
        let head = await readHead(conn);
        while (head.status < 200) {
          if (head.status === 101) throw invalid("the server switched protocols");
          head = await readHead(conn);
        }
        return await this.#answer(conn, head, req, exchange);
      } catch (err) {
        conn.close();
        if (exchange.aborted) throw aborted();
        if (reused && conn.received === 0 && isClosedError(err)) {
          // The server closed the idle connection as we reused it: one retry on a fresh one.
          reused = false;
          conn = undefined;
          continue;
        }
        throw err instanceof Http1Error ? err : new Http1Error("connection_closed", "the connection failed", {
          cause: err,
        });
      }
    }
  }

  /** Closes idle connections and refuses new requests; connections in use close when their call ends. */
  close(): void {
    this.#closed = true;
    for (const c of this.#idle.splice(0)) c.close();
    if (this.#sweep !== undefined) clearTimeout(this.#sweep);
    this.#sweep = undefined;
  }

  async #answer(
    conn: Connection,
    head: Head,
    req: Http1Request,
    exchange: Http1Exchange,
  ): Promise<Http1Response> {
    conn.reusable = conn.reusable && head.keepAlive;
    if (head.keepAliveMs !== undefined) conn.idleTimeoutMs = Math.min(this.#idleMs, head.keepAliveMs);
    const base = { status: head.status, statusText: head.statusText, headers: head.headers };
    if (head.status === 204 || head.status === 304 || (head.contentLength === 0 && !head.chunked)) {
      this.#release(conn, exchange);
      return { ...base, body: head.status === 204 || head.status === 304 ? null : new Uint8Array() };
    }
    const limit = head.status < 300 ? req.bufferLimit : req.errorBufferLimit ?? req.bufferLimit;
    if (
      !head.chunked && !head.untilClose && !head.eventStream && head.contentLength >= 0 &&
      head.contentLength <= limit
    ) {
      const body = await readExactly(conn, head.contentLength);
      this.#release(conn, exchange);
      return { ...base, body };
    }
    return { ...base, body: this.#stream(conn, head, exchange) };
  }

  #stream(conn: Connection, head: Head, exchange: Http1Exchange): ReadableStream<Uint8Array> {
    const next = head.chunked
      ? chunkedReader(conn)
      : head.untilClose
      ? (() => conn.take(Infinity))
      : lengthReader(conn, head.contentLength);
    if (head.untilClose) conn.reusable = false;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.#release(conn, exchange);
    };
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        let chunk: Uint8Array | null;
        try {
          chunk = await next();
        } catch (err) {
          conn.close();
          finish();
          controller.error(
            exchange.aborted ? aborted() : err instanceof Http1Error ? err : new Http1Error(
              "connection_closed",
              "the response body broke off",
              { cause: err },
            ),
          );
          return;
        }
        if (chunk === null) {
          finish();
          controller.close();
        } else {
          controller.enqueue(chunk);
        }
      },
      cancel: () => {
        conn.close();
        finish();
      },
    }, { highWaterMark: 0 });
  }

  #checkout(): Connection | undefined {
    const now = performance.now();
    while (this.#idle.length > 0) {
      const c = this.#idle.pop()!;
      if (!c.closed && now - c.idleSince < c.idleTimeoutMs) return c;
      c.close();
    }
    return undefined;
  }

  #release(conn: Connection, exchange: Http1Exchange): void {
    exchange.attach(undefined);
    if (!conn.reusable || conn.closed || this.#closed || conn.start !== conn.end) {
      // Extra bytes after a complete answer mean the framing cannot be trusted: never reuse.
      conn.close();
      return;
    }
    if (this.#idle.length >= this.#maxIdle) {
      conn.close();
      return;
    }
    conn.start = conn.end = 0;
    conn.idleSince = performance.now();
    this.#idle.push(conn);
    this.#armSweep();
  }

  #armSweep(): void {
    if (this.#sweep !== undefined) return;
    this.#sweep = setTimeout(() => {
      this.#sweep = undefined;
      const now = performance.now();
      let kept = 0;
      for (const c of this.#idle) {
        if (now - c.idleSince < c.idleTimeoutMs) this.#idle[kept++] = c;
        else c.close();
      }
      this.#idle.length = kept;
      if (kept > 0) this.#armSweep();
    }, Math.max(1000, Math.min(this.#idleMs, 30_000) / 2));
    Deno.unrefTimer(this.#sweep as unknown as number);
  }

  async #connect(timeoutMs: number, exchange: Http1Exchange): Promise<Connection> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const gaveUp = Promise.withResolvers<never>();
    controller.signal.addEventListener("abort", () => {
      gaveUp.reject(
        timedOut ? new Http1Error("connect_timeout", `no connection within ${timeoutMs} ms`) : aborted(),
      );
    }, { once: true });
    exchange.onAbort = () => controller.abort();
    const connecting: Promise<Deno.Conn> = this.#tls
      ? Deno.connectTls({
        hostname: this.#hostname,
        port: this.#port,
        caCerts: this.#caCerts,
        alpnProtocols: ["http/1.1"],
      })
      : Deno.connect({ hostname: this.#hostname, port: this.#port, signal: controller.signal });
    try {
      const conn = await Promise.race([connecting, gaveUp.promise]);
      return new Connection(conn, this.#idleMs);
    } catch (err) {
      // A connection that completes after we gave up is closed at once.
      connecting.then((c) => c.close(), () => {});
      if (err instanceof Http1Error) throw err;
      throw new Http1Error("connect_failed", `could not connect to ${this.#hostHeader}`, { cause: err });
    } finally {
      clearTimeout(timer);
      exchange.onAbort = undefined;
      gaveUp.promise.catch(() => {});
    }
  }
}

/** Pools per origin for one config snapshot; {@link close} closes them all. */
export class Http1Agent {
  readonly #options: Http1PoolOptions;
  readonly #pools = new Map<string, Http1Pool>();
  readonly #targets = new Map<string, { pool: Http1Pool; path: string }>();

  /** An agent whose pools share `options`. */
  constructor(options: Http1PoolOptions = {}) {
    this.#options = options;
  }

  /** The pool and request path for an absolute `http:`/`https:` URL (cached per URL string). */
  route(url: string): { pool: Http1Pool; path: string } {
    let hit = this.#targets.get(url);
    if (!hit) {
      const u = new URL(url);
      let pool = this.#pools.get(u.origin);
      if (!pool) {
        pool = new Http1Pool(u, this.#options);
        this.#pools.set(u.origin, pool);
      }
      hit = { pool, path: `${u.pathname}${u.search}` };
      if (this.#targets.size < 1024) this.#targets.set(url, hit);
    }
    return hit;
  }

  /** Closes every pool. */
  close(): void {
    for (const p of this.#pools.values()) p.close();
    this.#pools.clear();
    this.#targets.clear();
  }
}

function encodeRequest(req: Http1Request, host: string): Uint8Array {
  if (!TOKEN.test(req.method) || req.method === "HEAD" || !/^\/[^\s]*$/.test(req.path)) {
    throw new Http1Error("invalid_request", "the request line is not valid (HEAD is not supported)");
  }
  const body = typeof req.body === "string" ? encoder.encode(req.body) : req.body;
  let head = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const [name, value] of req.headers) {
    if (!TOKEN.test(name) || FORBIDDEN_VALUE.test(value)) {
      throw new Http1Error(
        "invalid_request",
        `header ${TOKEN.test(name) ? name : "(invalid name)"} is not valid`,
      );
    }
    head += `${name}: ${value}\r\n`;
  }
  head += `content-length: ${body.byteLength}\r\n\r\n`;
  const out = new Uint8Array(head.length * 3 + body.byteLength);
  const { written } = encoder.encodeInto(head, out);
  out.set(body, written);
  return out.subarray(0, written + body.byteLength);
}

/**
 * Writes the request. A server may answer (say `413`) and close before it has read a large body:
 * the write then fails, but the answer is already there to be read, so a failed write is forgiven
 * when bytes of an answer arrived; the connection is never reused after that.
 */
async function writeOrEarlyAnswer(conn: Connection, bytes: Uint8Array): Promise<void> {
  try {
    await conn.writeAll(bytes);
  } catch (err) {
    if (conn.closed || !isClosedError(err)) throw err;
    conn.reusable = false;
    const answered = conn.end > conn.start || await conn.fill().catch(() => false);
    if (!answered) throw err;
  }
}

async function readHead(conn: Connection): Promise<Head> {
  const bytes = await conn.upTo(true, MAX_HEAD_BYTES, "the response head is larger than 64 KiB");
  return parseHead(decodeHead(bytes));
}

/**
 * The head as text, one character per byte (header values are bytes: a non-ASCII value must come
 * out as the ByteString `Headers` accepts, as fetch gives it). UTF-8 decoding is the fast path and
 * equals the byte mapping for ASCII, the common case.
 */
function decodeHead(bytes: Uint8Array): string {
  const text = decoder.decode(bytes);
  if (!NON_ASCII_TEXT.test(text)) return text;
  let out = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return out;
}

const NON_ASCII_TEXT = /[\u0080-\uffff]/;

function parseHead(text: string): Head {
  const lines = text.split("\r\n");
  const m = STATUS_LINE.exec(lines[0]);
  if (!m) throw invalid("the status line is not HTTP/1.x with a status from 100 to 599");
  const head: Head = {
    status: Number(m[2]),
    statusText: m[3] ?? "",
    headers: [],
    contentLength: -1,
    chunked: false,
    untilClose: false,
    keepAlive: m[1] === "1",
    keepAliveMs: undefined,
    eventStream: false,
  };
  let transferEncoding: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    if (colon <= 0) throw invalid("a header line has no name");
    const name = line.slice(0, colon).toLowerCase();
    if (!TOKEN.test(name)) {
      throw invalid("a header name is not a token (or the head uses obsolete line folding)");
    }
    const value = line.slice(colon + 1).trim();
    if (value.includes("\0")) throw invalid("a header value holds NUL");
    head.headers.push([name, value]);
    switch (name) {
      case "content-length": {
        for (const part of value.split(",")) {
          const v = part.trim();
          if (!DIGITS.test(v)) throw invalid("content-length is not a number");
          const n = Number(v);
          if (head.contentLength >= 0 && head.contentLength !== n) {
            throw invalid("conflicting content-length");
          }
          head.contentLength = n;
        }
        break;
      }
      case "transfer-encoding":
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        break;
      case "connection":
        if (/(?:^|,)\s*close\s*(?:,|$)/i.test(value)) head.keepAlive = false;
        break;
      case "keep-alive": {
        const t = /(?:^|,)\s*timeout=(\d{1,6})/i.exec(value);
        if (t) head.keepAliveMs = Math.max(0, Number(t[1]) * 1000 - 1000);
        break;
      }
      case "content-type":
        if (value.toLowerCase().includes("text/event-stream")) head.eventStream = true;
        break;
    }
  }
  if (transferEncoding !== undefined) {
    // Transfer-encoding wins over content-length; a connection that carried both is not reused.
    if (head.contentLength >= 0) head.keepAlive = false;
    head.contentLength = -1;
    const codings = transferEncoding.toLowerCase().split(",").map((s) => s.trim()).filter(Boolean);
    if (codings[codings.length - 1] === "chunked" && codings.length === 1) head.chunked = true;
    else head.untilClose = true;
  } else if (head.contentLength < 0 && head.status !== 204 && head.status !== 304 && head.status >= 200) {
    head.untilClose = true;
  }
  if (head.untilClose) head.keepAlive = false;
  return head;
}

async function readExactly(conn: Connection, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  const have = Math.min(n, conn.end - conn.start);
  out.set(conn.buf.subarray(conn.start, conn.start + have));
  conn.start += have;
  let filled = have;
  while (filled < n) {
    const k = await conn.conn.read(out.subarray(filled));
    if (k === null) throw closedEarly();
    filled += k;
    conn.received += k;
  }
  return out;
}

function lengthReader(conn: Connection, length: number): () => Promise<Uint8Array | null> {
  let remaining = length;
  return async () => {
    if (remaining === 0) return null;
    const chunk = await conn.take(Math.min(remaining, READ_BUFFER_BYTES));
    if (chunk === null) throw closedEarly();
    remaining -= chunk.byteLength;
    return chunk;
  };
}

function chunkedReader(conn: Connection): () => Promise<Uint8Array | null> {
  let remaining = 0;
  let state: "size" | "data" | "end" | "trailers" | "done" = "size";
  return async () => {
    while (true) {
      switch (state) {
        case "size": {
          const line = await conn.line();
          const semi = line.indexOf(";");
          const hex = (semi >= 0 ? line.slice(0, semi) : line).trim();
          if (!HEX.test(hex)) throw invalid("a chunk size is not hexadecimal");
          remaining = parseInt(hex, 16);
          state = remaining === 0 ? "trailers" : "data";
          break;
        }
        case "data": {
          const chunk = await conn.take(remaining);
          if (chunk === null) throw closedEarly();
          remaining -= chunk.byteLength;
          if (remaining === 0) state = "end";
          return chunk;
        }
        case "end":
          if ((await conn.line()) !== "") throw invalid("a chunk does not end with CRLF");
          state = "size";
          break;
        case "trailers":
          // Trailers are read and dropped; the empty line ends the message.
          if ((await conn.line()) === "") state = "done";
          break;
        case "done":
          return null;
      }
    }
  };
}

function isClosedError(err: unknown): boolean {
  return (err instanceof Http1Error && err.code === "connection_closed") ||
    err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BrokenPipe ||
    err instanceof Deno.errors.UnexpectedEof || err instanceof Deno.errors.ConnectionAborted;
}

function invalid(message: string): Http1Error {
  return new Http1Error("invalid_response", message);
}

function closedEarly(): Http1Error {
  return new Http1Error("connection_closed", "the connection closed before the answer was complete");
}

function aborted(): Http1Error {
  return new Http1Error("aborted", "the call was aborted");
}

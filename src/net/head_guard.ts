/**
 * HTTP serving with a bound on how long a client may take to send a request head.
 *
 * `Deno.serve` (deno 2.9) has no such knob: a connection that trickles header lines, or sends
 * half a head and goes silent, or opens and sends nothing, is held open for as long as the peer
 * likes (measured: over 180 s; the runtime's HTTP/1 server reads heads without a deadline). Enough
 * of them exhaust file descriptors and memory (slowloris). The runtime offers no supported way to
 * reach the accepted socket either, so this module **fronts** it: it accepts connections itself
 * (TCP or TLS), relays each one byte for byte to a `Deno.serve` listening on an ephemeral
 * loopback port, and closes any connection whose head does not arrive in time.
 *
 * What "in time" means, per connection:
 * - from the moment it is accepted (the TLS handshake included) until the handler is called for
 *   its first request: at most `headTimeoutMs`;
 * - after a response is complete and no other request is in flight, the connection is idle: at
 *   most `idleTimeoutMs` until the first byte of the next request, then again `headTimeoutMs`
 *   until the handler is called for it;
 * - while a request is being handled (its body read, its response streamed) no head deadline
 *   applies: the application's own body and upstream timeouts do.
 * Deadlines are checked by one sweep timer, so a connection is closed within the deadline plus
 * one sweep period (a quarter of the shorter timeout, at most 1 s).
 *
 * The relay needs no HTTP parsing: "the head has arrived" is the moment the inner server calls the
 * handler, and "the response is done" is its `info.completed`. The handler sees the client's real
 * address (`info.remoteAddr`), found from the inner connection's source port. A connection to the
 * inner port that did not come through the front (another local process) gets 403.
 *
 * Cost: one extra loopback hop per connection (two more reads and writes per request and
 * response chunk); `headTimeoutMs: 0` serves with `Deno.serve` directly, for deployments whose
 * reverse proxy already bounds heads (nginx `client_header_timeout`, Envoy
 * `request_headers_timeout`). Measurements: SECURITY.md, "Hostile peers".
 *
 * @module
 */

/** Options of {@link serveWithHeadGuard}. */
export interface HeadGuardOptions {
  hostname: string;
  port: number;
  /** PEM certificate and key: serve HTTPS (HTTP/2 and HTTP/1.1, as `Deno.serve` does). */
  cert?: string;
  key?: string;
  /** Aborting it closes the listener and every connection at once. */
  signal?: AbortSignal;
  /** Called once listening, with the bound address. */
  onListen?: (addr: Deno.NetAddr) => void;
  /** `Deno.serve`'s `onError`. */
  onError?: (error: unknown) => Response | Promise<Response>;
  /**
   * Bound on receiving a complete request head, in ms: from the connection's opening, and from
   * the first byte of each later request on it. 0 (or less) serves with `Deno.serve` directly.
   */
  headTimeoutMs: number;
  /** Bound on a keep-alive connection's idle time between requests (default {@link DEFAULT_IDLE_TIMEOUT_MS}). */
  idleTimeoutMs?: number;
}

/** Default {@link HeadGuardOptions.headTimeoutMs}: generous for any client on a working network. */
export const DEFAULT_HEAD_TIMEOUT_MS = 10_000;

/** Default {@link HeadGuardOptions.idleTimeoutMs} (never less than the head timeout). */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** The environment variable both servers read the head timeout from (ms; 0 turns the guard off). */
export const HEAD_TIMEOUT_ENV = "KEEPTRUSTS_REQUEST_HEAD_TIMEOUT_MS";

/**
 * Parses a head timeout setting (whole milliseconds, 0 = off, at most 10 minutes); `undefined` or
 * `""` gives {@link DEFAULT_HEAD_TIMEOUT_MS}. Throws an Error naming `source` otherwise.
 */
export function parseHeadTimeout(value: string | undefined, source: string): number {
  if (value === undefined || value.trim() === "") return DEFAULT_HEAD_TIMEOUT_MS;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || n > 600_000) {
    throw new Error(
      `${source} must be a whole number of milliseconds from 0 (off) to 600000 (got "${value}"); default ${DEFAULT_HEAD_TIMEOUT_MS}`,
    );
  }
  return n;
}

/** A running server (the part of `Deno.HttpServer` kt uses). */
export interface GuardedServer {
  /** The bound address of the public listener. */
  readonly addr: Deno.NetAddr;
  /** The inner server's loopback address (with the guard on; for tests and diagnostics). */
  readonly innerAddr?: Deno.NetAddr;
  /** Settles once the server has stopped and every connection is closed. */
  readonly finished: Promise<void>;
  /** Stops accepting, lets in-flight requests finish, then closes every connection. */
  shutdown(): Promise<void>;
}

/**
 * Serves `handler` on `hostname:port` with a request-head deadline (see the module doc).
 *
 * @example
 * ```ts
 * const server = serveWithHeadGuard(
 *   { hostname: "127.0.0.1", port: 0, headTimeoutMs: 10_000 },
 *   () => new Response("ok"),
 * );
 * await server.shutdown();
 * ```
 */
export function serveWithHeadGuard(
  options: HeadGuardOptions,
  handler: Deno.ServeHandler<Deno.NetAddr>,
): GuardedServer {
  if (options.headTimeoutMs <= 0) {
    const { hostname, port, cert, key, signal, onListen, onError } = options;
    return Deno.serve({
      hostname,
      port,
      ...(cert && key ? { cert, key } : {}),
      signal,
      onListen: (addr) => onListen?.(addr),
      onError,
    }, handler);
  }
  return new HeadGuard(options, handler);
}

const RELAY_BUFFER_BYTES = 16 * 1024;
/** How long a shutdown waits for relays to pass on the last bytes of their responses. */
const SHUTDOWN_FLUSH_MS = 2_000;
const LOOPBACK = "127.0.0.1";

/** One client connection and its relay to the inner server. */
class Relay {
  /** `performance.now()` after which the connection is closed; Infinity while a request is handled. */
  deadline: number;
  inflight = 0;
  /** A response finished and no byte of a next request has arrived yet. */
  idle = false;
  closed = false;
  upstream: Deno.TcpConn | undefined;

  constructor(
    readonly client: Deno.Conn,
    readonly remoteAddr: Deno.NetAddr,
    readonly guard: HeadGuard,
  ) {
    this.deadline = performance.now() + guard.headMs;
  }

  /** The handler was called: a head arrived. */
  begin(): void {
    this.inflight++;
    this.idle = false;
    this.deadline = Infinity;
  }

  /** A response was sent (or failed); bound as the `info.completed` callback. */
  readonly end = (): void => {
    if (--this.inflight > 0 || this.closed) return;
    this.idle = true;
    this.deadline = performance.now() + this.guard.idleMs;
  };

  /** Bytes came from the client: on an idle connection, a new head has started. */
  received(): void {
    if (!this.idle) return;
    this.idle = false;
    this.deadline = performance.now() + this.guard.headMs;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.guard.forget(this);
    closeQuietly(this.client);
    if (this.upstream) closeQuietly(this.upstream);
  }
}

class HeadGuard implements GuardedServer {
  readonly addr: Deno.NetAddr;
  readonly innerAddr: Deno.NetAddr;
  readonly finished: Promise<void>;
  readonly headMs: number;
  readonly idleMs: number;
  readonly #listener: Deno.Listener;
  readonly #inner: Deno.HttpServer<Deno.NetAddr>;
  readonly #relays = new Set<Relay>();
  /** Relays by the source port of their connection to the inner server. */
  readonly #byPort = new Map<number, Relay>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #sweepMs: number;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #closing = false;
  #shutdown: Promise<void> | undefined;

  constructor(options: HeadGuardOptions, handler: Deno.ServeHandler<Deno.NetAddr>) {
    this.headMs = options.headTimeoutMs;
    this.idleMs = Math.max(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, this.headMs);
    this.#sweepMs = Math.min(1000, Math.max(10, Math.floor(this.headMs / 4)));
    this.#inner = Deno.serve({
      hostname: LOOPBACK,
      port: 0,
      onListen: () => {},
      onError: options.onError,
    }, (req, info) => this.#dispatch(req, info, handler));
    try {
      this.#listener = options.cert && options.key
        ? Deno.listenTls({
          hostname: options.hostname,
          port: options.port,
          cert: options.cert,
          key: options.key,
          // h2 is relayed as is: the inner server takes HTTP/2 with prior knowledge.
          alpnProtocols: ["h2", "http/1.1"],
        })
        : Deno.listen({ hostname: options.hostname, port: options.port });
    } catch (err) {
      this.#inner.shutdown().catch(() => {});
      throw err;
    }
    this.addr = this.#listener.addr as Deno.NetAddr;
    this.innerAddr = this.#inner.addr;
    const accepting = this.#accept();
    this.finished = Promise.all([accepting, this.#inner.finished]).then(() => this.#drain());
    options.signal?.addEventListener("abort", () => this.#stop(), { once: true });
    options.onListen?.(this.addr);
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      this.#closing = true;
      closeQuietly(this.#listener);
      // The inner server finishes in-flight requests and closes its idle connections; each relay
      // then relays what is left of its response, sees its upstream end and closes its client.
      // A client that does not read what is left is cut off after a short grace.
      await this.#inner.shutdown();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((r) => timer = setTimeout(r, SHUTDOWN_FLUSH_MS));
      await Promise.race([Promise.all([...this.#tasks]), grace]);
      clearTimeout(timer);
      for (const r of [...this.#relays]) r.close();
      await this.finished;
    })();
    return this.#shutdown;
  }

  /** Removes a closed relay. */
  forget(relay: Relay): void {
    this.#relays.delete(relay);
    if (relay.upstream && this.#byPort.get(relay.upstream.localAddr.port) === relay) {
      this.#byPort.delete(relay.upstream.localAddr.port);
    }
    if (this.#relays.size === 0 && this.#sweeper !== undefined) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  /** Hard stop (the `signal`): everything closes now. */
  #stop(): void {
    this.#closing = true;
    closeQuietly(this.#listener);
    for (const r of [...this.#relays]) r.close();
    this.#inner.shutdown().catch(() => {});
  }

  #dispatch(
    req: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
    handler: Deno.ServeHandler<Deno.NetAddr>,
  ): Response | Promise<Response> {
    const from = info.remoteAddr;
    const relay = from.hostname === LOOPBACK ? this.#byPort.get(from.port) : undefined;
    if (!relay || relay.closed) {
      return new Response("connect through the server's public address\n", { status: 403 });
    }
    relay.begin();
    info.completed.then(relay.end, relay.end);
    return handler(req, { remoteAddr: relay.remoteAddr, completed: info.completed });
  }

  async #accept(): Promise<void> {
    while (!this.#closing) {
      let client: Deno.Conn;
      try {
        client = await this.#listener.accept();
      } catch (err) {
        if (this.#closing || err instanceof Deno.errors.BadResource) return;
        // Out of descriptors or a failed TLS accept: back off a little instead of spinning.
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      this.#track(this.#open(client));
    }
  }

  async #open(client: Deno.Conn): Promise<void> {
    if ("setNoDelay" in client) (client as Deno.TcpConn).setNoDelay(true);
    const relay = new Relay(client, client.remoteAddr as Deno.NetAddr, this);
    this.#relays.add(relay);
    this.#armSweeper();
    let upstream: Deno.TcpConn;
    try {
      upstream = await Deno.connect({ hostname: LOOPBACK, port: this.#inner.addr.port });
    } catch {
      relay.close();
      return;
    }
    if (relay.closed) {
      closeQuietly(upstream);
      return;
    }
    upstream.setNoDelay(true);
    relay.upstream = upstream;
    this.#byPort.set(upstream.localAddr.port, relay);
    await Promise.all([this.#fromClient(relay, upstream), this.#toClient(relay, upstream)]);
  }

  /** Client → inner server; a half-close is passed on. */
  async #fromClient(relay: Relay, upstream: Deno.TcpConn): Promise<void> {
    const buf = new Uint8Array(RELAY_BUFFER_BYTES);
    try {
      while (true) {
        const n = await relay.client.read(buf);
        if (n === null) break;
        relay.received();
        await writeAll(upstream, buf.subarray(0, n));
      }
      await upstream.closeWrite();
    } catch {
      relay.close();
    }
  }

  /** Inner server → client; when the inner server closes, so does the client connection. */
  async #toClient(relay: Relay, upstream: Deno.TcpConn): Promise<void> {
    const buf = new Uint8Array(RELAY_BUFFER_BYTES);
    try {
      while (true) {
        const n = await upstream.read(buf);
        if (n === null) break;
        await writeAll(relay.client, buf.subarray(0, n));
      }
    } catch {
      // either side went away
    }
    relay.close();
  }

  #armSweeper(): void {
    if (this.#sweeper !== undefined) return;
    const sweeper = setInterval(() => {
      const now = performance.now();
      for (const r of [...this.#relays]) if (now > r.deadline) r.close();
    }, this.#sweepMs);
    Deno.unrefTimer(sweeper);
    this.#sweeper = sweeper;
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task));
  }

  async #drain(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.all([...this.#tasks]);
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // already closed
  }
}

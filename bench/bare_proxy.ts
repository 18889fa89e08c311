/**
 * The bare Deno proxy of the benchmark: the runtime's ceiling for a JSON-parsing reverse proxy.
 *
 * Deno.serve → read the body → JSON.parse (as a gateway must) → fetch the upstream with the body
 * re-serialised (`JSON.stringify`, as issue 7 defines the bare proxy: "the bare proxy re-serialises
 * every body") on the same path → stream the answer back with its status and content type. No
 * policies, no limits, no audit, no client-disconnect propagation.
 *
 *   deno run --allow-net bench/bare_proxy.ts --listen 127.0.0.1:8090 --upstream http://127.0.0.1:8080
 *
 * @module
 */

/** A running bare proxy. */
export interface BareProxy extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the proxy; `upstream` is an origin (`http://host:port`), the request path is kept. */
export function startBareProxy(options: { upstream: string; hostname?: string; port?: number }): BareProxy {
  const upstream = options.upstream.replace(/\/+$/, "");
  const server = Deno.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    onListen: () => {},
  }, async (req) => {
    const raw = await req.bytes();
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(raw));
    } catch {
      return new Response('{"error":"malformed json"}', { status: 400 });
    }
    if (json === null || typeof json !== "object") {
      return new Response('{"error":"not an object"}', { status: 400 });
    }
    const path = req.url.slice(req.url.indexOf("/", 8));
    const res = await fetch(upstream + path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(json),
    });
    return new Response(res.body, {
      status: res.status,
      headers: { "content-type": res.headers.get("content-type") ?? "application/json" },
    });
  });
  const port = server.addr.port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => server.shutdown(),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Deno.args[i + 1] : undefined;
  };
  const listen = arg("--listen") ?? "127.0.0.1:0";
  const upstream = arg("--upstream");
  if (!upstream) {
    console.error("usage: bare_proxy.ts --listen <host:port> --upstream <http://host:port>");
    Deno.exit(2);
  }
  const colon = listen.lastIndexOf(":");
  const proxy = startBareProxy({
    upstream,
    hostname: listen.slice(0, colon),
    port: Number(listen.slice(colon + 1)),
  });
  console.log(`bare proxy on ${proxy.url} -> ${upstream}`);
  Deno.addSignalListener("SIGTERM", () => proxy.close().then(() => Deno.exit(0)));
}

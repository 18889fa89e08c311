/**
 * What the request-head guard (src/net/head_guard.ts) costs per request: the same gateway process
 * is started with the guard on (`--request-head-timeout-ms 10000`) and off (`0`), alternately, and
 * one keep-alive connection sends N sequential requests; the gateway's CPU time per request is
 * read from /proc/<pid>/stat. Sequential on one connection on purpose: it measures the relay's
 * extra work, not throughput, and stays light on a shared machine (no wrk).
 *
 * ```sh
 * deno run -A bench/head_guard_cost.ts [--requests 20000] [--rounds 3]
 * ```
 *
 * @module
 */
import { gatewayFlags } from "../scripts/permissions.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const arg = (name: string, fallback: number) => {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
};
const REQUESTS = arg("requests", 20_000);
const ROUNDS = arg("rounds", 3);
const enc = new TextEncoder();
const dec = new TextDecoder();
const CLK_TCK = 100;

const config = JSON.stringify({
  pack: { name: "bench", version: "1.0.0", enabled: true },
  providers: { targets: [{ id: "mock-a", provider: "mock", model: "mock-gpt" }] },
});

function cpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 1000 / CLK_TCK;
}

async function startGateway(headTimeoutMs: number): Promise<{ port: number; child: Deno.ChildProcess }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...gatewayFlags(),
      `${ROOT}main.ts`,
      "gateway",
      "run",
      "--policy-config",
      "-",
      "--listen",
      "127.0.0.1:0",
      "--request-head-timeout-ms",
      String(headTimeoutMs),
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(enc.encode(config));
  await w.close();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`gateway exited:\n${text}`);
    text += value;
    const m = /"url":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(text);
    if (m) {
      reader.releaseLock();
      child.stderr.cancel().catch(() => {});
      return { port: Number(m[1]), child };
    }
  }
}

/** Sends `n` requests on one connection, each after the previous answer; returns wall ms. */
async function run(port: number, request: string, n: number): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const bytes = enc.encode(request);
  const buf = new Uint8Array(65536);
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    await conn.write(bytes);
    let got = "";
    // Each answer is small and has a content-length: read until the body is complete.
    while (true) {
      const k = await conn.read(buf);
      if (k === null) throw new Error("closed");
      got += dec.decode(buf.subarray(0, k));
      const end = got.indexOf("\r\n\r\n");
      if (end < 0) continue;
      const len = Number(/content-length: (\d+)/i.exec(got.slice(0, end))?.[1] ?? 0);
      if (got.length >= end + 4 + len) break;
    }
  }
  const wall = performance.now() - started;
  conn.close();
  return wall;
}

const body = JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "hello there" }] });
const requests: Record<string, string> = {
  healthz: "GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n",
  chat: `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${
    enc.encode(body).length
  }\r\n\r\n${body}`,
};

const results: Record<string, Record<string, number[]>> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const timeout of [10_000, 0]) {
    const label = timeout ? "guard on" : "guard off";
    const { port, child } = await startGateway(timeout);
    try {
      for (const [name, req] of Object.entries(requests)) {
        await run(port, req, 2000); // warm-up
        const before = cpuMs(child.pid);
        const wall = await run(port, req, REQUESTS);
        const cpu = cpuMs(child.pid) - before;
        ((results[name] ??= {})[label] ??= []).push(cpu * 1000 / REQUESTS, wall * 1000 / REQUESTS);
      }
    } finally {
      child.kill("SIGTERM");
      await child.status;
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${REQUESTS} sequential requests on one keep-alive connection, ${ROUNDS} rounds (medians)`);
for (const [name, byLabel] of Object.entries(results)) {
  for (const [label, xs] of Object.entries(byLabel)) {
    const cpu = xs.filter((_, i) => i % 2 === 0);
    const wall = xs.filter((_, i) => i % 2 === 1);
    console.log(
      `${name.padEnd(8)} ${label.padEnd(10)} gateway CPU ${median(cpu).toFixed(1)} µs/request, ` +
        `round trip ${median(wall).toFixed(1)} µs`,
    );
  }
}

/**
 * kt load benchmark (`deno task bench`): the same wrk load, in alternating rounds, against
 *
 * - `direct`   the nginx mock upstream itself (bench/nginx.conf),
 * - `bare`     a bare Deno proxy (bench/bare_proxy.ts): the runtime's ceiling,
 * - `kt-none`  kt with no policies (bench/kt-none.yaml),
 * - `kt-full`  kt with the example chain (bench/kt-full.yaml),
 * - `portkey`  the Portkey open-source gateway from npm (installed into a temp dir at bench time),
 *
 * then streaming time-to-first-chunk over sequential requests, peak RSS (VmHWM) and CPU time per
 * request of every server process. Writes the table into bench/RESULTS.md. See bench/README.md.
 *
 * Every process it starts is ended by its own PID; everything listens on 127.0.0.1 only.
 *
 * @module
 */
import { gatewayFlags } from "../scripts/permissions.ts";
import { median, parseWrk, quantile, type WrkResult } from "./wrk.ts";

const BENCH_DIR = new URL(".", import.meta.url).pathname.replace(/\/$/, "");
const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const PORTKEY_PACKAGE = "@portkey-ai/gateway";
const ALL = ["direct", "bare", "kt-none", "kt-full", "portkey"] as const;
type Name = typeof ALL[number];

// ---------------------------------------------------------------------------------------------
// options

interface Options {
  quick: boolean;
  soak: boolean;
  soakSeconds: number;
  soakTarget: Name;
  rounds: number;
  seconds: number;
  conns: number[];
  ttfcRequests: number;
  only: Name[];
  label: string;
  results: string | undefined;
  json: string | undefined;
  portkeyDir: string | undefined;
  portkeyVersion: string;
  keep: boolean;
}

const USAGE = `usage: deno task bench [options]
  --quick                 ~1 min smoke run (1 round of 3 s cells, 20 streaming requests)
  --soak                  soak mode: 128 connections against --soak-target for --soak-seconds, RSS sampled
  --soak-seconds <n>      (default 60)
  --soak-target <name>    (default kt-full)
  --rounds <n>            alternating rounds (default 3)
  --seconds <n>           wrk duration of one cell (default 8)
  --connections <list>    comma-separated concurrency levels (default 1,32,128)
  --ttfc <n>              sequential streaming requests per contestant (default 100)
  --only <list>           contestants to load (default ${ALL.join(",")})
  --label <text>          a label for this run in RESULTS.md
  --results <file>        where to write the table (default bench/RESULTS.md; "-" = stdout only)
  --json <file>           also write the raw numbers as JSON
  --portkey-dir <dir>     reuse an existing npm prefix holding ${PORTKEY_PACKAGE}
  --portkey-version <v>   npm version or tag (default latest)
  --keep                  keep the temp folder (logs, nginx config)`;

function parseOptions(args: string[]): Options {
  const o: Options = {
    quick: false,
    soak: false,
    soakSeconds: 60,
    soakTarget: "kt-full",
    rounds: 3,
    seconds: 8,
    conns: [1, 32, 128],
    ttfcRequests: 100,
    only: [...ALL],
    label: "",
    results: `${BENCH_DIR}/RESULTS.md`,
    json: undefined,
    portkeyDir: undefined,
    portkeyVersion: "latest",
    keep: false,
  };
  let rounds: number | undefined, seconds: number | undefined, ttfc: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    const positive = () => {
      const n = Number(value());
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${a} needs a positive integer`);
      return n;
    };
    switch (a) {
      case "--quick":
        o.quick = true;
        break;
      case "--soak":
        o.soak = true;
        break;
      case "--soak-seconds":
        o.soakSeconds = positive();
        break;
      case "--soak-target":
        o.soakTarget = contestant(value());
        break;
      case "--rounds":
        rounds = positive();
        break;
      case "--seconds":
        seconds = positive();
        break;
      case "--connections":
        o.conns = value().split(",").map((s) => {
          const n = Number(s);
          if (!Number.isInteger(n) || n <= 0) throw new Error(`--connections: bad level ${s}`);
          return n;
        });
        break;
      case "--ttfc":
        ttfc = positive();
        break;
      case "--only":
        o.only = value().split(",").map(contestant);
        break;
      case "--label":
        o.label = value();
        break;
      case "--results":
        o.results = value();
        if (o.results === "-") o.results = undefined;
        break;
      case "--json":
        o.json = value();
        break;
      case "--portkey-dir":
        o.portkeyDir = value();
        break;
      case "--portkey-version":
        o.portkeyVersion = value();
        break;
      case "--keep":
        o.keep = true;
        break;
      case "-h":
      case "--help":
        console.log(USAGE);
        Deno.exit(0);
        break;
      default:
        throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  o.rounds = rounds ?? (o.quick ? 1 : 3);
  o.seconds = seconds ?? (o.quick ? 3 : 8);
  o.ttfcRequests = ttfc ?? (o.quick ? 20 : 100);
  return o;
}

function contestant(s: string): Name {
  if (!(ALL as readonly string[]).includes(s)) throw new Error(`unknown contestant ${s} (${ALL.join(", ")})`);
  return s as Name;
}

// ---------------------------------------------------------------------------------------------
// processes

interface Proc {
  name: string;
  child: Deno.ChildProcess;
  /** The process and, for nginx, its workers (read from /proc). */
  pids: () => number[];
}

const procs: Proc[] = [];

function spawn(
  name: string,
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; log: string },
): Proc {
  const log = Deno.openSync(opts.log, { write: true, create: true, truncate: true });
  const child = new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    env: opts.env,
    stdin: "null",
    stdout: "null", // decision events and access logs cost nothing here; see README
    stderr: "piped",
  }).spawn();
  // Copy stderr to the log file (small: startup lines and warnings).
  child.stderr.pipeTo(log.writable).catch(() => {});
  const proc: Proc = { name, child, pids: () => [child.pid] };
  procs.push(proc);
  return proc;
}

/** Ends a process we started, by its PID: SIGTERM, then SIGKILL after 3 s. */
async function stop(p: Proc): Promise<void> {
  const i = procs.indexOf(p);
  if (i >= 0) procs.splice(i, 1);
  try {
    p.child.kill("SIGTERM");
  } catch {
    // already gone
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const done = await Promise.race([
    p.child.status.then(() => true),
    new Promise<false>((r) => timer = setTimeout(() => r(false), 3000)),
  ]);
  clearTimeout(timer);
  if (!done) {
    try {
      p.child.kill("SIGKILL");
    } catch {
      // gone meanwhile
    }
    await p.child.status;
  }
}

async function stopAll(): Promise<void> {
  for (const p of [...procs].reverse()) await stop(p);
}

/** Children of `pid` (nginx workers), from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(e.name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** VmHWM / VmRSS of a process in MiB (0 when gone). */
function memOf(pid: number): { hwm: number; rss: number } {
  try {
    const s = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? 0);
    return { hwm: kb("VmHWM") / 1024, rss: kb("VmRSS") / 1024 };
  } catch {
    return { hwm: 0, rss: 0 };
  }
}

/** utime + stime of a process in seconds. */
function cpuOf(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

function mem(p: Proc): { hwm: number; rss: number } {
  let hwm = 0, rss = 0;
  for (const pid of p.pids()) {
    const m = memOf(pid);
    hwm += m.hwm;
    rss += m.rss;
  }
  return { hwm, rss };
}

function cpu(p: Proc): number {
  return p.pids().reduce((a, pid) => a + cpuOf(pid), 0);
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function output(cmd: string, args: string[], cwd = ROOT): Promise<{ ok: boolean; text: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, cwd, stdin: "null", stdout: "piped", stderr: "piped" })
      .output();
    const dec = new TextDecoder();
    return { ok: r.success, text: dec.decode(r.stdout) + dec.decode(r.stderr) };
  } catch (err) {
    return { ok: false, text: String(err) };
  }
}

// ---------------------------------------------------------------------------------------------
// contestants

interface Contestant {
  name: Name;
  proc: Proc;
  /** JSON chat completions URL. */
  url: string;
  /** Streaming URL and body. */
  streamUrl: string;
  streamBody: string;
  headers: Record<string, string>;
  version: string;
  /** Set when the contestant cannot stream (TTFC is then not measured). */
  streamError?: string;
}

const PROMPT_FILE = `${BENCH_DIR}/prompt.json`;
const PROMPT = Deno.readTextFileSync(PROMPT_FILE);
const STREAM_PROMPT = JSON.stringify({ ...JSON.parse(PROMPT), stream: true });
const KT_STREAM_PROMPT = JSON.stringify({ ...JSON.parse(PROMPT), model: "gpt-4o-mini-stream", stream: true });
const AUTH = { authorization: "Bearer sk-bench-not-a-real-key" };

async function startNginx(tmp: string): Promise<{ proc: Proc; origin: string }> {
  const prefix = `${tmp}/nginx`;
  await Deno.mkdir(prefix, { recursive: true });
  const port = freePort();
  const conf = (await Deno.readTextFile(`${BENCH_DIR}/nginx.conf`))
    .replaceAll("__PREFIX__", prefix).replaceAll("__PORT__", String(port));
  await Deno.writeTextFile(`${prefix}/nginx.conf`, conf);
  const bin = nginxBinary();
  const proc = spawn("nginx", bin, ["-p", prefix, "-c", `${prefix}/nginx.conf`, "-g", "daemon off;"], {
    log: `${tmp}/nginx.stderr.log`,
  });
  const master = proc.child.pid;
  let workers: number[] = [];
  proc.pids = () => {
    if (workers.length === 0) workers = childrenOf(master);
    return [master, ...workers];
  };
  const origin = `http://127.0.0.1:${port}`;
  await waitReady(`${origin}/v1/chat/completions`, {}, PROMPT, proc);
  return { proc, origin };
}

function nginxBinary(): string {
  for (const p of ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx", "/usr/local/bin/nginx"]) {
    try {
      Deno.statSync(p);
      return p;
    } catch {
      // next
    }
  }
  throw new Error("nginx not found: apt-get install -y nginx-light");
}

async function waitReady(
  url: string,
  headers: Record<string, string>,
  body: string,
  proc: Proc,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  proc.child.status.then(() => exited = true);
  let last = "";
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${proc.name} exited during startup (see its log in the temp folder)`);
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
      const text = await res.text();
      if (res.status === 200) return;
      last = `${res.status} ${text.slice(0, 300)}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${proc.name} not ready at ${url}: ${last}`);
}

async function startBare(tmp: string, origin: string): Promise<Contestant> {
  const port = freePort();
  const proc = spawn("bare", Deno.execPath(), [
    "run",
    "--allow-net=127.0.0.1",
    `${BENCH_DIR}/bare_proxy.ts`,
    "--listen",
    `127.0.0.1:${port}`,
    "--upstream",
    origin,
  ], { log: `${tmp}/bare.stderr.log` });
  const url = `http://127.0.0.1:${port}/v1/chat/completions`;
  await waitReady(url, AUTH, PROMPT, proc);
  return {
    name: "bare",
    proc,
    url,
    streamUrl: `http://127.0.0.1:${port}/sse/v1/chat/completions`,
    streamBody: STREAM_PROMPT,
    headers: AUTH,
    version: `deno ${Deno.version.deno}`,
  };
}

async function startKt(tmp: string, origin: string, name: "kt-none" | "kt-full"): Promise<Contestant> {
  const port = freePort();
  const proc = spawn(name, Deno.execPath(), [
    "run",
    ...gatewayFlags({ extraRead: [BENCH_DIR] }),
    `${ROOT}/main.ts`,
    "gateway",
    "run",
    "--policy-config",
    `${BENCH_DIR}/${name}.yaml`,
    "--listen",
    `127.0.0.1:${port}`,
  ], { env: { KT_BENCH_UPSTREAM: origin, KEEPTRUSTS_LOG_LEVEL: "warn" }, log: `${tmp}/${name}.stderr.log` });
  const url = `http://127.0.0.1:${port}/v1/chat/completions`;
  await waitReady(url, AUTH, PROMPT, proc);
  return {
    name,
    proc,
    url,
    streamUrl: url,
    streamBody: KT_STREAM_PROMPT,
    headers: AUTH,
    version: await ktVersion(),
  };
}

async function ktVersion(): Promise<string> {
  const git = await output("git", ["rev-parse", "--short", "HEAD"]);
  const dirty = (await output("git", ["status", "--porcelain", "--", "src"])).text.trim() ? "+dirty" : "";
  return `kt ${git.ok ? git.text.trim() : "?"}${dirty}`;
}

async function installPortkey(tmp: string, o: Options): Promise<string> {
  if (o.portkeyDir) return o.portkeyDir;
  const dir = `${tmp}/portkey`;
  await Deno.mkdir(dir, { recursive: true });
  console.error(`installing ${PORTKEY_PACKAGE}@${o.portkeyVersion} into ${dir} …`);
  const r = await output("npm", [
    "install",
    "--prefix",
    dir,
    "--no-audit",
    "--no-fund",
    "--loglevel=error",
    `${PORTKEY_PACKAGE}@${o.portkeyVersion}`,
  ], tmp);
  if (!r.ok) throw new Error(`npm install ${PORTKEY_PACKAGE} failed:\n${r.text.slice(-2000)}`);
  return dir;
}

async function startPortkey(tmp: string, origin: string, o: Options): Promise<Contestant> {
  const dir = await installPortkey(tmp, o);
  const pkgDir = `${dir}/node_modules/${PORTKEY_PACKAGE}`;
  const pkg = JSON.parse(await Deno.readTextFile(`${pkgDir}/package.json`));
  const bin = typeof pkg.bin === "string"
    ? pkg.bin
    : Object.values(pkg.bin ?? {})[0] ?? "build/start-server.js";
  const port = freePort();
  // start-server.js reads --port=<n> (default 8787); --headless skips the dev console and its log fan-out.
  const proc = spawn("portkey", "node", [`${pkgDir}/${bin}`, `--port=${port}`, "--headless"], {
    env: { NODE_ENV: "production" },
    log: `${tmp}/portkey.stderr.log`,
  });
  const headers = {
    ...AUTH,
    "x-portkey-provider": "openai",
    "x-portkey-custom-host": `${origin}/v1`,
  };
  const url = `http://127.0.0.1:${port}/v1/chat/completions`;
  await waitReady(url, headers, PROMPT, proc, 60_000);
  const node = (await output("node", ["--version"])).text.trim();
  return {
    name: "portkey",
    proc,
    url,
    streamUrl: url,
    streamBody: STREAM_PROMPT,
    headers,
    version: `${PORTKEY_PACKAGE} ${pkg.version} (node ${node})`,
  };
}

/** Checks once that a contestant answers like the mock (JSON and SSE). */
async function verify(c: Contestant): Promise<void> {
  const res = await fetch(c.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...c.headers },
    body: PROMPT,
  });
  const text = await res.text();
  if (res.status !== 200 || !text.includes('"chat.completion"')) {
    throw new Error(`${c.name}: unexpected JSON answer ${res.status}: ${text.slice(0, 300)}`);
  }
  const s = await fetch(c.streamUrl, {
    method: "POST",
    headers: { "content-type": "application/json", ...c.headers },
    body: c.streamBody,
  });
  const st = await s.text();
  if (s.status !== 200 || !st.includes("[DONE]")) {
    // Measured without streaming (Portkey 1.15 on node 20 answers SSE with 500: it appends headers to
    // an immutable Headers object); the table says so.
    c.streamError = `${s.status} ${st.slice(0, 120)}`;
    log(`${c.name}: streaming does not work (${c.streamError}); TTFC not measured`);
  }
}

// ---------------------------------------------------------------------------------------------
// measuring

interface Cell extends WrkResult {
  name: Name;
  conns: number;
  round: number;
  /** CPU seconds the server process(es) used per 1000 requests. */
  cpuMsPerReq: number;
  rssAfter: number;
}

async function runWrk(c: Contestant, conns: number, seconds: number): Promise<WrkResult> {
  const threads = Math.min(conns, 2);
  const headers = Object.entries(c.headers).filter(([k]) => k !== "authorization").map(([k, v]) =>
    `${k}: ${v}`
  ).join("|");
  const r = await new Deno.Command("wrk", {
    args: [
      "-t",
      String(threads),
      "-c",
      String(conns),
      "-d",
      `${seconds}s`,
      "--timeout",
      "10s",
      "--latency",
      "-s",
      `${BENCH_DIR}/chat.lua`,
      c.url,
    ],
    cwd: ROOT,
    env: { KT_BENCH_BODY: PROMPT_FILE, KT_BENCH_HEADERS: headers },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(r.stdout);
  if (!r.success) throw new Error(`wrk failed: ${new TextDecoder().decode(r.stderr)}\n${out}`);
  return parseWrk(out);
}

async function measureCell(c: Contestant, conns: number, seconds: number, round: number): Promise<Cell> {
  const cpu0 = cpu(c.proc);
  const w = await runWrk(c, conns, seconds);
  const used = cpu(c.proc) - cpu0;
  return {
    ...w,
    name: c.name,
    conns,
    round,
    cpuMsPerReq: w.requests > 0 ? (used * 1000) / w.requests : 0,
    rssAfter: mem(c.proc).rss,
  };
}

interface Ttfc {
  ttfc: number[];
  total: number[];
  failures: number;
}

async function streamOnce(c: Contestant): Promise<{ ttfc: number; total: number } | undefined> {
  const t0 = performance.now();
  const res = await fetch(c.streamUrl, {
    method: "POST",
    headers: { "content-type": "application/json", ...c.headers },
    body: c.streamBody,
  });
  if (!res.body || res.status !== 200) {
    await res.body?.cancel();
    return undefined;
  }
  const reader = res.body.getReader();
  const first = await reader.read();
  const ttfc = performance.now() - t0;
  if (first.done) return undefined;
  while (!(await reader.read()).done) {
    // drain
  }
  return { ttfc, total: performance.now() - t0 };
}

// ---------------------------------------------------------------------------------------------
// reporting

interface Summary {
  name: Name;
  conns: number;
  rps: number;
  p50: number;
  p99: number;
  cpuMsPerReq: number;
  errors: number;
  rounds: number;
}

function summarise(cells: Cell[]): Summary[] {
  const out: Summary[] = [];
  const keys = new Map<string, Cell[]>();
  for (const c of cells) {
    const k = `${c.name}@${c.conns}`;
    keys.set(k, [...(keys.get(k) ?? []), c]);
  }
  for (const group of keys.values()) {
    out.push({
      name: group[0].name,
      conns: group[0].conns,
      rps: median(group.map((g) => g.rps)),
      p50: median(group.map((g) => g.p50)),
      p99: median(group.map((g) => g.p99)),
      cpuMsPerReq: median(group.map((g) => g.cpuMsPerReq)),
      errors: group.reduce((a, g) => a + g.non2xx + g.socketErrors, 0),
      rounds: group.length,
    });
  }
  return out;
}

const f0 = (n: number) => n.toFixed(0);
const f2 = (n: number) => n.toFixed(2);
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? "–" : `${(a / b).toFixed(2)}×`;
const pct = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? "–" : `${((a / b) * 100).toFixed(0)}%`;

async function machine(): Promise<string[]> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "?";
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  const kernel = (await Deno.readTextFile("/proc/sys/kernel/osrelease").catch(() => "?")).trim();
  return [
    `nproc ${navigator.hardwareConcurrency}, CPU ${model}, memory ${(memKb / 1024 / 1024).toFixed(1)} GiB, ` +
    `Linux ${kernel}`,
  ];
}

async function toolVersions(contestants: Contestant[]): Promise<string> {
  const nginx = (await output(nginxBinary(), ["-v"])).text.trim().replace("nginx version: ", "");
  const wrk = (await output("wrk", ["--version"])).text.split("\n")[0].replace(/Copyright.*/, "").trim();
  const node = (await output("node", ["--version"])).text.trim();
  const parts = [`deno ${Deno.version.deno} (v8 ${Deno.version.v8})`, `node ${node}`, nginx, wrk];
  for (const c of contestants) if (c.name.startsWith("kt") || c.name === "portkey") parts.push(c.version);
  return [...new Set(parts)].join(", ");
}

function renderLoad(
  o: Options,
  sums: Summary[],
  ttfc: Map<Name, Ttfc>,
  peak: Map<Name, number>,
  header: string[],
): string {
  const get = (n: Name, c: number) => sums.find((s) => s.name === n && s.conns === c);
  const names = ALL.filter((n) => sums.some((s) => s.name === n));
  const lines: string[] = [...header, ""];
  const headline = (c: number) => {
    const kt = get("kt-full", c), none = get("kt-none", c), bare = get("bare", c), pk = get("portkey", c);
    return `| ${c} | ${pct(kt?.rps, bare?.rps)} | ${pct(none?.rps, bare?.rps)} | ${
      ratio(kt?.rps, pk?.rps)
    } | ` +
      `${kt && bare ? f2(kt.p50 - bare.p50) : "–"} ms | ${kt && bare ? f2(kt.p99 - bare.p99) : "–"} ms |`;
  };
  lines.push(
    "**Headline** (medians over rounds):",
    "",
    "| connections | kt-full ÷ bare proxy (req/s) | kt-none ÷ bare proxy | kt-full ÷ Portkey | kt-full p50 − bare p50 | kt-full p99 − bare p99 |",
    "|---:|---:|---:|---:|---:|---:|",
    ...o.conns.map(headline),
    "",
    "**Load** (wrk, POST /v1/chat/completions with bench/prompt.json, 2 KB; medians over rounds; " +
      "added = p50 − direct p50; CPU = server CPU time per request):",
    "",
    "| contestant | conns | req/s | p50 ms | p99 ms | added p50 ms | CPU µs/req | errors |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const c of o.conns) {
    const direct = get("direct", c);
    for (const n of names) {
      const s = get(n, c);
      if (!s) continue;
      lines.push(
        `| ${n} | ${c} | ${f0(s.rps)} | ${f2(s.p50)} | ${f2(s.p99)} | ${
          direct && n !== "direct" ? f2(s.p50 - direct.p50) : "–"
        } | ${f0(s.cpuMsPerReq * 1000)} | ${s.errors} |`,
      );
    }
  }
  lines.push(
    "",
    `**Streaming and memory** (time to first chunk over sequential streaming requests, interleaved; ` +
      `peak RSS = VmHWM after the load, nginx = master + worker):`,
    "",
    "| contestant | TTFC p50 ms | TTFC p99 ms | added TTFC p50 ms | full stream p50 ms | peak RSS MiB |",
    "|---|---:|---:|---:|---:|---:|",
  );
  const directTtfc = ttfc.get("direct");
  for (const n of names) {
    const t = ttfc.get(n);
    const p = peak.get(n);
    const t50 = t && t.ttfc.length ? median(t.ttfc) : undefined;
    lines.push(
      `| ${n} | ${t50 !== undefined ? f2(t50) : "–"} | ${
        t?.ttfc.length ? f2(quantile(t.ttfc, 0.99)) : "–"
      } | ${t50 !== undefined && directTtfc && n !== "direct" ? f2(t50 - median(directTtfc.ttfc)) : "–"} | ${
        t?.total.length ? f2(median(t.total)) : "–"
      } | ${p !== undefined ? p.toFixed(1) : "–"} |`,
    );
  }
  const failed = [...ttfc].filter(([, t]) => t.failures > 0);
  if (failed.length) {
    lines.push("", `Streaming failures: ${failed.map(([n, t]) => `${n} ${t.failures}`).join(", ")}`);
  }
  const cannot = [...ttfc].filter(([, t]) => t.failures < 0).map(([n]) => n);
  if (cannot.length) {
    lines.push(
      "",
      `Not streaming: ${cannot.join(", ")} (answered the SSE request with an error; see the run log)`,
    );
  }
  return lines.join("\n");
}

/** Replaces the text between `<!-- bench:<key>:begin -->` and `…:end -->` in the results file. */
async function writeSection(file: string, key: string, body: string): Promise<void> {
  const begin = `<!-- bench:${key}:begin -->`, end = `<!-- bench:${key}:end -->`;
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    text = "# kt benchmark results\n\nWritten by `deno task bench` (see bench/README.md).\n\n";
  }
  const block = `${begin}\n${body}\n${end}`;
  const a = text.indexOf(begin), b = text.indexOf(end);
  text = a >= 0 && b > a
    ? text.slice(0, a) + block + text.slice(b + end.length)
    : `${text.trimEnd()}\n\n${block}\n`;
  await Deno.writeTextFile(file, text);
}

// ---------------------------------------------------------------------------------------------
// main

function log(msg: string) {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

async function start(
  name: Name,
  tmp: string,
  origin: string,
  nginxProc: Proc,
  o: Options,
): Promise<Contestant> {
  switch (name) {
    case "direct":
      return {
        name,
        proc: nginxProc,
        url: `${origin}/v1/chat/completions`,
        streamUrl: `${origin}/sse/v1/chat/completions`,
        streamBody: STREAM_PROMPT,
        headers: AUTH,
        version: "nginx",
      };
    case "bare":
      return await startBare(tmp, origin);
    case "kt-none":
    case "kt-full":
      return await startKt(tmp, origin, name);
    case "portkey":
      return await startPortkey(tmp, origin, o);
  }
}

async function main(): Promise<void> {
  const o = parseOptions(Deno.args);
  const tmp = await Deno.makeTempDir({ prefix: "kt-bench-" });
  const began = performance.now();
  const quoted = Deno.args.map((a) => /^[\w.,:/=@+-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);
  const command = `deno task bench${quoted.length ? " " + quoted.join(" ") : ""}`;
  log(`temp folder ${tmp}`);
  try {
    const { proc: nginx, origin } = await startNginx(tmp);
    log(`nginx mock on ${origin}`);
    const names = o.soak ? [o.soakTarget] : o.only;
    const contestants: Contestant[] = [];
    for (const n of names) {
      try {
        const c = await start(n, tmp, origin, nginx, o);
        await verify(c);
        contestants.push(c);
        log(`${n} ready (${c.url})`);
      } catch (err) {
        log(`SKIPPING ${n}: ${err instanceof Error ? err.message : err}`);
      }
    }
    if (contestants.length === 0) throw new Error("no contestant started");
    const header = [
      `Run: \`${command}\`${o.label ? ` — ${o.label}` : ""}, ${new Date().toISOString().slice(0, 16)}Z`,
      "",
      `Machine: ${(await machine()).join("; ")}`,
      "",
      `Versions: ${await toolVersions(contestants)}`,
    ];

    if (o.soak) {
      await soak(o, contestants[0], header);
      return;
    }

    // warm-up (JIT, connection pools), not recorded
    for (const c of contestants) await runWrk(c, 32, o.quick ? 1 : 2);

    const cells: Cell[] = [];
    const total = o.rounds * o.conns.length * contestants.length;
    for (let r = 0; r < o.rounds; r++) {
      for (const conns of o.conns) {
        // rotate the order every round so drift and position effects hit everyone equally
        const order = contestants.map((_, i) => contestants[(i + r) % contestants.length]);
        for (const c of order) {
          const cell = await measureCell(c, conns, o.seconds, r + 1);
          cells.push(cell);
          log(
            `[${cells.length}/${total}] round ${r + 1} c=${conns} ${c.name}: ${f0(cell.rps)} req/s, ` +
              `p50 ${f2(cell.p50)} ms, p99 ${f2(cell.p99)} ms, ${f0(cell.cpuMsPerReq * 1000)} µs CPU/req` +
              (cell.non2xx + cell.socketErrors
                ? `, ${cell.non2xx} non-2xx, ${cell.socketErrors} socket errors`
                : ""),
          );
        }
      }
    }
    const peak = new Map<Name, number>();
    for (const c of contestants) peak.set(c.name, mem(c.proc).hwm);

    // streaming time to first chunk: sequential, interleaved across contestants
    const ttfc = new Map<Name, Ttfc>(contestants.map((c) => [c.name, { ttfc: [], total: [], failures: 0 }]));
    const streamers = contestants.filter((c) => !c.streamError);
    for (const c of contestants) if (c.streamError) ttfc.set(c.name, { ttfc: [], total: [], failures: -1 });
    for (const c of streamers) for (let i = 0; i < 5; i++) await streamOnce(c); // warm-up
    for (let i = 0; i < o.ttfcRequests; i++) {
      for (const c of streamers) {
        const t = ttfc.get(c.name)!;
        const r = await streamOnce(c).catch(() => undefined);
        if (r) {
          t.ttfc.push(r.ttfc);
          t.total.push(r.total);
        } else t.failures++;
      }
    }
    log(
      `streaming: ${
        [...ttfc].filter(([, t]) => t.ttfc.length).map(([n, t]) => `${n} ${f2(median(t.ttfc))} ms`).join(", ")
      }`,
    );

    const sums = summarise(cells);
    header.push(
      "",
      `Duration: ${((performance.now() - began) / 1000).toFixed(0)} s; ${o.rounds} round(s) × ` +
        `${o.seconds} s per cell; connections ${
          o.conns.join(", ")
        }; ${o.ttfcRequests} streaming requests each.`,
    );
    const table = renderLoad(o, sums, ttfc, peak, header);
    console.log(table);
    if (o.results) {
      await writeSection(o.results, o.quick ? "quick" : "latest", table);
      log(`wrote ${o.results}`);
    }
    if (o.json) {
      await Deno.writeTextFile(
        o.json,
        JSON.stringify(
          { options: o, cells, ttfc: Object.fromEntries(ttfc), peak: Object.fromEntries(peak) },
          null,
          2,
        ),
      );
    }
  } finally {
    await stopAll();
    if (!o.keep) await Deno.remove(tmp, { recursive: true }).catch(() => {});
    else log(`kept ${tmp}`);
  }
}

async function soak(o: Options, c: Contestant, header: string[]): Promise<void> {
  log(`soak: ${c.name}, 128 connections, ${o.soakSeconds} s`);
  await runWrk(c, 32, 2);
  const samples: Array<{ t: number; rss: number }> = [];
  const t0 = performance.now();
  const timer = setInterval(
    () => samples.push({ t: (performance.now() - t0) / 1000, rss: mem(c.proc).rss }),
    2000,
  );
  let w: WrkResult;
  try {
    w = await runWrk(c, 128, o.soakSeconds);
  } finally {
    clearInterval(timer);
  }
  const hwm = mem(c.proc).hwm;
  const third = samples.filter((s) => s.t >= o.soakSeconds / 3);
  const early = third.length ? third[0].rss : 0;
  const late = samples.length ? samples[samples.length - 1].rss : 0;
  const max = Math.max(...samples.map((s) => s.rss));
  const table = [
    ...header,
    "",
    `Soak: ${c.name} under 128 connections for ${o.soakSeconds} s: ${f0(w.rps)} req/s, p50 ${
      f2(w.p50)
    } ms, ` +
    `p99 ${f2(w.p99)} ms, ${w.non2xx + w.socketErrors} errors.`,
    "",
    `RSS at ${f0(third[0]?.t ?? 0)} s: ${early.toFixed(1)} MiB; at the end: ${late.toFixed(1)} MiB ` +
    `(${late - early >= 0 ? "+" : ""}${(late - early).toFixed(1)} MiB); max sampled ${
      max.toFixed(1)
    } MiB; VmHWM ${hwm.toFixed(1)} MiB.`,
    "",
    `Samples (s: MiB): ${samples.map((s) => `${f0(s.t)}: ${s.rss.toFixed(1)}`).join(", ")}`,
  ].join("\n");
  console.log(table);
  if (o.results) {
    await writeSection(o.results, "soak", table);
    log(`wrote ${o.results}`);
  }
}

if (import.meta.main) {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => {
      stopAll().finally(() => Deno.exit(130));
    });
  }
  try {
    await main();
  } catch (err) {
    console.error(`bench failed: ${err instanceof Error ? err.message : err}`);
    await stopAll();
    Deno.exit(1);
  }
  Deno.exit(0);
}

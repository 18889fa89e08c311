/**
 * Test helpers: a real gateway on a loopback port (in-process), and `kt`
 * spawned as a real process under exactly the compiled permission flags.
 *
 * @module
 */
import { MemoryAuditSink } from "../../src/audit/event.ts";
import { loadConfig } from "../../src/config/load.ts";
import { Gateway, type GatewayOptions, type ListenOptions } from "../../src/gateway/server.ts";
import { Logger } from "../../src/observability/log.ts";
import { policyKindInfo } from "../../src/policy/registry.ts";
import { gatewayFlags } from "../../scripts/permissions.ts";

/** Repository root. */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

/** A minimal valid config object; `over` is layered on top (shallow per section). */
export function configDoc(over: Record<string, unknown> = {}, version = "1.0.0"): Record<string, unknown> {
  return {
    pack: { name: "test", version, enabled: true },
    providers: { targets: [{ id: "mock-a", provider: "mock", model: "mock-gpt" }] },
    ...over,
  };
}

/** Validates a config object with the real loader (policy kinds included). */
export function loaded(doc: Record<string, unknown>, env: Record<string, string> = {}) {
  return loadConfig([{ name: "test.json", text: JSON.stringify(doc) }], {
    policyKinds: policyKindInfo(),
    env: (n) => env[n] ?? Deno.env.get(n),
  });
}

/** A gateway serving on 127.0.0.1 for a test. */
export interface TestGateway extends AsyncDisposable {
  url: string;
  gateway: Gateway;
  audit: MemoryAuditSink;
  logs: string[];
  /** POSTs JSON to `path`. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** Starts an in-process gateway with `doc` as its config. */
export async function startGateway(
  doc: Record<string, unknown>,
  options: Partial<GatewayOptions> & {
    env?: Record<string, string>;
    /** Listener settings besides the address (head and idle timeouts). */
    listen?: Pick<ListenOptions, "headTimeoutMs" | "idleTimeoutMs">;
  } = {},
): Promise<TestGateway> {
  const audit = new MemoryAuditSink();
  const logs: string[] = [];
  const gateway = new Gateway({
    ktVersion: "test",
    audit,
    logger: new Logger({ write: (l) => logs.push(l), level: "debug" }),
    resolveSecret: (ref) => ("env" in ref ? options.env?.[ref.env] ?? Deno.env.get(ref.env) : undefined),
    ...options,
  });
  gateway.apply(loaded(doc, options.env));
  const addr = await gateway.listen({ hostname: "127.0.0.1", port: 0, ...options.listen });
  const url = `http://127.0.0.1:${addr.port}`;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await gateway.shutdown(2000);
  };
  return {
    url,
    gateway,
    audit,
    logs,
    post: (path, body, headers = {}) =>
      fetch(url + path, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A chat request body. */
export function chat(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: "mock-gpt", messages: [{ role: "user", content: text }], ...extra };
}

/** A `kt` process started by a test. */
export interface KtProcess extends AsyncDisposable {
  url: string;
  pid: number;
  child: Deno.ChildProcess;
  /** stderr lines so far (JSON logs). */
  stderr: string[];
  /** stdout lines so far (decision events). */
  stdout: string[];
  /** Sends a signal and waits for the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  /** Waits until a stderr line matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** Options of {@link spawnKt}. */
export interface SpawnOptions {
  /** Text written to stdin, then stdin is closed. */
  stdin?: string;
  env?: Record<string, string>;
  /** Deno flags; default: exactly the compiled gateway's ({@link gatewayFlags}). */
  flags?: string[];
  /** Wait for this stderr pattern before resolving (default: the listening line). */
  readyPattern?: RegExp | null;
  cwd?: string;
  /** Entry module (default the repository's main.ts). */
  entry?: string;
}

/** Runs `deno run <flags> main.ts <args>` and waits until it listens. */
export async function spawnKt(args: string[], options: SpawnOptions = {}): Promise<KtProcess> {
  const flags = options.flags ?? gatewayFlags();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, options.entry ?? `${ROOT}main.ts`, ...args],
    cwd: options.cwd ?? ROOT,
    env: { NO_COLOR: "1", ...options.env },
    stdin: options.stdin !== undefined ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const stderr: string[] = [];
  const stdout: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  const pump = async (stream: ReadableStream<Uint8Array>, into: string[], watch: boolean) => {
    let buf = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        into.push(line);
        if (watch) {
          for (const w of [...waiters]) {
            if (w.re.test(line)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(line);
            }
          }
        }
      }
    }
    if (buf) into.push(buf);
  };
  const pumps = Promise.all([pump(child.stderr, stderr, true), pump(child.stdout, stdout, false)]);
  const statusPromise = child.status;
  const waitFor = (re: RegExp, timeoutMs = 20_000): Promise<string> => {
    const seen = stderr.find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.findIndex((w) => w.re === re), 1);
        reject(new Error(`timed out waiting for ${re} in kt stderr:\n${stderr.join("\n")}`));
      }, timeoutMs);
      const done = (l: string) => {
        clearTimeout(timer);
        resolve(l);
      };
      waiters.push({ re, resolve: done });
      statusPromise.then(() => {
        const i = waiters.findIndex((w) => w.re === re);
        if (i >= 0) {
          waiters.splice(i, 1);
          clearTimeout(timer);
          reject(new Error(`kt exited while waiting for ${re}:\n${stderr.join("\n")}`));
        }
      });
    });
  };
  let exited: Deno.CommandStatus | undefined;
  const stop = async (signal: Deno.Signal = "SIGTERM") => {
    if (!exited) {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
      exited = await statusPromise;
      await pumps;
    }
    return exited;
  };
  let url = "";
  const ready = options.readyPattern === undefined ? /gateway listening/ : options.readyPattern;
  if (ready) {
    try {
      const line = await waitFor(ready);
      url = JSON.parse(line).url ?? "";
    } catch (err) {
      await stop("SIGKILL");
      throw err;
    }
  }
  return {
    url,
    pid: child.pid,
    child,
    stderr,
    stdout,
    stop,
    waitFor,
    [Symbol.asyncDispose]: async () => void await stop(),
  };
}

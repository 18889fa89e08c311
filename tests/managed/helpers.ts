/**
 * Helpers of the managed-mode tests: the real control plane as a process under
 * its compiled permission flags, admin API calls, config texts, and polling
 * assertions.
 *
 * @module
 */
import nodeAssert from "node:assert/strict";
import { join } from "node:path";
import { controlPlaneFlags, gatewayFlags } from "../../scripts/permissions.ts";
import { ROOT } from "../helpers/gateway.ts";

/** Admin token every test control plane is bootstrapped with. */
export const ADMIN_TOKEN = "kt_admin_managed-test-token-0123456789abcdef";

/** A control plane process started by a test. */
export interface ControlPlaneProcess extends AsyncDisposable {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  stderr: string[];
  /** Calls the admin API; returns status and parsed JSON body. */
  admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiReply>;
  /** SIGKILLs the process (a crash) and waits for it. */
  kill(): Promise<void>;
  /** SIGTERM, wait, and remove the data directory unless `keepData`. */
  stop(keepData?: boolean): Promise<void>;
}

/** Status and body of an API call. */
export interface ApiReply {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** Returns a free loopback port (closed again at once). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts `kt-control-plane serve` on 127.0.0.1 (fresh data dir unless given) and waits until it listens. */
export async function startControlPlane(
  options: { port?: number; dataDir?: string } = {},
): Promise<ControlPlaneProcess> {
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "kt-managed-cp-" });
  const port = options.port ?? freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...controlPlaneFlags({ dataDir }),
      join(ROOT, "control_plane.ts"),
      "serve",
      "--listen",
      `127.0.0.1:${port}`,
      "--data-dir",
      dataDir,
      "--log-level",
      "warn",
    ],
    env: { NO_COLOR: "1", KEEPTRUSTS_BOOTSTRAP_ADMIN_TOKEN: ADMIN_TOKEN },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr: string[] = [];
  const pump = (async () => {
    let buf = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        stderr.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    }
  })();
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const deadline = Date.now() + 20_000;
  while (true) {
    if (exited) {
      await pump;
      throw new Error(`kt-control-plane exited at startup:\n${stderr.join("\n")}`);
    }
    try {
      const res = await fetch(`${url}/healthz`);
      await res.body?.cancel();
      if (res.ok) break;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await status;
      await pump;
      throw new Error(`kt-control-plane did not start:\n${stderr.join("\n")}`);
    }
    await sleep(50);
  }
  const end = async (signal: Deno.Signal) => {
    if (!exited) {
      try {
        child.kill(signal);
      } catch {
        // gone
      }
    }
    await status;
    await pump;
  };
  const stop = async (keepData = false) => {
    await end("SIGTERM");
    if (!keepData) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  };
  return {
    url,
    port,
    pid: child.pid,
    dataDir,
    stderr,
    admin: (method, path, body, headers = {}) => api(url, ADMIN_TOKEN, method, path, body, headers),
    kill: () => end("SIGKILL"),
    stop,
    [Symbol.asyncDispose]: () => stop(),
  };
}

/** One API call with a bearer token. */
export async function api(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiReply> {
  const res = await fetch(base + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && typeof body !== "string" ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed };
}

/** Registers a gateway; returns its token. */
export async function registerGateway(cp: ControlPlaneProcess, id: string): Promise<string> {
  const r = await cp.admin("POST", "/v1/admin/gateways", { name: id, id });
  if (r.status !== 201) throw new Error(`register ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token;
}

/** Pushes a config text (YAML or JSON); throws unless stored. */
export async function pushConfig(
  cp: ControlPlaneProcess,
  text: string,
  signature?: string,
): Promise<void> {
  const r = await cp.admin("POST", "/v1/admin/configurations", {
    config: text,
    ...(signature ? { signature } : {}),
  });
  if (r.status !== 201 && r.status !== 200) throw new Error(`push: ${r.status} ${JSON.stringify(r.body)}`);
}

/** Sets the desired version of gateways. */
export async function rollout(cp: ControlPlaneProcess, ids: string[], version: string): Promise<void> {
  const r = await cp.admin("POST", "/v1/admin/configurations/rollout", { gateway_ids: ids, version });
  if (r.status !== 200) throw new Error(`rollout: ${r.status} ${JSON.stringify(r.body)}`);
}

/** `GET /v1/admin/gateways/{id}` body. */
// deno-lint-ignore no-explicit-any
export async function gatewayInfo(cp: ControlPlaneProcess, id: string): Promise<any> {
  const r = await cp.admin("GET", `/v1/admin/gateways/${id}`);
  if (r.status !== 200) throw new Error(`inspect: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/**
 * A config text (JSON) with the built-in mock provider, a PII redactor and a
 * DLP blocklist (`project-falcon`), so allowed, redacted and blocked requests
 * all work without any network.
 */
export function managedConfig(version: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify(
    {
      pack: { name: "managed-test", version, enabled: true },
      providers: { targets: [{ id: "mock-a", provider: "mock", model: "mock-gpt" }] },
      policies: { chain: ["pii-detector", "dlp-filter"] },
      policy: {
        "pii-detector": { action: "redact" },
        "dlp-filter": { blocked_terms: ["project-falcon"], action: "block" },
      },
      ...extra,
    },
    null,
    2,
  );
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitUntil<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** POSTs a chat request; returns status, the config version header and the body. */
export async function chatOnce(
  url: string,
  text: string,
): Promise<{ status: number; version: string | null; decision: string | null; body: string }> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: text }] }),
  });
  return {
    status: res.status,
    version: res.headers.get("x-keeptrusts-config-version"),
    decision: res.headers.get("x-keeptrusts-decision"),
    body: await res.text(),
  };
}

/** Parsed JSON log lines of a process's stderr that match `msg`. */
// deno-lint-ignore no-explicit-any
export function logLines(stderr: readonly string[], msg: string | RegExp): any[] {
  const out = [];
  for (const line of stderr) {
    try {
      const j = JSON.parse(line);
      if (typeof msg === "string" ? j.msg === msg : msg.test(j.msg ?? "")) out.push(j);
    } catch {
      // not JSON
    }
  }
  return out;
}

/**
 * The compiled gateway's flags plus read access to kt's own `src/`: a worker
 * needs read access to its module graph when run from sources (the compiled
 * binary embeds it). Without it the poller falls back to the main thread.
 */
export function managedFlags(): string[] {
  return gatewayFlags({ extraRead: [join(ROOT, "src")] });
}

/** Fails unless `value` is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Deep strict equality. */
export function assertEquals(actual: unknown, expected: unknown, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** `actual >= expected`. */
export function assertGreaterOrEqual(actual: number, expected: number, message?: string): void {
  nodeAssert.ok(actual >= expected, message ?? `expected ${actual} >= ${expected}`);
}

/** `text` matches `re`. */
export function assertMatch(text: string, re: RegExp, message?: string): void {
  nodeAssert.match(text, re, message);
}

/** `text` contains `part`. */
export function assertStringIncludes(text: string, part: string, message?: string): void {
  nodeAssert.ok(
    String(text).includes(part),
    message ?? `expected ${JSON.stringify(String(text).slice(0, 500))} to include ${JSON.stringify(part)}`,
  );
}

/**
 * Helpers of the console tests: a real control plane on 127.0.0.1:0 over a
 * fresh SQLite store, gateways that report like managed gateways do, events
 * posted with gateway tokens, and a small cookie-keeping browser stand-in for
 * plain-HTTP tests.
 *
 * @module
 */
import nodeAssert from "node:assert/strict";
import type { RunningControlPlane } from "../../src/control_plane/serve.ts";
import {
  ADMIN_TOKEN,
  type ApiResponse,
  call,
  sqliteFactory,
  startTestServer,
  type StoreHandle,
} from "../control_plane/helpers.ts";

export { ADMIN_TOKEN, call };

/** A started control plane plus its store's cleanup. */
export interface ConsoleServer {
  cp: RunningControlPlane;
  url: string;
  handle: StoreHandle;
  /** Stops the server, closes the store, removes its files. */
  stop(): Promise<void>;
}

/** Starts a control plane (bootstrapped with {@link ADMIN_TOKEN}). */
export async function startConsoleServer(): Promise<ConsoleServer> {
  const handle = await sqliteFactory.fresh();
  const cp = await startTestServer({ store: handle.store, defaultPollIntervalSeconds: 2 });
  return {
    cp,
    url: cp.url,
    handle,
    async stop() {
      await cp.stop();
      await handle.cleanup();
    },
  };
}

/** A registered gateway and its token. */
export interface TestGateway {
  id: string;
  name: string;
  token: string;
}

/** Registers a gateway through the API. */
export async function createGateway(url: string, name: string, id?: string): Promise<TestGateway> {
  const r = await call(url, "POST", "/v1/admin/gateways", {
    token: ADMIN_TOKEN,
    json: { name, ...(id ? { id } : {}) },
  });
  if (r.status !== 201) throw new Error(`gateway create failed: ${r.status} ${r.text}`);
  return { id: r.body.id, name, token: r.body.token };
}

/** Posts a status report the way a managed gateway does (SPEC 5). */
export async function reportStatus(
  url: string,
  gw: TestGateway,
  report: {
    status: "healthy" | "degraded" | "config_rejected";
    running_version?: string | null;
    last_error?: string | null;
  },
): Promise<void> {
  const r = await call(url, "POST", `/v1/admin/configurations/gateways/${gw.id}/status`, {
    token: gw.token,
    json: {
      running_version: report.running_version ?? null,
      desired_version: null,
      status: report.status,
      last_error: report.last_error ?? null,
      uptime_seconds: 12,
      requests: { total: 3, blocked: 1, redacted: 1, errors: 0 },
      kt_version: "0.1.0",
      instance_id: `test-${gw.id}`,
      poll_interval_seconds: 2,
    },
  });
  if (r.status !== 200) throw new Error(`status report failed: ${r.status} ${r.text}`);
}

/** Pushes a YAML config with the admin token. */
export async function pushConfig(url: string, text: string): Promise<ApiResponse> {
  return await call(url, "POST", "/v1/admin/configurations", {
    token: ADMIN_TOKEN,
    body: text,
    headers: { "content-type": "application/yaml" },
  });
}

/** Fetches the desired config as a managed gateway would; returns its version or null. */
export async function desiredVersion(url: string, gw: TestGateway): Promise<string | null> {
  const r = await call(url, "GET", `/v1/admin/configurations/gateways/${gw.id}/runtime-state`, {
    token: gw.token,
  });
  return r.status === 200 ? r.body.desired_version : null;
}

/** Posts decision events with a gateway token (SPEC 3.7 shape). */
export async function postEvents(
  url: string,
  gw: TestGateway,
  events: Array<
    { verdict: "allow" | "redact" | "block"; policy?: string; content?: string; reason_code?: string }
  >,
): Promise<void> {
  const now = Date.now();
  const r = await call(url, "POST", "/v1/events", {
    token: gw.token,
    json: {
      events: events.map((e, i) => ({
        id: crypto.randomUUID(),
        timestamp: new Date(now - i * 1000).toISOString(),
        request_id: `req_${i}`,
        config_version: "1.0.0",
        verdict: e.verdict,
        reason_code: e.reason_code ??
          (e.verdict === "allow" ? "allowed" : `${e.policy ?? "policy"}_${e.verdict}`),
        policy: e.policy ?? null,
        policy_results: e.policy
          ? [{
            policy: e.policy,
            phase: "input",
            verdict: e.verdict,
            reason_code: "x",
            latency_us: 12,
            findings: { email: 1 },
          }]
          : [],
        provider: "mock",
        target_id: "mock-1",
        model: "gpt-4o-mini",
        status: e.verdict === "block" ? 409 : 200,
        latency_ms: 4,
        ...(e.content !== undefined ? { content: e.content } : {}),
      })),
    },
  });
  if (r.status !== 202) throw new Error(`events post failed: ${r.status} ${r.text}`);
}

/** A config with a mock target (valid; W002 warning). */
export function goodConfig(version: string, extra = ""): string {
  return `pack:
  name: production
  version: ${version}
  enabled: true
providers:
  targets:
    - id: mock-1
      provider: mock
      model: gpt-4o-mini
policies:
  chain: [pii-detector, audit-logger]
policy:
  pii-detector:
    action: redact
  audit-logger: {}
${extra}`;
}

/** A config whose line 14 (`actoin`) has an unknown key in a policy block (E002). */
export function badConfig(version: string): string {
  return goodConfig(version).replace("    action: redact", "    actoin: redact");
}

/** A minimal cookie-keeping HTTP client that behaves like a same-origin browser form. */
export class ConsoleClient {
  readonly base: string;
  cookie = "";

  constructor(base: string) {
    this.base = base;
  }

  /** GET a path; keeps the session cookie; never follows redirects. */
  async get(path: string, headers: Record<string, string> = {}): Promise<Response & { body_text: string }> {
    const res = await fetch(this.base + path, {
      headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...headers },
      redirect: "manual",
    });
    return await this.#keep(res);
  }

  /** POST a urlencoded form as a same-origin page would (Origin and Sec-Fetch-Site set unless overridden). */
  async post(
    path: string,
    form: Record<string, string | string[]>,
    headers: Record<string, string | null> = {},
  ): Promise<Response & { body_text: string }> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    const h: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
      origin: this.base,
      "sec-fetch-site": "same-origin",
      ...(this.cookie ? { cookie: this.cookie } : {}),
    };
    for (const [k, v] of Object.entries(headers)) {
      if (v === null) delete h[k];
      else h[k] = v;
    }
    const res = await fetch(this.base + path, { method: "POST", headers: h, body, redirect: "manual" });
    return await this.#keep(res);
  }

  async #keep(res: Response): Promise<Response & { body_text: string }> {
    const set = res.headers.getSetCookie();
    for (const c of set) {
      const [pair] = c.split(";");
      if (pair.startsWith("kt_console_session=")) {
        this.cookie = /Max-Age=0/i.test(c) || pair.endsWith("=") ? "" : pair;
      }
    }
    const text = await res.text();
    return Object.assign(res, { body_text: text });
  }

  /** The CSRF token of the last page (first `_csrf` field). */
  static csrf(html: string): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new Error("no _csrf field on the page");
    return m[1];
  }

  /** Signs in with a token; returns the CSRF token of the signed-in session. */
  async signIn(token: string): Promise<string> {
    const login = await this.get("/console/login");
    const res = await this.post("/console/login", { _csrf: ConsoleClient.csrf(login.body_text), token });
    if (res.status !== 303) throw new Error(`sign-in failed: ${res.status} ${res.body_text.slice(0, 300)}`);
    const fleet = await this.get("/console/fleet");
    return ConsoleClient.csrf(fleet.body_text);
  }
}

/** `actual` deep-equals `expected`. */
export function assertEquals(actual: unknown, expected: unknown, message?: string): void {
  nodeAssert.deepEqual(actual, expected, message);
}

/** `text` matches `re`. */
export function assertMatch(text: string, re: RegExp, message?: string): void {
  nodeAssert.match(text, re, message);
}

/** `text` contains `part`. */
export function assertStringIncludes(text: string, part: string, message?: string): void {
  nodeAssert.ok(
    text.includes(part),
    `${message ? `${message}: ` : ""}expected to find ${JSON.stringify(part)}`,
  );
}

/** `value` is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

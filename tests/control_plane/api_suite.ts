/**
 * The control plane API suite, run against every store backend
 * (`sqlite_api_test.ts`, `postgres_api_test.ts`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { RunningControlPlane } from "../../src/control_plane/serve.ts";
import type { Store } from "../../src/control_plane/store/types.ts";
import {
  ADMIN_TOKEN,
  call,
  sampleConfig,
  startTestServer,
  type StoreFactory,
  type StoreHandle,
  TestClock,
  type TestServerOptions,
} from "./helpers.ts";

/** What a suite test gets. */
export interface Ctx {
  server: RunningControlPlane;
  base: string;
  handle: StoreHandle;
  clock: TestClock;
}

/** Server options of a suite test, plus a wrapper around the store the server gets (e.g. to count calls). */
export type SuiteOptions = Partial<TestServerOptions> & { wrapStore?: (store: Store) => Store };

/** Runs `fn` against a server over a fresh store of `factory`, on a {@link TestClock}. */
export async function withServer(
  factory: StoreFactory,
  options: SuiteOptions,
  fn: (ctx: Ctx) => Promise<void>,
): Promise<void> {
  const handle = await factory.fresh();
  const clock = new TestClock();
  const { wrapStore, ...serverOptions } = options;
  const store = wrapStore ? wrapStore(handle.store) : handle.store;
  const server = await startTestServer({ store, now: clock.now, ...serverOptions });
  try {
    await fn({ server, base: server.url, handle, clock });
  } finally {
    await server.stop();
    await handle.cleanup();
  }
}

/** Registers a gateway with the bootstrap admin token. */
export async function createGateway(
  base: string,
  name: string,
  id?: string,
): Promise<{ id: string; token: string }> {
  const r = await call(base, "POST", "/v1/admin/gateways", {
    token: ADMIN_TOKEN,
    json: { name, ...(id ? { id } : {}) },
  });
  assert.equal(r.status, 201, r.text);
  return { id: r.body.id, token: r.body.token };
}

/** Pushes a config text. */
export async function push(
  base: string,
  text: string,
  token = ADMIN_TOKEN,
  contentType = "application/yaml",
) {
  return await call(base, "POST", "/v1/admin/configurations", {
    token,
    body: text,
    headers: { "content-type": contentType },
  });
}

/** Rolls `version` out to `ids`. */
export async function rollout(base: string, ids: string[], version: string) {
  return await call(base, "POST", "/v1/admin/configurations/rollout", {
    token: ADMIN_TOKEN,
    json: { gateway_ids: ids, version },
  });
}

/** An admin token with exactly `scopes`. */
export async function scopedToken(base: string, scopes: string[]): Promise<string> {
  const r = await call(base, "POST", "/v1/admin/tokens", {
    token: ADMIN_TOKEN,
    json: { name: "ops", scopes },
  });
  assert.equal(r.status, 201, r.text);
  return r.body.token;
}

/** Registers one suite test: a server over a fresh store of the backend, per test. */
export type SuiteTest = (
  name: string,
  fn: (ctx: Ctx) => Promise<void>,
  options?: SuiteOptions,
) => void;

/** The {@link SuiteTest} of one backend; `factory()` returns null when the backend is unavailable. */
export function suiteTest(
  label: string,
  factory: () => StoreFactory | null,
  ignoreReason?: string,
): SuiteTest {
  return (name, fn, options = {}) => {
    Deno.test({
      name: `[${label}] ${name}${ignoreReason ? ` (skipped: ${ignoreReason})` : ""}`,
      ignore: ignoreReason !== undefined,
      fn: () => withServer(factory()!, options, fn),
    });
  };
}

/** Registers the suite for one backend; `factory()` returns null when the backend is unavailable. */
export function registerApiSuite(
  label: string,
  factory: () => StoreFactory | null,
  ignoreReason?: string,
): void {
  const t = suiteTest(label, factory, ignoreReason);

  t("health, readiness, metrics, unknown routes and request ids", async ({ base }) => {
    assert.equal((await call(base, "GET", "/healthz")).status, 200);
    const ready = await call(base, "GET", "/readyz");
    assert.equal(ready.status, 200);
    assert.equal((await call(base, "GET", "/metrics")).status, 401, "metrics need a token");
    const metrics = await call(base, "GET", "/metrics", { token: ADMIN_TOKEN });
    assert.equal(metrics.status, 200);
    assert.match(
      metrics.text,
      /keeptrusts_control_plane_http_requests_total\{method="GET",route="\/readyz",status="200"\} 1/,
    );
    assert.match(metrics.text, /keeptrusts_control_plane_gateways\{status="offline"\} 0/);
    const missing = await call(base, "GET", "/v1/nope", {
      token: ADMIN_TOKEN,
      headers: { "x-request-id": "abc-123" },
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, "unknown_route");
    assert.equal(missing.body.error.request_id, "abc-123");
    assert.equal(missing.headers.get("x-request-id"), "abc-123");
  });

  t("authentication: missing, malformed, unknown and revoked tokens", async ({ base }) => {
    const none = await call(base, "GET", "/v1/admin/gateways");
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, "missing_credentials");
    assert.ok(none.body.error.request_id);
    const basic = await call(base, "GET", "/v1/admin/gateways", {
      headers: { authorization: "Basic Zm9vOmJhcg==" },
    });
    assert.equal(basic.status, 401);
    assert.equal(basic.body.error.code, "invalid_credentials");
    const wrong = await call(base, "GET", "/v1/admin/gateways", { token: "kt_admin_not-a-real-token" });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, "invalid_credentials");
    assert.ok(!wrong.text.includes("kt_admin_not-a-real-token"), "the error never echoes the token");

    const created = await call(base, "POST", "/v1/admin/tokens", {
      token: ADMIN_TOKEN,
      json: { name: "temp", scopes: ["gateways:read"] },
    });
    assert.equal(created.status, 201);
    assert.match(created.body.token, /^kt_admin_[A-Za-z0-9_-]{43}$/);
    assert.equal((await call(base, "GET", "/v1/admin/gateways", { token: created.body.token })).status, 200);
    const list = await call(base, "GET", "/v1/admin/tokens", { token: ADMIN_TOKEN });
    assert.ok(!list.text.includes(created.body.token), "token listing never shows secrets");
    assert.ok(!list.text.includes("hash"));
    assert.equal(
      (await call(base, "DELETE", `/v1/admin/tokens/${created.body.id}`, { token: ADMIN_TOKEN })).status,
      204,
    );
    const revoked = await call(base, "GET", "/v1/admin/gateways", { token: created.body.token });
    assert.equal(revoked.status, 401);
  });

  t("scopes: read-only admin tokens, gateway tokens and token minting limits", async ({ base }) => {
    const gw = await createGateway(base, "edge-a");
    const readOnly = await scopedToken(base, ["configurations:read", "gateways:read", "events:read"]);
    assert.equal((await call(base, "GET", "/v1/admin/configurations", { token: readOnly })).status, 200);
    const denied = await push(base, sampleConfig("1.0.0"), readOnly);
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, "insufficient_scope");
    assert.match(denied.body.error.message, /configurations:write/);
    assert.equal(
      (await call(base, "POST", "/v1/admin/gateways", { token: readOnly, json: { name: "x" } })).status,
      403,
    );
    const escalate = await call(base, "POST", "/v1/admin/tokens", {
      token: readOnly,
      json: { name: "x", scopes: ["configurations:read"] },
    });
    assert.equal(escalate.status, 403, "tokens:write is needed to mint tokens");
    const badScope = await call(base, "POST", "/v1/admin/tokens", {
      token: ADMIN_TOKEN,
      json: { name: "x", scopes: ["status:write"] },
    });
    assert.equal(badScope.status, 422, "gateway scopes cannot be given to admin tokens");

    // Gateway tokens: no admin endpoints, not even with configurations:read.
    const gwPush = await push(base, sampleConfig("1.0.0"), gw.token);
    assert.equal(gwPush.status, 403);
    assert.equal(gwPush.body.error.code, "insufficient_scope");
    assert.equal((await call(base, "GET", "/v1/admin/configurations", { token: gw.token })).status, 403);
    assert.equal((await call(base, "GET", "/v1/admin/gateways", { token: gw.token })).status, 403);
    assert.equal((await call(base, "GET", "/v1/events", { token: gw.token })).status, 403);
    // Admin tokens cannot act as gateways.
    const adminStatus = await call(base, "POST", `/v1/admin/configurations/gateways/${gw.id}/status`, {
      token: ADMIN_TOKEN,
      json: { status: "healthy" },
    });
    assert.equal(adminStatus.status, 403);
    assert.equal(
      (await call(base, "POST", "/v1/events", { token: ADMIN_TOKEN, json: { events: [] } })).status,
      403,
    );
  });

  t("a gateway token is bound to its own gateway", async ({ base }) => {
    const a = await createGateway(base, "edge-a");
    const b = await createGateway(base, "edge-b");
    assert.equal((await push(base, sampleConfig("1.0.0"))).status, 201);
    assert.equal((await rollout(base, [a.id, b.id], "1.0.0")).status, 200);
    assert.equal(
      (await call(base, "GET", `/v1/admin/configurations/gateways/${a.id}/runtime-state`, { token: a.token }))
        .status,
      200,
    );
    const other = await call(base, "GET", `/v1/admin/configurations/gateways/${b.id}/runtime-state`, {
      token: a.token,
    });
    assert.equal(other.status, 403);
    assert.equal(other.body.error.code, "insufficient_scope");
    const otherStatus = await call(base, "POST", `/v1/admin/configurations/gateways/${b.id}/status`, {
      token: a.token,
      json: { status: "healthy", running_version: "1.0.0" },
    });
    assert.equal(otherStatus.status, 403);
    // Rotation: the old token stops working.
    const rotated = await call(base, "POST", `/v1/admin/gateways/${a.id}/token`, { token: ADMIN_TOKEN });
    assert.equal(rotated.status, 201);
    assert.equal(
      (await call(base, "GET", `/v1/admin/configurations/gateways/${a.id}/runtime-state`, { token: a.token }))
        .status,
      401,
    );
    assert.equal(
      (await call(base, "GET", `/v1/admin/configurations/gateways/${a.id}/runtime-state`, {
        token: rotated.body.token,
      }))
        .status,
      200,
    );
  });

  t("config push validation errors carry codes, paths, lines and columns", async ({ base }) => {
    const bad = await push(
      base,
      "pack: { name: production, version: 1.0.0, enabled: true }\nproviders:\n  targets:\n    - id: a\n      provider: openaix\n      tmeout_ms: 3\n",
    );
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.type, "validation_error");
    assert.equal(bad.body.error.code, "validation_error");
    const unknownKey = bad.body.error.details.find((d: { code: string }) => d.code === "E002");
    assert.deepEqual(
      { path: unknownKey.path, line: unknownKey.line, column: unknownKey.column },
      { path: "providers.targets[0].tmeout_ms", line: 6, column: 7 },
    );
    assert.match(unknownKey.hint, /timeout_ms/);
    const provider = bad.body.error.details.find((d: { path: string }) =>
      d.path === "providers.targets[0].provider"
    );
    assert.equal(provider.line, 5);

    const syntax = await push(base, "pack: { name: x\n  version: [\n");
    assert.equal(syntax.status, 422);
    assert.equal(syntax.body.error.details[0].code, "E000");
    assert.ok(syntax.body.error.details[0].line >= 1);

    const malformed = await call(base, "POST", "/v1/admin/configurations", {
      token: ADMIN_TOKEN,
      body: '{"config": ',
      headers: { "content-type": "application/json" },
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, "malformed_json");

    const huge = await push(base, sampleConfig("1.0.0", `# ${"x".repeat(2 * 1024 * 1024)}\n`));
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error.code, "body_too_large");

    const media = await push(base, sampleConfig("1.0.0"), ADMIN_TOKEN, "application/xml");
    assert.equal(media.status, 415);

    const badGatewayBody = await call(base, "POST", "/v1/admin/gateways", {
      token: ADMIN_TOKEN,
      json: { nam: "x" },
    });
    assert.equal(badGatewayBody.status, 422);
    assert.ok(badGatewayBody.body.error.details.length >= 1);

    // Unset variables are the gateway's business: a warning, not an error.
    const withVar = await push(
      base,
      sampleConfig("1.0.1").replace("gpt-4o-mini", "${MODEL_NAME}").replace(
        "provider: openai",
        "provider: openai\n      base_url: ${OPENAI_BASE_URL}",
      ),
    );
    assert.equal(withVar.status, 201, withVar.text);
    assert.ok(withVar.body.warnings.some((w: { code: string }) => w.code === "E007"));
    const versionVar = await push(base, sampleConfig(`"\${V:-2.0.0}"`));
    assert.equal(versionVar.status, 422);
    assert.equal(versionVar.body.error.details[0].path, "pack.version");
  });

  t("pushes are immutable: same bytes are idempotent, other bytes conflict", async ({ base }) => {
    const text = sampleConfig("1.0.0");
    const first = await push(base, text);
    assert.equal(first.status, 201);
    assert.equal(first.body.created, true);
    assert.equal(first.body.digest, `sha256:${createHash("sha256").update(text).digest("hex")}`);
    assert.equal(first.body.size_bytes, new TextEncoder().encode(text).length);
    assert.deepEqual(first.body.store_refs, ["OPENAI_KEY"]);
    assert.match(first.body.created_by, /^tok_/);
    const again = await push(base, text);
    assert.equal(again.status, 200);
    assert.equal(again.body.created, false);
    assert.equal(again.body.digest, first.body.digest);
    const changed = await push(base, text + "# a comment changes the bytes\n");
    assert.equal(changed.status, 409);
    assert.equal(changed.body.error.code, "version_conflict");

    // JSON documents and the JSON wrapper with a signature.
    const json = JSON.stringify({
      pack: { name: "p", version: "2.0.0", enabled: true },
      providers: { targets: [{ id: "m", provider: "mock" }] },
    });
    const jsonPush = await push(base, json, ADMIN_TOKEN, "application/json");
    assert.equal(jsonPush.status, 201, jsonPush.text);
    assert.equal(jsonPush.body.format, "json");
    assert.ok(jsonPush.body.warnings.some((w: { code: string }) => w.code === "W002"));
    const signature = btoa(String.fromCharCode(...new Uint8Array(64).fill(7)));
    const wrapped = await call(base, "POST", "/v1/admin/configurations", {
      token: ADMIN_TOKEN,
      json: { config: sampleConfig("3.0.0"), format: "yaml", signature },
    });
    assert.equal(wrapped.status, 201, wrapped.text);
    assert.equal(wrapped.body.signed, true);
    const headerSigned = await call(base, "POST", "/v1/admin/configurations", {
      token: ADMIN_TOKEN,
      body: sampleConfig("3.0.1"),
      headers: { "content-type": "application/yaml", "x-keeptrusts-signature": signature },
    });
    assert.equal(headerSigned.status, 201);
    assert.equal(headerSigned.body.signed, true);
    const badSig = await call(base, "POST", "/v1/admin/configurations", {
      token: ADMIN_TOKEN,
      body: sampleConfig("3.0.2"),
      headers: { "content-type": "application/yaml", "x-keeptrusts-signature": "c2hvcnQ=" },
    });
    assert.equal(badSig.status, 400);
    assert.equal(badSig.body.error.code, "invalid_signature");

    const versions = await call(base, "GET", "/v1/admin/configurations/versions", { token: ADMIN_TOKEN });
    assert.deepEqual(versions.body.items.map((v: { version: string }) => v.version), [
      "3.0.1",
      "3.0.0",
      "2.0.0",
      "1.0.0",
    ]);
    const one = await call(base, "GET", "/v1/admin/configurations/versions/1.0.0", { token: ADMIN_TOKEN });
    assert.equal(one.body.config, text);
  });

  t("rollout, runtime-state with ETag/304, revert", async ({ base }) => {
    const gw = await createGateway(base, "edge", "proxy_production_01");
    assert.equal(gw.id, "proxy_production_01");
    const dup = await call(base, "POST", "/v1/admin/gateways", {
      token: ADMIN_TOKEN,
      json: { name: "again", id: "proxy_production_01" },
    });
    assert.equal(dup.status, 409);
    const path = `/v1/admin/configurations/gateways/${gw.id}/runtime-state`;

    const none = await call(base, "GET", path, { token: gw.token });
    assert.equal(none.status, 404);
    assert.equal(none.body.error.code, "no_config_assigned");

    const v1 = sampleConfig("1.0.0");
    const v2 = sampleConfig("1.1.0", "policy: {}\n");
    assert.equal((await push(base, v1)).status, 201);
    assert.equal((await push(base, v2)).status, 201);

    const unknownVersion = await rollout(base, [gw.id], "9.9.9");
    assert.equal(unknownVersion.status, 404);
    const unknownGateway = await rollout(base, [gw.id, "gw_missing"], "1.0.0");
    assert.equal(unknownGateway.status, 404);
    assert.equal(
      (await call(base, "GET", path, { token: gw.token })).status,
      404,
      "a failed rollout changes nothing",
    );

    const r1 = await rollout(base, [gw.id], "1.0.0");
    assert.equal(r1.status, 200);
    assert.deepEqual(r1.body.gateways, [{
      gateway_id: gw.id,
      previous_version: null,
      desired_version: "1.0.0",
    }]);
    const state = await call(base, "GET", path, { token: gw.token });
    assert.equal(state.status, 200);
    const digest = `sha256:${createHash("sha256").update(v1).digest("hex")}`;
    assert.deepEqual(state.body, {
      gateway_id: gw.id,
      desired_version: "1.0.0",
      config: v1,
      config_format: "yaml",
      digest,
    });
    assert.equal(state.headers.get("etag"), `"${digest}"`);
    const cached = await call(base, "GET", path, {
      token: gw.token,
      headers: { "if-none-match": `"${digest}"` },
    });
    assert.equal(cached.status, 304);
    assert.equal(cached.text, "");
    const weak = await call(base, "GET", path, {
      token: gw.token,
      headers: { "if-none-match": `W/"${digest}"` },
    });
    assert.equal(weak.status, 304);

    assert.equal((await rollout(base, [gw.id], "1.1.0")).status, 200);
    const changed = await call(base, "GET", path, {
      token: gw.token,
      headers: { "if-none-match": `"${digest}"` },
    });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.desired_version, "1.1.0");

    // Admins with configurations:read may read it too (kt gateway config).
    assert.equal((await call(base, "GET", path, { token: ADMIN_TOKEN })).status, 200);

    const revert = await call(base, "POST", `/v1/admin/gateways/${gw.id}/revert`, {
      token: ADMIN_TOKEN,
      json: {},
    });
    assert.equal(revert.status, 200, revert.text);
    assert.equal(revert.body.gateways[0].desired_version, "1.0.0");
    assert.equal(revert.body.gateways[0].previous_version, "1.1.0");
    const explicit = await call(base, "POST", `/v1/admin/gateways/${gw.id}/revert`, {
      token: ADMIN_TOKEN,
      json: { version: "1.1.0" },
    });
    assert.equal(explicit.status, 200);
    const history = await call(base, "GET", `/v1/admin/configurations/rollouts?gateway_id=${gw.id}`, {
      token: ADMIN_TOKEN,
    });
    assert.deepEqual(
      history.body.items.map((r: { kind: string; version: string }) => `${r.kind}:${r.version}`),
      [
        "revert:1.1.0",
        "revert:1.0.0",
        "rollout:1.1.0",
        "rollout:1.0.0",
      ],
    );
  });

  t("status reports, bounded history and offline detection", async ({ base, clock }) => {
    const gw = await createGateway(base, "edge");
    const fast = await createGateway(base, "fast");
    assert.equal((await push(base, sampleConfig("1.0.0"))).status, 201);
    assert.equal((await rollout(base, [gw.id, fast.id], "1.0.0")).status, 200);
    const statusPath = (id: string) => `/v1/admin/configurations/gateways/${id}/status`;
    const report = {
      running_version: "1.0.0",
      desired_version: "1.0.0",
      status: "healthy",
      last_error: null,
      uptime_seconds: 12,
      requests: { total: 10, blocked: 1, redacted: 2, errors: 0 },
      kt_version: "0.1.0",
      instance_id: "i-1",
      future_field: "ignored",
    };
    for (let i = 0; i < 5; i++) {
      const r = await call(base, "POST", statusPath(gw.id), {
        token: gw.token,
        json: { ...report, uptime_seconds: i },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.desired_version, "1.0.0");
    }
    const r = await call(base, "POST", statusPath(fast.id), {
      token: fast.token,
      json: {
        ...report,
        status: "config_rejected",
        last_error: "E002 unknown key",
        poll_interval_seconds: 4.2, // stored as 5 whole seconds
      },
    });
    assert.equal(r.status, 200);
    const bad = await call(base, "POST", statusPath(gw.id), { token: gw.token, json: { status: "great" } });
    assert.equal(bad.status, 422);

    const list = async () => {
      const res = await call(base, "GET", "/v1/admin/configurations", { token: ADMIN_TOKEN });
      return Object.fromEntries(res.body.items.map((i: { gateway_id: string }) => [i.gateway_id, i]));
    };
    let items = await list();
    assert.equal(items[gw.id].status, "healthy");
    assert.equal(items[gw.id].running_version, "1.0.0");
    assert.equal(items[gw.id].desired_version, "1.0.0");
    assert.equal(items[gw.id].last_seen_at, clock.now().toISOString());
    assert.equal(items[fast.id].status, "config_rejected");
    assert.equal(items[fast.id].last_error, "E002 unknown key");

    clock.advance(16); // > 3 × 5 s
    items = await list();
    assert.equal(items[fast.id].status, "offline");
    assert.equal(items[gw.id].status, "healthy");
    clock.advance(75); // 91 s > 3 × 30 s (default)
    items = await list();
    assert.equal(items[gw.id].status, "offline");

    const inspect = await call(base, "GET", `/v1/admin/gateways/${gw.id}?history=50`, { token: ADMIN_TOKEN });
    assert.equal(inspect.status, 200);
    assert.equal(inspect.body.status, "offline");
    assert.equal(inspect.body.status_history.length, 3, "history is bounded by statusHistoryLimit");
    assert.equal(inspect.body.status_history[0].uptime_seconds, 4, "newest first");
    assert.equal(inspect.body.last_report.future_field, undefined, "unknown fields are not stored");
    const metrics = await call(base, "GET", "/metrics", { token: ADMIN_TOKEN });
    assert.match(metrics.text, /keeptrusts_control_plane_gateways\{status="offline"\} 2/);
  }, { statusHistoryLimit: 3 });

  t(
    "events: batch ingest with forced gateway id, dedupe, filtered queries by receipt time",
    async ({ base, clock }) => {
      const a = await createGateway(base, "a");
      const b = await createGateway(base, "b");
      const at = (secondsAgo: number) => new Date(clock.now().getTime() - secondsAgo * 1000).toISOString();
      const events = [
        { id: "e1", timestamp: at(200), verdict: "allow", gateway_id: "spoofed", policy_results: [] },
        {
          id: "e2",
          timestamp: at(120),
          verdict: "block",
          policy: "prompt-injection",
          reason_code: "input_blocked",
          policy_results: [{ policy: "prompt-injection", verdict: "block" }],
        },
        {
          id: "e3",
          timestamp: at(60),
          verdict: "redact",
          policy_results: [{ policy: "pii-detector", verdict: "redact" }],
        },
      ];
      const posted = await call(base, "POST", "/v1/events", { token: a.token, json: { events } });
      assert.equal(posted.status, 202, posted.text);
      assert.deepEqual(posted.body, { accepted: 3, stored: 3, duplicates: 0 });
      const retried = await call(base, "POST", "/v1/events", { token: a.token, json: { events } });
      assert.deepEqual(retried.body, { accepted: 3, stored: 0, duplicates: 3 });
      clock.advance(400);
      const invalid = await call(base, "POST", "/v1/events", {
        token: a.token,
        json: { events: [{ id: "ok", verdict: "allow" }, { id: "bad", verdict: "maybe" }] },
      });
      assert.equal(invalid.status, 422);
      assert.equal(invalid.body.error.details[0].path, "events[1].verdict");
      const big = await call(base, "POST", "/v1/events", {
        token: a.token,
        json: {
          events: [{ id: "big", verdict: "redact", timestamp: at(250), content: "x".repeat(100_000) }],
        },
      });
      assert.equal(big.status, 202, "an event with oversized content is kept without the content");
      const bigReceived = clock.now().toISOString();
      clock.advance(10);
      assert.equal(
        (await call(base, "POST", "/v1/events", {
          token: b.token,
          json: { events: [{ id: "e1", verdict: "block", timestamp: at(1) }] },
        }))
          .status,
        202,
      );
      const tooMany = await call(base, "POST", "/v1/events", {
        token: a.token,
        json: { events: Array.from({ length: 1001 }, (_, i) => ({ id: `x${i}`, verdict: "allow" })) },
      });
      assert.equal(tooMany.status, 422);

      const q = async (query: string) => {
        const res = await call(base, "GET", `/v1/events${query}`, { token: ADMIN_TOKEN });
        assert.equal(res.status, 200, res.text);
        return res.body.items.map((e: { id: string; gateway_id: string }) =>
          `${e.gateway_id === a.id ? "a" : "b"}:${e.id}`
        );
      };
      // Newest received first; one batch in the order of its (clamped) stamps.
      assert.deepEqual(await q(""), ["b:e1", "a:big", "a:e3", "a:e2", "a:e1"]);
      const bigStored = (await call(base, "GET", "/v1/events?verdict=redact", { token: ADMIN_TOKEN })).body
        .items
        .find((e: { id: string }) => e.id === "big");
      assert.equal(bigStored.content, undefined);
      assert.equal(bigStored.content_omitted, "too_large");
      const all = await call(base, "GET", "/v1/events", { token: ADMIN_TOKEN });
      assert.ok(all.body.items.every((e: { gateway_id: string }) => e.gateway_id !== "spoofed"));
      assert.deepEqual(await q("?verdict=block"), ["b:e1", "a:e2"]);
      assert.deepEqual(await q(`?gateway_id=${a.id}&limit=2`), ["a:big", "a:e3"]);
      assert.deepEqual(await q("?policy=pii-detector"), ["a:e3"]);
      assert.deepEqual(await q("?policy=prompt-injection"), ["a:e2"]);
      assert.deepEqual(await q("?since=5m"), ["b:e1", "a:big"], "since counts from receipt");
      assert.deepEqual(await q(`?since=${encodeURIComponent(bigReceived)}`), ["b:e1", "a:big"]);
      assert.deepEqual(await q("?since=5s"), ["b:e1"]);
      assert.equal(
        (await call(base, "GET", "/v1/events?since=yesterday", { token: ADMIN_TOKEN })).status,
        400,
      );
      assert.equal((await call(base, "GET", "/v1/events?verdict=maybe", { token: ADMIN_TOKEN })).status, 400);
      const noScope = await scopedToken(base, ["gateways:read"]);
      assert.equal((await call(base, "GET", "/v1/events", { token: noScope })).status, 403);
    },
  );

  t(
    "config variables: encrypted at rest, never listed, gateways read only what they reference",
    async ({ base, handle }) => {
      const secret = "sk-live-PLAINTEXT-must-not-be-stored-0123456789";
      const put = await call(base, "POST", "/v1/config-variables", {
        token: ADMIN_TOKEN,
        json: { name: "OPENAI_KEY", value: secret, sensitive: true },
      });
      assert.equal(put.status, 201, put.text);
      assert.ok(!put.text.includes(secret));
      const plain = await call(base, "POST", "/v1/config-variables", {
        token: ADMIN_TOKEN,
        json: { name: "REGION", value: "eu-west-1", sensitive: false },
      });
      assert.equal(plain.status, 201);
      const other = await call(base, "POST", "/v1/config-variables", {
        token: ADMIN_TOKEN,
        json: { name: "OTHER_KEY", value: "sk-other" },
      });
      assert.equal(other.status, 201);

      const raw = await handle.rawVariableValue("OPENAI_KEY");
      assert.ok(raw && raw.startsWith("v1."), "stored as an encrypted envelope");
      assert.ok(!raw.includes(secret));
      assert.ok(!(await handle.rawDump()).includes(secret), "the plaintext is nowhere in the database");
      assert.equal(await handle.rawVariableValue("REGION"), "eu-west-1");

      const list = await call(base, "GET", "/v1/config-variables", { token: ADMIN_TOKEN });
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.items.map((v: { name: string; sensitive: boolean }) => [v.name, v.sensitive]),
        [
          ["OPENAI_KEY", true],
          ["OTHER_KEY", true],
          ["REGION", false],
        ],
      );
      assert.ok(!list.text.includes(secret) && !list.text.includes("sk-other"));

      const gw = await createGateway(base, "edge");
      const get = (name: string, token = gw.token) =>
        call(base, "GET", `/v1/gateway/config-variables/${name}`, { token });
      assert.equal((await get("OPENAI_KEY")).status, 403, "nothing rolled out yet references it");
      assert.equal((await push(base, sampleConfig("1.0.0"))).status, 201);
      assert.equal((await rollout(base, [gw.id], "1.0.0")).status, 200);
      const got = await get("OPENAI_KEY");
      assert.equal(got.status, 200);
      assert.deepEqual(got.body, { name: "OPENAI_KEY", value: secret, sensitive: true });
      assert.equal((await get("OTHER_KEY")).status, 403);
      assert.equal((await get("OPENAI_KEY", ADMIN_TOKEN)).status, 403, "admins do not read secret values");

      const rotated = await call(base, "POST", "/v1/config-variables", {
        token: ADMIN_TOKEN,
        json: { name: "OPENAI_KEY", value: "sk-rotated", sensitive: true },
      });
      assert.equal(rotated.status, 200);
      assert.equal((await get("OPENAI_KEY")).body.value, "sk-rotated");
      assert.equal(
        (await call(base, "DELETE", "/v1/config-variables/OPENAI_KEY", { token: ADMIN_TOKEN })).status,
        204,
      );
      assert.equal((await get("OPENAI_KEY")).status, 404);
    },
  );

  Deno.test({
    name: `[${label}] data survives a restart${ignoreReason ? ` (skipped: ${ignoreReason})` : ""}`,
    ignore: ignoreReason !== undefined,
    fn: async () => {
      const handle = await factory()!.fresh();
      let server = await startTestServer({ store: handle.store });
      const base1 = server.url;
      const gw = await createGateway(base1, "edge");
      assert.equal((await push(base1, sampleConfig("1.0.0"))).status, 201);
      assert.equal((await rollout(base1, [gw.id], "1.0.0")).status, 200);
      assert.equal(
        (await call(base1, "POST", "/v1/config-variables", {
          token: ADMIN_TOKEN,
          json: { name: "OPENAI_KEY", value: "sk-1" },
        }))
          .status,
        201,
      );
      await server.stop();

      server = await startTestServer({ store: await handle.reopen() });
      try {
        const base = server.url;
        const state = await call(base, "GET", `/v1/admin/configurations/gateways/${gw.id}/runtime-state`, {
          token: gw.token,
        });
        assert.equal(state.status, 200);
        assert.equal(state.body.desired_version, "1.0.0");
        const v = await call(base, "GET", "/v1/gateway/config-variables/OPENAI_KEY", { token: gw.token });
        assert.equal(v.body.value, "sk-1");
        assert.equal((await push(base, sampleConfig("1.0.0"))).status, 200, "still idempotent after restart");
      } finally {
        await server.stop();
        await handle.cleanup();
      }
    },
  });
}

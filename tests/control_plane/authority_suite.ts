/**
 * Scoped authority, run against every store backend (`sqlite_api_test.ts`,
 * `postgres_api_test.ts`): the scope matrix of `scope_table.ts` request by
 * request, and one test per attack of the adversarial review (issue 15,
 * findings 1–4) reproducing it and asserting the refusal.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ADMIN_SCOPES, GATEWAY_TOKEN_AUTHORITY } from "../../src/control_plane/auth.ts";
import type { Store } from "../../src/control_plane/store/types.ts";
import { createGateway, push, rollout, scopedToken, suiteTest } from "./api_suite.ts";
import { ADMIN_TOKEN, call, sampleConfig, type StoreFactory } from "./helpers.ts";
import { expectedAccess, SCOPE_COLUMNS, SCOPE_TABLE, type ScopeRow } from "./scope_table.ts";

/** A request that passes every check after authorisation without lasting effect (ids of the fixture). */
function requestOf(r: ScopeRow, gatewayId: string): { path: string; json?: unknown; body?: string } {
  const path = r.path
    .replace(":id/token", "gw-rotate/token")
    .replace("/tokens/:id", "/tokens/tok_doesnotexist")
    .replace(":id", gatewayId)
    .replace(":version", "1.0.0")
    .replace(
      ":name",
      r.method === "DELETE" ? "NOT_THERE" : "OPENAI_KEY",
    );
  if (r.method === "DELETE" || r.method === "GET") return { path };
  if (r.path === "/v1/admin/configurations") return { path, body: "" };
  if (r.path === "/v1/events") return { path, json: { events: [] } };
  if (r.path.endsWith("/status")) return { path, json: { status: "healthy" } };
  if (r.path.endsWith("/revert")) return { path, json: { version: "9.9.9" } };
  return { path, json: r.path.endsWith("/token") ? undefined : {} };
}

type Outcome = "allowed" | "403" | "401" | string;

async function outcome(base: string, r: ScopeRow, token: string | null, gatewayId: string): Promise<Outcome> {
  const req = requestOf(r, gatewayId);
  const res = await call(base, r.method, req.path, {
    token,
    json: req.json,
    body: req.body,
    headers: req.body !== undefined ? { "content-type": "application/yaml" } : {},
  });
  if (res.status === 401) return "401";
  if (res.status === 403) return res.body?.error?.code === "insufficient_scope" ? "403" : `403 ${res.text}`;
  if (res.status >= 500) return `${res.status} ${res.text}`;
  return "allowed";
}

/** Registers the authority tests for one backend. */
export function registerAuthoritySuite(
  label: string,
  factory: () => StoreFactory | null,
  ignoreReason?: string,
): void {
  const t = suiteTest(label, factory, ignoreReason);

  t(
    "scope matrix: every endpoint × every scope is allowed or 403 exactly as docs/control_plane.md says",
    async ({ base }) => {
      await call(base, "POST", "/v1/config-variables", {
        token: ADMIN_TOKEN,
        json: { name: "OPENAI_KEY", value: "sk-matrix" },
      });
      assert.equal((await push(base, sampleConfig("1.0.0"))).status, 201);
      const own = await createGateway(base, "matrix", "gw-matrix");
      await createGateway(base, "other", "gw-other");
      await createGateway(base, "rotate", "gw-rotate");
      assert.equal((await rollout(base, ["gw-matrix", "gw-other"], "1.0.0")).status, 200);
      const tokens: Record<string, string> = { "gateway token": own.token };
      for (const scope of ADMIN_SCOPES) tokens[scope] = await scopedToken(base, [scope]);

      const wrong: string[] = [];
      for (const r of SCOPE_TABLE) {
        const name = `${r.method} ${r.path}`;
        for (const column of SCOPE_COLUMNS) {
          const got = await outcome(base, r, tokens[column], "gw-matrix");
          if (got !== expectedAccess(r, column)) wrong.push(`${name} with ${column}: ${got}`);
        }
        const anonymous = await outcome(base, r, null, "gw-matrix");
        if (anonymous !== (r.public ? "allowed" : "401")) wrong.push(`${name} without a token: ${anonymous}`);
        if (r.gateway && !r.public && r.path.includes(":id")) {
          const other = await outcome(base, r, own.token, "gw-other");
          if (other !== "403") wrong.push(`${name} with a gateway token for another gateway: ${other}`);
        }
        if (r.admin && r.admin.length > 1) {
          const all = await outcome(base, r, await scopedToken(base, [...r.admin]), "gw-matrix");
          if (all !== "allowed") wrong.push(`${name} with ${r.admin.join(" + ")}: ${all}`);
          for (const left of r.admin) {
            const fewer = r.admin.filter((s) => s !== left);
            const got = await outcome(base, r, await scopedToken(base, fewer), "gw-matrix");
            if (got !== "403") wrong.push(`${name} with ${fewer.join(" + ")}: ${got}`);
          }
        }
      }
      assert.deepEqual(wrong, [], "requests answered otherwise than the scope table says");
    },
  );

  t(
    "finding 1: gateways:write cannot mint a gateway token that reads secrets; rotation says what it revoked",
    async ({ base }) => {
      const secret = "sk-live-finding-one-0123456789";
      await call(base, "POST", "/v1/config-variables", {
        token: ADMIN_TOKEN,
        json: { name: "OPENAI_KEY", value: secret },
      });
      const gw = await createGateway(base, "edge", "gw-real");
      assert.equal((await push(base, sampleConfig("1.0.0"))).status, 201);
      assert.equal((await rollout(base, [gw.id], "1.0.0")).status, 200);

      // The attack: a gateways:write token rotates the gateway token and reads the secret with it.
      const writer = await scopedToken(base, ["gateways:write"]);
      const rotate = await call(base, "POST", `/v1/admin/gateways/${gw.id}/token`, { token: writer });
      assert.equal(rotate.status, 403, rotate.text);
      assert.match(rotate.body.error.message, /secrets:read/);
      assert.ok(!rotate.text.includes("kt_gw_"), "no token is minted");
      // …or registers a gateway of its own and rolls out a config naming the secret (with configurations:write).
      const both = await scopedToken(base, ["gateways:write", "configurations:write"]);
      const register = await call(base, "POST", "/v1/admin/gateways", {
        token: both,
        json: { name: "evil" },
      });
      assert.equal(register.status, 403, register.text);
      assert.equal((await call(base, "GET", "/v1/config-variables", { token: writer })).status, 403);
      const direct = await call(base, "GET", "/v1/config-variables/OPENAI_KEY", { token: both });
      assert.equal(direct.status, 403, "reading a value needs secrets:read");
      // The real gateway is untouched.
      const read = await call(base, "GET", "/v1/gateway/config-variables/OPENAI_KEY", { token: gw.token });
      assert.equal(read.status, 200);
      assert.equal(read.body.value, secret);

      // A token holding all a gateway token amounts to may rotate it, and is told what it cut off.
      const operator = await scopedToken(base, [...GATEWAY_TOKEN_AUTHORITY, "audit:read"]);
      const tokens = await call(base, "GET", "/v1/admin/tokens", { token: ADMIN_TOKEN });
      const oldId = tokens.body.items.find((t: { gateway_id: string | null }) => t.gateway_id === gw.id).id;
      const rotated = await call(base, "POST", `/v1/admin/gateways/${gw.id}/token`, { token: operator });
      assert.equal(rotated.status, 201, rotated.text);
      assert.deepEqual(rotated.body.revoked_token_ids, [oldId]);
      assert.match(rotated.body.message, /revoked 1 earlier token/);
      assert.equal(
        (await call(base, "GET", "/v1/gateway/config-variables/OPENAI_KEY", { token: gw.token })).status,
        401,
        "the old token is revoked",
      );

      // Every secret read is audited: token id, variable name, gateway; never the value.
      const withSecrets = await call(base, "POST", "/v1/admin/tokens", {
        token: ADMIN_TOKEN,
        json: { name: "break-glass", scopes: ["secrets:read"] },
      });
      const adminRead = await call(base, "GET", "/v1/config-variables/OPENAI_KEY", {
        token: withSecrets.body.token,
      });
      assert.equal(adminRead.status, 200);
      assert.equal(adminRead.body.value, secret);
      const audit = await call(base, "GET", "/v1/admin/audit?limit=50", { token: operator });
      assert.equal(audit.status, 200, audit.text);
      assert.ok(!audit.text.includes(secret), "the audit trail never holds a value");
      const reads = audit.body.items.filter((e: { action: string }) => e.action === "secret_read");
      assert.deepEqual(
        reads.map((e: { token_id: string; subject: string; gateway_id: string | null }) => [
          e.token_id,
          e.subject,
          e.gateway_id,
        ]),
        [[withSecrets.body.id, "OPENAI_KEY", null], [oldId, "OPENAI_KEY", gw.id]],
      );
      const rotation = audit.body.items.find((e: { action: string }) => e.action === "gateway_token_rotated");
      assert.deepEqual(rotation.details.revoked_token_ids, [oldId]);
      assert.equal(rotation.gateway_id, gw.id);
      const auditOnly = await call(base, "GET", "/v1/admin/audit", { token: writer });
      assert.equal(auditOnly.status, 403, "the audit trail needs audit:read");
    },
  );

  t("finding 2: a tokens:write token revokes only tokens whose scopes it holds", async ({ base }) => {
    const gw = await createGateway(base, "edge");
    const revoker = await call(base, "POST", "/v1/admin/tokens", {
      token: ADMIN_TOKEN,
      json: { name: "revoker", scopes: ["tokens:write", "gateways:read"] },
    });
    const list = (await call(base, "GET", "/v1/admin/tokens", { token: ADMIN_TOKEN })).body.items;
    const adminId = list.find((x: { name: string }) => x.name === "bootstrap admin").id;
    const gwTokenId = list.find((x: { gateway_id: string | null }) => x.gateway_id === gw.id).id;

    const lockOut = await call(base, "DELETE", `/v1/admin/tokens/${adminId}`, { token: revoker.body.token });
    assert.equal(lockOut.status, 403, lockOut.text);
    assert.equal(lockOut.body.error.code, "insufficient_scope");
    assert.equal((await call(base, "GET", "/v1/admin/gateways", { token: ADMIN_TOKEN })).status, 200);
    const cutOff = await call(base, "DELETE", `/v1/admin/tokens/${gwTokenId}`, { token: revoker.body.token });
    assert.equal(cutOff.status, 403, cutOff.text);
    assert.match(cutOff.body.error.message, /gateway token amounts to/);
    assert.equal(
      (await call(base, "POST", `/v1/admin/configurations/gateways/${gw.id}/status`, {
        token: gw.token,
        json: { status: "healthy" },
      })).status,
      200,
    );

    // Within its authority: a gateways:read token, and itself.
    const reader = await call(base, "POST", "/v1/admin/tokens", {
      token: ADMIN_TOKEN,
      json: { name: "reader", scopes: ["gateways:read"] },
    });
    assert.equal(
      (await call(base, "DELETE", `/v1/admin/tokens/${reader.body.id}`, { token: revoker.body.token }))
        .status,
      204,
    );
    assert.equal((await call(base, "GET", "/v1/admin/gateways", { token: reader.body.token })).status, 401);
    // A gateway token needs what a gateway token amounts to.
    const gwAdmin = await scopedToken(base, ["tokens:write", ...GATEWAY_TOKEN_AUTHORITY]);
    assert.equal(
      (await call(base, "DELETE", `/v1/admin/tokens/${gwTokenId}`, { token: gwAdmin })).status,
      204,
    );
    assert.equal(
      (await call(base, "DELETE", `/v1/admin/tokens/${revoker.body.id}`, { token: revoker.body.token }))
        .status,
      204,
    );
    const audit = await call(base, "GET", "/v1/admin/audit?action=token_revoked", { token: ADMIN_TOKEN });
    assert.deepEqual(
      audit.body.items.map((e: { subject: string }) => e.subject),
      [revoker.body.id, gwTokenId, reader.body.id],
    );
  });

  t(
    "finding 3: future-dated events are clamped to the receipt time and cannot pin the log or dodge pruning",
    async ({ base, clock }) => {
      const evil = await createGateway(base, "evil");
      const good = await createGateway(base, "good");
      const poisoned = Array.from({ length: 5 }, (_, i) => ({
        id: `p${i}`,
        verdict: "allow",
        timestamp: "9999-12-31T23:59:59Z",
      }));
      const posted = await call(base, "POST", "/v1/events", {
        token: evil.token,
        json: { events: poisoned },
      });
      assert.equal(posted.status, 202, posted.text);
      const receivedEvil = clock.now().getTime();
      clock.advance(60);
      assert.equal(
        (await call(base, "POST", "/v1/events", {
          token: good.token,
          json: { events: [{ id: "g1", verdict: "block", timestamp: clock.now().toISOString() }] },
        })).status,
        202,
      );
      const newest = await call(base, "GET", "/v1/events?limit=1", { token: ADMIN_TOKEN });
      assert.equal(newest.body.items[0].id, "g1", "the latest received event comes first");
      const all =
        (await call(base, "GET", `/v1/events?gateway_id=${evil.id}`, { token: ADMIN_TOKEN })).body.items;
      assert.equal(all.length, 5);
      for (const e of all) {
        assert.equal(e.sent_timestamp, "9999-12-31T23:59:59.000Z", "the stamp as sent is kept");
        assert.equal(
          e.timestamp,
          new Date(receivedEvil + 300_000).toISOString(),
          "clamped to receipt + skew",
        );
        assert.equal(e.received_at, new Date(receivedEvil).toISOString());
      }
      // An old stamp is clamped the other way.
      clock.advance(1);
      const past = await call(base, "POST", "/v1/events", {
        token: good.token,
        json: { events: [{ id: "old", verdict: "allow", timestamp: "2000-01-01T00:00:00Z" }] },
      });
      assert.equal(past.status, 202);
      const old = (await call(base, "GET", "/v1/events?limit=1", { token: ADMIN_TOKEN })).body.items[0];
      assert.equal(old.timestamp, new Date(clock.now().getTime() - 300_000).toISOString());
      // Retention counts from receipt: the poisoned events go like any others.
      clock.advance(31 * 86_400);
      await call(base, "POST", "/v1/events", {
        token: good.token,
        json: { events: [{ id: "g2", verdict: "allow" }] },
      });
      const left = (await call(base, "GET", "/v1/events", { token: ADMIN_TOKEN })).body.items;
      assert.deepEqual(left.map((e: { id: string }) => e.id), ["g2"]);
    },
  );

  t(
    "events: a per-gateway rate limit answers 429 with Retry-After and stores nothing of the batch",
    async ({ base, clock }) => {
      const a = await createGateway(base, "a");
      const b = await createGateway(base, "b");
      const batch = (prefix: string, n: number) => ({
        events: Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, verdict: "allow" })),
      });
      assert.equal(
        (await call(base, "POST", "/v1/events", { token: a.token, json: batch("x", 20) })).status,
        202,
      );
      const limited = await call(base, "POST", "/v1/events", { token: a.token, json: batch("y", 15) });
      assert.equal(limited.status, 429, limited.text);
      assert.equal(limited.body.error.code, "rate_limited");
      assert.equal(limited.body.error.type, "rate_limit");
      assert.equal(limited.headers.get("retry-after"), "2", "15 events at 10 a second");
      assert.equal(
        (await call(base, "POST", "/v1/events", { token: b.token, json: batch("z", 20) })).status,
        202,
        "another gateway has its own budget",
      );
      const stored =
        (await call(base, "GET", `/v1/events?gateway_id=${a.id}&limit=100`, { token: ADMIN_TOKEN }))
          .body.items;
      assert.equal(stored.length, 20, "the refused batch left nothing behind");
      clock.advance(2);
      const retried = await call(base, "POST", "/v1/events", { token: a.token, json: batch("y", 15) });
      assert.equal(retried.status, 202, "after Retry-After the batch is accepted");
    },
    { eventRateLimit: 10, eventBurst: 20, maxEventsPerBatch: 20 },
  );

  t("finding 4: since, limit and history are validated with 400s, never a 500", async ({ base }) => {
    const gw = await createGateway(base, "edge");
    const bad: Array<[string, RegExp]> = [
      ["/v1/events?since=999999999w", /100 years/],
      ["/v1/events?since=36501d", /100 years/],
      ["/v1/events?since=tomorrow", /RFC 3339/],
      ["/v1/events?limit=0", /1 to 1000/],
      ["/v1/events?limit=1001", /1 to 1000/],
      ["/v1/events?limit=12abc", /1 to 1000/],
      [`/v1/admin/gateways/${gw.id}?history=lots`, /history/],
      [`/v1/admin/gateways/${gw.id}?history=101`, /history/],
      ["/v1/admin/audit?since=999999999w", /100 years/],
      ["/v1/admin/audit?limit=-1", /limit/],
      ["/v1/admin/audit?action=everything", /action/],
    ];
    for (const [path, message] of bad) {
      const r = await call(base, "GET", path, { token: ADMIN_TOKEN });
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.equal(r.body.error.code, "invalid_parameter", path);
      assert.match(r.body.error.message, message, path);
    }
    assert.equal((await call(base, "GET", "/v1/events?since=36500d", { token: ADMIN_TOKEN })).status, 200);
  });

  const calls: string[] = [];
  /** The store, recording the name of every method called on it in `calls`. */
  const counting = (store: Store): Store =>
    new Proxy(store, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          calls.push(String(prop));
          return value.apply(target, args);
        };
      },
    });
  t("finding 4: /metrics needs metrics:read and a scrape costs no store listing", async ({ base, clock }) => {
    const gw = await createGateway(base, "edge");
    assert.equal((await call(base, "GET", "/metrics")).status, 401);
    assert.equal((await call(base, "GET", "/metrics", { token: gw.token })).status, 403);
    const reader = await scopedToken(base, ["configurations:read", "gateways:read", "events:read"]);
    assert.equal((await call(base, "GET", "/metrics", { token: reader })).status, 403);
    const scrape = await scopedToken(base, ["metrics:read"]);
    const storeCalls = () => calls.splice(0).filter((c) => c !== "findTokenByHash");
    storeCalls();
    for (let i = 0; i < 5; i++) {
      const m = await call(base, "GET", "/metrics", { token: scrape });
      assert.equal(m.status, 200);
      assert.match(m.text, /keeptrusts_control_plane_gateways\{status="offline"\} 1/);
    }
    assert.deepEqual(
      storeCalls(),
      ["gatewayLiveness", "countConfigVersions"],
      "one refresh for five scrapes",
    );
    clock.advance(15);
    await call(base, "GET", "/metrics", { token: scrape });
    assert.deepEqual(storeCalls(), ["gatewayLiveness", "countConfigVersions"], "refreshed after 15 s");
  }, { metricsCacheSeconds: 15, wrapStore: counting });
}

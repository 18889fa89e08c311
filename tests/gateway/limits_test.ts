import assert from "node:assert/strict";
import { chat, configDoc, startGateway } from "../helpers/gateway.ts";
import { ConcurrencyGate, MemoryCounterStore } from "../../src/gateway/limits.ts";
import { GatewayError } from "../../src/gateway/errors.ts";

Deno.test("limits: global rate limit answers 429 rate_limited with Retry-After before any upstream call", async () => {
  await using gw = await startGateway(
    configDoc({ global_rate_limit: { max_requests: 3, window_seconds: 60 } }),
  );
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await gw.post("/v1/chat/completions", chat("hi"));
    statuses.push(res.status);
    if (res.status === 429) {
      assert.ok(Number(res.headers.get("retry-after")) >= 1);
      const body = await res.json();
      assert.equal(body.error.code, "rate_limited");
      assert.equal(body.error.type, "rate_limit");
    } else await res.body?.cancel();
  }
  assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
  assert.equal(
    gw.audit.events.filter((e) => e.target_id !== null).length,
    3,
    "refused requests never reached a target",
  );
});

Deno.test("limits: per-user limits count each x-user-id separately", async () => {
  await using gw = await startGateway(
    configDoc({ user_rate_limit: { max_requests: 1, window_seconds: 60 } }),
  );
  const a1 = await gw.post("/v1/chat/completions", chat("x"), { "x-user-id": "alice" });
  const a2 = await gw.post("/v1/chat/completions", chat("x"), { "x-user-id": "alice" });
  const b1 = await gw.post("/v1/chat/completions", chat("x"), { "x-user-id": "bob" });
  assert.deepEqual([a1.status, a2.status, b1.status], [200, 429, 200]);
  await Promise.all([a1, a2, b1].map((r) => r.body?.cancel()));
});

Deno.test("limits: per-IP limits use the socket address, X-Forwarded-For only with trusted proxies", async () => {
  await using gw = await startGateway(configDoc({ ip_rate_limit: { max_requests: 1, window_seconds: 60 } }));
  const a = await gw.post("/v1/chat/completions", chat("x"), { "x-forwarded-for": "10.0.0.1" });
  const b = await gw.post("/v1/chat/completions", chat("x"), { "x-forwarded-for": "10.0.0.2" });
  assert.deepEqual([a.status, b.status], [200, 429], "spoofed XFF is ignored without trust_proxy_depth");
  await Promise.all([a, b].map((r) => r.body?.cancel()));
  await using gw2 = await startGateway(
    configDoc({ ip_rate_limit: { max_requests: 1, window_seconds: 60, trust_proxy_depth: 1 } }),
  );
  const c = await gw2.post("/v1/chat/completions", chat("x"), { "x-forwarded-for": "10.0.0.1" });
  const d = await gw2.post("/v1/chat/completions", chat("x"), { "x-forwarded-for": "10.0.0.2" });
  assert.deepEqual([c.status, d.status], [200, 200]);
  await Promise.all([c, d].map((r) => r.body?.cancel()));
});

Deno.test("limits: token budget reserves max_tokens up front and answers 429 budget_exceeded", async () => {
  await using gw = await startGateway(
    configDoc({ token_rate_limit: { max_tokens: 1000, window_seconds: 60 } }),
  );
  const a = await gw.post("/v1/chat/completions", chat("x", { max_tokens: 600 }));
  assert.equal(a.status, 200);
  await a.body?.cancel();
  // The first request used few tokens, so its reservation was settled down; 600 more still fit.
  const b = await gw.post("/v1/chat/completions", chat("x", { max_tokens: 600 }));
  assert.equal(b.status, 200);
  await b.body?.cancel();
  const c = await gw.post("/v1/chat/completions", chat("x", { max_tokens: 1000 }));
  assert.equal(c.status, 429);
  assert.equal((await c.json()).error.code, "budget_exceeded");
});

Deno.test("limits: concurrency gate queues up to its bound, then sheds with 503 overloaded", async () => {
  const gate = new ConcurrencyGate(2, 1, 5_000);
  const r1 = gate.acquire() as () => void;
  const r2 = gate.acquire() as () => void;
  assert.equal(typeof r1, "function");
  const queued = gate.acquire();
  assert.ok(queued instanceof Promise);
  assert.equal(gate.queued, 1);
  assert.throws(
    () => gate.acquire(),
    (e: unknown) => e instanceof GatewayError && e.code === "overloaded" && e.status === 503,
  );
  r1();
  const r3 = await queued;
  assert.equal(gate.active, 2);
  r2();
  r3();
  r3(); // releasing twice is harmless
  assert.equal(gate.active, 0);
});

Deno.test("limits: a queued request that waits too long gets 503 overloaded", async () => {
  const gate = new ConcurrencyGate(1, 1, 20);
  const r1 = gate.acquire() as () => void;
  await assert.rejects(
    Promise.resolve(gate.acquire()),
    (e: unknown) => e instanceof GatewayError && e.code === "overloaded",
  );
  r1();
});

Deno.test("limits: the in-memory counter store stays bounded under many keys", () => {
  const store = new MemoryCounterStore(100);
  for (let i = 0; i < 1000; i++) store.take(`k${i}`, 1, 10, 60_000);
  // Internal size is not exposed; taking a fresh key must still work and old keys were evicted.
  assert.equal(store.take("k0", 1, 1, 60_000).allowed, true, "k0 was evicted, so it starts a fresh window");
});

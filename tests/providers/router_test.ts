import assert from "node:assert/strict";
import { closedPort, type MockUpstream, startMockUpstream } from "../helpers/mock_upstream.ts";
import { createRouterState, type ProviderTarget, RoutingError } from "../../src/providers/mod.ts";
import { compile, request } from "./_util.ts";

const chat = { model: "m", messages: [{ role: "user", content: "hi" }] };
const oa = (id: string, up: MockUpstream | string, extra: Record<string, unknown> = {}) => ({
  id,
  provider: "openai",
  base_url: typeof up === "string" ? up : up.baseUrl,
  ...extra,
});
const ids = (ts: readonly ProviderTarget[]) => ts.map((t) => t.id);

Deno.test("router: falls back on 429 and 5xx, records attempts", async () => {
  await using a = startMockUpstream();
  await using b = startMockUpstream();
  await using c = startMockUpstream();
  a.failNext(429);
  b.failNext(502);
  const p = compile({ targets: [oa("a", a), oa("b", b), oa("c", c)] });
  const plan = p.router.plan("chat", "m");
  assert.deepEqual(ids(plan), ["a", "b", "c"]);
  const d = await p.router.dispatch(request("chat", chat), plan);
  assert.equal(d.target.id, "c");
  assert.equal(d.response.status, 200);
  await d.response.body?.cancel();
  assert.deepEqual(d.attempts.map((x) => [x.targetId, x.status]), [["a", 429], ["b", 502], ["c", 200]]);
  assert.ok(d.upstreamLatencyMs >= 0);
  p.close();
});

Deno.test("router: a 400 passes through without fallback", async () => {
  await using a = startMockUpstream();
  await using b = startMockUpstream();
  a.failNext(400);
  const p = compile({ targets: [oa("a", a), oa("b", b)] });
  const d = await p.router.dispatch(request("chat", chat), p.router.plan("chat", "m"));
  assert.equal(d.response.status, 400);
  assert.equal(d.target.id, "a");
  assert.equal((await d.response.json()).error.type, "invalid_request_error");
  assert.equal(b.requests.length, 0);
  p.close();
});

Deno.test("router: falls back on connection refused and on timeout", async () => {
  await using hang = startMockUpstream();
  await using ok = startMockUpstream();
  hang.hangNext();
  const p = compile({
    targets: [
      oa("dead", `http://127.0.0.1:${closedPort()}/v1`),
      oa("slow", hang, { timeout_ms: 100 }),
      oa("ok", ok),
    ],
  });
  const d = await p.router.dispatch(request("chat", chat), p.router.plan("chat", "m"));
  assert.equal(d.target.id, "ok");
  await d.response.body?.cancel();
  assert.deepEqual(d.attempts.map((x) => x.failure ?? x.status), ["connection_error", "timeout", 200]);
  p.close();
  await hang.close();
});

Deno.test("router: max_fallback_attempts bounds tries; final 5xx → upstream_failed naming targets", async () => {
  await using a = startMockUpstream({ defaultBehavior: { kind: "status", status: 500 } });
  await using b = startMockUpstream({ defaultBehavior: { kind: "status", status: 503 } });
  await using c = startMockUpstream();
  const p = compile({
    fallback: { max_fallback_attempts: 1 },
    targets: [oa("a", a), oa("b", b), oa("c", c)],
  });
  const err = await p.router.dispatch(request("chat", chat), p.router.plan("chat", "m")).catch((e) => e);
  assert.ok(err instanceof RoutingError);
  assert.equal(err.code, "upstream_failed");
  assert.match(err.message, /a \(status 500\)/);
  assert.match(err.message, /b \(status 503\)/);
  assert.doesNotMatch(err.message, /mock upstream failure/, "no bodies in messages");
  assert.equal(err.attempts.length, 2);
  assert.equal(c.requests.length, 0);
  p.close();
});

Deno.test("router: last failure timeout → upstream_timeout", async () => {
  await using a = startMockUpstream({ defaultBehavior: { kind: "status", status: 500 } });
  await using b = startMockUpstream({ defaultBehavior: { kind: "hang" } });
  const p = compile({ targets: [oa("a", a), oa("b", b, { timeout_ms: 80 })] });
  const err = await p.router.dispatch(request("chat", chat), p.router.plan("chat", "m")).catch((e) => e);
  assert.equal(err.code, "upstream_timeout");
  assert.match(err.message, /b \(timeout\)/);
  p.close();
});

Deno.test("router: final 429 passes through so the client sees Retry-After", async () => {
  await using a = startMockUpstream({
    defaultBehavior: { kind: "status", status: 429, headers: { "retry-after": "9" } },
  });
  await using b = startMockUpstream({
    defaultBehavior: { kind: "status", status: 429, headers: { "retry-after": "5" } },
  });
  const p = compile({ targets: [oa("a", a), oa("b", b)] });
  const d = await p.router.dispatch(request("chat", chat), p.router.plan("chat", "m"));
  assert.equal(d.response.status, 429);
  assert.equal(d.response.headers.get("retry-after"), "5");
  assert.equal(d.attempts.length, 2);
  await d.response.body?.cancel();
  p.close();
});

Deno.test("router: triggers not configured → no fallback for that class", async () => {
  await using a = startMockUpstream({ defaultBehavior: { kind: "status", status: 500 } });
  await using b = startMockUpstream();
  const p = compile({ fallback: { triggers: ["rate_limit"] }, targets: [oa("a", a), oa("b", b)] });
  const d = await p.router.dispatch(request("chat", chat), p.router.plan("chat", "m"));
  assert.equal(d.response.status, 500);
  await d.response.body?.cancel();
  const p2 = compile({
    fallback: { triggers: ["server_error"] },
    targets: [oa("dead", `http://127.0.0.1:${closedPort()}/v1`), oa("b", b)],
  });
  const err = await p2.router.dispatch(request("chat", chat), p2.router.plan("chat", "m")).catch((e) => e);
  assert.equal(err.code, "upstream_failed");
  assert.equal(b.requests.length, 0);
  p.close();
  p2.close();
});

Deno.test("router: empty plan → no_target", async () => {
  const p = compile({ targets: [{ id: "m", provider: "mock" }] });
  const err = await p.router.dispatch(request("chat", chat), []).catch((e) => e);
  assert.ok(err instanceof RoutingError);
  assert.equal(err.code, "no_target");
  p.close();
});

Deno.test("router: circuit breaker opens, half-opens after cooldown with one probe, closes on success", async () => {
  await using a = startMockUpstream({ defaultBehavior: { kind: "status", status: 500 } });
  const state = createRouterState();
  const section = {
    circuit_breaker: { threshold: 2, cooldown_seconds: 0.15 },
    fallback: { max_fallback_attempts: 0 },
    targets: [oa("a", a), { id: "backup", provider: "mock" }],
  };
  const p = compile(section, { state });
  for (let i = 0; i < 2; i++) {
    await assert.rejects(p.router.dispatch(request("chat", chat), p.router.plan("chat", "m").slice(0, 1)));
  }
  assert.equal(p.router.health().a, "open_circuit");
  assert.deepEqual(ids(p.router.plan("chat", "m")), ["backup"]);
  // state survives a config reload (same RouterState)
  const p2 = compile(section, { state });
  assert.deepEqual(ids(p2.router.plan("chat", "m")), ["backup"]);
  await new Promise((r) => setTimeout(r, 170));
  assert.deepEqual(ids(p2.router.plan("chat", "m")), ["a", "backup"], "half-open admits a probe");
  // failed probe re-opens
  await assert.rejects(p2.router.dispatch(request("chat", chat), [p2.targets[0]]));
  assert.deepEqual(ids(p2.router.plan("chat", "m")), ["backup"]);
  await new Promise((r) => setTimeout(r, 170));
  a.defaultBehavior = { kind: "delay", ms: 50 };
  const probe = p2.router.dispatch(request("chat", chat), [p2.targets[0]]);
  // while the probe is in flight nobody else gets the target
  assert.deepEqual(ids(p2.router.plan("chat", "m")), ["backup"]);
  const d = await probe;
  assert.equal(d.response.status, 200);
  await d.response.body?.cancel();
  assert.equal(p2.router.health().a, "available");
  assert.deepEqual(ids(p2.router.plan("chat", "m")), ["a", "backup"]);
  p.close();
  p2.close();
});

Deno.test("router: weighted split follows weights over 2000 plans", () => {
  const p = compile({
    routing: { strategy: "weighted" },
    targets: [
      { id: "a", provider: "mock", weight: 1 },
      { id: "b", provider: "mock", weight: 3 },
      { id: "z", provider: "mock", weight: 0 },
    ],
  });
  const counts: Record<string, number> = { a: 0, b: 0, z: 0 };
  for (let i = 0; i < 2000; i++) {
    const plan = p.router.plan("chat", undefined);
    counts[plan[0].id]++;
    assert.equal(plan.length, 3);
    assert.equal(plan[2].id, "z");
  }
  assert.ok(Math.abs(counts.a - 500) <= 40, `a=${counts.a}`);
  assert.ok(Math.abs(counts.b - 1500) <= 40, `b=${counts.b}`);
  assert.equal(counts.z, 0);
  p.close();
});

Deno.test("router: round robin rotates the first target", () => {
  const p = compile({
    routing: { strategy: "round_robin" },
    targets: [{ id: "a", provider: "mock" }, { id: "b", provider: "mock" }, { id: "c", provider: "mock" }],
  });
  const firsts = Array.from({ length: 6 }, () => p.router.plan("chat", undefined)[0].id);
  assert.deepEqual(firsts, ["a", "b", "c", "a", "b", "c"]);
  assert.deepEqual(ids(p.router.plan("chat", undefined)), ["a", "b", "c"]);
  assert.deepEqual(ids(p.router.plan("chat", undefined)), ["b", "c", "a"]);
  p.close();
});

Deno.test("router: lowest_latency tries untried targets first, then prefers the fastest", async () => {
  await using slow = startMockUpstream({ defaultBehavior: { kind: "delay", ms: 60 } });
  await using fast = startMockUpstream();
  const p = compile({
    routing: { strategy: "lowest_latency" },
    targets: [oa("slow", slow), oa("fast", fast)],
  });
  assert.deepEqual(ids(p.router.plan("chat", "m")), ["slow", "fast"]);
  let d = await p.router.dispatch(request("chat", chat), p.router.plan("chat", "m"));
  await d.response.body?.cancel();
  assert.equal(d.target.id, "slow");
  assert.deepEqual(ids(p.router.plan("chat", "m")), ["fast", "slow"], "untried first");
  d = await p.router.dispatch(request("chat", chat), p.router.plan("chat", "m"));
  await d.response.body?.cancel();
  assert.equal(d.target.id, "fast");
  assert.deepEqual(ids(p.router.plan("chat", "m")), ["fast", "slow"]);
  p.close();
});

Deno.test("router: model routes and id/model matches go first; filter and api support apply", () => {
  const p = compile({
    routing: { strategy: "ordered", routes: [{ model: "claude-*", targets: ["an2", "an1"] }] },
    targets: [
      { id: "m1", provider: "mock", model: "gpt-4o" },
      { id: "an1", provider: "anthropic", base_url: "http://127.0.0.1:9/v1" },
      { id: "an2", provider: "anthropic", base_url: "http://127.0.0.1:9/v1" },
      { id: "m2", provider: "mock", model: "gpt-4o-mini" },
    ],
  });
  assert.deepEqual(ids(p.router.plan("chat", "claude-3-haiku")), ["an2", "an1", "m1", "m2"]);
  assert.deepEqual(ids(p.router.plan("chat", "gpt-4o-mini")), ["m2", "m1", "an1", "an2"]);
  assert.deepEqual(ids(p.router.plan("chat", "m2")), ["m2", "m1", "an1", "an2"]);
  assert.deepEqual(ids(p.router.plan("embeddings", "claude-3")), ["m1", "m2"]);
  assert.deepEqual(ids(p.router.plan("chat", "gpt-4o", (t) => t.provider === "mock")), ["m1", "m2"]);
  p.close();
});

Deno.test("router: client abort stops the dispatch without touching the breaker", async () => {
  await using a = startMockUpstream({ defaultBehavior: { kind: "hang" } });
  const p = compile({ circuit_breaker: { threshold: 1 }, targets: [oa("a", a)] });
  const ac = new AbortController();
  const pending = p.router.dispatch(request("chat", chat, { signal: ac.signal }), p.router.plan("chat", "m"));
  setTimeout(() => ac.abort(new DOMException("client gone", "AbortError")), 30);
  const err = await pending.catch((e) => e);
  assert.equal(err.name, "AbortError");
  assert.equal(p.router.health().a, "available");
  p.close();
});

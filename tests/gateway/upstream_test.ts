/** Streaming, fallback, timeouts, circuit breaking and hot swaps through the running gateway. */
import assert from "node:assert/strict";
import { chat, configDoc, startGateway } from "../helpers/gateway.ts";
import { closedPort, startMockUpstream } from "../helpers/mock_upstream.ts";

const openaiTarget = (id: string, baseUrl: string, extra: Record<string, unknown> = {}) => ({
  id,
  provider: "openai",
  base_url: baseUrl,
  secret_key_ref: { env: "UP_KEY" },
  ...extra,
});
const env = { UP_KEY: "sk-test-upstream-key-0123456789" };

Deno.test("upstream: SSE is forwarded chunk by chunk (first chunk arrives before the stream ends)", async () => {
  await using up = startMockUpstream({
    reply: { text: "one two three four five six seven eight", chunkDelayMs: 150 },
  });
  await using gw = await startGateway(
    configDoc({ providers: { targets: [openaiTarget("a", up.baseUrl)] } }),
    { env },
  );
  const started = performance.now();
  const res = await gw.post(
    "/v1/chat/completions",
    chat("x", { stream: true, stream_options: { include_usage: true } }),
  );
  assert.equal(res.headers.get("content-type"), "text/event-stream");
  const reader = res.body!.getReader();
  const first = await reader.read();
  const firstAt = performance.now() - started;
  let text = new TextDecoder().decode(first.value);
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    text += new TextDecoder().decode(r.value);
  }
  const total = performance.now() - started;
  assert.ok(firstAt < total / 2, `first chunk at ${firstAt.toFixed(0)} ms of ${total.toFixed(0)} ms`);
  assert.match(text, /data: \[DONE\]/);
  assert.match(text, /"usage"/, "usage chunk kept");
  const event = gw.audit.events.at(-1)!;
  assert.ok(event.output_tokens! > 0, "usage reached the decision event");
});

Deno.test("upstream: a client disconnect mid-stream cancels the upstream request", async () => {
  await using up = startMockUpstream();
  up.stallNext(1);
  await using gw = await startGateway(
    configDoc({ providers: { targets: [openaiTarget("a", up.baseUrl)] } }),
    { env },
  );
  const res = await gw.post("/v1/chat/completions", chat("x", { stream: true }));
  const reader = res.body!.getReader();
  await reader.read();
  await reader.cancel();
  // The decision event is written when the stream ends; cancel must end it promptly.
  for (let i = 0; i < 50 && gw.audit.events.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(gw.audit.events.length, 1);
  assert.equal(gw.audit.events[0].error_code, "upstream_failed");
});

Deno.test("upstream: fallback on 429, 5xx and connection refused, within max_fallback_attempts", async () => {
  await using a = startMockUpstream();
  await using b = startMockUpstream({ reply: { text: "from b" } });
  const dead = `http://127.0.0.1:${closedPort()}/v1`;
  await using gw = await startGateway(
    configDoc({
      providers: {
        fallback: { max_fallback_attempts: 2 },
        targets: [openaiTarget("dead", dead), openaiTarget("a", a.baseUrl), openaiTarget("b", b.baseUrl)],
      },
    }),
    { env },
  );
  a.failNext(429, 1);
  const r1 = await gw.post("/v1/chat/completions", chat("x"));
  assert.equal(r1.status, 200);
  assert.equal((await r1.json()).choices[0].message.content, "from b");
  assert.equal(gw.audit.events.at(-1)!.target_id, "b");
  a.failNext(503, 1);
  const r2 = await gw.post("/v1/chat/completions", chat("x"));
  assert.equal((await r2.json()).choices[0].message.content, "from b");
});

Deno.test("upstream: every target failing gives 502 upstream_failed; a timeout gives 504 upstream_timeout", async () => {
  await using a = startMockUpstream();
  await using gw = await startGateway(
    configDoc({
      providers: {
        fallback: { max_fallback_attempts: 0 },
        targets: [openaiTarget("a", a.baseUrl, { timeout_ms: 200 })],
      },
    }),
    { env },
  );
  a.failNext(500, 1, { body: { error: { message: "boom sk-test-upstream-key-0123456789" } } });
  const r1 = await gw.post("/v1/chat/completions", chat("x"));
  assert.equal(r1.status, 502);
  const e1 = await r1.json();
  assert.equal(e1.error.code, "upstream_failed");
  assert.equal(e1.error.type, "upstream_error");
  assert.ok(!JSON.stringify(e1).includes(env.UP_KEY), "no secret in the error body");
  a.hangNext(1);
  const r2 = await gw.post("/v1/chat/completions", chat("x"));
  assert.equal(r2.status, 504);
  assert.equal((await r2.json()).error.code, "upstream_timeout");
});

Deno.test("upstream: provider 4xx (client's fault) passes through with the provider's status and body", async () => {
  await using a = startMockUpstream();
  await using gw = await startGateway(configDoc({ providers: { targets: [openaiTarget("a", a.baseUrl)] } }), {
    env,
  });
  a.failNext(400, 1, { body: { error: { message: "bad param", type: "invalid_request_error" } } });
  const res = await gw.post("/v1/chat/completions", chat("x"));
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error.message, "bad param");
});

Deno.test("upstream: the circuit opens after threshold failures and /health reports it", async () => {
  await using a = startMockUpstream();
  await using b = startMockUpstream({ reply: { text: "b" } });
  await using gw = await startGateway(
    configDoc({
      providers: {
        circuit_breaker: { threshold: 2, cooldown_seconds: 60 },
        fallback: { max_fallback_attempts: 1 },
        targets: [openaiTarget("a", a.baseUrl), openaiTarget("b", b.baseUrl)],
      },
    }),
    { env },
  );
  a.failNext(500, 5);
  for (let i = 0; i < 2; i++) await (await gw.post("/v1/chat/completions", chat("x"))).body?.cancel();
  const health = await (await fetch(`${gw.url}/health`)).json();
  assert.equal(health.providers.a, "open_circuit");
  assert.equal(health.status, "degraded");
  const before = a.requests.length;
  await (await gw.post("/v1/chat/completions", chat("x"))).body?.cancel();
  assert.equal(a.requests.length, before, "an open circuit is skipped");
});

Deno.test("upstream: a target whose secret is unset is unavailable in /health, not fatal", async () => {
  await using a = startMockUpstream();
  await using gw = await startGateway(
    configDoc({
      providers: {
        targets: [openaiTarget("nokey", a.baseUrl, { secret_key_ref: { env: "KT_TEST_UNSET_KEY" } }), {
          id: "m",
          provider: "mock",
        }],
      },
    }),
    { env: {} },
  );
  const health = await (await fetch(`${gw.url}/health`)).json();
  assert.equal(health.providers.nokey, "unavailable");
  assert.equal(health.status, "degraded");
  const res = await gw.post("/v1/chat/completions", chat("x"));
  assert.equal(res.status, 200, "the mock target serves");
  await res.body?.cancel();
  assert.ok(gw.logs.some((l) => l.includes("KT_TEST_UNSET_KEY")), "the log names the missing variable");
});

Deno.test("upstream: hot swap under concurrent traffic: zero failures, each response carries a version active during it", async () => {
  await using up = startMockUpstream({ reply: { text: "a b c d e f", chunkDelayMs: 2 } });
  const doc = (version: string) =>
    configDoc({ providers: { targets: [openaiTarget("a", up.baseUrl)] } }, version);
  await using gw = await startGateway(doc("1.0.0"), { env });
  const { loaded } = await import("../helpers/gateway.ts");
  const versions = ["1.0.0", "2.0.0"].map((v) => loaded(doc(v), env));
  const failures: string[] = [];
  let completed = 0;
  let stop = false;
  let swaps = 0;
  const deadline = Date.now() + 3000;
  // Every swap is numbered; a response is correct when its version was active at some point
  // between the request's start and its end.
  const history: string[] = [gw.gateway.snapshot!.version];
  const client = async () => {
    while (!stop && Date.now() < deadline) {
      const from = history.length - 1;
      const stream = completed % 2 === 0;
      const res = await gw.post("/v1/chat/completions", chat("x", { stream }));
      const body = await res.text();
      const v = res.headers.get("x-keeptrusts-config-version");
      if (res.status !== 200 || (stream ? !body.includes("[DONE]") : !body.includes("choices"))) {
        failures.push(`${res.status} ${body.slice(0, 100)}`);
      }
      if (!history.slice(from).includes(v!)) failures.push(`version ${v} was not active during the request`);
      completed++;
    }
  };
  const swapper = async () => {
    for (let i = 1; i <= 40 && Date.now() < deadline; i++) {
      gw.gateway.apply(versions[i % 2]);
      history.push(versions[i % 2].config.pack.version);
      swaps++;
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  await Promise.all([...Array.from({ length: 20 }, client), swapper().then(() => (stop = true))]);
  assert.deepEqual(failures, []);
  assert.ok(completed > 100, `completed ${completed}`);
  assert.ok(swaps >= 20, `swapped ${swaps} times`);
});

Deno.test("upstream: a stream in flight finishes on the snapshot it started with", async () => {
  await using up = startMockUpstream({ reply: { text: "w1 w2 w3 w4 w5 w6 w7 w8 w9", chunkDelayMs: 40 } });
  const doc = (version: string) =>
    configDoc({ providers: { targets: [openaiTarget("a", up.baseUrl)] } }, version);
  await using gw = await startGateway(doc("1.0.0"), { env });
  const { loaded } = await import("../helpers/gateway.ts");
  const res = await gw.post("/v1/chat/completions", chat("x", { stream: true }));
  gw.gateway.apply(loaded(doc("2.0.0"), env));
  const text = await res.text();
  assert.equal(res.headers.get("x-keeptrusts-config-version"), "1.0.0");
  assert.match(text, /\[DONE\]/);
  assert.equal(gw.audit.events.at(-1)!.config_version, "1.0.0");
  const next = await gw.post("/v1/chat/completions", chat("x"));
  assert.equal(next.headers.get("x-keeptrusts-config-version"), "2.0.0");
  await next.body?.cancel();
});

Deno.test("upstream: traceparent and x-request-id are propagated; client credentials are not", async () => {
  await using up = startMockUpstream();
  await using gw = await startGateway(
    configDoc({ providers: { targets: [openaiTarget("a", up.baseUrl)] } }),
    { env },
  );
  const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const res = await gw.post("/v1/chat/completions", chat("x"), {
    traceparent: tp,
    "x-request-id": "trace-me-1",
    authorization: "Bearer client-secret-token",
  });
  await res.body?.cancel();
  assert.equal(up.lastRequest.headers.traceparent, tp);
  assert.equal(up.lastRequest.headers["x-request-id"], "trace-me-1");
  assert.equal(up.lastRequest.headers.authorization, `Bearer ${env.UP_KEY}`);
});

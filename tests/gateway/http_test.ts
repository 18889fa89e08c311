import assert from "node:assert/strict";
import { chat, configDoc, startGateway } from "../helpers/gateway.ts";

async function errorOf(
  res: Response,
): Promise<{ type: string; code: string; message: string; request_id: string }> {
  assert.equal(res.headers.get("content-type"), "application/json");
  const body = await res.json();
  assert.ok(body.error, JSON.stringify(body));
  for (const k of ["type", "code", "message", "request_id"]) assert.equal(typeof body.error[k], "string", k);
  return body.error;
}

Deno.test("http: health, readiness, liveness, models, metrics and the public config", async () => {
  await using gw = await startGateway(configDoc());
  const healthz = await fetch(`${gw.url}/healthz`);
  assert.equal(healthz.status, 200);
  await healthz.body?.cancel();
  const readyz = await fetch(`${gw.url}/readyz`);
  assert.deepEqual(await readyz.json(), { status: "ready", config_version: "1.0.0" });
  const health = await (await fetch(`${gw.url}/health`)).json();
  assert.equal(health.status, "healthy");
  assert.equal(health.config_version, "1.0.0");
  assert.deepEqual(health.providers, { "mock-a": "available" });
  for (const k of ["version", "uptime_seconds", "policies_loaded", "requests_processed"]) {
    assert.ok(k in health, k);
  }
  const models = await (await fetch(`${gw.url}/v1/models`)).json();
  assert.equal(models.object, "list");
  assert.deepEqual(models.data.map((m: { id: string }) => m.id), ["mock-gpt"]);
  const config = await (await fetch(`${gw.url}/keeptrusts/config`)).json();
  assert.equal(config.version, "1.0.0");
  assert.match(config.digest, /^sha256:/);
  const res = await gw.post("/v1/chat/completions", chat("hi"));
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  for (
    const name of [
      "keeptrusts_gateway_requests_total",
      "keeptrusts_gateway_request_duration_seconds",
      "keeptrusts_gateway_upstream_duration_seconds",
      "keeptrusts_gateway_config_info",
      "keeptrusts_gateway_config_reloads_total",
      "keeptrusts_gateway_inflight_requests",
    ]
  ) assert.ok(metrics.includes(name), name);
  assert.match(
    metrics,
    /keeptrusts_gateway_requests_total\{route="chat",target="mock-a",model="mock-gpt",status="200"\} 1/,
  );
});

Deno.test("http: x-request-id is echoed when given and generated when absent", async () => {
  await using gw = await startGateway(configDoc());
  const a = await gw.post("/v1/chat/completions", chat("hi"), { "x-request-id": "req-123" });
  assert.equal(a.headers.get("x-request-id"), "req-123");
  assert.equal(a.headers.get("x-keeptrusts-config-version"), "1.0.0");
  assert.equal(a.headers.get("x-keeptrusts-decision"), "allow");
  await a.body?.cancel();
  const b = await gw.post("/v1/chat/completions", chat("hi"), { "x-request-id": "bad id with spaces" });
  assert.match(b.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  await b.body?.cancel();
  assert.equal(gw.audit.events[0].request_id, "req-123");
});

const badInputs: Array<[string, RequestInit, number, string]> = [
  ["malformed JSON", { body: "{not json" }, 400, "malformed_json"],
  ["empty body", { body: "" }, 400, "malformed_json"],
  ["a JSON array", { body: "[1,2]" }, 400, "malformed_json"],
  ["missing messages", { body: JSON.stringify({ model: "m" }) }, 400, "missing_field"],
  [
    "missing model",
    { body: JSON.stringify({ messages: [{ role: "user", content: "x" }] }) },
    400,
    "missing_field",
  ],
  [
    "wrong type for messages",
    { body: JSON.stringify({ model: "m", messages: "hello" }) },
    400,
    "invalid_field",
  ],
  [
    "message without role",
    { body: JSON.stringify({ model: "m", messages: [{ content: "x" }] }) },
    400,
    "invalid_field",
  ],
  [
    "wrong type for model",
    { body: JSON.stringify({ model: 5, messages: [{ role: "user", content: "x" }] }) },
    400,
    "invalid_field",
  ],
  ["invalid UTF-8", { body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }, 400, "invalid_encoding"],
  ["deeply nested JSON", { body: "[".repeat(5000) + "]".repeat(5000) }, 400, "too_deeply_nested"],
  [
    "wrong content type",
    { body: "{}", headers: { "content-type": "text/xml" } },
    415,
    "unsupported_media_type",
  ],
];

for (const [name, init, status, code] of badInputs) {
  Deno.test(`http: bad input (${name}) gets ${status} ${code} and the gateway stays healthy`, async () => {
    await using gw = await startGateway(configDoc());
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      ...init,
      headers: { "content-type": "application/json", ...(init.headers as Record<string, string> ?? {}) },
    });
    assert.equal(res.status, status);
    const err = await errorOf(res);
    assert.equal(err.code, code);
    const ok = await gw.post("/v1/chat/completions", chat("still alive?"));
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const event = gw.audit.events[0];
    assert.equal(event.status, status);
    assert.equal(event.error_code, code);
  });
}

Deno.test("http: a huge Content-Length is refused with 413 before the body is read", async () => {
  await using gw = await startGateway(configDoc({ size_limits: { max_body_bytes: 1024 } }));
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(gw.url).port) });
  await conn.write(new TextEncoder().encode(
    "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 10000000000\r\n\r\n{",
  ));
  const buf = new Uint8Array(4096);
  const n = await conn.read(buf);
  conn.close();
  const text = new TextDecoder().decode(buf.subarray(0, n ?? 0));
  assert.match(text, /^HTTP\/1\.1 413/);
  assert.match(text, /body_too_large/);
});

Deno.test("http: a chunked body over the limit is refused with 413 while streaming in", async () => {
  await using gw = await startGateway(configDoc({ size_limits: { max_body_bytes: 1024 } }));
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent > 64) return c.close();
      sent++;
      c.enqueue(new TextEncoder().encode(" ".repeat(100)));
    },
  });
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  assert.equal(res.status, 413);
  assert.equal((await errorOf(res)).code, "body_too_large");
});

Deno.test("http: unknown routes are 404 and wrong methods 405 with Allow", async () => {
  await using gw = await startGateway(configDoc());
  const a = await fetch(`${gw.url}/v1/nothing-here`);
  assert.equal(a.status, 404);
  assert.equal((await errorOf(a)).code, "unknown_route");
  const b = await fetch(`${gw.url}/v1/chat/completions`);
  assert.equal(b.status, 405);
  assert.equal(b.headers.get("allow"), "POST");
  assert.equal((await errorOf(b)).code, "method_not_allowed");
});

Deno.test("http: /keeptrusts/reload is refused from non-loopback and without a reload hook", async () => {
  await using gw = await startGateway(configDoc());
  const res = await fetch(`${gw.url}/keeptrusts/reload`, { method: "POST" });
  assert.equal(res.status, 405);
  await res.body?.cancel();
});

Deno.test("http: not ready before the first config (503 not_ready on API routes and /readyz)", async () => {
  const { Gateway } = await import("../../src/gateway/server.ts");
  const { MemoryAuditSink } = await import("../../src/audit/event.ts");
  const { Logger } = await import("../../src/observability/log.ts");
  const gateway = new Gateway({
    ktVersion: "t",
    audit: new MemoryAuditSink(),
    logger: new Logger({ write: () => {} }),
  });
  const addr = await gateway.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const r = await fetch(`http://127.0.0.1:${addr.port}/readyz`);
    assert.equal(r.status, 503);
    await r.body?.cancel();
    const c = await fetch(`http://127.0.0.1:${addr.port}/v1/chat/completions`, {
      method: "POST",
      body: "{}",
    });
    assert.equal(c.status, 503);
    assert.equal((await errorOf(c)).code, "not_ready");
    assert.equal((await (await fetch(`http://127.0.0.1:${addr.port}/health`)).json()).status, "unhealthy");
  } finally {
    await gateway.shutdown(1000);
  }
});

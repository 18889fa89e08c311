import assert from "node:assert/strict";
import { startMockUpstream } from "../helpers/mock_upstream.ts";
import { compile, request, sseJson } from "./_util.ts";

const chatBody = { model: "gpt-client", messages: [{ role: "user", content: "hi there" }] };

Deno.test("openai: POSTs to base_url/chat/completions with Bearer key and rewrites model", async () => {
  await using up = startMockUpstream();
  const p = compile({
    targets: [{
      id: "oa",
      provider: "openai",
      model: "gpt-4o-mini",
      base_url: up.baseUrl,
      secret_key_ref: { env: "OPENAI_API_KEY" },
    }],
  }, { secrets: { OPENAI_API_KEY: "sk-test-123" } });
  const res = await p.targets[0].send(request("chat", chatBody, {
    headers: { traceparent: "00-abc-def-01", "x-request-id": "r1", authorization: "Bearer client-key" },
  }));
  assert.equal(res.status, 200);
  const j = await res.json();
  assert.equal(j.model, "gpt-4o-mini");
  assert.equal(j.choices[0].message.content, "echo: hi there");
  const r = up.lastRequest;
  assert.equal(r.path, "/v1/chat/completions");
  assert.equal(r.headers.authorization, "Bearer sk-test-123");
  assert.equal(r.headers.traceparent, "00-abc-def-01");
  assert.equal(r.headers["x-request-id"], "r1");
  assert.equal(r.headers["content-type"], "application/json");
  assert.equal(r.body.model, "gpt-4o-mini");
  p.close();
});

Deno.test("openai: forwards raw bytes untouched when no model rewrite is needed", async () => {
  await using up = startMockUpstream();
  const p = compile({ targets: [{ id: "oa", provider: "openai", base_url: up.baseUrl }] });
  const raw = new TextEncoder().encode('{"model":"m",  "messages":[{"role":"user","content":"x"}]}');
  const req = request("chat", { model: "m", messages: [{ role: "user", content: "x" }] });
  await (await p.targets[0].send({ ...req, raw })).body?.cancel();
  assert.equal(up.lastRequest.text, '{"model":"m",  "messages":[{"role":"user","content":"x"}]}');
  assert.equal(up.lastRequest.headers.authorization, undefined, "no key, no client authorization");
  p.close();
});

Deno.test("openai: completions, embeddings and responses paths; anthropic headers not forwarded", async () => {
  await using up = startMockUpstream();
  const p = compile({ targets: [{ id: "oa", provider: "openai", base_url: up.baseUrl + "/" }] });
  const t = p.targets[0];
  for (
    const [api, path] of [["completions", "/v1/completions"], ["embeddings", "/v1/embeddings"], [
      "responses",
      "/v1/responses",
    ]] as const
  ) {
    assert.ok(t.supports(api));
    const res = await t.send(request(api, { model: "m", prompt: "p", input: "i" }, {
      headers: { "anthropic-version": "2023-06-01" },
    }));
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(up.lastRequest.path, path);
    assert.equal(up.lastRequest.headers["anthropic-version"], undefined);
  }
  p.close();
});

Deno.test("openai: streaming chat passes SSE through; response headers filtered", async () => {
  await using up = startMockUpstream();
  const p = compile({ targets: [{ id: "oa", provider: "openai", base_url: up.baseUrl }] });
  const res = await p.targets[0].send(request("chat", { ...chatBody, stream: true }));
  assert.equal(res.headers.get("content-type"), "text/event-stream");
  assert.equal(res.headers.get("cache-control"), null);
  const { data, done } = await sseJson(res);
  assert.ok(done);
  assert.equal(data.map((c) => c.choices[0]?.delta?.content ?? "").join(""), "echo: hi there");
  p.close();
});

Deno.test("openai: 4xx answers pass through with body and retry-after", async () => {
  await using up = startMockUpstream();
  up.failNext(429, 1, { headers: { "retry-after": "7", "set-cookie": "a=b" } });
  const p = compile({ targets: [{ id: "oa", provider: "openai", base_url: up.baseUrl }] });
  const res = await p.targets[0].send(request("chat", chatBody));
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "7");
  assert.equal(res.headers.get("set-cookie"), null);
  assert.equal((await res.json()).error.type, "rate_limit_exceeded");
  p.close();
});

Deno.test("azure: deployment URL, api-version and api-key header", async () => {
  await using up = startMockUpstream();
  const p = compile({
    targets: [
      {
        id: "az",
        provider: "azure",
        model: "gpt-4o",
        base_url: up.url,
        secret_key_ref: { env: "AZ_KEY" },
      },
      {
        id: "az2",
        provider: "azure",
        deployment: "dep-1",
        api_version: "2025-01-01-preview",
        base_url: up.url,
        secret_key_ref: { env: "AZ_KEY" },
      },
    ],
  }, { secrets: { AZ_KEY: "azure-secret" } });
  const [a, b] = p.targets;
  await (await a.send(request("chat", chatBody, { headers: { authorization: "Bearer c" } }))).body?.cancel();
  assert.equal(up.lastRequest.path, "/openai/deployments/gpt-4o/chat/completions");
  assert.equal(up.lastRequest.search, "?api-version=2024-10-21");
  assert.equal(up.lastRequest.headers["api-key"], "azure-secret");
  assert.equal(up.lastRequest.headers.authorization, undefined);
  await (await b.send(request("embeddings", { input: "x" }))).body?.cancel();
  assert.equal(up.lastRequest.path, "/openai/deployments/dep-1/embeddings");
  assert.equal(up.lastRequest.search, "?api-version=2025-01-01-preview");
  assert.equal(a.supports("responses"), false);
  assert.equal(a.supports("messages"), true);
  p.close();
});

Deno.test("azure: missing base_url makes the target unavailable", () => {
  const p = compile({ targets: [{ id: "az", provider: "azure", model: "m" }] });
  assert.equal(p.targets[0].available, false);
  assert.match(p.targets[0].unavailableReason!, /base_url/);
  assert.equal(p.router.health().az, "unavailable");
  p.close();
});

Deno.test("anthropic: native messages with x-api-key, default version, forwarded beta", async () => {
  await using up = startMockUpstream();
  const p = compile({
    targets: [{
      id: "an",
      provider: "anthropic",
      base_url: up.baseUrl,
      secret_key_ref: { env: "ANTHROPIC_API_KEY" },
    }],
  }, { secrets: { ANTHROPIC_API_KEY: "sk-ant-1" } });
  const t = p.targets[0];
  const body = { model: "claude-x", max_tokens: 100, messages: [{ role: "user", content: "yo" }] };
  const res = await t.send(request("messages", body, {
    headers: { "anthropic-beta": "tools-2024", authorization: "Bearer c", "x-api-key": "client" },
  }));
  const j = await res.json();
  assert.equal(j.content[0].text, "echo: yo");
  const r = up.lastRequest;
  assert.equal(r.path, "/v1/messages");
  assert.equal(r.headers["x-api-key"], "sk-ant-1");
  assert.equal(r.headers["anthropic-version"], "2023-06-01");
  assert.equal(r.headers["anthropic-beta"], "tools-2024");
  assert.equal(r.headers.authorization, undefined);
  await (await t.send(request("messages", body, { headers: { "anthropic-version": "2024-01-01" } }))).body
    ?.cancel();
  assert.equal(up.lastRequest.headers["anthropic-version"], "2024-01-01");
  for (const api of ["completions", "embeddings", "responses"] as const) assert.equal(t.supports(api), false);
  assert.equal(t.supports("chat"), true);
  assert.deepEqual(p.router.plan("embeddings", undefined), []);
  p.close();
});

Deno.test("anthropic: streaming messages pass through as SSE", async () => {
  await using up = startMockUpstream();
  const p = compile({
    targets: [{ id: "an", provider: "anthropic", model: "claude-t", base_url: up.baseUrl }],
  });
  const res = await p.targets[0].send(request("messages", {
    model: "c",
    max_tokens: 10,
    stream: true,
    messages: [{ role: "user", content: "a b" }],
  }));
  const { names } = await sseJson(res);
  assert.equal(names[0], "message_start");
  assert.equal(names.at(-1), "message_stop");
  assert.equal(up.lastRequest.body.model, "claude-t");
  p.close();
});

import assert from "node:assert/strict";
import { closedPort, startMockUpstream } from "../helpers/mock_upstream.ts";

const post = (url: string, body: unknown, init: RequestInit = {}) =>
  fetch(url, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
    ...init,
  });

Deno.test("mock upstream: chat JSON echoes model and last user text, records request", async () => {
  await using up = startMockUpstream();
  const res = await post(`${up.baseUrl}/chat/completions`, {
    model: "m1",
    messages: [{ role: "user", content: "hello" }],
  }, { headers: { "x-test": "1" } });
  const j = await res.json();
  assert.equal(j.model, "m1");
  assert.equal(j.choices[0].message.content, "echo: hello");
  assert.equal(up.lastRequest.path, "/v1/chat/completions");
  assert.equal(up.lastRequest.headers["x-test"], "1");
});

Deno.test("mock upstream: failNext, then normal", async () => {
  await using up = startMockUpstream();
  up.failNext(503, 1, { headers: { "retry-after": "2" } });
  const r1 = await post(`${up.baseUrl}/messages`, { model: "c", messages: [] });
  assert.equal(r1.status, 503);
  assert.equal(r1.headers.get("retry-after"), "2");
  assert.equal((await r1.json()).type, "error");
  const r2 = await post(`${up.baseUrl}/messages`, { model: "c", messages: [{ role: "user", content: "x" }] });
  assert.equal((await r2.json()).content[0].text, "echo: x");
});

Deno.test("mock upstream: SSE streams for every API", async () => {
  await using up = startMockUpstream();
  for (const path of ["chat/completions", "completions", "responses", "messages"]) {
    const res = await post(`${up.baseUrl}/${path}`, {
      model: "m",
      stream: true,
      prompt: "a b",
      input: "a b",
      messages: [{ role: "user", content: "a b" }],
    });
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const t = await res.text();
    assert.ok(t.includes("data: "), path);
  }
});

Deno.test("mock upstream: hang ends on client abort; stall ends on close", async () => {
  const up = startMockUpstream();
  up.hangNext();
  const ac = new AbortController();
  const p = post(`${up.baseUrl}/chat/completions`, { model: "m" }, { signal: ac.signal });
  setTimeout(() => ac.abort(), 30);
  await assert.rejects(p);
  up.stallNext(1);
  const res = await post(`${up.baseUrl}/chat/completions`, {
    model: "m",
    stream: true,
    messages: [{ role: "user", content: "a b c" }],
  });
  const reader = res.body!.getReader();
  const first = await reader.read();
  assert.ok(first.value && first.value.length > 0);
  await up.close();
  await reader.read().catch(() => {});
  await reader.cancel().catch(() => {});
});

Deno.test("mock upstream: closedPort refuses connections", async () => {
  const port = closedPort();
  await assert.rejects(fetch(`http://127.0.0.1:${port}/`));
});

import assert from "node:assert/strict";
import { closedPort, startMockUpstream } from "../helpers/mock_upstream.ts";
import { compileProviders, createRouterState, UpstreamError } from "../../src/providers/mod.ts";
import { compile, providers, request } from "./_util.ts";

const chat = { model: "m", messages: [{ role: "user", content: "hi" }] };
const SECRET = "sk-super-secret-value-42";

Deno.test("compile: unresolvable secret makes the target unavailable, naming the variable only", () => {
  const p = compile({
    targets: [
      { id: "oa", provider: "openai", secret_key_ref: { env: "OPENAI_API_KEY" } },
      { id: "an", provider: "anthropic", secret_key_ref: { store: "anthropic-key" } },
      { id: "mock", provider: "mock", secret_key_ref: { env: "NOPE" } },
    ],
  });
  const [oa, an, mock] = p.targets;
  assert.equal(oa.available, false);
  assert.equal(oa.unavailableReason, "secret OPENAI_API_KEY is not set");
  assert.equal(an.available, false);
  assert.match(an.unavailableReason!, /anthropic-key/);
  assert.equal(mock.available, true);
  assert.deepEqual(p.router.health(), { oa: "unavailable", an: "unavailable", mock: "available" });
  assert.deepEqual(p.router.plan("chat", undefined).map((t) => t.id), ["mock"]);
  p.close();
});

Deno.test("compile: secrets never appear in targets, errors or messages", async () => {
  await using up = startMockUpstream({ defaultBehavior: { kind: "status", status: 500 } });
  const dead = `http://127.0.0.1:${closedPort()}/v1`;
  const hang = startMockUpstream({ defaultBehavior: { kind: "hang" } });
  const p = compile({
    targets: [
      { id: "a", provider: "openai", base_url: up.baseUrl, secret_key_ref: { env: "K" } },
      { id: "b", provider: "anthropic", base_url: dead, secret_key_ref: { env: "K" } },
      {
        id: "c",
        provider: "azure",
        model: "d",
        base_url: hang.url,
        secret_key_ref: { env: "K" },
        timeout_ms: 50,
      },
    ],
    fallback: { max_fallback_attempts: 5 },
  }, { secrets: { K: SECRET } });
  const dump = JSON.stringify(p.targets) + Deno.inspect(p.targets, { depth: 10, showHidden: true }) +
    Deno.inspect(p.router, { depth: 10 });
  assert.ok(!dump.includes(SECRET));
  for (const t of p.targets) {
    const err = await t.send(request("chat", chat)).then(async (r) => {
      await r.body?.cancel();
      return undefined;
    }, (e) => e);
    if (err) {
      assert.ok(err instanceof UpstreamError);
      const all = `${err.message} ${err.stack} ${Deno.inspect(err, { depth: 10 })}`;
      assert.ok(!all.includes(SECRET), `${t.id}: ${all}`);
    }
  }
  const err = await p.router.dispatch(request("chat", chat), p.router.plan("chat", "m")).catch((e) => e);
  assert.ok(!`${err.message} ${Deno.inspect(err, { depth: 10 })}`.includes(SECRET));
  p.close();
  await hang.close();
});

Deno.test("compile: base_url with credentials is refused", () => {
  const p = compile({ targets: [{ id: "x", provider: "openai", base_url: "http://u:pw@127.0.0.1:1/v1" }] });
  assert.equal(p.targets[0].available, false);
  assert.ok(!p.targets[0].unavailableReason!.includes("pw"));
  p.close();
});

Deno.test("compile: upstream override builds a single openai-compatible target", async () => {
  await using up = startMockUpstream();
  const p = compileProviders(providers({ targets: [{ id: "x", provider: "anthropic" }] }), {
    resolveSecret: () => undefined,
    state: createRouterState(),
    override: { url: up.baseUrl, apiKey: "dbg-key", header: "X-Debug-Key", prefix: "Token" },
  });
  assert.deepEqual(p.targets.map((t) => t.id), ["upstream"]);
  const res = await p.targets[0].send(request("chat", chat));
  await res.body?.cancel();
  assert.equal(up.lastRequest.path, "/v1/chat/completions");
  assert.equal(up.lastRequest.headers["x-debug-key"], "Token dbg-key");
  assert.equal(up.lastRequest.headers.authorization, undefined);
  p.close();
});

Deno.test("compile: caCerts creates a per-snapshot client that close() releases", async () => {
  await using up = startMockUpstream();
  // any syntactically valid PEM is accepted; plain http ignores it
  const pem = await Deno.readTextFile("/etc/ssl/certs/ca-certificates.crt").catch(() => undefined);
  const p = compileProviders(
    providers({ targets: [{ id: "a", provider: "openai", base_url: up.baseUrl }] }),
    {
      resolveSecret: () => undefined,
      state: createRouterState(),
      caCerts: pem ? [pem] : undefined,
    },
  );
  const res = await p.targets[0].send(request("chat", chat));
  assert.equal(res.status, 200);
  await res.body?.cancel();
  p.close();
  p.close();
});

Deno.test("http: timeout before headers → UpstreamError timeout", async () => {
  await using up = startMockUpstream();
  up.hangNext();
  const p = compile({ targets: [{ id: "a", provider: "openai", base_url: up.baseUrl, timeout_ms: 60 }] });
  const started = performance.now();
  const err = await p.targets[0].send(request("chat", chat)).catch((e) => e);
  assert.ok(err instanceof UpstreamError);
  assert.equal(err.kind, "timeout");
  assert.equal(err.targetId, "a");
  assert.ok(performance.now() - started < 1000);
  p.close();
  await up.close();
});

Deno.test("http: idle gap while streaming → body errors with timeout; steady chunks do not", async () => {
  await using up = startMockUpstream({ reply: { text: "a b c d e f", chunkDelayMs: 40 } });
  const p = compile({ targets: [{ id: "a", provider: "openai", base_url: up.baseUrl, timeout_ms: 150 }] });
  // steady stream slower in total than the timeout but with short gaps: fine
  const ok = await p.targets[0].send(request("chat", { ...chat, stream: true }));
  assert.ok((await ok.text()).includes("[DONE]"));
  // stalled stream
  up.stallNext(2);
  const res = await p.targets[0].send(request("chat", { ...chat, stream: true }));
  assert.equal(res.status, 200);
  const err = await res.text().catch((e) => e);
  assert.ok(err instanceof UpstreamError, String(err));
  assert.equal(err.kind, "timeout");
  p.close();
});

Deno.test("http: idle timeout also applies through stream translation", async () => {
  await using up = startMockUpstream();
  up.stallNext(2);
  const p = compile({ targets: [{ id: "an", provider: "anthropic", base_url: up.baseUrl, timeout_ms: 80 }] });
  const res = await p.targets[0].send(request("chat", { ...chat, stream: true }));
  const err = await res.text().catch((e) => e);
  assert.ok(err instanceof UpstreamError);
  assert.equal(err.kind, "timeout");
  p.close();
});

Deno.test("http: connection refused → UpstreamError connection_error", async () => {
  const p = compile({
    targets: [{ id: "a", provider: "openai", base_url: `http://127.0.0.1:${closedPort()}/v1` }],
  });
  const err = await p.targets[0].send(request("chat", chat)).catch((e) => e);
  assert.ok(err instanceof UpstreamError);
  assert.equal(err.kind, "connection_error");
  p.close();
});

Deno.test("http: client abort mid-stream cancels the upstream", async () => {
  await using up = startMockUpstream();
  up.stallNext(1);
  const p = compile({ targets: [{ id: "a", provider: "openai", base_url: up.baseUrl, timeout_ms: 5000 }] });
  const ac = new AbortController();
  const res = await p.targets[0].send(request("chat", { ...chat, stream: true }, { signal: ac.signal }));
  const reader = res.body!.getReader();
  await reader.read();
  ac.abort(new DOMException("gone", "AbortError"));
  const err = await reader.read().catch((e) => e);
  assert.equal(err.name, "AbortError");
  p.close();
});

Deno.test("http: an already aborted request never reaches the upstream", async () => {
  await using up = startMockUpstream();
  const p = compile({ targets: [{ id: "a", provider: "openai", base_url: up.baseUrl }] });
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(p.targets[0].send(request("chat", chat, { signal: ac.signal })));
  assert.equal(up.requests.length, 0);
  p.close();
});

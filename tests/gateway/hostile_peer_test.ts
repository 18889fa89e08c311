/**
 * Hostile peers on loopback, raw sockets: slow and half request heads (slowloris) on the gateway
 * and the control plane are closed by the head guard; a fake provider's malformed heads end in
 * 502 `invalid_response` at once; CR-only SSE line ends keep the final `[DONE]`; client headers
 * never steer the upstream call.
 *
 * "Closed within the timeout" is observed, never timed: the servers get a short head timeout and
 * the test waits for the socket to be closed by the server (a read returning null), bounded by a
 * generous overall guard that only turns a hang into a failure.
 */
import assert from "node:assert/strict";
import { serveWithHeadGuard } from "../../src/net/head_guard.ts";
import { chat, configDoc, startGateway } from "../helpers/gateway.ts";
import { startMockUpstream } from "../helpers/mock_upstream.ts";
import { startRawUpstream } from "../helpers/raw_upstream.ts";
import { sqliteFactory, startTestServer } from "../control_plane/helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
/** Only turns a connection the server never closes into a failure (it is not a time bound under test). */
const GUARD_MS = 20_000;

/** Reads until the server closes the connection; returns what it sent. Fails after {@link GUARD_MS}. */
async function untilClosed(conn: Deno.Conn): Promise<string> {
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("the server kept the connection open")), GUARD_MS);
  });
  const reading = (async () => {
    const buf = new Uint8Array(4096);
    try {
      for (let n; (n = await conn.read(buf)) !== null;) text += dec.decode(buf.subarray(0, n));
    } catch (err) {
      if (!(err instanceof Deno.errors.ConnectionReset)) throw err;
    }
    return text;
  })();
  try {
    return await Promise.race([reading, guard]);
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed
    }
  }
}

/**
 * The slowloris shapes against `port` (and, with `idle`, a keep-alive left idle after one request);
 * every connection must be closed by the server.
 */
async function slowloris(port: number, idle = true): Promise<Record<string, string>> {
  const open = () => Deno.connect({ hostname: "127.0.0.1", port });
  const write = (c: Deno.Conn, s: string) => c.write(enc.encode(s)).catch(() => 0);
  const silent = await open();
  const half = await open();
  await write(half, "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-ty");
  const trickle = await open();
  await write(trickle, "GET /healthz HTTP/1.1\r\nhost: x\r\n");
  let n = 0;
  // The attacker's pace, not synchronisation: a header line every 40 ms, never the blank line.
  const ticker = setInterval(() => write(trickle, `x-slow-${n++}: a\r\n`), 40);
  const idler = idle ? await open() : undefined;
  if (idler) await write(idler, "GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n");
  try {
    const [s, h, t, i] = await Promise.all(
      [silent, half, trickle, ...(idler ? [idler] : [])].map(untilClosed),
    );
    return { silent: s, half: h, trickle: t, idle: i };
  } finally {
    clearInterval(ticker);
  }
}

/** A gateway on 127.0.0.1 with `listen` settings; `port` is its port. */
async function gatewayOn(
  doc: Record<string, unknown>,
  listen: { headTimeoutMs?: number; idleTimeoutMs?: number },
) {
  const gw = await startGateway(doc, { listen });
  return Object.assign(gw, { port: Number(new URL(gw.url).port) });
}

Deno.test("hostile: slow, half and silent request heads and idle keep-alives are closed by the gateway", async () => {
  await using gw = await gatewayOn(configDoc(), { headTimeoutMs: 300, idleTimeoutMs: 600 });
  const seen = await slowloris(gw.port);
  assert.equal(seen.silent, "", "closed without an answer");
  assert.equal(seen.half, "");
  assert.doesNotMatch(seen.trickle, /HTTP\/1\.1 200/, "the trickled head never became a request");
  assert.match(
    seen.idle,
    /^HTTP\/1\.1 200/,
    "the complete request was answered, then the idle connection closed",
  );
  // The gateway still serves.
  const ok = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(chat("still here")),
  });
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
});

Deno.test("hostile: slow, half and silent request heads are closed by the control plane", async () => {
  const handle = await sqliteFactory.fresh();
  const cp = await startTestServer({ store: handle.store, requestHeadTimeoutMs: 300 });
  try {
    // (Its idle keep-alives close after the default 60 s: the same guard, tested on the gateway.)
    const seen = await slowloris(cp.port, false);
    assert.equal(seen.silent, "");
    assert.equal(seen.half, "");
    assert.doesNotMatch(seen.trickle, /HTTP\/1\.1 200/);
    const ok = await fetch(`${cp.url}/healthz`);
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  } finally {
    await cp.stop();
    await handle.cleanup();
  }
});

Deno.test("hostile: a slow body still gets 408 (the head guard stops once the head is in)", async () => {
  await using gw = await gatewayOn(configDoc({ timeouts: { request_body_ms: 200 } }), {
    headTimeoutMs: 10_000,
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: gw.port });
  await conn.write(enc.encode(
    "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{",
  ));
  const text = await untilClosedOrAnswered(conn);
  assert.match(text, /^HTTP\/1\.1 408/);
  assert.match(text, /request_timeout/);
});

/** Reads until a complete answer head arrived or the connection closed. */
async function untilClosedOrAnswered(conn: Deno.Conn): Promise<string> {
  let text = "";
  const buf = new Uint8Array(4096);
  try {
    while (!/\r\n\r\n[\s\S]*request_timeout/.test(text)) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n));
    }
  } finally {
    conn.close();
  }
  return text;
}

Deno.test("hostile: a prompt keep-alive client is untouched by the head guard; handlers see its real address", async () => {
  const server = serveWithHeadGuard(
    { hostname: "127.0.0.1", port: 0, headTimeoutMs: 5_000 },
    (_req, info) => new Response(`${info.remoteAddr.hostname}:${info.remoteAddr.port}`),
  );
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    const req = "GET / HTTP/1.1\r\nhost: x\r\n\r\n";
    await conn.write(enc.encode(req + req));
    let text = "";
    const buf = new Uint8Array(4096);
    while ((text.match(/HTTP\/1\.1 200/g) ?? []).length < 2 || !text.endsWith(String(conn.localAddr.port))) {
      const n = await conn.read(buf);
      assert.ok(n !== null, "the connection stays open between prompt requests");
      text += dec.decode(buf.subarray(0, n));
    }
    const me = `127.0.0.1:${(conn.localAddr as Deno.NetAddr).port}`;
    assert.equal(text.split(me).length - 1, 2, "both answers name the client's own address, not the relay's");
    conn.close();
    // A local process that skips the front and talks to the inner server directly is refused.
    const direct = await fetch(`http://127.0.0.1:${server.innerAddr!.port}/`);
    assert.equal(direct.status, 403);
    await direct.body?.cancel();
  } finally {
    await server.shutdown();
  }
});

Deno.test("hostile: malformed upstream heads end at once in 502 invalid_response, never a hang or a generic error", async () => {
  const answers = [
    "HTTP/1.1 200 OK\ncontent-type: application/json\ncontent-length: 2\n\n{}", // bare LF head
    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-a: 1\rx-b: 2\r\ncontent-length: 2\r\n\r\n{}", // bare CR
    "HTTP/1.1 999 Weird\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}", // status 999
  ];
  await using up = startRawUpstream((_r, i) => answers[i]); // connections stay open after each answer
  await using gw = await gatewayOn(
    configDoc({
      providers: {
        fallback: { max_fallback_attempts: 0 },
        // A minute of timeout_ms: an answer waited for would hang far past the guard.
        targets: [{ id: "odd", provider: "openai", base_url: up.baseUrl, timeout_ms: 60_000 }],
      },
    }),
    {},
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("a malformed head hung the request")), GUARD_MS);
  });
  try {
    for (const [i, answer] of answers.entries()) {
      const res = await Promise.race([
        fetch(`${gw.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(chat("x")),
        }),
        guard,
      ]);
      const body = await res.json();
      assert.equal(res.status, 502, `case ${i}: ${JSON.stringify(answer.slice(0, 30))}`);
      assert.equal(body.error.code, "invalid_response", `case ${i}`);
      assert.equal(body.error.type, "upstream_error");
      assert.match(body.error.message, /malformed HTTP/);
    }
  } finally {
    clearTimeout(timer);
  }
  assert.ok(!gw.logs.some((l) => l.includes("unexpected error in request pipeline")), gw.logs.join("\n"));
  assert.deepEqual(gw.audit.events.map((e) => e.error_code), Array(3).fill("invalid_response"));
});

const sseHead = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
const chunk = (text: string) =>
  `data: ${
    JSON.stringify({
      id: "c1",
      object: "chat.completion.chunk",
      model: "m",
      choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
    })
  }`;

for (const [name, eol] of [["CR", "\r"], ["LF", "\n"], ["CRLF", "\r\n"]] as const) {
  Deno.test(`hostile: SSE with ${name} line ends keeps every event and [DONE], through the output guard and without it`, async () => {
    const events = [chunk("hello "), chunk("world"), "data: [DONE]"].map((e) => e + eol + eol).join("");
    for (const guarded of [true, false]) {
      await using up = startRawUpstream(() => ({ text: sseHead + events, close: true }));
      await using gw = await gatewayOn(
        configDoc({
          providers: { targets: [{ id: "sse", provider: "openai", base_url: up.baseUrl }] },
          ...(guarded
            ? { policies: { chain: ["pii-detector"] }, policy: { "pii-detector": { action: "redact" } } }
            : {}),
        }),
        {},
      );
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(chat("x", { stream: true })),
      });
      assert.equal(res.status, 200);
      const text = await res.text();
      const what = `${name}, ${guarded ? "guarded" : "passed through"}`;
      assert.match(text, /data: \[DONE\]/, `${what}: [DONE] arrived`);
      const lines = text.split(/\r\n|\r|\n/).filter((l) => l.startsWith("data: {"));
      const content = lines.map((l) => JSON.parse(l.slice(6)).choices[0].delta.content).join("");
      assert.equal(content, "hello world", what);
      assert.equal(gw.audit.events[0].error_code, null, `${what}: the stream ended normally`);
    }
  });
}

Deno.test("hostile: client headers never steer the upstream call (host, forwarding and routing hints are dropped)", async () => {
  await using up = startMockUpstream();
  await using gw = await gatewayOn(
    configDoc({ providers: { targets: [{ id: "a", provider: "openai", base_url: up.baseUrl }] } }),
    {},
  );
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      host: "169.254.169.254",
      "x-forwarded-host": "evil.example",
      "x-forwarded-proto": "gopher",
      "x-original-url": "http://evil.example/",
      "x-upstream-url": "http://evil.example/",
      "x-portkey-custom-host": "http://evil.example/",
      "x-keeptrusts-target": "nope",
      forwarded: "host=evil.example",
      "proxy-authorization": "Basic c2VjcmV0",
      cookie: "session=1",
    },
    body: JSON.stringify(chat("where do I go?")),
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  assert.equal(up.requests.length, 1, "the configured upstream got the call");
  const sent = up.lastRequest;
  assert.equal(sent.path, "/v1/chat/completions");
  assert.equal(sent.headers.host, new URL(up.baseUrl).host);
  for (
    const name of [
      "x-forwarded-host",
      "x-forwarded-proto",
      "x-original-url",
      "x-upstream-url",
      "x-portkey-custom-host",
      "x-keeptrusts-target",
      "forwarded",
      "proxy-authorization",
      "cookie",
    ]
  ) {
    assert.equal(sent.headers[name], undefined, `${name} is not forwarded`);
  }
});

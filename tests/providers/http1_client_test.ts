/**
 * kt's HTTP/1.1 client against scripted raw TCP servers on loopback: framing (length, chunked,
 * until close, 1xx), keep-alive reuse and the stale-connection retry, malformed answers, header
 * injection, abort, connect failures and pool shutdown.
 */
import assert from "node:assert/strict";
import {
  Http1Agent,
  Http1Error,
  Http1Exchange,
  Http1Pool,
  type Http1Request,
  upstreamClientKind,
} from "../../src/providers/http1_client.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** What a scripted server does with one request: bytes to write, then keep the connection or close it. */
type Script = (
  request: string,
  index: number,
) => { reply: string | Uint8Array; close?: boolean; hang?: boolean };

/** A raw TCP server answering requests per `script`; counts connections and requests. */
function scripted(script: Script) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const state = { connections: 0, requests: [] as string[], eofs: 0 };
  const tasks: Promise<void>[] = [];
  const serveConn = async (conn: Deno.Conn) => {
    let pending = "";
    const buf = new Uint8Array(65536);
    try {
      while (true) {
        const n = await conn.read(buf);
        if (n === null) {
          state.eofs++;
          break;
        }
        pending += dec.decode(buf.subarray(0, n));
        while (true) {
          const end = pending.indexOf("\r\n\r\n");
          if (end < 0) break;
          const len = Number(/content-length: (\d+)/i.exec(pending.slice(0, end))?.[1] ?? 0);
          if (pending.length < end + 4 + len) break;
          const request = pending.slice(0, end + 4 + len);
          pending = pending.slice(end + 4 + len);
          state.requests.push(request);
          const step = script(request, state.requests.length - 1);
          if (step.hang) continue;
          await conn.write(typeof step.reply === "string" ? enc.encode(step.reply) : step.reply);
          if (step.close) {
            conn.close();
            conns.delete(conn);
            return;
          }
        }
      }
    } catch {
      // closed by the test
    }
    conns.delete(conn);
    try {
      conn.close();
    } catch {
      // already closed
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        state.connections++;
        conns.add(conn);
        tasks.push(serveConn(conn));
      }
    } catch {
      // listener closed
    }
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    state,
    url: new URL(`http://127.0.0.1:${port}`),
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // already closed
        }
      }
      await accepting;
      await Promise.all(tasks);
    },
  };
}

function req(body = '{"a":1}', headers: [string, string][] = []): Http1Request {
  return {
    method: "POST",
    path: "/v1/chat/completions",
    headers: [["content-type", "application/json"], ...headers],
    body,
    bufferLimit: 1 << 20,
    connectTimeoutMs: 2000,
  };
}

const ok = (body: string, extra = "") =>
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${
    enc.encode(body).length
  }\r\n${extra}\r\n${body}`;

async function text(body: Uint8Array | ReadableStream<Uint8Array> | null): Promise<string> {
  if (body === null) return "<null>";
  if (body instanceof Uint8Array) return dec.decode(body);
  return await new Response(body).text();
}

Deno.test("http1: a content-length answer is read whole and the connection is reused", async () => {
  await using srv = scripted((_r, i) => ({ reply: ok(`{"n":${i}}`, "x-ratelimit-remaining: 9\r\n") }));
  const pool = new Http1Pool(srv.url);
  try {
    for (let i = 0; i < 3; i++) {
      const res = await pool.request(req());
      assert.equal(res.status, 200);
      assert.equal(res.statusText, "OK");
      assert.ok(res.body instanceof Uint8Array);
      assert.equal(await text(res.body), `{"n":${i}}`);
      assert.deepEqual(res.headers.find(([n]) => n === "x-ratelimit-remaining"), [
        "x-ratelimit-remaining",
        "9",
      ]);
    }
    assert.equal(srv.state.connections, 1);
    assert.equal(pool.idleCount, 1);
    const sent = srv.state.requests[0];
    assert.match(sent, /^POST \/v1\/chat\/completions HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\n/);
    assert.match(sent, /\r\ncontent-length: 7\r\n\r\n\{"a":1\}$/);
  } finally {
    pool.close();
  }
});

Deno.test("http1: chunked answers stream (extensions and trailers too) and leave the connection reusable", async () => {
  await using srv = scripted((_r, i) => ({
    reply: i === 0
      ? "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n" +
        "6;ext=1\r\ndata: \r\n5\r\nhello\r\n2\r\n\n\n\r\n0\r\nx-trailer: t\r\n\r\n"
      : ok("{}"),
  }));
  const pool = new Http1Pool(srv.url);
  try {
    const res = await pool.request(req());
    assert.ok(res.body instanceof ReadableStream);
    assert.equal(await text(res.body), "data: hello\n\n");
    const again = await pool.request(req());
    assert.equal(await text(again.body), "{}");
    assert.equal(srv.state.connections, 1);
  } finally {
    pool.close();
  }
});

Deno.test("http1: an event stream with a content-length streams; a body without length runs until close", async () => {
  await using srv = scripted((_r, i) =>
    i === 0
      ? {
        reply:
          "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: 12\r\n\r\ndata: x\n\n...",
      }
      : { reply: 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{"until":"close"}', close: true }
  );
  const pool = new Http1Pool(srv.url);
  try {
    const sse = await pool.request(req());
    assert.ok(sse.body instanceof ReadableStream);
    assert.equal(await text(sse.body), "data: x\n\n...");
    const res = await pool.request(req());
    assert.equal(await text(res.body), '{"until":"close"}');
    assert.equal(pool.idleCount, 0, "a close-delimited connection is never reused");
  } finally {
    pool.close();
  }
});

Deno.test("http1: 1xx interim answers are skipped; 204 has no body", async () => {
  await using srv = scripted((_r, i) => ({
    reply: i === 0
      ? "HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n" + ok('{"after":"103"}')
      : "HTTP/1.1 204 No Content\r\n\r\n",
  }));
  const pool = new Http1Pool(srv.url);
  try {
    assert.equal(await text((await pool.request(req())).body), '{"after":"103"}');
    const empty = await pool.request(req());
    assert.equal(empty.status, 204);
    assert.equal(empty.body, null);
    assert.equal(srv.state.connections, 1);
  } finally {
    pool.close();
  }
});

Deno.test("http1: a reused connection the server closed meanwhile is retried once on a new one", async () => {
  // The server answers and closes without saying so: the pooled connection is stale.
  await using srv = scripted(() => ({ reply: ok('{"ok":true}'), close: true }));
  const pool = new Http1Pool(srv.url);
  try {
    for (let i = 0; i < 3; i++) assert.equal(await text((await pool.request(req())).body), '{"ok":true}');
    assert.equal(srv.state.requests.length, 3, "every request reached the server exactly once");
    assert.equal(srv.state.connections, 3);
  } finally {
    pool.close();
  }
});

Deno.test("http1: a fresh connection closing before the answer fails without a retry", async () => {
  await using srv = scripted(() => ({ reply: "", close: true }));
  const pool = new Http1Pool(srv.url);
  try {
    const err = await pool.request(req()).catch((e) => e);
    assert.ok(err instanceof Http1Error, String(err));
    assert.equal(err.code, "connection_closed");
    assert.equal(srv.state.requests.length, 1);
  } finally {
    pool.close();
  }
});

Deno.test("http1: malformed answers are rejected as invalid_response and their connection dropped", async () => {
  const bad = [
    "HTTP/2 200 OK\r\ncontent-length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nx-a: 1\r\n folded\r\ncontent-length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nabc",
    "HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
    "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
    `HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(70_000)}\r\n\r\n`,
    "HTTP/1.1 101 Switching Protocols\r\n\r\n",
  ];
  await using srv = scripted((_r, i) => ({ reply: bad[i], close: true }));
  const pool = new Http1Pool(srv.url);
  try {
    for (const [i, reply] of bad.entries()) {
      const err = await pool.request(req()).then(async (res) => {
        await text(res.body); // a broken chunked body fails while streaming
        return undefined;
      }).catch((e) => e);
      assert.ok(err instanceof Http1Error, `case ${i}: ${reply.slice(0, 40)} → ${err}`);
      assert.equal(err.code, "invalid_response", `case ${i}`);
    }
    assert.equal(pool.idleCount, 0);
  } finally {
    pool.close();
  }
});

Deno.test("http1: bare CR or LF line ends and statuses outside 100–599 are refused at once, connection open", async () => {
  // The server keeps every connection open after its answer: a client that waited for a CRLF CRLF
  // (or for more of a chunk line) would hang until its own timeout. Each must fail at once.
  const bad = [
    "HTTP/1.1 200 OK\ncontent-type: application/json\ncontent-length: 2\n\n{}",
    "HTTP/1.1 200 OK\r\ncontent-length: 2\n\r\n{}",
    "HTTP/1.1 200 OK\r\nx-a: 1\rx-b: 2\r\ncontent-length: 2\r\n\r\n{}",
    "HTTP/1.1 200 OK\rcontent-length: 2\r\r{}",
    "HTTP/1.1 999 Weird\r\ncontent-length: 2\r\n\r\n{}",
    "HTTP/1.1 600 Nope\r\ncontent-length: 2\r\n\r\n{}",
    "HTTP/1.1 099 Low\r\ncontent-length: 2\r\n\r\n{}",
    "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\n{}\n0\n\n",
  ];
  await using srv = scripted((_r, i) => ({ reply: bad[i] }));
  const pool = new Http1Pool(srv.url);
  let guard: ReturnType<typeof setTimeout> | undefined;
  try {
    const hung = new Promise<never>((_, reject) => {
      guard = setTimeout(() => reject(new Error("a malformed answer left the call hanging")), 15_000);
    });
    for (const [i, reply] of bad.entries()) {
      const err = await Promise.race([
        pool.request(req()).then(async (res) => {
          await text(res.body); // bad chunk framing fails while streaming
          return undefined;
        }).catch((e) => e),
        hung,
      ]);
      assert.ok(err instanceof Http1Error, `case ${i}: ${JSON.stringify(reply.slice(0, 40))} → ${err}`);
      assert.equal(err.code, "invalid_response", `case ${i}: ${err.message}`);
    }
    assert.equal(pool.idleCount, 0, "no connection that carried a malformed answer is reused");
    assert.equal(srv.state.connections, bad.length);
  } finally {
    clearTimeout(guard);
    pool.close();
  }
});

Deno.test("http1: a head trickled one byte per read is parsed (scanning resumes, nothing is rescanned wrong)", async () => {
  const head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(4096);
    await conn.read(buf);
    for (const byte of enc.encode(head)) {
      await conn.write(Uint8Array.of(byte));
      // Let the client read each byte on its own before the next one is written.
      await new Promise((r) => setTimeout(r, 0));
    }
    await conn.read(buf).catch(() => null);
    conn.close();
  })();
  const pool = new Http1Pool(new URL(`http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`));
  try {
    const res = await pool.request(req());
    assert.equal(res.status, 200);
    assert.equal(await text(res.body), "{}");
  } finally {
    pool.close();
    await serving;
    listener.close();
  }
});

Deno.test("http1: answers outside 2xx are read whole only up to errorBufferLimit", async () => {
  const big = "e".repeat(5000);
  await using srv = scripted(() => ({
    reply: `HTTP/1.1 500 Oops\r\ncontent-type: text/plain\r\ncontent-length: ${big.length}\r\n\r\n${big}`,
  }));
  const pool = new Http1Pool(srv.url);
  try {
    const small = await pool.request({ ...req(), errorBufferLimit: 10_000 });
    assert.ok(small.body instanceof Uint8Array, "within the error limit: read whole");
    const streamed = await pool.request({ ...req(), errorBufferLimit: 1000 });
    assert.ok(streamed.body instanceof ReadableStream, "over it: a stream the caller bounds");
    await streamed.body.cancel();
  } finally {
    pool.close();
  }
});

Deno.test("http1: transfer-encoding wins over content-length and such a connection is not reused", async () => {
  await using srv = scripted(() => ({
    reply:
      "HTTP/1.1 200 OK\r\ncontent-length: 100\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
  }));
  const pool = new Http1Pool(srv.url);
  try {
    assert.equal(await text((await pool.request(req())).body), "abc");
    assert.equal(pool.idleCount, 0);
  } finally {
    pool.close();
  }
});

Deno.test("http1: a body cut short fails the stream with connection_closed", async () => {
  await using srv = scripted((_r, i) => ({
    reply: `HTTP/1.1 200 OK\r\ncontent-type: ${
      i === 0 ? "text/event-stream" : "application/json"
    }\r\ncontent-length: 100\r\n\r\ndata: partial`,
    close: true,
  }));
  const pool = new Http1Pool(srv.url);
  try {
    const res = await pool.request(req());
    const err = await text(res.body).catch((e) => e);
    assert.ok(err instanceof Http1Error, String(err));
    assert.equal(err.code, "connection_closed");
    // Read whole (not an event stream, within bufferLimit): the request itself fails.
    const whole = await pool.request({ ...req(), bufferLimit: 1000 }).catch((e) => e);
    assert.ok(whole instanceof Http1Error, String(whole));
    assert.equal(whole.code, "connection_closed");
  } finally {
    pool.close();
  }
});

Deno.test("http1: CR/LF in a header or a bad request line is refused before anything is sent", async () => {
  await using srv = scripted(() => ({ reply: ok("{}") }));
  const pool = new Http1Pool(srv.url);
  try {
    for (
      const bad of [
        req("{}", [["x-evil", "a\r\nx-injected: 1"]]),
        req("{}", [["x evil", "a"]]),
        req("{}", [["x-nul", "a\0b"]]),
        { ...req(), path: "/v1 HTTP/1.1\r\nx: y" },
        { ...req(), method: "HEAD" },
      ]
    ) {
      const err = await pool.request(bad).catch((e) => e);
      assert.ok(err instanceof Http1Error);
      assert.equal(err.code, "invalid_request");
      assert.ok(!err.message.includes("injected"), "the message never echoes header values");
    }
    assert.equal(srv.state.connections, 0);
  } finally {
    pool.close();
  }
});

Deno.test("http1: abort ends a call waiting for the head and closes its connection", async () => {
  await using srv = scripted(() => ({ reply: "", hang: true }));
  const pool = new Http1Pool(srv.url);
  try {
    const exchange = new Http1Exchange();
    const pending = pool.request(req(), exchange);
    while (srv.state.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    exchange.abort();
    const err = await pending.catch((e) => e);
    assert.ok(err instanceof Http1Error);
    assert.equal(err.code, "aborted");
    while (srv.state.eofs === 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(pool.idleCount, 0);
  } finally {
    pool.close();
  }
});

Deno.test("http1: a refused connection is connect_failed; a closed pool refuses requests", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const pool = new Http1Pool(new URL(`http://127.0.0.1:${port}`));
  const err = await pool.request(req()).catch((e) => e);
  assert.ok(err instanceof Http1Error);
  assert.equal(err.code, "connect_failed");
  pool.close();
  const closed = await pool.request(req()).catch((e) => e);
  assert.equal(closed.code, "connection_closed");
  assert.throws(() => new Http1Pool(new URL("ftp://127.0.0.1/")), TypeError);
});

Deno.test("http1: agent routes URLs to one pool per origin and close() closes idle connections", async () => {
  await using srv = scripted(() => ({ reply: ok("{}") }));
  const agent = new Http1Agent();
  const a = agent.route(`${srv.url.origin}/v1/chat/completions?x=1`);
  const b = agent.route(`${srv.url.origin}/v1/embeddings`);
  assert.equal(a.pool, b.pool);
  assert.equal(a.path, "/v1/chat/completions?x=1");
  assert.equal((await a.pool.request({ ...req(), path: a.path })).status, 200);
  assert.equal(a.pool.idleCount, 1);
  agent.close();
  assert.equal(a.pool.idleCount, 0);
  while (srv.state.eofs === 0) await new Promise((r) => setTimeout(r, 5));
});

Deno.test("http1: keep-alive timeout from the server bounds pooling", async () => {
  await using srv = scripted(() => ({ reply: ok("{}", "keep-alive: timeout=1\r\n") }));
  const pool = new Http1Pool(srv.url);
  try {
    await pool.request(req());
    assert.equal(pool.idleCount, 1);
    // timeout=1 s means "reuse within 0 s": the next request opens a new connection.
    await new Promise((r) => setTimeout(r, 5));
    await pool.request(req());
    assert.equal(srv.state.connections, 2);
  } finally {
    pool.close();
  }
});

Deno.test("http1: a proxy in the environment or KEEPTRUSTS_UPSTREAM_CLIENT=fetch selects fetch", () => {
  const names = [
    "KEEPTRUSTS_UPSTREAM_CLIENT",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
  ];
  const saved = new Map(names.map((n) => [n, Deno.env.get(n)]));
  const restore = () => {
    for (const [n, v] of saved) v === undefined ? Deno.env.delete(n) : Deno.env.set(n, v);
  };
  try {
    for (const n of names) Deno.env.delete(n);
    assert.equal(upstreamClientKind(), "http1");
    Deno.env.set("HTTPS_PROXY", "http://proxy.internal:3128");
    assert.equal(upstreamClientKind(), "fetch");
    Deno.env.delete("HTTPS_PROXY");
    Deno.env.set("KEEPTRUSTS_UPSTREAM_CLIENT", "fetch");
    assert.equal(upstreamClientKind(), "fetch");
  } finally {
    restore();
  }
});

Deno.test("http1: an answer sent before the server read a large body (413, then close) is still delivered", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(65536);
    let seen = "";
    while (!seen.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      seen += dec.decode(buf.subarray(0, n));
    }
    const body = '{"error":{"message":"request too large"}}';
    await conn.write(enc.encode(
      `HTTP/1.1 413 Payload Too Large\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    ));
    // Read a little more of the body, then close with most of it unread (the kernel answers with RST).
    await conn.read(buf).catch(() => null);
    conn.close();
  })();
  const pool = new Http1Pool(new URL(`http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`));
  try {
    const res = await pool.request({ ...req("x".repeat(8 << 20)), bufferLimit: 1 << 20 });
    assert.equal(res.status, 413);
    assert.match(await text(res.body), /too large/);
    assert.equal(pool.idleCount, 0);
  } finally {
    pool.close();
    await served;
    listener.close();
  }
});

Deno.test("http1: non-ASCII header bytes arrive as a ByteString (one character per byte), as fetch gives them", async () => {
  const head = enc.encode("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-ratelimit-note: caf");
  const bytes = new Uint8Array([...head, 0xe9, 0x80, ...enc.encode("\r\n\r\n{}")]);
  await using srv = scripted(() => ({ reply: bytes }));
  const pool = new Http1Pool(srv.url);
  try {
    const res = await pool.request(req());
    const value = res.headers.find(([n]) => n === "x-ratelimit-note")![1];
    assert.equal(value, "caf\u00e9\u0080");
    assert.equal(new Headers(res.headers).get("x-ratelimit-note"), value);
    assert.equal(await text(res.body), "{}");
  } finally {
    pool.close();
  }
});

/**
 * Behaviour checks for the gateway hot-path optimisations made from the benchmark's profiles
 * (bench/RESULTS.md): each optimised helper gives exactly what the plain version gave.
 */
import assert from "node:assert/strict";
import { type DecisionEvent, decisionEventJson, StdoutAuditSink } from "../../src/audit/event.ts";
import { passThrough, readPlainBody } from "../../src/gateway/stream.ts";
import { jsonDepth, readJsonBody } from "../../src/gateway/body.ts";
import { GatewayError } from "../../src/gateway/errors.ts";
import { Counter, Histogram } from "../../src/observability/metrics.ts";

function event(i: number): DecisionEvent {
  return {
    id: `e${i}`,
    timestamp: "2026-01-01T00:00:00.000Z",
    request_id: `r${i}`,
    gateway_id: null,
    config_version: "1.0.0",
    route: "chat",
    verdict: "allow",
    reason_code: null,
    policy: null,
    policy_results: [],
    provider: "openai",
    target_id: "t",
    model: "m",
    status: 200,
    error_code: null,
    latency_ms: 1,
    upstream_latency_ms: 0.5,
    input_tokens: 1,
    output_tokens: 2,
    user_id: null,
    team_id: null,
    content_sha256: null,
    content_length: 0,
    coverage: { scanned: { messages: 1 }, media: 0, refused: null },
  };
}

Deno.test("StdoutAuditSink batches lines, keeps order, flushes on timer, size and close", async () => {
  const writes: string[] = [];
  const dec = new TextDecoder();
  // Partial writes: at most 100 bytes per call, to check the loop.
  const sink = new StdoutAuditSink({
    writeSync: (b) => {
      const n = Math.min(100, b.byteLength);
      writes.push(dec.decode(b.subarray(0, n)));
      return n;
    },
    maxDelayMs: 5,
    maxBufferChars: 10_000,
  });
  sink.write(event(1));
  sink.write(event(2));
  assert.equal(writes.length, 0, "buffered until the timer");
  await new Promise((r) => setTimeout(r, 30));
  const lines = writes.join("").trimEnd().split("\n");
  assert.deepEqual(lines.map((l) => JSON.parse(l).id), ["e1", "e2"]);
  assert.deepEqual(JSON.parse(lines[0]), event(1));

  writes.length = 0;
  for (let i = 0; i < 100; i++) sink.write(event(i)); // > 10 000 chars: flushed at once
  assert.ok(writes.length > 0);
  await sink.close();
  const all = writes.join("").trimEnd().split("\n").map((l) => JSON.parse(l).id);
  assert.deepEqual(all, Array.from({ length: 100 }, (_, i) => `e${i}`));
  writes.length = 0;
  await sink.close();
  assert.equal(writes.length, 0);
});

Deno.test("decisionEventJson is byte for byte JSON.stringify (odd strings, numbers, shapes)", () => {
  const strings = [
    "plain",
    "",
    'quo"te',
    "back\\slash",
    "new\nline\ttab\u0000\u001f\u007f",
    "\u2028\u2029",
    "h\u00e9llo \u{1F600}",
    "lone \ud800 high",
    "lone \udfff low",
    "sha256:" + "ab".repeat(32),
  ];
  const numbers = [0, -0, 1, 1.25, 0.1 + 0.2, 1e21, 1e-7, -3, NaN, Infinity, -Infinity, 2 ** 53 + 2];
  const results = [
    {
      policy: "pii-detector",
      phase: "input",
      verdict: "redact",
      reason_code: "pii_detected",
      latency_us: 812,
      findings: { email: 1, 'we"ird': 2 },
    },
    {
      policy: "x",
      phase: "output",
      verdict: "allow",
      reason_code: null,
      latency_us: 3,
      findings: {},
      error: "b\no",
    },
  ];
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const s = () => (rnd(4) === 0 ? null : strings[rnd(strings.length)]);
  const n = () => (rnd(4) === 0 ? null : numbers[rnd(numbers.length)]);
  for (let k = 0; k < 3000; k++) {
    const e: Record<string, unknown> = {
      id: s(),
      timestamp: s(),
      request_id: s(),
      gateway_id: s(),
      config_version: s(),
      route: s(),
      verdict: s(),
      reason_code: s(),
      policy: s(),
      policy_results: rnd(2) ? [] : results.slice(rnd(2)),
      provider: s(),
      target_id: s(),
      model: s(),
      status: n(),
      error_code: s(),
      latency_ms: n(),
      upstream_latency_ms: n(),
      input_tokens: n(),
      output_tokens: n(),
      user_id: s(),
      team_id: s(),
      content_sha256: s(),
      content_length: n(),
    };
    const shape = rnd(8);
    if (shape === 1) e.content = s();
    else if (shape === 2) e.content = undefined;
    else if (shape === 3) e.user_id = undefined;
    else if (shape === 4) e.status = "200";
    else if (shape === 5) e.extra = 1;
    else if (shape === 6) delete e.model;
    const event = e as unknown as DecisionEvent;
    assert.equal(decisionEventJson(event), JSON.stringify(event), JSON.stringify(event));
  }
  // Another key order: JSON.stringify's order wins.
  const { id, ...rest } = event(1);
  const reordered = { ...rest, id } as DecisionEvent;
  assert.equal(decisionEventJson(reordered), JSON.stringify(reordered));
  assert.equal(decisionEventJson(event(2)), JSON.stringify(event(2)));
});

Deno.test("StdoutAuditSink never throws when stdout is gone", async () => {
  const sink = new StdoutAuditSink({
    writeSync: () => {
      throw new Deno.errors.BrokenPipe("closed");
    },
  });
  sink.write(event(1));
  await sink.close();
});

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < chunks.length) c.enqueue(enc.encode(chunks[i++]));
      else c.close();
    },
  });
}

Deno.test("readPlainBody joins chunks and sniffs usage like passThrough", async () => {
  const body = JSON.stringify({
    id: "x",
    choices: [{ message: { content: "y".repeat(9000) } }],
    usage: { prompt_tokens: 12, completion_tokens: 34 },
  });
  const parts = [body.slice(0, 100), body.slice(100, 5000), body.slice(5000)];
  const plain = await readPlainBody(streamOf(parts), 1 << 20);
  assert.ok("bytes" in plain);
  assert.equal(new TextDecoder().decode(plain.bytes), body);
  assert.deepEqual(plain.usage, { input: 12, output: 34 });

  let passUsage: unknown;
  const passed = passThrough(streamOf(parts), 1 << 20, (r) => passUsage = r.usage);
  await new Response(passed).arrayBuffer();
  assert.deepEqual(plain.usage, passUsage);

  const small = await readPlainBody(streamOf(['{"usage":{"input_tokens":5,"output_tokens":6}}']), 100);
  assert.ok("bytes" in small);
  assert.deepEqual(small.usage, { input: 5, output: 6 });
});

Deno.test("readPlainBody past the limit yields the bytes before it, then an error (as passThrough)", async () => {
  const plain = await readPlainBody(streamOf(["aaaa", "bbbb", "cccc"]), 10);
  assert.ok("overflow" in plain);
  assert.match(plain.error, /max_response_bytes \(10\)/);
  const reader = plain.overflow.getReader();
  const got: string[] = [];
  await assert.rejects(async () => {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      got.push(new TextDecoder().decode(value));
    }
  });
  assert.deepEqual(got, ["aaaa", "bbbb"]);
});

/** The plain byte loop jsonDepth had before it skipped strings with indexOf. */
function jsonDepthReference(bytes: Uint8Array): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === 0x5c) i++;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x7b || b === 0x5b) {
      if (++depth > max) max = depth;
    } else if (b === 0x7d || b === 0x5d) depth--;
  }
  return max;
}

Deno.test("jsonDepth equals the plain byte loop on tricky and random inputs", () => {
  const enc = new TextEncoder();
  const cases = [
    "{}",
    "[[[]]]",
    '{"a":"[[[{{{"}',
    '{"a":"x\\\\"}',
    '{"a":"x\\\\\\"[[["}',
    '{"a":"\\\\\\\\"}[[',
    '{"a":"unterminated [[[',
    '"\\"',
    '[{"k":["\\"]]]\\"",[1,[2]]]}]',
    '{"msg":"' + "\\\\".repeat(50) + '"}[[',
    "",
    '"',
    '\\"[',
  ];
  for (const c of cases) assert.equal(jsonDepth(enc.encode(c)), jsonDepthReference(enc.encode(c)), c);
  const alphabet = ['"', "\\", "[", "]", "{", "}", "a", ",", ":"];
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let n = 0; n < 5000; n++) {
    let s = "";
    const len = Math.floor(rnd() * 40);
    for (let i = 0; i < len; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
    const b = enc.encode(s);
    assert.equal(jsonDepth(b), jsonDepthReference(b), JSON.stringify(s));
  }
  const prompt = Deno.readFileSync(new URL("../../bench/prompt.json", import.meta.url));
  assert.equal(jsonDepth(prompt), jsonDepthReference(prompt));
});

Deno.test("metric label keys: cached keys render exactly like fresh ones (escaping, odd values)", () => {
  const c = new Counter("kt_test_total", "help", ["a", "b"]);
  const odd = ['x"y', "back\\slash", "new\nline", "sep\u0001arated", "", "plain"];
  for (let round = 0; round < 3; round++) {
    for (const a of odd) for (const b of odd) c.inc({ a, b });
    c.inc({ a: "sep", b: "\u0001arated" }); // would collide with "sep\u0001arated","" if joined naively
  }
  assert.equal(c.get({ a: "sep\u0001arated", b: "" }), 3);
  assert.equal(c.get({ a: "sep", b: "\u0001arated" }), 3);
  assert.equal(c.get({ a: 'x"y', b: "new\nline" }), 3);
  const text = c.render();
  assert.ok(text.includes('kt_test_total{a="x\\"y",b="new\\nline"} 3\n'));
  assert.ok(text.includes('kt_test_total{a="back\\\\slash",b="plain"} 3\n'));
  const h = new Histogram("kt_test_seconds", "help", ["route"]);
  h.observe({ route: "chat" }, 0.001);
  h.observe({ route: "chat" }, 0.002);
  assert.ok(h.render().includes('kt_test_seconds_count{route="chat"} 2\n'));
});

Deno.test("readJsonBody: a stalled body ends in 408 at the timeout; chunked bodies still join", async () => {
  const enc = new TextEncoder();
  const stalled = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(enc.encode('{"model":'));
    },
    pull() {
      return new Promise(() => {}); // never more
    },
  });
  const req = new Request("http://x/v1/chat/completions", { method: "POST", body: stalled });
  const t0 = performance.now();
  await assert.rejects(
    readJsonBody(req, { maxBytes: 1000, maxDepth: 10, timeoutMs: 50 }),
    (e: unknown) => e instanceof GatewayError && e.status === 408 && e.code === "request_timeout",
  );
  assert.ok(performance.now() - t0 < 1000);

  const parts = ['{"model":"m",', '"messages":[]}'];
  let i = 0;
  const chunked = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < parts.length) c.enqueue(enc.encode(parts[i++]));
      else c.close();
    },
  });
  const ok = await readJsonBody(new Request("http://x/", { method: "POST", body: chunked }), {
    maxBytes: 1000,
    maxDepth: 10,
    timeoutMs: 1000,
  });
  assert.deepEqual(ok.json, { model: "m", messages: [] });
  assert.equal(new TextDecoder().decode(ok.raw), parts.join(""));

  const big = new Request("http://x/", {
    method: "POST",
    body: enc.encode('{"a":"' + "x".repeat(2000) + '"}'),
  });
  await assert.rejects(
    readJsonBody(big, { maxBytes: 1000, maxDepth: 10, timeoutMs: 1000 }),
    (e: unknown) => e instanceof GatewayError && e.status === 413,
  );
});

Deno.test("readJsonBody with a declared length (native read): 408 on a stall, 413 past the limit, same result", async () => {
  const enc = new TextEncoder();
  const stalled = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(enc.encode('{"model":'));
    },
    pull() {
      return new Promise(() => {}); // never more
    },
  });
  const req = new Request("http://x/v1/chat/completions", {
    method: "POST",
    headers: { "content-length": "100" },
    body: stalled,
  });
  const t0 = performance.now();
  await assert.rejects(
    readJsonBody(req, { maxBytes: 1000, maxDepth: 10, timeoutMs: 50 }),
    (e: unknown) => e instanceof GatewayError && e.status === 408 && e.code === "request_timeout",
  );
  assert.ok(performance.now() - t0 < 1000);

  const body = '{"model":"m","messages":[{"role":"user","content":"h\u00e9llo"}]}';
  const declared = (text: string, length = enc.encode(text).byteLength) =>
    new Request("http://x/", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(length) },
      body: enc.encode(text),
    });
  const limits = { maxBytes: 1000, maxDepth: 10, timeoutMs: 1000 };
  const ok = await readJsonBody(declared(body), limits);
  assert.deepEqual(ok.json, JSON.parse(body));
  assert.equal(new TextDecoder().decode(ok.raw), body);
  // An in-process caller declaring less than it sends still meets the limit.
  await assert.rejects(
    readJsonBody(declared('{"a":"' + "x".repeat(2000) + '"}', 10), limits),
    (e: unknown) => e instanceof GatewayError && e.status === 413,
  );
  await assert.rejects(
    readJsonBody(declared(""), limits),
    (e: unknown) => e instanceof GatewayError && e.status === 400 && e.code === "malformed_json",
  );
  const invalid = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]);
  await assert.rejects(
    readJsonBody(
      new Request("http://x/", { method: "POST", headers: { "content-length": "9" }, body: invalid }),
      limits,
    ),
    (e: unknown) => e instanceof GatewayError && e.code === "invalid_encoding",
  );
});

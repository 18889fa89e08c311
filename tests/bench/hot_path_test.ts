/**
 * Behaviour checks for the gateway hot-path optimisations made from the benchmark's profiles
 * (bench/RESULTS.md): each optimised helper gives exactly what the plain version gave.
 */
import assert from "node:assert/strict";
import { type DecisionEvent, StdoutAuditSink } from "../../src/audit/event.ts";

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

Deno.test("StdoutAuditSink never throws when stdout is gone", async () => {
  const sink = new StdoutAuditSink({
    writeSync: () => {
      throw new Deno.errors.BrokenPipe("closed");
    },
  });
  sink.write(event(1));
  await sink.close();
});

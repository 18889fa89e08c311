/**
 * The byte-level SSE framer: the events it reports equal eventsource-parser's (the reference
 * implementation of the specification) for every line ending and every split into chunks, and each
 * frame's bytes are exactly its slice of the stream.
 */
import assert from "node:assert/strict";
import { createParser } from "eventsource-parser";
import { type SseFrame, SseFramer } from "../../src/gateway/sse_frames.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function reference(text: string): Array<{ event?: string; data: string }> {
  const out: Array<{ event?: string; data: string }> = [];
  const p = createParser({ onEvent: (e) => out.push({ event: e.event, data: e.data }) });
  p.feed(text);
  // eventsource-parser holds a trailing CR until more input: end the stream with a line feed.
  p.feed("\n");
  return out;
}

function frames(bytes: Uint8Array, cuts: number[]): SseFrame[] {
  const f = new SseFramer();
  const out: SseFrame[] = [];
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(...f.feed(bytes.slice(at, c)));
    at = c;
  }
  out.push(...f.finish());
  return out;
}

const STREAM = [
  'data: {"a":"é 😀"}',
  "",
  "event: message_start",
  'data: {"b":1}',
  "",
  ": keep-alive",
  "",
  "data: line one",
  "data:line two",
  "id: 7",
  "retry: 1000",
  "",
  "event: only-a-name",
  "",
  "data: [DONE]",
  "",
];

Deno.test("sse framer: the same events as eventsource-parser for LF, CRLF and CR endings, any split", () => {
  for (const eol of ["\n", "\r\n", "\r"]) {
    const text = STREAM.join(eol) + eol;
    const bytes = enc.encode(text);
    const want = reference(text);
    for (let trial = 0; trial < 200; trial++) {
      const cuts = trial === 0 ? [] : [
        ...new Set(
          Array.from({ length: 1 + (trial % 7) }, () => Math.floor(Math.random() * bytes.length)),
        ),
      ].sort((a, b) => a - b);
      const got = frames(bytes, cuts);
      const events = got.filter((f) => f.data !== undefined).map((f) => ({ event: f.event, data: f.data! }));
      assert.deepEqual(events, want, `${JSON.stringify(eol)} cut at ${cuts}`);
      assert.equal(got.map((f) => dec.decode(f.bytes)).join(""), text, "frames cover the stream exactly");
      assert.deepEqual(got.filter((f) => f.comment !== undefined).map((f) => f.comment), [" keep-alive"]);
    }
  }
});

Deno.test("sse framer: a BOM is skipped, a last frame without its blank line is completed at the end", () => {
  const f = new SseFramer();
  assert.deepEqual(f.feed(new Uint8Array([0xef, 0xbb])), []);
  const got = [...f.feed(new Uint8Array([0xbf, ...enc.encode("data: x\n\ndata: y")])), ...f.finish()];
  assert.deepEqual(got.map((g) => g.data), ["x", "y"]);
});

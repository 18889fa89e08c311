/**
 * SSE line ends (CR, LF and CRLF, as the SSE format allows) through `createSseParser` (the parser
 * of the gateway's stream guard and of the translations) and through a translated stream.
 */
import assert from "node:assert/strict";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { createSseParser } from "../../src/providers/translate/sse.ts";
import { messagesStreamToChat } from "../../src/providers/translate/chat_to_messages.ts";
import { sseJson } from "./_util.ts";

const ENDINGS = { LF: "\n", CRLF: "\r\n", CR: "\r" } as const;
const stream = (eol: string) =>
  ["event: one", 'data: {"n":1}', "", ": a comment", "data: multi", "data: line", "", "data: [DONE]", "", ""]
    .join(eol);
const expected = [
  { event: "one", data: '{"n":1}' },
  { event: undefined, data: "multi\nline" },
  { event: undefined, data: "[DONE]" },
];
const shape = (events: EventSourceMessage[]) => events.map((e) => ({ event: e.event, data: e.data }));

Deno.test("sse: eventsource-parser alone holds a CR that ends the stream (why createSseParser exists)", () => {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  parser.feed(stream("\r"));
  assert.deepEqual(shape(events), expected.slice(0, 2), "the final [DONE] is never dispatched");
});

for (const [name, eol] of Object.entries(ENDINGS)) {
  Deno.test(`sse: createSseParser dispatches every event with ${name} line ends, however the text is split`, () => {
    const text = stream(eol);
    for (let cut = 0; cut <= text.length; cut++) {
      const events: EventSourceMessage[] = [];
      const parser = createSseParser({ onEvent: (e) => events.push(e) });
      parser.feed(text.slice(0, cut));
      parser.feed(text.slice(cut));
      assert.deepEqual(shape(events), expected, `split at ${cut}`);
    }
    const events: EventSourceMessage[] = [];
    const parser = createSseParser({ onEvent: (e) => events.push(e) });
    for (const ch of text) parser.feed(ch);
    assert.deepEqual(shape(events), expected, "one character per chunk");
  });
}

Deno.test("sse: a CR-ended event is dispatched when its chunk arrives, not with the next one", () => {
  const events: string[] = [];
  const parser = createSseParser({ onEvent: (e) => events.push(e.data) });
  parser.feed('data: {"a":1}\r\r');
  assert.deepEqual(events, ['{"a":1}']);
  parser.feed("\n"); // the LF half of a CRLF split across chunks is not a second (empty) line
  parser.feed("data: b\r\n\r\n");
  assert.deepEqual(events, ['{"a":1}', "b"]);
});

for (const [name, eol] of Object.entries(ENDINGS)) {
  Deno.test(`sse: a translated stream (Anthropic → chat) with ${name} line ends keeps every event and [DONE]`, async () => {
    const src = [
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"c","usage":{"input_tokens":3,"output_tokens":1}}}\n\n',
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hello"}}\n\n',
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}\n\n',
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    ].join("").replaceAll("\n", eol);
    const bytes = new TextEncoder().encode(src);
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 5) c.enqueue(bytes.slice(i, i + 5));
        c.close();
      },
    });
    const { data, done } = await sseJson(new Response(body.pipeThrough(messagesStreamToChat("m", true))));
    assert.ok(done, "ends with [DONE]");
    assert.equal(data.map((c) => c.choices[0]?.delta?.content ?? "").join(""), "hello");
    assert.equal(data.at(-1)!.usage.total_tokens, 5, "the final usage chunk arrived");
  });
}

import assert from "node:assert/strict";
import { mockEmbedding } from "../../src/providers/mock.ts";
import { compile, type J, request, sseEvents, sseJson } from "./_util.ts";

const mock = (extra: Record<string, unknown> = {}) =>
  compile({ targets: [{ id: "mock-1", provider: "mock", ...extra }] }).targets[0];

/** Drops ids and timestamps, which are the only non-deterministic parts. */
function stable(text: string): string {
  return text.replace(/"(id|created|created_at)":("[^"]*"|\d+)/g, '"$1":0').replace(
    /(chatcmpl-|msg_|toolu_|call_|cmpl-|resp_)mock[0-9a-f]+/g,
    "$1X",
  );
}

Deno.test("mock: echoes the last user message for chat, with approximate usage", async () => {
  const t = mock();
  assert.equal(t.available, true);
  const res = await t.send(request("chat", {
    model: "demo",
    messages: [{ role: "user", content: "first" }, { role: "assistant", content: "a" }, {
      role: "user",
      content: "my email is [EMAIL]",
    }],
  }));
  const j = await res.json();
  assert.equal(j.model, "demo");
  assert.equal(j.choices[0].message.content, "Mock reply: my email is [EMAIL]");
  const promptChars = "first".length + 1 + "my email is [EMAIL]".length;
  assert.equal(j.usage.prompt_tokens, Math.ceil(promptChars / 4));
  assert.equal(j.usage.completion_tokens, Math.ceil("Mock reply: my email is [EMAIL]".length / 4));
});

Deno.test("mock: mock_response and target model win", async () => {
  const t = mock({ mock_response: "fixed answer", model: "mock-model" });
  const j = await (await t.send(request("messages", {
    model: "client",
    max_tokens: 5,
    messages: [{ role: "user", content: "q" }],
  }))).json();
  assert.deepEqual(j.content, [{ type: "text", text: "fixed answer" }]);
  assert.equal(j.model, "mock-model");
  assert.equal(j.stop_reason, "end_turn");
});

Deno.test("mock: byte-deterministic apart from ids and timestamps, JSON and SSE for every API", async () => {
  const t = mock();
  const bodies: Record<string, J> = {
    chat: { model: "m", messages: [{ role: "user", content: "one two three four five six seven" }] },
    messages: {
      model: "m",
      max_tokens: 9,
      messages: [{ role: "user", content: "one two three four five six" }],
    },
    completions: { model: "m", prompt: "say one two three four" },
    responses: { model: "m", input: "one two three four five" },
    embeddings: { model: "m", input: ["a", "b"] },
  };
  for (const [api, body] of Object.entries(bodies)) {
    for (const stream of api === "embeddings" ? [false] : [false, true]) {
      const b = { ...body, stream };
      const a1 = stable(await (await t.send(request(api as never, b))).text());
      const a2 = stable(await (await t.send(request(api as never, b))).text());
      assert.equal(a1, a2, `${api} stream=${stream}`);
    }
  }
});

Deno.test("mock: chat SSE is several chunks, final usage chunk and [DONE]", async () => {
  const t = mock();
  const res = await t.send(request("chat", {
    model: "m",
    stream: true,
    messages: [{ role: "user", content: "one two three four five six seven" }],
  }));
  assert.equal(res.headers.get("content-type"), "text/event-stream");
  const { data, done } = await sseJson(res);
  assert.ok(done);
  const contents = data.map((c) => c.choices[0]?.delta?.content).filter((x) => x);
  assert.ok(contents.length >= 3, "split into several chunks");
  assert.equal(contents.join(""), "Mock reply: one two three four five six seven");
  assert.equal(data.at(-2)!.choices[0].finish_reason, "stop");
  assert.deepEqual(data.at(-1)!.choices, []);
  assert.ok(data.at(-1)!.usage.total_tokens > 0);
});

Deno.test("mock: Anthropic SSE event sequence", async () => {
  const t = mock();
  const res = await t.send(request("messages", {
    model: "m",
    max_tokens: 5,
    stream: true,
    messages: [{ role: "user", content: [{ type: "text", text: "a b c d e f g" }] }],
  }));
  const events = await sseEvents(res);
  const names = events.map((e) => e.event);
  assert.equal(names[0], "message_start");
  assert.equal(names[1], "content_block_start");
  assert.deepEqual(names.slice(-3), ["content_block_stop", "message_delta", "message_stop"]);
  const text = events.filter((e) => e.event === "content_block_delta").map((e) =>
    JSON.parse(e.data).delta.text
  ).join(
    "",
  );
  assert.equal(text, "Mock reply: a b c d e f g");
});

Deno.test("mock: 'call tool <name> <json>' answers with a tool call (chat + messages, JSON + SSE)", async () => {
  const t = mock();
  const cmd = 'call tool get_weather {"city":"Oslo"}';
  const chat =
    await (await t.send(request("chat", { model: "m", messages: [{ role: "user", content: cmd }] })))
      .json();
  assert.equal(chat.choices[0].finish_reason, "tool_calls");
  assert.equal(chat.choices[0].message.tool_calls[0].function.name, "get_weather");
  assert.deepEqual(JSON.parse(chat.choices[0].message.tool_calls[0].function.arguments), { city: "Oslo" });

  const msg = await (await t.send(request("messages", {
    model: "m",
    max_tokens: 5,
    messages: [{ role: "user", content: cmd }],
  }))).json();
  assert.equal(msg.stop_reason, "tool_use");
  assert.equal(msg.content[0].type, "tool_use");
  assert.deepEqual(msg.content[0].input, { city: "Oslo" });

  const { data } = await sseJson(
    await t.send(request("chat", {
      model: "m",
      stream: true,
      messages: [{ role: "user", content: cmd }],
    })),
  );
  const calls = data.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
  assert.equal(calls[0].function.name, "get_weather");
  assert.deepEqual(JSON.parse(calls.map((c) => c.function.arguments).join("")), { city: "Oslo" });

  const ev = await sseJson(
    await t.send(request("messages", {
      model: "m",
      max_tokens: 5,
      stream: true,
      messages: [{ role: "user", content: cmd }],
    })),
  );
  const start = ev.data.find((d) => d.type === "content_block_start")!;
  assert.equal(start.content_block.name, "get_weather");
  const partial = ev.data.filter((d) => d.type === "content_block_delta").map((d) => d.delta.partial_json)
    .join("");
  assert.deepEqual(JSON.parse(partial), { city: "Oslo" });

  // not exactly the command: echo
  const echo = await (await t.send(request("chat", {
    model: "m",
    messages: [{ role: "user", content: "please " + cmd }],
  }))).json();
  assert.equal(echo.choices[0].message.content, "Mock reply: please " + cmd);
});

Deno.test("mock: embeddings are deterministic 8-dim vectors from the input hash", async () => {
  const t = mock();
  const j = await (await t.send(request("embeddings", { model: "e", input: ["alpha", "beta", "alpha"] })))
    .json();
  assert.equal(j.object, "list");
  assert.equal(j.data.length, 3);
  for (const d of j.data) assert.equal(d.embedding.length, 8);
  assert.deepEqual(j.data[0].embedding, j.data[2].embedding);
  assert.notDeepEqual(j.data[0].embedding, j.data[1].embedding);
  assert.deepEqual(j.data[1].embedding, mockEmbedding("beta"));
  const single = await (await t.send(request("embeddings", { model: "e", input: "alpha" }))).json();
  assert.deepEqual(single.data[0].embedding, j.data[0].embedding);
});

Deno.test("mock: completions and responses shapes", async () => {
  const t = mock();
  const c = await (await t.send(request("completions", { model: "m", prompt: "hey" }))).json();
  assert.equal(c.object, "text_completion");
  assert.equal(c.choices[0].text, "Mock reply: hey");
  const r = await (await t.send(request("responses", {
    model: "m",
    input: [{ role: "user", content: [{ type: "input_text", text: "yo" }] }],
  }))).json();
  assert.equal(r.object, "response");
  assert.equal(r.output[0].content[0].text, "Mock reply: yo");
  const ev = await sseEvents(
    await t.send(request("responses", { model: "m", input: "a b c d", stream: true })),
  );
  assert.equal(ev[0].event, "response.created");
  assert.equal(ev.at(-1)!.event, "response.completed");
  const deltas = ev.filter((e) => e.event === "response.output_text.delta").map((e) =>
    JSON.parse(e.data).delta
  );
  assert.equal(deltas.join(""), "Mock reply: a b c d");
});

import assert from "node:assert/strict";
import { startMockUpstream } from "../helpers/mock_upstream.ts";
import { chatRequestToMessages } from "../../src/providers/translate/chat_to_messages.ts";
import { messagesRequestToChat } from "../../src/providers/translate/messages_to_chat.ts";
import { compile, request, sseJson } from "./_util.ts";

const tools = [{
  type: "function",
  function: {
    name: "get_weather",
    description: "weather",
    parameters: { type: "object", properties: { city: { type: "string" } } },
  },
}];

Deno.test("chat→messages request: system, tools, tool calls, tool results, stop, max_tokens", () => {
  const m = chatRequestToMessages({
    model: "x",
    messages: [
      { role: "system", content: "be nice" },
      { role: "user", content: [{ type: "text", text: "weather?" }] },
      {
        role: "assistant",
        content: null,
        tool_calls: [{
          id: "call_1",
          type: "function",
          function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
        }],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
      { role: "user", content: "thanks" },
    ],
    tools,
    tool_choice: "required",
    stop: "END",
    temperature: 1.5,
    user: "u1",
  });
  assert.equal(m.system, "be nice");
  assert.equal(m.max_tokens, 4096);
  assert.deepEqual(m.stop_sequences, ["END"]);
  assert.equal(m.temperature, 1);
  assert.deepEqual(m.tools, [{
    name: "get_weather",
    description: "weather",
    input_schema: { type: "object", properties: { city: { type: "string" } } },
  }]);
  assert.deepEqual(m.tool_choice, { type: "any" });
  assert.deepEqual(m.metadata, { user_id: "u1" });
  assert.deepEqual(m.messages[1], {
    role: "assistant",
    content: [{ type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Oslo" } }],
  });
  // tool result and the next user turn merge into one user message
  assert.deepEqual(m.messages[2], {
    role: "user",
    content: [{ type: "tool_result", tool_use_id: "call_1", content: "sunny" }, {
      type: "text",
      text: "thanks",
    }],
  });
});

Deno.test("messages→chat request: system, tool_use, tool_result, tools, stream usage", () => {
  const c = messagesRequestToChat({
    model: "x",
    max_tokens: 50,
    system: [{ type: "text", text: "sys" }],
    stream: true,
    stop_sequences: ["S"],
    tools: [{ name: "t1", description: "d", input_schema: { type: "object" } }],
    tool_choice: { type: "tool", name: "t1" },
    messages: [
      { role: "user", content: "q" },
      {
        role: "assistant",
        content: [{ type: "text", text: "ok" }, { type: "tool_use", id: "tu1", name: "t1", input: { a: 1 } }],
      },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "tu1", content: [{ type: "text", text: "r" }] }],
      },
    ],
  });
  assert.deepEqual(c.messages[0], { role: "system", content: "sys" });
  assert.deepEqual(c.messages[2], {
    role: "assistant",
    content: "ok",
    tool_calls: [{ id: "tu1", type: "function", function: { name: "t1", arguments: '{"a":1}' } }],
  });
  assert.deepEqual(c.messages[3], { role: "tool", tool_call_id: "tu1", content: "r" });
  assert.deepEqual(c.stream_options, { include_usage: true });
  assert.deepEqual(c.stop, ["S"]);
  assert.equal(c.max_tokens, 50);
  assert.deepEqual(c.tool_choice, { type: "function", function: { name: "t1" } });
  assert.deepEqual(c.tools[0].function.parameters, { type: "object" });
});

function anthropicTarget(baseUrl: string) {
  return compile({
    targets: [{
      id: "an",
      provider: "anthropic",
      model: "claude-t",
      base_url: baseUrl,
      secret_key_ref: { env: "K" },
    }],
  }, { secrets: { K: "sk-ant" } });
}

function openaiTarget(baseUrl: string) {
  return compile({ targets: [{ id: "oa", provider: "openai", model: "gpt-t", base_url: baseUrl }] });
}

Deno.test("chat client → anthropic: JSON text answer with usage", async () => {
  await using up = startMockUpstream({ reply: { usage: { input: 21, output: 8 } } });
  const p = anthropicTarget(up.baseUrl);
  const res = await p.targets[0].send(request("chat", {
    model: "gpt-4o",
    messages: [{ role: "system", content: "S" }, { role: "user", content: "hello" }],
    max_tokens: 77,
  }));
  assert.equal(res.status, 200);
  const j = await res.json();
  assert.equal(j.object, "chat.completion");
  assert.equal(j.choices[0].message.content, "echo: hello");
  assert.equal(j.choices[0].finish_reason, "stop");
  assert.deepEqual(j.usage, { prompt_tokens: 21, completion_tokens: 8, total_tokens: 29 });
  assert.equal(up.lastRequest.path, "/v1/messages");
  assert.equal(up.lastRequest.body.system, "S");
  assert.equal(up.lastRequest.body.max_tokens, 77);
  assert.equal(up.lastRequest.body.model, "claude-t");
  p.close();
});

Deno.test("chat client → anthropic: JSON tool call", async () => {
  await using up = startMockUpstream({
    reply: { toolCall: { name: "get_weather", arguments: { city: "Oslo" } } },
  });
  const p = anthropicTarget(up.baseUrl);
  const res = await p.targets[0].send(request("chat", {
    model: "m",
    messages: [{ role: "user", content: "w" }],
    tools,
  }));
  const j = await res.json();
  assert.equal(j.choices[0].finish_reason, "tool_calls");
  assert.equal(j.choices[0].message.content, null);
  assert.deepEqual(j.choices[0].message.tool_calls, [{
    id: "toolu_mock_1",
    type: "function",
    function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
  }]);
  assert.equal(up.lastRequest.body.tools[0].name, "get_weather");
  p.close();
});

Deno.test("chat client → anthropic: SSE text stream with usage chunk when include_usage", async () => {
  await using up = startMockUpstream({ reply: { text: "one two three", usage: { input: 4, output: 3 } } });
  const p = anthropicTarget(up.baseUrl);
  const res = await p.targets[0].send(request("chat", {
    model: "m",
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: "user", content: "x" }],
  }));
  assert.equal(res.headers.get("content-type"), "text/event-stream");
  const { data, done } = await sseJson(res);
  assert.ok(done, "ends with [DONE]");
  assert.ok(data.every((c) => c.object === "chat.completion.chunk"));
  assert.equal(data[0].choices[0].delta.role, "assistant");
  assert.equal(data.map((c) => c.choices[0]?.delta?.content ?? "").join(""), "one two three");
  const finish = data.at(-2)!;
  assert.equal(finish.choices[0].finish_reason, "stop");
  const last = data.at(-1)!;
  assert.deepEqual(last.choices, []);
  assert.deepEqual(last.usage, { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 });
  assert.ok(data.length >= 5, "several chunks, not one buffered answer");
  p.close();
});

Deno.test("chat client → anthropic: SSE without include_usage keeps usage on the finish chunk", async () => {
  await using up = startMockUpstream({ reply: { usage: { input: 2, output: 1 } } });
  const p = anthropicTarget(up.baseUrl);
  const res = await p.targets[0].send(request("chat", {
    model: "m",
    stream: true,
    messages: [{ role: "user", content: "x" }],
  }));
  const { data, done } = await sseJson(res);
  assert.ok(done);
  const last = data.at(-1)!;
  assert.equal(last.choices[0].finish_reason, "stop");
  assert.deepEqual(last.usage, { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 });
  p.close();
});

Deno.test("chat client → anthropic: SSE tool call stream", async () => {
  await using up = startMockUpstream({
    reply: { toolCall: { name: "get_weather", arguments: { city: "Oslo", days: 3 } } },
  });
  const p = anthropicTarget(up.baseUrl);
  const res = await p.targets[0].send(request("chat", {
    model: "m",
    stream: true,
    messages: [{ role: "user", content: "x" }],
    tools,
  }));
  const { data } = await sseJson(res);
  const calls = data.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
  assert.equal(calls[0].id, "toolu_mock_1");
  assert.equal(calls[0].function.name, "get_weather");
  assert.deepEqual(JSON.parse(calls.map((c) => c.function.arguments ?? "").join("")), {
    city: "Oslo",
    days: 3,
  });
  assert.equal(data.at(-1)!.choices[0].finish_reason, "tool_calls");
  p.close();
});

Deno.test("chat client → anthropic: upstream error becomes an OpenAI error body", async () => {
  await using up = startMockUpstream();
  up.failNext(400);
  const p = anthropicTarget(up.baseUrl);
  const res = await p.targets[0].send(request("chat", { model: "m", messages: [] }));
  assert.equal(res.status, 400);
  const j = await res.json();
  assert.equal(j.error.type, "invalid_request_error");
  assert.match(j.error.message, /mock upstream failure 400/);
  p.close();
});

Deno.test("messages client → openai: JSON text and tool call", async () => {
  await using up = startMockUpstream({ reply: { usage: { input: 9, output: 4 } } });
  const p = openaiTarget(up.baseUrl);
  const t = p.targets[0];
  assert.ok(t.supports("messages"));
  const res = await t.send(request("messages", {
    model: "claude-x",
    max_tokens: 30,
    system: "sys",
    messages: [{ role: "user", content: "ping" }],
  }, { headers: { "anthropic-version": "2023-06-01" } }));
  const j = await res.json();
  assert.equal(j.type, "message");
  assert.deepEqual(j.content, [{ type: "text", text: "echo: ping" }]);
  assert.equal(j.stop_reason, "end_turn");
  assert.deepEqual(j.usage, { input_tokens: 9, output_tokens: 4 });
  assert.equal(up.lastRequest.path, "/v1/chat/completions");
  assert.equal(up.lastRequest.body.model, "gpt-t");
  assert.deepEqual(up.lastRequest.body.messages[0], { role: "system", content: "sys" });
  assert.equal(up.lastRequest.headers["anthropic-version"], undefined);

  up.reply = { toolCall: { name: "lookup", arguments: { q: "z" }, id: "call_9" } };
  const res2 = await t.send(request("messages", {
    model: "claude-x",
    max_tokens: 30,
    tools: [{ name: "lookup", input_schema: { type: "object" } }],
    messages: [{ role: "user", content: "ping" }],
  }));
  const j2 = await res2.json();
  assert.equal(j2.stop_reason, "tool_use");
  assert.deepEqual(j2.content, [{ type: "tool_use", id: "call_9", name: "lookup", input: { q: "z" } }]);
  assert.equal(up.lastRequest.body.tools[0].function.name, "lookup");
  p.close();
});

Deno.test("messages client → openai: SSE event sequence with text and usage", async () => {
  await using up = startMockUpstream({ reply: { text: "alpha beta", usage: { input: 5, output: 2 } } });
  const p = openaiTarget(up.baseUrl);
  const res = await p.targets[0].send(request("messages", {
    model: "c",
    max_tokens: 5,
    stream: true,
    messages: [{ role: "user", content: "x" }],
  }));
  assert.equal(res.headers.get("content-type"), "text/event-stream");
  const { data, names } = await sseJson(res);
  assert.deepEqual(up.lastRequest.body.stream_options, { include_usage: true });
  assert.deepEqual(names, [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
  ]);
  assert.deepEqual(names, data.map((d) => d.type));
  const text = data.filter((d) => d.type === "content_block_delta").map((d) => d.delta.text).join("");
  assert.equal(text, "alpha beta");
  const delta = data.find((d) => d.type === "message_delta")!;
  assert.equal(delta.delta.stop_reason, "end_turn");
  assert.deepEqual(delta.usage, { input_tokens: 5, output_tokens: 2 });
  p.close();
});

Deno.test("messages client → openai: SSE tool call becomes tool_use block with input_json_delta", async () => {
  await using up = startMockUpstream({ reply: { toolCall: { name: "lookup", arguments: { q: "zz" } } } });
  const p = openaiTarget(up.baseUrl);
  const res = await p.targets[0].send(request("messages", {
    model: "c",
    max_tokens: 5,
    stream: true,
    messages: [{ role: "user", content: "x" }],
  }));
  const { data } = await sseJson(res);
  const start = data.find((d) => d.type === "content_block_start")!;
  assert.deepEqual(start.content_block, { type: "tool_use", id: "call_mock_1", name: "lookup", input: {} });
  const json = data.filter((d) => d.type === "content_block_delta").map((d) => d.delta.partial_json).join("");
  assert.deepEqual(JSON.parse(json), { q: "zz" });
  assert.equal(data.find((d) => d.type === "message_delta")!.delta.stop_reason, "tool_use");
  assert.equal(data.at(-1)!.type, "message_stop");
  p.close();
});

Deno.test("messages client → openai: error body translated to Anthropic shape", async () => {
  await using up = startMockUpstream();
  up.failNext(429, 1, { headers: { "retry-after": "3" } });
  const p = openaiTarget(up.baseUrl);
  const res = await p.targets[0].send(request("messages", { model: "c", max_tokens: 5, messages: [] }));
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "3");
  const j = await res.json();
  assert.equal(j.type, "error");
  assert.equal(j.error.type, "rate_limit_error");
  p.close();
});

Deno.test("stream translation handles events split at arbitrary byte boundaries", async () => {
  const { messagesStreamToChat } = await import("../../src/providers/translate/chat_to_messages.ts");
  const src = [
    'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"c","usage":{"input_tokens":3,"output_tokens":1}}}\n\n',
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"héllo wörld"}}\n\n',
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":2}}\n\n',
    'event: message_stop\ndata: {"type":"message_stop"}\n\n',
  ].join("");
  const bytes = new TextEncoder().encode(src);
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += 7) c.enqueue(bytes.slice(i, i + 7));
      c.close();
    },
  });
  const res = new Response(body.pipeThrough(messagesStreamToChat("fallback", true)));
  const { data, done } = await sseJson(res);
  assert.ok(done);
  assert.equal(data.map((c) => c.choices[0]?.delta?.content ?? "").join(""), "héllo wörld");
  assert.equal(data.at(-2)!.choices[0].finish_reason, "length");
  assert.equal(data.at(-1)!.usage.total_tokens, 5);
  assert.equal(data[0].id, "chatcmpl-1");
});

/**
 * redaction.restore on streamed tool-call arguments, for every API kt streams (OpenAI chat, Anthropic
 * messages, the Responses API): output policies read tool-call arguments, so a call is held until it is
 * complete; placeholders split across argument deltas then reach the caller restored, and the SSE stays
 * valid (checked raw and with the SDKs).
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { chat, configDoc, startGateway, type TestGateway } from "../helpers/gateway.ts";

const env = { UP_KEY: "sk-restore-stream-key-0123456789" };
const restoreChain = (extra: Record<string, unknown> = {}, chain: string[] = []) => ({
  policies: { chain: ["pii-detector", ...chain] },
  policy: { "pii-detector": { redaction: { restore: true } }, ...extra },
});
/** The user's message: becomes `mail [EMAIL_1] and [EMAIL_2] now` for the provider. */
const USER = "mail bob@corp.example and alice@corp.example now";

/** A provider on 127.0.0.1 that answers any POST with `frames` as an SSE body, one frame per chunk. */
interface Scripted {
  baseUrl: string;
  // deno-lint-ignore no-explicit-any
  bodies: any[];
  close(): Promise<void>;
}

function scripted(frames: string[]): Scripted {
  const enc = new TextEncoder();
  // deno-lint-ignore no-explicit-any
  const bodies: any[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    bodies.push(await req.json());
    let i = 0;
    return new Response(
      new ReadableStream<Uint8Array>({
        pull(c) {
          if (i >= frames.length) return c.close();
          c.enqueue(enc.encode(frames[i++]));
        },
      }, { highWaterMark: 0 }),
      { headers: { "content-type": "text/event-stream" } },
    );
  });
  return {
    baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
    bodies,
    close: () => server.shutdown(),
  };
}

const sse = (v: unknown) => `data: ${JSON.stringify(v)}\n\n`;
const named = (type: string, v: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...v })}\n\n`;

/** One parsed SSE event as the client received it. */
interface Ev {
  event?: string;
  data: string;
  // deno-lint-ignore no-explicit-any
  json?: any;
}

/** Strict SSE framing: every block is `event:` / `data:` lines only, blocks end with a blank line. */
function parseSse(text: string): Ev[] {
  assert.ok(text === "" || text.endsWith("\n\n"), "the body ends at an event boundary");
  const out: Ev[] = [];
  for (const block of text.split("\n\n").slice(0, -1)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data.push(line.slice(6));
      else assert.fail(`unexpected SSE line ${JSON.stringify(line)}`);
    }
    const d = data.join("\n");
    out.push({ event, data: d, json: d === "[DONE]" ? undefined : JSON.parse(d) });
  }
  return out;
}

const openaiTarget = (baseUrl: string) => ({
  id: "up",
  provider: "openai",
  base_url: baseUrl,
  secret_key_ref: { env: "UP_KEY" },
});

async function gatewayFor(target: Record<string, unknown>, chain = restoreChain()): Promise<TestGateway> {
  return await startGateway(configDoc({ providers: { targets: [target] }, ...chain }), { env });
}

// --- OpenAI chat ---------------------------------------------------------------------------------

const chunk = (delta: Record<string, unknown>, finish: string | null = null, index = 0) =>
  sse({
    id: "chatcmpl-r",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: [{ index, delta, finish_reason: finish }],
  });
const callStart = (index: number, name: string) => ({
  tool_calls: [{ index, id: `call_${index}`, type: "function", function: { name, arguments: "" } }],
});
const args = (index: number, text: string) => ({ tool_calls: [{ index, function: { arguments: text } }] });
/** Arguments of tool call `t` as the client assembles them from the deltas. */
function chatArgs(evs: Ev[], t = 0): string {
  let s = "";
  for (const e of evs) {
    for (const c of e.json?.choices ?? []) {
      for (const tc of c.delta?.tool_calls ?? []) if (tc.index === t) s += tc.function?.arguments ?? "";
    }
  }
  return s;
}

Deno.test("restore stream: chat tool-call argument deltas — split placeholders restored once the call is complete", async () => {
  const up = scripted([
    chunk({ role: "assistant", content: "" }),
    chunk(callStart(0, "send_email")),
    chunk(args(0, '{"to":"[EM')),
    chunk(args(0, 'AIL_1]","cc":["alice@co')),
    chunk(args(0, 'rp.example","[EMAIL_')),
    chunk(args(0, '2]"],"n":[1,2]}')),
    chunk({}, "tool_calls"),
    "data: [DONE]\n\n",
  ]);
  try {
    await using gw = await gatewayFor(openaiTarget(up.baseUrl));
    const res = await gw.post("/v1/chat/completions", chat(USER, { stream: true }));
    assert.equal(res.status, 200);
    const evs = parseSse(await res.text());
    // Output policies read tool-call arguments, so a call is held until it is complete and then goes
    // out whole: the first argument delta carries all of it, restored, and the later ones are empty.
    const argDeltas = evs.filter((e) => e.json?.choices?.[0]?.delta?.tool_calls?.[0]?.function?.arguments);
    assert.equal(argDeltas.length, 1, "one delta carries the whole arguments");
    assert.deepEqual(JSON.parse(chatArgs(evs)), {
      to: "bob@corp.example",
      cc: ["alice@corp.example", "alice@corp.example"],
      n: [1, 2],
    });
    const start = evs.findIndex((e) => e.json?.choices?.[0]?.delta?.tool_calls?.[0]?.id === "call_0");
    assert.ok(start > 0 && start < evs.indexOf(argDeltas[0]) + 1, "the call start precedes its arguments");
    assert.equal(evs.at(-1)!.data, "[DONE]");
    assert.equal(evs.at(-2)!.json.choices[0].finish_reason, "tool_calls");
    assert.match(up.bodies[0].messages[0].content, /mail \[EMAIL_1\] and \[EMAIL_2\] now/);
    assert.equal(gw.audit.events.length, 1);
    assert.ok(!JSON.stringify(gw.audit.events).includes("corp.example"));
    // Every string token of the arguments (keys included) went through the output policies.
    assert.equal(gw.audit.events[0].coverage.scanned.output_tools, 6, "the argument strings were scanned");
  } finally {
    await up.close();
  }
});

Deno.test("restore stream: chat — two calls, tool policies holding the calls, finish in the last delta's chunk, SDK accumulation", async () => {
  const frames = [
    chunk({ role: "assistant", content: "Sending to [EMA" }),
    chunk({ content: "IL_1] now." }),
    chunk(callStart(0, "send_email")),
    chunk(args(0, '{"to":"[EMAIL_1')),
    chunk(args(0, ']"}')),
    chunk(callStart(1, "notify")),
    // The last delta of each call and the finish share one chunk; call 1 still holds "[EMAIL_" then.
    chunk({ tool_calls: [{ index: 1, function: { arguments: '{"who":"[EMAIL_' } }] }),
    chunk({ tool_calls: [{ index: 1, function: { arguments: '2]"}' } }] }, "tool_calls"),
    sse({
      id: "chatcmpl-r",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 9, total_tokens: 12 },
    }),
    "data: [DONE]\n\n",
  ];
  for (
    const chain of [
      restoreChain(),
      restoreChain({ "agent-firewall": { allowed_tools: ["send_*", "notify"] } }, ["agent-firewall"]),
    ]
  ) {
    const up = scripted(frames);
    try {
      await using gw = await gatewayFor(openaiTarget(up.baseUrl), chain);
      const evs = parseSse(
        await (await gw.post("/v1/chat/completions", chat(USER, { stream: true }))).text(),
      );
      const text = evs.map((e) => e.json?.choices?.[0]?.delta?.content ?? "").join("");
      assert.equal(text, "Sending to bob@corp.example now.");
      assert.deepEqual(JSON.parse(chatArgs(evs, 0)), { to: "bob@corp.example" });
      assert.deepEqual(JSON.parse(chatArgs(evs, 1)), { who: "alice@corp.example" });
      assert.equal(evs.at(-1)!.data, "[DONE]");
      assert.equal(gw.audit.events.at(-1)!.output_tokens, 9, "usage kept");

      const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
      const stream = openai.chat.completions.stream({
        model: "m",
        messages: [{ role: "user", content: USER }],
      });
      const done = await stream.finalChatCompletion();
      const calls = done.choices[0].message.tool_calls!.map((c) =>
        c.type === "function" ? { name: c.function.name, arguments: c.function.arguments } : null
      );
      assert.deepEqual(calls, [
        { name: "send_email", arguments: '{"to":"bob@corp.example"}' },
        { name: "notify", arguments: '{"who":"alice@corp.example"}' },
      ]);
    } finally {
      await up.close();
    }
  }
});

Deno.test("restore stream: chat — a held prefix is flushed when the call is cut off or the stream just ends", async () => {
  // Cut off by max_tokens: "[EMAIL_" never completes and must still reach the client, before the finish.
  const cut = scripted([
    chunk(callStart(0, "send_email")),
    chunk(args(0, '{"to":"[EMAIL_')),
    chunk({}, "length"),
    "data: [DONE]\n\n",
  ]);
  // No finish chunk, no [DONE]: the provider closes the body after a delta ending in a prefix.
  const ended = scripted([chunk(callStart(0, "f")), chunk(args(0, '{"a":"x [EMAIL'))]);
  try {
    await using a = await gatewayFor(openaiTarget(cut.baseUrl));
    const evs = parseSse(await (await a.post("/v1/chat/completions", chat(USER, { stream: true }))).text());
    assert.equal(chatArgs(evs), '{"to":"[EMAIL_');
    const finishAt = evs.findIndex((e) => e.json?.choices?.[0]?.finish_reason === "length");
    assert.equal(chatArgs(evs.slice(finishAt)), "", "the rest came before the finish chunk");
    assert.equal(evs.at(-1)!.data, "[DONE]");

    await using b = await gatewayFor(openaiTarget(ended.baseUrl));
    const evs2 = parseSse(await (await b.post("/v1/chat/completions", chat(USER, { stream: true }))).text());
    assert.equal(chatArgs(evs2), '{"a":"x [EMAIL');
    assert.equal(evs2.at(-1)!.json.id, "chatcmpl-r", "the added chunk looks like the provider's");
  } finally {
    await cut.close();
    await ended.close();
  }
});

Deno.test("restore stream: chat text tails keep their order and are not lost when the stream just ends", async () => {
  const long = "The report is attached and the figures look fine overall. ".repeat(4);
  // Text and finish in one chunk: the held-back rest belongs after this chunk's own text, not before it.
  const oneChunk = scripted([chunk({ content: `${long}Write to [EMAIL_1].` }, "stop"), "data: [DONE]\n\n"]);
  // Text, then the body just ends (no finish chunk, no [DONE]): the rest still reaches the client.
  const ended = scripted([chunk({ content: "Write to [EMAIL_2]" })]);
  const text = (evs: Ev[]) => evs.map((e) => e.json?.choices?.[0]?.delta?.content ?? "").join("");
  try {
    await using a = await gatewayFor(openaiTarget(oneChunk.baseUrl));
    const evs = parseSse(await (await a.post("/v1/chat/completions", chat(USER, { stream: true }))).text());
    assert.equal(text(evs), `${long}Write to bob@corp.example.`);
    await using b = await gatewayFor(openaiTarget(ended.baseUrl));
    const evs2 = parseSse(await (await b.post("/v1/chat/completions", chat(USER, { stream: true }))).text());
    assert.equal(text(evs2), "Write to alice@corp.example");
  } finally {
    await oneChunk.close();
    await ended.close();
  }
});

Deno.test("restore stream: values are JSON-escaped in streamed arguments", async () => {
  // A custom entity whose value holds quotes and a backslash: inserted raw it would break the JSON.
  const badge = 'BDG"12\\34"';
  const chain = restoreChain({
    "pii-detector": {
      redaction: { restore: true },
      detect_patterns: [{ name: "badge", pattern: 'BDG"\\d\\d\\\\\\d\\d"' }],
    },
  });
  const up = scripted([
    chunk(callStart(0, "lookup")),
    chunk(args(0, '{"badge":"[BAD')),
    chunk(args(0, 'GE_1]"}')),
    chunk({}, "tool_calls"),
    "data: [DONE]\n\n",
  ]);
  try {
    await using gw = await gatewayFor(openaiTarget(up.baseUrl), chain);
    const res = await gw.post("/v1/chat/completions", chat(`look up ${badge}`, { stream: true }));
    const evs = parseSse(await res.text());
    assert.match(up.bodies[0].messages[0].content, /look up \[BADGE_1\]/);
    assert.deepEqual(JSON.parse(chatArgs(evs)), { badge });
  } finally {
    await up.close();
  }
});

// --- Anthropic messages --------------------------------------------------------------------------

const anthropicTarget = (baseUrl: string) => ({
  id: "claude",
  provider: "anthropic",
  model: "claude-x",
  base_url: baseUrl,
  secret_key_ref: { env: "UP_KEY" },
});
const messageStart = named("message_start", {
  message: {
    id: "msg_r",
    type: "message",
    role: "assistant",
    model: "claude-x",
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 5, output_tokens: 1 },
  },
});
const jsonDelta = (index: number, partial_json: string) =>
  named("content_block_delta", { index, delta: { type: "input_json_delta", partial_json } });
const messageEnd = [
  named("message_delta", {
    delta: { stop_reason: "tool_use", stop_sequence: null },
    usage: { output_tokens: 7 },
  }),
  named("message_stop", {}),
];
function partialJson(evs: Ev[], index: number): string {
  return evs.filter((e) => e.json?.type === "content_block_delta" && e.json.index === index)
    .map((e) => e.json.delta.partial_json ?? "").join("");
}

Deno.test("restore stream: Anthropic input_json_delta — split placeholders restored once the block ends; SDK parses the input", async () => {
  const frames = [
    messageStart,
    named("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    named("content_block_delta", { index: 0, delta: { type: "text_delta", text: "ok" } }),
    named("content_block_stop", { index: 0 }),
    named("content_block_start", {
      index: 1,
      content_block: { type: "tool_use", id: "toolu_1", name: "send_email", input: {} },
    }),
    jsonDelta(1, '{"to": "['),
    jsonDelta(1, 'EMAIL_1]", "cc": "alice@co'),
    jsonDelta(1, 'rp.example", "bcc": "[EMAIL_2'),
    jsonDelta(1, ']"}'),
    named("content_block_stop", { index: 1 }),
    ...messageEnd,
  ];
  const up = scripted(frames);
  try {
    await using gw = await gatewayFor(anthropicTarget(up.baseUrl));
    const res = await gw.post("/v1/messages", {
      model: "claude-x",
      max_tokens: 100,
      stream: true,
      messages: [{ role: "user", content: USER }],
    });
    assert.equal(res.status, 200);
    const evs = parseSse(await res.text());
    // The tool block is held until content_block_stop, then goes out with its arguments restored
    // (whole in the first delta).
    assert.deepEqual(JSON.parse(partialJson(evs, 1)), {
      to: "bob@corp.example",
      cc: "alice@corp.example",
      bcc: "alice@corp.example",
    });
    const deltas = evs.filter((e) => e.json?.type === "content_block_delta" && e.json.index === 1);
    assert.equal(deltas[0].json.delta.partial_json, partialJson(evs, 1));
    for (const e of evs) assert.equal(e.event, e.json.type, "event names match the data");
    assert.deepEqual(evs.slice(-3).map((e) => e.event), [
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
  } finally {
    await up.close();
  }

  // With tool policies the tool block is held until it ends: restored the same way, and a prefix the
  // provider never completes (cut off) is flushed before content_block_stop.
  const held = scripted([
    ...frames.slice(0, 8),
    jsonDelta(1, ']", "note": "[EMAIL_'),
    ...frames.slice(9),
  ]);
  const toolPolicies = restoreChain({ "tool-validation": { declared_tools: ["send_email"] } }, [
    "tool-validation",
  ]);
  try {
    await using gw = await gatewayFor(anthropicTarget(held.baseUrl), toolPolicies);
    const res = await gw.post("/v1/messages", {
      model: "claude-x",
      max_tokens: 100,
      stream: true,
      messages: [{ role: "user", content: USER }],
    });
    const evs = parseSse(await res.text());
    assert.equal(
      partialJson(evs, 1),
      '{"to": "bob@corp.example", "cc": "alice@corp.example", "bcc": "alice@corp.example", "note": "[EMAIL_',
    );
    const stop = evs.findIndex((e) => e.json?.type === "content_block_stop" && e.json.index === 1);
    assert.equal(partialJson(evs.slice(stop), 1), "", "the flushed rest precedes content_block_stop");
    assert.equal(evs.at(-1)!.event, "message_stop");
  } finally {
    await held.close();
  }

  // The Anthropic SDK assembles and parses the restored input.
  const again = scripted(frames);
  try {
    await using gw = await gatewayFor(anthropicTarget(again.baseUrl), toolPolicies);
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: "unused", maxRetries: 0 });
    const msg = await anthropic.messages.stream({
      model: "claude-x",
      max_tokens: 100,
      messages: [{ role: "user", content: USER }],
    }).finalMessage();
    const use = msg.content.find((b) => b.type === "tool_use");
    assert.deepEqual(use?.type === "tool_use" ? use.input : undefined, {
      to: "bob@corp.example",
      cc: "alice@corp.example",
      bcc: "alice@corp.example",
    });
  } finally {
    await again.close();
  }
});

Deno.test("restore stream: chat client through an Anthropic target (translated stream) gets restored arguments", async () => {
  const up = scripted([
    messageStart,
    named("content_block_start", {
      index: 0,
      content_block: { type: "tool_use", id: "toolu_1", name: "send_email", input: {} },
    }),
    jsonDelta(0, '{"to": "[EMAIL'),
    jsonDelta(0, '_2]"}'),
    named("content_block_stop", { index: 0 }),
    ...messageEnd,
  ]);
  try {
    await using gw = await gatewayFor(anthropicTarget(up.baseUrl));
    const evs = parseSse(
      await (await gw.post("/v1/chat/completions", chat(USER, { model: "claude-x", stream: true }))).text(),
    );
    assert.deepEqual(JSON.parse(chatArgs(evs)), { to: "alice@corp.example" });
    assert.equal(evs.at(-1)!.data, "[DONE]");
  } finally {
    await up.close();
  }
});

// --- Responses API -------------------------------------------------------------------------------

Deno.test("restore stream: Responses function_call_arguments held until done, then restored in deltas, .done, items and the final response", async () => {
  const item = {
    type: "function_call",
    id: "fc_1",
    call_id: "call_1",
    name: "send_email",
    status: "in_progress",
  };
  const full = '{"to":"[EMAIL_1]","cc":"[EMAIL_2]"}';
  const done = { ...item, status: "completed", arguments: full };
  const base = { id: "resp_r", object: "response", created_at: 1, model: "m" };
  let seq = 0;
  const ev = (type: string, v: Record<string, unknown>) => named(type, { sequence_number: seq++, ...v });
  const fnDelta = (delta: string) =>
    ev("response.function_call_arguments.delta", { item_id: "fc_1", output_index: 0, delta });
  const up = scripted([
    ev("response.created", { response: { ...base, status: "in_progress", output: [] } }),
    ev("response.output_item.added", { output_index: 0, item: { ...item, arguments: "" } }),
    fnDelta('{"to":"[EMAIL_1]","cc":"[EM'),
    fnDelta("AIL_2"),
    fnDelta(']"}'),
    ev("response.function_call_arguments.done", { item_id: "fc_1", output_index: 0, arguments: full }),
    ev("response.output_item.done", { output_index: 0, item: done }),
    ev("response.completed", {
      response: {
        ...base,
        status: "completed",
        output: [done],
        usage: { input_tokens: 4, output_tokens: 6, total_tokens: 10 },
      },
    }),
  ]);
  const want = '{"to":"bob@corp.example","cc":"alice@corp.example"}';
  try {
    await using gw = await gatewayFor(openaiTarget(up.baseUrl));
    const res = await gw.post("/v1/responses", { model: "m", input: USER, stream: true });
    assert.equal(res.status, 200);
    const all = parseSse(await res.text());
    const of = (type: string) => all.filter((e) => e.event === type).map((e) => e.json);
    // The call is held until it is complete; its first delta then carries the restored arguments.
    assert.deepEqual(of("response.function_call_arguments.delta").map((j) => j.delta), [want, "", ""]);
    assert.equal(of("response.function_call_arguments.done")[0].arguments, want);
    assert.equal(of("response.output_item.done")[0].item.arguments, want);
    assert.equal(of("response.completed")[0].response.output[0].arguments, want);
    for (const e of all) assert.equal(e.event, e.json.type);
    assertSequence(all.map((e) => e.json.sequence_number), 0);
    assert.equal(gw.audit.events.at(-1)!.output_tokens, 6);
  } finally {
    await up.close();
  }

  // The OpenAI SDK's Responses stream assembles the restored arguments too.
  seq = 0;
  const again = scripted([
    ev("response.created", { response: { ...base, status: "in_progress", output: [] } }),
    ev("response.output_item.added", { output_index: 0, item: { ...item, arguments: "" } }),
    fnDelta('{"to":"[EMAIL_1'),
    fnDelta(']","cc":"[EMAIL_2]"}'),
    ev("response.function_call_arguments.done", { item_id: "fc_1", output_index: 0, arguments: full }),
    ev("response.output_item.done", { output_index: 0, item: done }),
    ev("response.completed", { response: { ...base, status: "completed", output: [done] } }),
  ]);
  try {
    await using gw = await gatewayFor(openaiTarget(again.baseUrl));
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const stream = openai.responses.stream({ model: "m", input: USER });
    let streamed = "";
    stream.on("response.function_call_arguments.delta", (e) => streamed += e.delta);
    const final = await stream.finalResponse();
    assert.equal(streamed, want);
    const call = final.output[0];
    assert.equal(call.type === "function_call" ? call.arguments : undefined, want);
  } finally {
    await again.close();
  }
});

/** The Responses streaming contract: every event has a `sequence_number`, one more than the event before. */
function assertSequence(seqs: unknown[], first: number): void {
  assert.ok(seqs.length > 0);
  seqs.forEach((n, i) => assert.equal(n, first + i, `event ${i} has sequence_number ${first + i}`));
}

Deno.test("restore stream: Responses events the guard adds keep sequence_number strictly increasing by one", async () => {
  const base = { id: "resp_s", object: "response", created_at: 1, model: "m" };
  const msg = { type: "message", id: "msg_1", role: "assistant", status: "in_progress", content: [] };
  const part = { type: "output_text", text: "", annotations: [] };
  const call = { type: "function_call", id: "fc_1", call_id: "call_1", name: "send_email", arguments: "" };
  const text = "Write to [EMAIL_1].";
  // The provider cut the arguments off inside a placeholder: they are not JSON, so they are read as free text.
  const cutArgs = '{"to":"[EMAIL_';
  const frames = (first: number) => {
    let seq = first;
    const ev = (type: string, v: Record<string, unknown>) => named(type, { sequence_number: seq++, ...v });
    const done = { ...call, status: "incomplete", arguments: cutArgs };
    const msgDone = { ...msg, status: "completed", content: [{ ...part, text }] };
    return [
      ev("response.created", { response: { ...base, status: "in_progress", output: [] } }),
      ev("response.output_item.added", { output_index: 0, item: msg }),
      ev("response.content_part.added", { item_id: "msg_1", output_index: 0, content_index: 0, part }),
      // The delta waits until its text is decided (the placeholder restored), then goes itself.
      ev("response.output_text.delta", { item_id: "msg_1", output_index: 0, content_index: 0, delta: text }),
      ev("response.output_text.done", { item_id: "msg_1", output_index: 0, content_index: 0, text }),
      ev("response.content_part.done", {
        item_id: "msg_1",
        output_index: 0,
        content_index: 0,
        part: { ...part, text },
      }),
      ev("response.output_item.done", { output_index: 0, item: msgDone }),
      ev("response.output_item.added", { output_index: 1, item: call }),
      ev("response.function_call_arguments.delta", { item_id: "fc_1", output_index: 1, delta: cutArgs }),
      ev("response.function_call_arguments.done", { item_id: "fc_1", output_index: 1, arguments: cutArgs }),
      ev("response.output_item.done", { output_index: 1, item: done }),
      ev("response.completed", {
        response: { ...base, status: "incomplete", output: [msgDone, done] },
      }),
    ];
  };
  for (const first of [0, 7]) {
    const up = scripted(frames(first));
    try {
      await using gw = await gatewayFor(openaiTarget(up.baseUrl));
      const res = await gw.post("/v1/responses", { model: "m", input: USER, stream: true });
      const evs = parseSse(await res.text());
      const of = (type: string) => evs.filter((e) => e.event === type).map((e) => e.json);
      assert.equal(
        of("response.output_text.delta").map((j) => j.delta).join(""),
        "Write to bob@corp.example.",
      );
      assert.equal(of("response.function_call_arguments.delta").map((j) => j.delta).join(""), cutArgs);
      assert.equal(
        evs.length,
        frames(first).length,
        "held text goes out in its own delta event, none is added",
      );
      assertSequence(evs.map((e) => e.json.sequence_number), first);
      for (const e of evs) assert.equal(e.event, e.json.type);
    } finally {
      await up.close();
    }
  }

  // The OpenAI SDK sees the same numbering event by event.
  const again = scripted(frames(0));
  try {
    await using gw = await gatewayFor(openaiTarget(again.baseUrl));
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const stream = openai.responses.stream({ model: "m", input: USER });
    const seqs: number[] = [];
    let streamed = "";
    for await (const e of stream) {
      seqs.push(e.sequence_number);
      if (e.type === "response.output_text.delta") streamed += e.delta;
    }
    assertSequence(seqs, 0);
    assert.equal(streamed, "Write to bob@corp.example.");
  } finally {
    await again.close();
  }
});

// --- Responses custom tools (free-text input) ----------------------------------------------------

/** A value with quotes and a backslash: raw in free text, JSON-escaped only inside JSON arguments. */
const BADGE = 'BDG"12\\34"';
const badgeChain = () =>
  restoreChain({
    "pii-detector": {
      redaction: { restore: true },
      detect_patterns: [{ name: "badge", pattern: 'BDG"\\d\\d\\\\\\d\\d"' }],
    },
  });
const BADGE_USER = `look up ${BADGE} for bob@corp.example`;

Deno.test("restore stream: Responses custom_tool_call input deltas, .done, items and the final response are restored as free text", async () => {
  const base = { id: "resp_c", object: "response", created_at: 1, model: "m" };
  const item = { type: "custom_tool_call", id: "ctc_1", call_id: "call_c", name: "shell", input: "" };
  const full = "grep '[BADGE_1]' log | mail [EMAIL_1]";
  const want = `grep '${BADGE}' log | mail bob@corp.example`;
  const done = { ...item, input: full };
  let seq = 0;
  const ev = (type: string, v: Record<string, unknown>) => named(type, { sequence_number: seq++, ...v });
  const inputDelta = (delta: string) =>
    ev("response.custom_tool_call_input.delta", { item_id: "ctc_1", output_index: 0, delta });
  const frames = () => {
    seq = 0;
    return [
      ev("response.created", { response: { ...base, status: "in_progress", output: [] } }),
      ev("response.output_item.added", { output_index: 0, item }),
      inputDelta("grep '[BAD"),
      inputDelta("GE_1]' log | mail [EMAIL_"),
      inputDelta("1]"),
      ev("response.custom_tool_call_input.done", { item_id: "ctc_1", output_index: 0, input: full }),
      ev("response.output_item.done", { output_index: 0, item: done }),
      ev("response.completed", { response: { ...base, status: "completed", output: [done] } }),
    ];
  };
  const up = scripted(frames());
  try {
    await using gw = await gatewayFor(openaiTarget(up.baseUrl), badgeChain());
    const res = await gw.post("/v1/responses", { model: "m", input: BADGE_USER, stream: true });
    const evs = parseSse(await res.text());
    assert.match(up.bodies[0].input, /look up \[BADGE_1\] for \[EMAIL_1\]/);
    const of = (type: string) => evs.filter((e) => e.event === type).map((e) => e.json);
    const deltas = of("response.custom_tool_call_input.delta").map((j) => j.delta);
    // Held until the call is complete, then the first delta carries the whole restored input.
    assert.deepEqual(deltas, [`grep '${BADGE}' log | mail bob@corp.example`, "", ""]);
    assert.equal(of("response.custom_tool_call_input.done")[0].input, want);
    assert.equal(of("response.output_item.done")[0].item.input, want);
    assert.equal(of("response.completed")[0].response.output[0].input, want);
    assertSequence(evs.map((e) => e.json.sequence_number), 0);
  } finally {
    await up.close();
  }

  // Cut off inside a placeholder: the held call goes out as it came when the stream ends.
  seq = 0;
  const cut = scripted([
    ev("response.created", { response: { ...base, status: "in_progress", output: [] } }),
    ev("response.output_item.added", { output_index: 0, item }),
    inputDelta("mail [EMAIL_"),
    ev("response.custom_tool_call_input.done", { item_id: "ctc_1", output_index: 0, input: "mail [EMAIL_" }),
  ]);
  try {
    await using gw = await gatewayFor(openaiTarget(cut.baseUrl), badgeChain());
    const evs = parseSse(
      await (await gw.post("/v1/responses", { model: "m", input: BADGE_USER, stream: true })).text(),
    );
    assert.deepEqual(evs.map((e) => e.event), [
      "response.created",
      "response.output_item.added",
      "response.custom_tool_call_input.delta",
      "response.custom_tool_call_input.done",
    ]);
    assert.equal(evs.map((e) => e.json.delta ?? "").join(""), "mail [EMAIL_");
    assertSequence(evs.map((e) => e.json.sequence_number), 0);
  } finally {
    await cut.close();
  }

  // The OpenAI SDK's final response carries the restored input.
  const again = scripted(frames());
  try {
    await using gw = await gatewayFor(openaiTarget(again.baseUrl), badgeChain());
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const final = await openai.responses.stream({ model: "m", input: BADGE_USER }).finalResponse();
    const call = final.output[0];
    assert.equal(call.type === "custom_tool_call" ? call.input : undefined, want);
  } finally {
    await again.close();
  }
});

Deno.test("restore: a complete Responses answer gets custom_tool_call input back as free text", async () => {
  const answer = {
    id: "resp_j",
    object: "response",
    created_at: 1,
    model: "m",
    status: "completed",
    output: [
      { type: "custom_tool_call", id: "ctc_1", call_id: "call_c", name: "shell", input: "cat [BADGE_1]" },
      { type: "function_call", id: "fc_1", call_id: "call_f", name: "f", arguments: '{"b":"[BADGE_1]"}' },
    ],
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      await req.body?.cancel();
      return Response.json(answer);
    },
  );
  try {
    await using gw = await gatewayFor(
      openaiTarget(`http://127.0.0.1:${server.addr.port}/v1`),
      badgeChain(),
    );
    const res = await gw.post("/v1/responses", { model: "m", input: BADGE_USER });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.output[0].input, `cat ${BADGE}`, "free text: the value as it was, not JSON-escaped");
    assert.deepEqual(JSON.parse(body.output[1].arguments), { b: BADGE }, "JSON arguments: escaped");
  } finally {
    await server.shutdown();
  }
});

/**
 * Input redaction of replayed tool-call arguments (chat `tool_calls[].function.arguments`, Anthropic
 * `tool_use.input`, Responses `function_call.arguments` and `custom_tool_call.input`) through the running
 * gateway: the provider gets placeholders, arguments stay valid, restore round-trips, block blocks.
 */
import assert from "node:assert/strict";
import { configDoc, startGateway } from "../helpers/gateway.ts";
import { startMockUpstream } from "../helpers/mock_upstream.ts";

const env = { UP_KEY: "sk-tool-args-test-key-0123456789" };
const target = (baseUrl: string, provider = "openai") => ({
  id: "up",
  provider,
  base_url: baseUrl,
  secret_key_ref: { env: "UP_KEY" },
});
const pii = (block: Record<string, unknown> = {}) => ({
  policies: { chain: ["pii-detector", "audit-logger"] },
  policy: { "pii-detector": block, "audit-logger": {} },
});

const EMAIL = "jane.doe@example.com";
const PHONE = "+44 20 7946 0958";
const ARGS = `{"to": "${EMAIL}", "meta": {"phones": ["${PHONE}"], "n": 1.50}, "note": "a \\"quoted\\" x"}`;

/** A chat history whose assistant message replays a tool call with PII in its arguments. */
function chatHistory(text = "Send it again") {
  return {
    model: "mock-gpt",
    messages: [
      { role: "user", content: `mail ${EMAIL} please` },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "send", arguments: ARGS } }],
      },
      { role: "tool", tool_call_id: "call_1", content: "sent" },
      { role: "user", content: text },
    ],
  };
}

function messagesHistory() {
  return {
    model: "mock-claude",
    max_tokens: 50,
    messages: [
      { role: "user", content: `mail ${EMAIL} please` },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Sending." },
          { type: "tool_use", id: "toolu_1", name: "send", input: JSON.parse(ARGS) },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "sent" }] },
    ],
  };
}

function responsesHistory() {
  return {
    model: "mock-gpt",
    input: [
      { role: "user", content: `mail ${EMAIL} please` },
      { type: "function_call", call_id: "c1", name: "send", arguments: ARGS },
      { type: "function_call_output", call_id: "c1", output: "sent" },
      { type: "custom_tool_call", call_id: "c2", name: "sms", input: `text ${PHONE}: hi` },
      { type: "custom_tool_call_output", call_id: "c2", output: "ok" },
      { role: "user", content: "again" },
    ],
  };
}

/**
 * A provider that answers each API with the tool calls it received in the history, as its own tool calls:
 * the caller's answer then shows exactly what restore makes of the placeholders the provider saw.
 */
function echoToolCalls() {
  // deno-lint-ignore no-explicit-any
  let last: any;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const b = await req.json();
    last = b;
    const path = new URL(req.url).pathname;
    if (path.endsWith("/chat/completions")) {
      // deno-lint-ignore no-explicit-any
      const calls = b.messages.flatMap((m: any) => m.tool_calls ?? []);
      return Response.json({
        id: "chatcmpl-echo",
        object: "chat.completion",
        created: 0,
        model: b.model,
        choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: calls } }],
      });
    }
    if (path.endsWith("/responses")) {
      // deno-lint-ignore no-explicit-any
      const calls = b.input.filter((i: any) => i.type === "function_call" || i.type === "custom_tool_call");
      return Response.json({ id: "resp_echo", object: "response", model: b.model, output: calls });
    }
    // deno-lint-ignore no-explicit-any
    const uses = b.messages.flatMap((m: any) => Array.isArray(m.content) ? m.content : [])
      // deno-lint-ignore no-explicit-any
      .filter((c: any) => c.type === "tool_use");
    return Response.json({
      id: "msg_echo",
      type: "message",
      role: "assistant",
      model: b.model,
      content: uses,
    });
  });
  const port = (server.addr as Deno.NetAddr).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    get last() {
      return last;
    },
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("tool args: chat — replayed arguments reach the provider redacted and still parse; findings count", async () => {
  await using up = startMockUpstream();
  await using gw = await startGateway(configDoc({ providers: { targets: [target(up.baseUrl)] }, ...pii() }), {
    env,
  });
  const res = await gw.post("/v1/chat/completions", chatHistory());
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get("x-keeptrusts-decision"), "redact");
  const sent = up.lastRequest.body.messages;
  const args = sent[1].tool_calls[0].function.arguments;
  assert.deepEqual(JSON.parse(args), {
    to: "[EMAIL]",
    meta: { phones: ["[PHONE]"], n: 1.5 },
    note: 'a "quoted" x',
  });
  // Only the string values changed: the rest of the argument text is the client's.
  assert.equal(
    args,
    `{"to": "[EMAIL]", "meta": {"phones": ["[PHONE]"], "n": 1.50}, "note": "a \\"quoted\\" x"}`,
  );
  assert.equal(sent[0].content, "mail [EMAIL] please");
  assert.ok(!up.lastRequest.text.includes("example.com") && !up.lastRequest.text.includes("0958"));
  const found = gw.audit.events[0].policy_results.find((r) => r.policy === "pii-detector")!;
  assert.deepEqual(found.findings, { email: 2, phone: 1 });
});

Deno.test("tool args: Anthropic tool_use input and Responses arguments/custom input reach the provider redacted", async () => {
  await using up = startMockUpstream();
  await using gw = await startGateway(
    configDoc({ providers: { targets: [target(up.baseUrl, "anthropic")] }, ...pii() }),
    { env },
  );
  const res = await gw.post("/v1/messages", messagesHistory());
  assert.equal(res.status, 200, await res.clone().text());
  const use = up.lastRequest.body.messages[1].content[1];
  assert.deepEqual(use.input, { to: "[EMAIL]", meta: { phones: ["[PHONE]"], n: 1.5 }, note: 'a "quoted" x' });
  assert.equal(up.lastRequest.body.messages[1].content[0].text, "Sending.");

  await using up2 = startMockUpstream();
  await using gw2 = await startGateway(
    configDoc({ providers: { targets: [target(up2.baseUrl)] }, ...pii() }),
    { env },
  );
  const r2 = await gw2.post("/v1/responses", responsesHistory());
  assert.equal(r2.status, 200, await r2.clone().text());
  const input = up2.lastRequest.body.input;
  assert.deepEqual(JSON.parse(input[1].arguments), {
    to: "[EMAIL]",
    meta: { phones: ["[PHONE]"], n: 1.5 },
    note: 'a "quoted" x',
  });
  assert.equal(input[3].input, "text [PHONE]: hi");
  assert.ok(!up2.lastRequest.text.includes("example.com") && !up2.lastRequest.text.includes("0958"));
  const found = gw2.audit.events[0].policy_results.find((r) => r.policy === "pii-detector")!;
  assert.deepEqual(found.findings, { email: 2, phone: 2 });
});

Deno.test("tool args: restore — same placeholder in text and arguments; the caller gets its values back", async () => {
  for (
    const [api, path, body] of [
      ["chat", "/v1/chat/completions", chatHistory()],
      ["messages", "/v1/messages", messagesHistory()],
      ["responses", "/v1/responses", responsesHistory()],
    ] as const
  ) {
    await using up = echoToolCalls();
    await using gw = await startGateway(
      configDoc({
        providers: { targets: [target(up.baseUrl, api === "messages" ? "anthropic" : "openai")] },
        ...pii({ redaction: { restore: true } }),
      }),
      { env },
    );
    const res = await gw.post(path, body);
    assert.equal(res.status, 200, `${api}: ${await res.clone().text()}`);
    const answer = await res.json();
    const seen = JSON.stringify(up.last);
    assert.ok(!seen.includes("example.com") && !seen.includes("0958"), `${api}: ${seen}`);
    const expected = JSON.parse(ARGS);
    const redacted = { ...expected, to: "[EMAIL_1]", meta: { ...expected.meta, phones: ["[PHONE_1]"] } };
    if (api === "chat") {
      assert.equal(up.last.messages[0].content, "mail [EMAIL_1] please");
      assert.deepEqual(JSON.parse(up.last.messages[1].tool_calls[0].function.arguments), redacted);
      assert.deepEqual(JSON.parse(answer.choices[0].message.tool_calls[0].function.arguments), expected);
    } else if (api === "messages") {
      assert.equal(up.last.messages[0].content, "mail [EMAIL_1] please");
      assert.deepEqual(up.last.messages[1].content[1].input, redacted);
      assert.deepEqual(answer.content[0].input, expected);
    } else {
      assert.equal(up.last.input[0].content, "mail [EMAIL_1] please");
      assert.deepEqual(JSON.parse(up.last.input[1].arguments), redacted);
      assert.equal(up.last.input[3].input, "text [PHONE_1]: hi");
      assert.deepEqual(JSON.parse(answer.output[0].arguments), expected);
      assert.equal(answer.output[1].input, `text ${PHONE}: hi`);
    }
  }
});

Deno.test("tool args: a block action blocks PII found only in replayed arguments (chat, messages, Responses)", async () => {
  await using up = startMockUpstream();
  await using gw = await startGateway(
    configDoc({ providers: { targets: [target(up.baseUrl)] }, ...pii({ action: "block" }) }),
    { env },
  );
  const clean = <T extends { messages?: unknown[]; input?: unknown[] }>(b: T): T => {
    const copy = structuredClone(b);
    // deno-lint-ignore no-explicit-any
    const first = ((copy.messages ?? copy.input) as any[])[0];
    first.content = "mail the customer please";
    return copy;
  };
  for (
    const [path, body] of [
      ["/v1/chat/completions", clean(chatHistory())],
      ["/v1/messages", clean(messagesHistory())],
      ["/v1/responses", clean(responsesHistory())],
    ] as const
  ) {
    const res = await gw.post(path, body);
    assert.equal(res.status, 409, path);
    assert.equal((await res.json()).error.code, "input_blocked");
  }
  assert.equal(up.requests.length, 0);
  assert.deepEqual(gw.audit.events.map((e) => e.verdict), ["block", "block", "block"]);
});

Deno.test("tool args: requests that redact nothing reach the provider byte-identical (with and without tool calls)", async () => {
  await using up = startMockUpstream();
  await using gw = await startGateway(configDoc({ providers: { targets: [target(up.baseUrl)] }, ...pii() }), {
    env,
  });
  const plain = '{"model":"mock-gpt",  "messages":[{"role":"user","content":"hello there"}], "n": 1.0}';
  const withCalls = JSON.stringify(chatHistory()).replaceAll(EMAIL, "someone").replaceAll(PHONE, "later");
  for (const raw of [plain, withCalls]) {
    const res = await gw.post("/v1/chat/completions", raw);
    assert.equal(res.status, 200, await res.text());
    assert.equal(res.headers.get("x-keeptrusts-decision"), "allow");
    assert.equal(up.lastRequest.text, raw);
  }
});

Deno.test("tool args: dlp-filter redaction covers arguments; a marker with quotes keeps them valid JSON", async () => {
  await using up = startMockUpstream();
  await using gw = await startGateway(
    configDoc({
      providers: { targets: [target(up.baseUrl)] },
      policies: { chain: ["dlp-filter"] },
      policy: {
        "dlp-filter": { blocked_terms: ["project-falcon"], action: "redact", marker: '<"secret\\">' },
      },
    }),
    { env },
  );
  const body = chatHistory();
  body.messages[1].tool_calls![0].function.arguments =
    '{"q":"status of project-falcon","k":["project-falcon"]}';
  const res = await gw.post("/v1/chat/completions", body);
  assert.equal(res.status, 200, await res.clone().text());
  await res.body?.cancel();
  const args = up.lastRequest.body.messages[1].tool_calls[0].function.arguments;
  assert.deepEqual(JSON.parse(args), { q: 'status of <"secret\\">', k: ['<"secret\\">'] });
});

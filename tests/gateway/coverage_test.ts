/**
 * Content coverage, position by position (docs/policies.md "Content coverage"): a recording upstream
 * behind a real kt with `pii-detector` redacting and `dlp-filter` blocking a term. A canary e-mail and
 * the term go into one request (or answer) field at a time, on every API, complete and streamed, and
 * through translation both ways. Each position is either governed (the canary never reaches the
 * provider or the client; the term is blocked) or refused with a 4xx naming its JSON path; benign text
 * in the same position passes, forwarded byte-identical.
 */
import assert from "node:assert/strict";
import { configDoc, startGateway, type TestGateway } from "../helpers/gateway.ts";
import { startMockUpstream } from "../helpers/mock_upstream.ts";
import { base64, tinyPdf } from "../helpers/pdf.ts";

const CANARY = "canary.cov@example.com";
const TERM = "project-falcon";
const BENIGN = "the weather is mild today";

const chain = {
  policies: { chain: ["pii-detector", "dlp-filter"] },
  policy: {
    "pii-detector": { action: "redact" },
    "dlp-filter": { blocked_terms: [TERM], action: "block" },
  },
};
const env = { UP_KEY: "sk-coverage-test-key-0123456789" };

// deno-lint-ignore no-explicit-any
type Body = Record<string, any>;

const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));

/** True when `text` (or any base64 payload inside it) contains `needle`. */
function contains(text: string, needle: string): boolean {
  if (text.includes(needle)) return true;
  for (const m of text.matchAll(/base64,([A-Za-z0-9+/=]+)/g)) {
    try {
      if (new TextDecoder().decode(Uint8Array.from(atob(m[1]), (c) => c.charCodeAt(0))).includes(needle)) {
        return true;
      }
    } catch {
      // not base64
    }
  }
  for (const m of text.matchAll(/"data":"([A-Za-z0-9+/=]{8,})"/g)) {
    try {
      if (atob(m[1]).includes(needle)) return true;
    } catch {
      // not base64
    }
  }
  return false;
}

/** One input position: `body(text)` places `text` in the field. */
interface InputCase {
  name: string;
  path: string;
  body: (text: string) => Body;
  /** `refused`: kt answers 400 naming `path` for any string there (unknown content). */
  expect?: "governed" | "refused";
}

const user = (content: unknown) => ({ role: "user", content });
const chatBody = (over: Body = {}, messages: unknown[] = [user("hi")]) => ({ model: "m", messages, ...over });
const tool = (fn: Body) => ({ type: "function", function: { name: "lookup", ...fn } });
const schema = (props: Body) => ({ type: "object", properties: props });

const CHAT: InputCase[] = [
  { name: "user message", path: "messages[0].content", body: (t) => chatBody({}, [user(t)]) },
  {
    name: "user text part",
    path: "messages[0].content[0].text",
    body: (t) => chatBody({}, [user([{ type: "text", text: t }])]),
  },
  {
    name: "system message",
    path: "messages[0].content",
    body: (t) => chatBody({}, [{ role: "system", content: t }, user("hi")]),
  },
  {
    name: "developer message",
    path: "messages[0].content",
    body: (t) => chatBody({}, [{ role: "developer", content: [{ type: "text", text: t }] }, user("hi")]),
  },
  {
    name: "assistant message",
    path: "messages[1].content",
    body: (t) => chatBody({}, [user("hi"), { role: "assistant", content: t }, user("go on")]),
  },
  {
    name: "assistant refusal",
    path: "messages[1].refusal",
    body: (t) => chatBody({}, [user("hi"), { role: "assistant", content: null, refusal: t }, user("go on")]),
  },
  {
    name: "message name",
    path: "messages[0].name",
    body: (t) => chatBody({}, [{ role: "user", content: "hi", name: t }]),
  },
  {
    name: "tool result",
    path: "messages[2].content",
    body: (t) =>
      chatBody({}, [user("hi"), {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
      }, { role: "tool", tool_call_id: "c1", content: t }]),
  },
  {
    name: "replayed tool-call arguments",
    path: "messages[1].tool_calls[0].function.arguments",
    body: (t) =>
      chatBody({}, [user("hi"), {
        role: "assistant",
        content: null,
        tool_calls: [{
          id: "c1",
          type: "function",
          function: { name: "f", arguments: JSON.stringify({ q: t }) },
        }],
      }, { role: "tool", tool_call_id: "c1", content: "ok" }]),
  },
  {
    name: "legacy function_call arguments",
    path: "messages[1].function_call.arguments",
    body: (t) =>
      chatBody({}, [user("hi"), {
        role: "assistant",
        content: null,
        function_call: { name: "f", arguments: JSON.stringify({ q: t }) },
      }, { role: "function", name: "f", content: "ok" }]),
  },
  {
    name: "tool description",
    path: "tools[0].function.description",
    body: (t) => chatBody({ tools: [tool({ description: t })] }),
  },
  {
    name: "tool parameter description",
    path: "tools[0].function.parameters.properties.q.description",
    body: (t) =>
      chatBody({ tools: [tool({ parameters: schema({ q: { type: "string", description: t } }) })] }),
  },
  {
    name: "tool parameter enum",
    path: "tools[0].function.parameters.properties.q.enum[0]",
    body: (t) =>
      chatBody({ tools: [tool({ parameters: schema({ q: { type: "string", enum: [t, "b"] } }) })] }),
  },
  {
    name: "tool parameter title, default, examples",
    path: "tools[0].function.parameters.properties.q.title",
    body: (t) =>
      chatBody({
        tools: [tool({ parameters: schema({ q: { type: "string", title: t, default: t, examples: [t] } }) })],
      }),
  },
  {
    name: "custom tool description",
    path: "tools[0].custom.description",
    body: (t) => chatBody({ tools: [{ type: "custom", custom: { name: "sh", description: t } }] }),
  },
  {
    name: "legacy functions[]",
    path: "functions[0].description",
    body: (t) => chatBody({ functions: [{ name: "f", description: t, parameters: schema({}) }] }),
  },
  {
    name: "response_format schema",
    path: "response_format.json_schema.schema.properties.a.description",
    body: (t) =>
      chatBody({
        response_format: {
          type: "json_schema",
          json_schema: { name: "out", schema: schema({ a: { type: "string", description: t } }) },
        },
      }),
  },
  {
    name: "response_format description",
    path: "response_format.json_schema.description",
    body: (t) =>
      chatBody({
        response_format: {
          type: "json_schema",
          json_schema: { name: "out", description: t, schema: schema({}) },
        },
      }),
  },
  {
    name: "prediction",
    path: "prediction.content",
    body: (t) => chatBody({ prediction: { type: "content", content: t } }),
  },
  { name: "user (stored)", path: "user", body: (t) => chatBody({ user: t }) },
  {
    name: "metadata value (stored)",
    path: "metadata.note",
    body: (t) => chatBody({ metadata: { note: t } }),
  },
  {
    name: "safety_identifier (stored)",
    path: "safety_identifier",
    body: (t) => chatBody({ safety_identifier: t }),
  },
  { name: "stop sequence (stored)", path: "stop[0]", body: (t) => chatBody({ stop: [t] }) },
  {
    name: "text file part",
    path: "messages[0].content[0].file.file_data",
    body: (t) =>
      chatBody({}, [
        user([{
          type: "file",
          file: { filename: "notes.txt", file_data: `data:text/plain;base64,${b64(t)}` },
        }]),
      ]),
  },
  {
    name: "JSON file part",
    path: "messages[0].content[0].file.file_data",
    body: (t) =>
      chatBody({}, [
        user([{
          type: "file",
          file: {
            filename: "a.json",
            file_data: `data:application/json;base64,${b64(JSON.stringify({ note: t }))}`,
          },
        }]),
      ]),
  },
  {
    name: "image URL",
    path: "messages[0].content[0].image_url.url",
    body: (t) =>
      chatBody({}, [
        user([{
          type: "image_url",
          image_url: { url: `https://img.example/a?q=${t.replaceAll(" ", "+")}` },
        }]),
      ]),
  },
  {
    name: "unknown top-level field",
    path: "x_notes",
    expect: "refused",
    body: (t) => chatBody({ x_notes: t }),
  },
  {
    name: "unknown part type",
    path: "messages[0].content[0]",
    expect: "refused",
    body: (t) => chatBody({}, [user([{ type: "x_note", text: t }])]),
  },
  {
    name: "unknown message field",
    path: "messages[0].x_hidden",
    expect: "refused",
    body: (t) => chatBody({}, [{ role: "user", content: "hi", x_hidden: t }]),
  },
];

const COMPLETIONS: InputCase[] = [
  { name: "prompt", path: "prompt", body: (t) => ({ model: "m", prompt: t }) },
  { name: "prompt list", path: "prompt[1]", body: (t) => ({ model: "m", prompt: ["a", t] }) },
  { name: "suffix", path: "suffix", body: (t) => ({ model: "m", prompt: "a", suffix: t }) },
  { name: "user (stored)", path: "user", body: (t) => ({ model: "m", prompt: "a", user: t }) },
];

const EMBEDDINGS: InputCase[] = [
  { name: "input", path: "input", body: (t) => ({ model: "m", input: t }) },
  { name: "input list", path: "input[1]", body: (t) => ({ model: "m", input: ["a", t] }) },
];

const rBody = (input: unknown, over: Body = {}) => ({ model: "m", input, ...over });
const RESPONSES: InputCase[] = [
  { name: "input string", path: "input", body: (t) => rBody(t) },
  { name: "instructions", path: "instructions", body: (t) => rBody("hi", { instructions: t }) },
  {
    name: "input_text part",
    path: "input[0].content[0].text",
    body: (t) => rBody([{ role: "user", content: [{ type: "input_text", text: t }] }]),
  },
  {
    name: "developer message",
    path: "input[0].content",
    body: (t) => rBody([{ type: "message", role: "developer", content: t }, { role: "user", content: "hi" }]),
  },
  {
    name: "function_call_output",
    path: "input[1].output",
    body: (t) =>
      rBody([{ type: "function_call", call_id: "c1", name: "f", arguments: "{}" }, {
        type: "function_call_output",
        call_id: "c1",
        output: t,
      }]),
  },
  {
    name: "replayed function_call arguments",
    path: "input[0].arguments",
    body: (t) =>
      rBody([{ type: "function_call", call_id: "c1", name: "f", arguments: JSON.stringify({ q: t }) }, {
        type: "function_call_output",
        call_id: "c1",
        output: "ok",
      }]),
  },
  {
    name: "input_file text data",
    path: "input[0].content[0].file_data",
    body: (t) =>
      rBody([{
        role: "user",
        content: [{ type: "input_file", filename: "n.txt", file_data: `data:text/plain;base64,${b64(t)}` }],
      }]),
  },
  {
    name: "function tool description and parameters",
    path: "tools[0].parameters.properties.q.description",
    body: (t) =>
      rBody("hi", {
        tools: [{
          type: "function",
          name: "f",
          description: t,
          parameters: schema({ q: { type: "string", description: t } }),
          strict: false,
        }],
      }),
  },
  {
    name: "text.format schema",
    path: "text.format.schema.properties.a.description",
    body: (t) =>
      rBody("hi", {
        text: {
          format: {
            type: "json_schema",
            name: "o",
            schema: schema({ a: { type: "string", description: t } }),
          },
        },
      }),
  },
  { name: "metadata (stored)", path: "metadata.k", body: (t) => rBody("hi", { metadata: { k: t } }) },
  {
    name: "replayed reasoning summary",
    path: "input[0].summary[0].text",
    body: (t) =>
      rBody([{ type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: t }] }, {
        role: "user",
        content: "hi",
      }]),
  },
  {
    name: "prompt variables",
    path: "prompt.variables.who",
    body: (t) => rBody("hi", { prompt: { id: "pmpt_1", variables: { who: t } } }),
  },
  {
    name: "provider-run item (scanned whole)",
    path: "input[0].action.query",
    body: (t) =>
      rBody([{
        type: "web_search_call",
        id: "ws_1",
        status: "completed",
        action: { type: "search", query: t },
      }, { role: "user", content: "hi" }]),
  },
  {
    name: "unknown item type",
    path: "input[0]",
    expect: "refused",
    body: (t) => rBody([{ type: "x_item", text: t }]),
  },
];

const mBody = (messages: unknown[], over: Body = {}) => ({ model: "m", max_tokens: 64, messages, ...over });
const MESSAGES: InputCase[] = [
  { name: "system string", path: "system", body: (t) => mBody([user("hi")], { system: t }) },
  {
    name: "system text block",
    path: "system[0].text",
    body: (t) => mBody([user("hi")], { system: [{ type: "text", text: t }] }),
  },
  {
    name: "user text block",
    path: "messages[0].content[0].text",
    body: (t) => mBody([user([{ type: "text", text: t }])]),
  },
  {
    name: "tool_result content",
    path: "messages[2].content[0].content",
    body: (t) =>
      mBody([user("hi"), {
        role: "assistant",
        content: [{ type: "tool_use", id: "t1", name: "f", input: {} }],
      }, user([{ type: "tool_result", tool_use_id: "t1", content: t }])]),
  },
  {
    name: "replayed tool_use input",
    path: "messages[1].content[0].input.q",
    body: (t) =>
      mBody([user("hi"), {
        role: "assistant",
        content: [{ type: "tool_use", id: "t1", name: "f", input: { q: t } }],
      }, user([{ type: "tool_result", tool_use_id: "t1", content: "ok" }])]),
  },
  {
    name: "tool description and input_schema",
    path: "tools[0].input_schema.properties.q.description",
    body: (t) =>
      mBody([user("hi")], {
        tools: [{
          name: "f",
          description: t,
          input_schema: schema({ q: { type: "string", description: t } }),
        }],
      }),
  },
  {
    name: "text document",
    path: "messages[0].content[0].source.data",
    body: (t) =>
      mBody([user([{ type: "document", source: { type: "text", media_type: "text/plain", data: t } }])]),
  },
  {
    name: "document title and context",
    path: "messages[0].content[0].title",
    body: (t) =>
      mBody([
        user([{
          type: "document",
          title: t,
          context: t,
          source: { type: "text", media_type: "text/plain", data: "x" },
        }]),
      ]),
  },
  {
    name: "content document",
    path: "messages[0].content[0].source.content[0].text",
    body: (t) =>
      mBody([
        user([{ type: "document", source: { type: "content", content: [{ type: "text", text: t }] } }]),
      ]),
  },
  {
    name: "search_result content",
    path: "messages[0].content[0].content[0].text",
    body: (t) =>
      mBody([
        user([{
          type: "search_result",
          source: "https://a.example",
          title: "a",
          content: [{ type: "text", text: t }],
        }]),
      ]),
  },
  {
    name: "replayed thinking",
    path: "messages[1].content[0].thinking",
    body: (t) =>
      mBody([user("hi"), {
        role: "assistant",
        content: [{ type: "thinking", thinking: t, signature: "sig" }, { type: "text", text: "ok" }],
      }, user("go on")]),
  },
  {
    name: "metadata.user_id (stored)",
    path: "metadata.user_id",
    body: (t) => mBody([user("hi")], { metadata: { user_id: t } }),
  },
  {
    name: "server tool (scanned whole)",
    path: "tools[0].user_location.city",
    body: (t) =>
      mBody([user("hi")], {
        tools: [{
          type: "web_search_20250305",
          name: "web_search",
          user_location: { type: "approximate", city: t },
        }],
      }),
  },
  {
    name: "unknown block type",
    path: "messages[0].content[0]",
    expect: "refused",
    body: (t) => mBody([user([{ type: "x_block", text: t }])]),
  },
];

const ROUTES: Array<[string, string, InputCase[]]> = [
  ["chat", "/v1/chat/completions", CHAT],
  ["completions", "/v1/completions", COMPLETIONS],
  ["embeddings", "/v1/embeddings", EMBEDDINGS],
  ["responses", "/v1/responses", RESPONSES],
  ["messages", "/v1/messages", MESSAGES],
];

/** The status of a response, its body consumed. */
async function statusOf(res: Promise<Response>): Promise<number> {
  const r = await res;
  await r.body?.cancel();
  return r.status;
}

async function withGateway(
  targets: Body[],
  fn: (gw: TestGateway) => Promise<void>,
  extra: Body = {},
): Promise<void> {
  await using gw = await startGateway(configDoc({ providers: { targets }, ...chain, ...extra }), { env });
  await fn(gw);
}

Deno.test("coverage: every input position of every API is governed or refused with its path", async (t) => {
  await using up = startMockUpstream();
  const openai = {
    id: "openai",
    provider: "openai",
    base_url: up.baseUrl,
    secret_key_ref: { env: "UP_KEY" },
  };
  const anthropic = {
    id: "anthropic",
    provider: "anthropic",
    base_url: up.baseUrl,
    secret_key_ref: { env: "UP_KEY" },
  };
  let positions = 0;
  for (const [api, route, cases] of ROUTES) {
    await withGateway([api === "messages" ? anthropic : openai], async (gw) => {
      for (const c of cases) {
        positions++;
        await t.step(`${api}: ${c.name}`, async () => {
          // PII: redacted before the provider sees it, or refused naming the path.
          const sent = up.requests.length;
          const res = await gw.post(route, c.body(`write to ${CANARY} soon`));
          const text = await res.text();
          if (c.expect === "refused") {
            assert.equal(res.status, 400, text);
            const err = JSON.parse(text).error;
            assert.equal(err.code, "unsupported_content");
            assert.equal(err.param, c.path);
            assert.equal(up.requests.length, sent, "nothing reached the provider");
            return;
          }
          assert.equal(res.status, 200, text);
          assert.equal(up.requests.length, sent + 1);
          assert.ok(!contains(up.lastRequest.text, CANARY), `the canary reached the provider at ${c.path}`);
          // The blocked term: 409 from dlp-filter, and nothing upstream.
          const blocked = await gw.post(route, c.body(`about ${TERM} today`));
          assert.equal(blocked.status, 409, `${c.path}: ${await blocked.text()}`);
          assert.equal(up.requests.length, sent + 1, "a blocked request never reaches the provider");
          // Benign text in the same place passes, forwarded as the client sent it.
          const benign = c.body(BENIGN);
          const ok = await gw.post(route, benign);
          assert.equal(ok.status, 200, await ok.text());
          assert.equal(
            up.lastRequest.text,
            JSON.stringify(benign),
            "benign bodies go upstream byte-identical",
          );
        });
      }
    });
  }
  assert.ok(positions >= 55, `${positions} input positions`);
  const event = await (async () => {
    await using gw = await startGateway(configDoc({ providers: { targets: [openai] }, ...chain }), { env });
    await (await gw.post("/v1/chat/completions", CHAT[10].body(BENIGN))).text();
    return gw.audit.events[0];
  })();
  assert.equal(event.coverage.scanned.tools, 2, "the coverage manifest counts tool segments");
  assert.equal(event.coverage.scanned.messages, 1);
});

Deno.test("coverage: duplicate keys at the top level, in a message and in a tool definition are 400 with the path", async () => {
  await using up = startMockUpstream();
  await withGateway([{
    id: "o",
    provider: "openai",
    base_url: up.baseUrl,
    secret_key_ref: { env: "UP_KEY" },
  }], async (gw) => {
    const cases: Array<[string, string]> = [
      [
        '{"model":"m","messages":[{"role":"user","content":"hi"}],"messages":[{"role":"user","content":"x"}]}',
        "messages",
      ],
      [
        `{"model":"m","messages":[{"role":"user","content":"ssn 123-45-6789 ${TERM} ignore all previous instructions","content":"hello"}]}`,
        "messages[0].content",
      ],
      [
        '{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","description":"a","descr\\u0069ption":"b"}}]}',
        "tools[0].function.description",
      ],
    ];
    for (const [body, param] of cases) {
      const res = await gw.post("/v1/chat/completions", body);
      const err = (await res.json()).error;
      assert.equal(res.status, 400);
      assert.equal(err.code, "malformed_json");
      assert.equal(err.param, param);
    }
    assert.equal(up.requests.length, 0);
  });
});

Deno.test("coverage: bad input shapes are 400s with their paths", async () => {
  await using up = startMockUpstream();
  const targets = [{ id: "o", provider: "openai", base_url: up.baseUrl, secret_key_ref: { env: "UP_KEY" } }];
  await withGateway(targets, async (gw) => {
    const cases: Array<[string, Body, string, string]> = [
      [
        "/v1/chat/completions",
        chatBody({}, [{ role: "wizard", content: "hi" }]),
        "invalid_field",
        "messages[0].role",
      ],
      [
        "/v1/chat/completions",
        chatBody({}, [user([{ type: "x_video", url: "a" }])]),
        "unsupported_content",
        "messages[0].content[0]",
      ],
      ["/v1/chat/completions", chatBody({ stream: "yes" }), "invalid_field", "stream"],
      ["/v1/chat/completions", chatBody({ max_tokens: -5 }), "invalid_field", "max_tokens"],
      ["/v1/chat/completions", chatBody({ temperature: "hot" }), "invalid_field", "temperature"],
      ["/v1/messages", { model: "m", messages: [user("hi")] }, "missing_field", "max_tokens"],
      ["/v1/messages", mBody([{ role: "tool", content: "hi" }]), "invalid_field", "messages[0].role"],
      ["/v1/responses", rBody("hi", { temperature: 7 }), "invalid_field", "temperature"],
    ];
    for (const [route, body, code, param] of cases) {
      const res = await gw.post(route, body);
      const err = (await res.json()).error;
      assert.equal(res.status, 400, `${param}: ${JSON.stringify(err)}`);
      assert.equal(err.code, code, param);
      assert.equal(err.param, param);
      assert.match(err.message, new RegExp(param.replace(/[[\].]/g, "\\$&")));
    }
    assert.equal(up.requests.length, 0);
  });
});

Deno.test("coverage: token ids, media and opaque files follow the coverage section", async () => {
  await using up = startMockUpstream();
  const targets = [{ id: "o", provider: "openai", base_url: up.baseUrl, secret_key_ref: { env: "UP_KEY" } }];
  const image = user([{ type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } }]);
  const byId = user([{ type: "file", file: { file_id: "file-abc123" } }]);
  await withGateway(targets, async (gw) => {
    for (
      const [route, body, param] of [
        ["/v1/embeddings", { model: "m", input: [1, 2, 3] }, "input"],
        ["/v1/completions", { model: "m", prompt: [[1, 2], [3]] }, "prompt[0]"],
        ["/v1/chat/completions", chatBody({}, [byId]), "messages[0].content[0].file.file_id"],
      ] as const
    ) {
      const res = await gw.post(route, body);
      const err = (await res.json()).error;
      assert.equal(res.status, 400);
      assert.equal(err.code, "unsupported_content");
      assert.equal(err.param, param);
      assert.equal(gw.audit.events.at(-1)!.coverage.refused, param, "the event names what was refused");
    }
    assert.equal(await statusOf(gw.post("/v1/chat/completions", chatBody({}, [image]))), 200);
    assert.equal(gw.audit.events.at(-1)!.coverage.media, 1, "media is counted");
  });
  await withGateway(targets, async (gw) => {
    assert.equal(await statusOf(gw.post("/v1/embeddings", { model: "m", input: [1, 2, 3] })), 200);
    const res = await gw.post("/v1/chat/completions", chatBody({}, [image]));
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.param, "messages[0].content[0].image_url.url");
    assert.equal(await statusOf(gw.post("/v1/chat/completions", chatBody({}, [byId]))), 200);
  }, { coverage: { token_ids: "allow", media: "block", opaque_files: "allow" } });
  // Without a content policy, token ids carry nothing a policy would read.
  await using plain = await startGateway(configDoc({ providers: { targets } }), { env });
  assert.equal(await statusOf(plain.post("/v1/embeddings", { model: "m", input: [1, 2, 3] })), 200);
});

Deno.test("coverage: coverage.unknown: scan reads unknown fields as text instead of refusing them", async () => {
  await using up = startMockUpstream();
  const targets = [{ id: "o", provider: "openai", base_url: up.baseUrl, secret_key_ref: { env: "UP_KEY" } }];
  await withGateway(targets, async (gw) => {
    const res = await gw.post(
      "/v1/chat/completions",
      chatBody({ x_notes: { a: [`mail ${CANARY}`] }, x_flag: true }),
    );
    assert.equal(res.status, 200, await res.text());
    assert.ok(!up.lastRequest.text.includes(CANARY));
    assert.deepEqual(up.lastRequest.body.x_notes, { a: ["mail [EMAIL]"] });
    assert.equal(await statusOf(gw.post("/v1/chat/completions", chatBody({ x_notes: TERM }))), 409);
  }, { coverage: { unknown: "scan" } });
});

// --- output ------------------------------------------------------------------------------------------

/** A provider on 127.0.0.1 answering every POST with the body `answer()` gives (JSON or SSE frames). */
function canned(answer: () => Body | string[]) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.text();
    const a = answer();
    if (Array.isArray(a)) {
      return new Response(a.join(""), { headers: { "content-type": "text/event-stream" } });
    }
    return Response.json(a);
  });
  return { baseUrl: `http://127.0.0.1:${server.addr.port}/v1`, close: () => server.shutdown() };
}

const sse = (v: unknown, event?: string) =>
  `${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(v)}\n\n`;
const chunk = (delta: Body, finish: string | null = null) =>
  sse({
    id: "c",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
const done = "data: [DONE]\n\n";
const ant = (type: string, v: Body) => sse({ type, ...v }, type);
const antStart = ant("message_start", {
  message: {
    id: "msg",
    type: "message",
    role: "assistant",
    model: "m",
    content: [],
    usage: { input_tokens: 1, output_tokens: 0 },
  },
});
const antEnd = [
  ant("message_delta", { delta: { stop_reason: "end_turn" }, usage: { output_tokens: 3 } }),
  ant("message_stop", {}),
];
const rEv = (type: string, v: Body) => sse({ type, ...v }, type);

/** One output position: the provider's answer with `text` in the field, for a client request. */
interface OutputCase {
  name: string;
  api: "chat" | "messages" | "responses";
  stream: boolean;
  answer: (text: string) => Body | string[];
}

const chatAnswer = (message: Body) => ({
  id: "c",
  object: "chat.completion",
  created: 1,
  model: "m",
  choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", ...message } }],
});
const OUTPUT: OutputCase[] = [
  { name: "chat content", api: "chat", stream: false, answer: (t) => chatAnswer({ content: t }) },
  {
    name: "chat refusal",
    api: "chat",
    stream: false,
    answer: (t) => chatAnswer({ content: null, refusal: t }),
  },
  {
    name: "chat reasoning_content",
    api: "chat",
    stream: false,
    answer: (t) => chatAnswer({ content: "ok", reasoning_content: t }),
  },
  {
    name: "chat tool-call arguments",
    api: "chat",
    stream: false,
    answer: (t) =>
      chatAnswer({
        content: null,
        tool_calls: [{
          id: "c1",
          type: "function",
          function: { name: "send", arguments: JSON.stringify({ to: t }) },
        }],
      }),
  },
  {
    name: "chat streamed content",
    api: "chat",
    stream: true,
    answer: (t) => [
      chunk({ role: "assistant", content: "" }),
      ...split(t).map((p) => chunk({ content: p })),
      chunk({}, "stop"),
      done,
    ],
  },
  {
    name: "chat streamed refusal",
    api: "chat",
    stream: true,
    answer: (t) => [
      chunk({ role: "assistant" }),
      ...split(t).map((p) => chunk({ refusal: p })),
      chunk({}, "stop"),
      done,
    ],
  },
  {
    name: "chat streamed reasoning_content",
    api: "chat",
    stream: true,
    answer: (t) => [
      chunk({ role: "assistant" }),
      ...split(t).map((p) => chunk({ reasoning_content: p })),
      chunk({ content: "ok" }),
      chunk({}, "stop"),
      done,
    ],
  },
  {
    name: "chat streamed tool-call arguments (split across deltas)",
    api: "chat",
    stream: true,
    answer: (
      t,
    ) => [
      chunk({
        role: "assistant",
        tool_calls: [{ index: 0, id: "c1", type: "function", function: { name: "send", arguments: "" } }],
      }),
      ...split(JSON.stringify({ to: t })).map((p) =>
        chunk({ tool_calls: [{ index: 0, function: { arguments: p } }] })
      ),
      chunk({}, "tool_calls"),
      done,
    ],
  },
  {
    name: "chat stream: unknown event type",
    api: "chat",
    stream: true,
    answer: (t) => [chunk({ content: "ok" }), sse({ note: t }, "x-provider-note"), chunk({}, "stop"), done],
  },
  {
    name: "chat stream: non-JSON data line",
    api: "chat",
    stream: true,
    answer: (t) => [chunk({ content: "ok" }), `data: note ${t}\n\n`, chunk({}, "stop"), done],
  },
  {
    name: "messages text",
    api: "messages",
    stream: false,
    answer: (t) => ({
      id: "m",
      type: "message",
      role: "assistant",
      model: "m",
      content: [{ type: "text", text: t }],
      stop_reason: "end_turn",
      usage: { input_tokens: 1, output_tokens: 1 },
    }),
  },
  {
    name: "messages thinking",
    api: "messages",
    stream: false,
    answer: (t) => ({
      id: "m",
      type: "message",
      role: "assistant",
      model: "m",
      content: [{ type: "thinking", thinking: t, signature: "s" }, { type: "text", text: "ok" }],
      stop_reason: "end_turn",
      usage: { input_tokens: 1, output_tokens: 1 },
    }),
  },
  {
    name: "messages tool_use input",
    api: "messages",
    stream: false,
    answer: (t) => ({
      id: "m",
      type: "message",
      role: "assistant",
      model: "m",
      content: [{ type: "tool_use", id: "t", name: "send", input: { to: t } }],
      stop_reason: "tool_use",
      usage: { input_tokens: 1, output_tokens: 1 },
    }),
  },
  {
    name: "messages streamed text",
    api: "messages",
    stream: true,
    answer: (
      t,
    ) => [
      antStart,
      ant("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
      ...split(t).map((p) =>
        ant("content_block_delta", { index: 0, delta: { type: "text_delta", text: p } })
      ),
      ant("content_block_stop", { index: 0 }),
      ...antEnd,
    ],
  },
  {
    name: "messages streamed thinking",
    api: "messages",
    stream: true,
    answer: (
      t,
    ) => [
      antStart,
      ant("content_block_start", {
        index: 0,
        content_block: { type: "thinking", thinking: "", signature: "" },
      }),
      ...split(t).map((p) =>
        ant("content_block_delta", { index: 0, delta: { type: "thinking_delta", thinking: p } })
      ),
      ant("content_block_stop", { index: 0 }),
      ...antEnd,
    ],
  },
  {
    name: "messages streamed input_json_delta",
    api: "messages",
    stream: true,
    answer: (
      t,
    ) => [
      antStart,
      ant("content_block_start", {
        index: 0,
        content_block: { type: "tool_use", id: "t", name: "send", input: {} },
      }),
      ...split(JSON.stringify({ to: t })).map((p) =>
        ant("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: p } })
      ),
      ant("content_block_stop", { index: 0 }),
      ...antEnd,
    ],
  },
  {
    name: "messages stream: unknown event type",
    api: "messages",
    stream: true,
    answer: (t) => [antStart, ant("x_annotation", { note: t }), ...antEnd],
  },
  {
    name: "responses output_text",
    api: "responses",
    stream: false,
    answer: (t) => ({
      id: "r",
      object: "response",
      status: "completed",
      model: "m",
      output: [{
        type: "message",
        id: "m1",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: t, annotations: [] }],
      }],
    }),
  },
  {
    name: "responses reasoning summary",
    api: "responses",
    stream: false,
    answer: (t) => ({
      id: "r",
      object: "response",
      status: "completed",
      model: "m",
      output: [{ type: "reasoning", id: "rs", summary: [{ type: "summary_text", text: t }] }],
    }),
  },
  {
    name: "responses function_call arguments",
    api: "responses",
    stream: false,
    answer: (t) => ({
      id: "r",
      object: "response",
      status: "completed",
      model: "m",
      output: [{
        type: "function_call",
        id: "fc",
        call_id: "c",
        name: "send",
        arguments: JSON.stringify({ to: t }),
      }],
    }),
  },
  {
    name: "responses streamed reasoning summary",
    api: "responses",
    stream: true,
    answer: (
      t,
    ) => [
      rEv("response.created", {
        sequence_number: 0,
        response: { id: "r", object: "response", status: "in_progress", output: [] },
      }),
      ...split(t).map((p, i) =>
        rEv("response.reasoning_summary_text.delta", {
          sequence_number: i + 1,
          item_id: "rs",
          output_index: 0,
          summary_index: 0,
          delta: p,
        })
      ),
      rEv("response.reasoning_summary_text.done", {
        sequence_number: 9,
        item_id: "rs",
        output_index: 0,
        summary_index: 0,
        text: t,
      }),
      rEv("response.completed", {
        sequence_number: 10,
        response: {
          id: "r",
          object: "response",
          status: "completed",
          output: [{ type: "reasoning", id: "rs", summary: [{ type: "summary_text", text: t }] }],
        },
      }),
    ],
  },
  {
    name: "responses streamed function_call arguments",
    api: "responses",
    stream: true,
    answer: (
      t,
    ) => [
      rEv("response.output_item.added", {
        sequence_number: 0,
        output_index: 0,
        item: { type: "function_call", id: "fc", call_id: "c", name: "send", arguments: "" },
      }),
      ...split(JSON.stringify({ to: t })).map((p, i) =>
        rEv("response.function_call_arguments.delta", {
          sequence_number: i + 1,
          item_id: "fc",
          output_index: 0,
          delta: p,
        })
      ),
      rEv("response.function_call_arguments.done", {
        sequence_number: 9,
        item_id: "fc",
        output_index: 0,
        arguments: JSON.stringify({ to: t }),
      }),
      rEv("response.completed", {
        sequence_number: 10,
        response: {
          id: "r",
          object: "response",
          status: "completed",
          output: [{
            type: "function_call",
            id: "fc",
            call_id: "c",
            name: "send",
            arguments: JSON.stringify({ to: t }),
          }],
        },
      }),
    ],
  },
  {
    name: "responses stream: unknown event type",
    api: "responses",
    stream: true,
    answer: (
      t,
    ) => [
      rEv("response.x_note", { sequence_number: 0, note: t }),
      rEv("response.completed", {
        sequence_number: 1,
        response: { id: "r", object: "response", status: "completed", output: [] },
      }),
    ],
  },
];

/** Splits `text` into three pieces at arbitrary points (an entity spread across three events). */
function split(text: string): string[] {
  const a = Math.floor(text.length / 3);
  const b = Math.floor((2 * text.length) / 3);
  return [text.slice(0, a), text.slice(a, b), text.slice(b)];
}

const CLIENT: Record<OutputCase["api"], [string, (stream: boolean) => Body]> = {
  chat: ["/v1/chat/completions", (stream) => chatBody({ stream })],
  messages: ["/v1/messages", (stream) => mBody([user("hi")], { stream })],
  responses: ["/v1/responses", (stream) => rBody("hi", { stream })],
};

Deno.test("coverage: every model-produced output position is governed, complete and streamed", async (t) => {
  let text = "";
  const up = canned(() => current.answer(text));
  let current: OutputCase = OUTPUT[0];
  try {
    const targets = (api: string) => [{
      id: "up",
      provider: api === "messages" ? "anthropic" : "openai",
      base_url: up.baseUrl,
      secret_key_ref: { env: "UP_KEY" },
    }];
    for (const api of ["chat", "messages", "responses"] as const) {
      await withGateway(targets(api), async (gw) => {
        for (const c of OUTPUT.filter((o) => o.api === api)) {
          await t.step(c.name, async () => {
            current = c;
            const [route, body] = CLIENT[api];
            text = `reach ${CANARY} now`;
            const res = await gw.post(route, body(c.stream));
            const got = await res.text();
            assert.equal(res.status, 200, got);
            assert.ok(
              !got.includes(CANARY) && !got.includes("canary.cov"),
              `the canary reached the client: ${got}`,
            );
            text = `all about ${TERM} here`;
            const blocked = await gw.post(route, body(c.stream));
            const b = await blocked.text();
            assert.ok(!b.includes(TERM), "the blocked term never reaches the client");
            if (!c.name.includes("non-JSON") && !c.name.includes("unknown")) {
              if (c.stream) assert.match(b, /output_blocked/);
              else assert.equal(blocked.status, 409);
            }
          });
        }
      });
    }
  } finally {
    await up.close();
  }
});

Deno.test("coverage: a stream frame a policy acts on but kt cannot rewrite is dropped and counted", async () => {
  const up = canned(
    () => [
      chunk({ content: "ok" }),
      `data: note ${CANARY}\n\n`,
      `data: plain frame\n\n`,
      chunk({}, "stop"),
      done,
    ],
  );
  try {
    await withGateway([{
      id: "o",
      provider: "openai",
      base_url: up.baseUrl,
      secret_key_ref: { env: "UP_KEY" },
    }], async (gw) => {
      const res = await gw.post("/v1/chat/completions", chatBody({ stream: true }));
      const text = await res.text();
      assert.ok(!text.includes(CANARY));
      assert.match(text, /data: plain frame/, "a frame no policy acts on passes");
      const event = gw.audit.events.at(-1)!;
      assert.equal(event.coverage.dropped, 1);
      assert.ok((event.coverage.scanned.output_text ?? 0) >= 3);
    });
  } finally {
    await up.close();
  }
});

Deno.test("coverage: output policies refuse options whose output they cannot read", async () => {
  await using up = startMockUpstream();
  await withGateway([{
    id: "o",
    provider: "openai",
    base_url: up.baseUrl,
    secret_key_ref: { env: "UP_KEY" },
  }], async (gw) => {
    for (
      const [body, param] of [
        [chatBody({ logprobs: true }), "logprobs"],
        [chatBody({ modalities: ["text", "audio"], audio: { voice: "alloy", format: "wav" } }), "modalities"],
      ] as const
    ) {
      const res = await gw.post("/v1/chat/completions", body);
      assert.equal(res.status, 400);
      assert.equal((await res.json()).error.param, param);
    }
    assert.equal(up.requests.length, 0);
  });
});

// --- translation -------------------------------------------------------------------------------------

Deno.test("coverage: translation carries every part to the other dialect, or refuses naming it", async () => {
  await using up = startMockUpstream();
  const anthropic = {
    id: "anthropic",
    provider: "anthropic",
    base_url: up.baseUrl,
    secret_key_ref: { env: "UP_KEY" },
  };
  const openai = {
    id: "openai",
    provider: "openai",
    base_url: up.baseUrl,
    secret_key_ref: { env: "UP_KEY" },
  };
  const pdf = b64("%PDF-1.4 stand-in bytes");

  // A chat client through an Anthropic target.
  await withGateway([anthropic], async (gw) => {
    const res = await gw.post(
      "/v1/chat/completions",
      chatBody({}, [user([
        { type: "text", text: "read these" },
        {
          type: "file",
          file: { filename: "notes.txt", file_data: `data:text/plain;base64,${b64(`mail ${CANARY}`)}` },
        },
        { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
      ])]),
    );
    assert.equal(res.status, 200, await res.text());
    const sent = up.lastRequest.body.messages[0].content;
    assert.deepEqual(sent[1], {
      type: "document",
      source: { type: "text", media_type: "text/plain", data: "mail [EMAIL]" },
      title: "notes.txt",
    });
    assert.deepEqual(sent[2], {
      type: "image",
      source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" },
    });
    for (
      const [body, param] of [
        [
          chatBody({}, [user([{ type: "input_audio", input_audio: { data: "AAAA", format: "wav" } }])]),
          "messages[0].content[0]",
        ],
        [chatBody({ tools: [{ type: "custom", custom: { name: "sh" } }] }), "tools[0]"],
        [chatBody({}, [{ role: "user", content: "hi", name: "alice" }]), "messages[0].name"],
      ] as const
    ) {
      const r = await gw.post("/v1/chat/completions", body);
      const err = (await r.json()).error;
      assert.equal(r.status, 400, JSON.stringify(err));
      assert.equal(err.code, "unsupported_content");
      assert.equal(err.param, param);
      assert.match(err.message, /anthropic/i);
    }
  });

  // An Anthropic client through an OpenAI-family target.
  await withGateway([openai], async (gw) => {
    const res = await gw.post(
      "/v1/messages",
      mBody([user([
        {
          type: "document",
          title: "Contract",
          source: { type: "text", media_type: "text/plain", data: `reach ${CANARY}` },
        },
        { type: "document", source: { type: "base64", media_type: "application/pdf", data: pdf } },
        { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
      ])]),
    );
    // The stand-in PDF cannot be read; this gateway allows opaque files, so it goes on as a file part.
    assert.equal(res.status, 200, await res.text());
    const parts = up.lastRequest.body.messages[0].content;
    assert.deepEqual(parts, [
      { type: "text", text: "Contract" },
      { type: "text", text: "reach [EMAIL]" },
      { type: "file", file: { filename: "document.pdf", file_data: `data:application/pdf;base64,${pdf}` } },
      { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
    ]);
    for (
      const [body, param] of [
        [
          mBody([user("hi"), {
            role: "assistant",
            content: [{ type: "thinking", thinking: "hm", signature: "s" }, { type: "text", text: "ok" }],
          }, user("go")]),
          "messages[1].content[0]",
        ],
        [mBody([user("hi")], { tools: [{ type: "web_search_20250305", name: "web_search" }] }), "tools[0]"],
        [
          mBody([user([{ type: "document", source: { type: "url", url: "https://a.example/d.pdf" } }])]),
          "messages[0].content[0].source",
        ],
      ] as const
    ) {
      const r = await gw.post("/v1/messages", body);
      const err = (await r.json()).error;
      assert.equal(r.status, 400, JSON.stringify(err));
      assert.equal(err.param, param);
    }
  }, { coverage: { opaque_files: "allow" } });

  // A target that cannot take the request passes it to the next one, which can.
  await withGateway([anthropic, openai], async (gw) => {
    const before = up.requests.length;
    const res = await gw.post(
      "/v1/chat/completions",
      chatBody({}, [user([{ type: "input_audio", input_audio: { data: "AAAA", format: "wav" } }])]),
    );
    assert.equal(res.status, 200, await res.text());
    assert.equal(up.requests.length, before + 1);
    assert.match(up.lastRequest.path, /chat\/completions$/);
    assert.equal(gw.audit.events.at(-1)!.target_id, "openai");
  });
});

Deno.test("coverage: reasoning crosses dialects in answers and output policies read it", async () => {
  const up = canned(() => ({
    id: "msg",
    type: "message",
    role: "assistant",
    model: "m",
    content: [{ type: "thinking", thinking: `think of ${CANARY}`, signature: "s" }, {
      type: "text",
      text: "ok",
    }],
    stop_reason: "end_turn",
    usage: { input_tokens: 1, output_tokens: 1 },
  }));
  try {
    await withGateway([{
      id: "a",
      provider: "anthropic",
      base_url: up.baseUrl,
      secret_key_ref: { env: "UP_KEY" },
    }], async (gw) => {
      const res = await gw.post("/v1/chat/completions", chatBody());
      const body = await res.json();
      assert.equal(body.choices[0].message.reasoning_content, "think of [EMAIL]");
      assert.equal(gw.audit.events.at(-1)!.coverage.scanned.reasoning, 1);
    });
  } finally {
    await up.close();
  }
});

Deno.test("coverage: PDF text is extracted and governed; a PDF kt cannot read is refused", async () => {
  await using up = startMockUpstream();
  const targets = [{ id: "o", provider: "openai", base_url: up.baseUrl, secret_key_ref: { env: "UP_KEY" } }];
  const pdfPart = (bytes: Uint8Array) =>
    chatBody({}, [
      user([{
        type: "file",
        file: { filename: "r.pdf", file_data: `data:application/pdf;base64,${base64(bytes)}` },
      }]),
    ]);
  await withGateway(targets, async (gw) => {
    const blocked = await gw.post("/v1/chat/completions", pdfPart(tinyPdf(`Roadmap for ${TERM} in Q3`)));
    assert.equal(blocked.status, 409);
    assert.equal((await blocked.json()).error.policy, "dlp-filter");
    // A PDF cannot be rewritten: text a policy would redact blocks the request instead.
    const pii = await gw.post("/v1/chat/completions", pdfPart(tinyPdf(`Contact ${CANARY} today`)));
    const err = (await pii.json()).error;
    assert.equal(pii.status, 409);
    assert.match(err.message, /cannot rewrite PDFs/);
    const benign = pdfPart(tinyPdf("Quarterly numbers look fine"));
    assert.equal(await statusOf(gw.post("/v1/chat/completions", benign)), 200);
    assert.equal(
      up.lastRequest.text,
      JSON.stringify(benign),
      "a readable, clean PDF goes upstream unchanged",
    );
    assert.equal(gw.audit.events.at(-1)!.coverage.scanned.files, 1);
    const broken = await gw.post(
      "/v1/chat/completions",
      pdfPart(new TextEncoder().encode("%PDF-1.4 broken")),
    );
    assert.equal(broken.status, 400);
    assert.equal((await broken.json()).error.param, "messages[0].content[0].file.file_data");
  });
  assert.equal(up.requests.length, 1);
});

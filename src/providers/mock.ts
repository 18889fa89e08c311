/**
 * The built-in `mock` provider: in-process, deterministic, no network.
 *
 * Replies `mock_response` when configured, otherwise `"Mock reply: " + <last user message text>` (an
 * echo, so a demo shows what the provider received after input policies). When the last user message
 * is exactly `call tool <name> <json object>`, chat and messages requests get a tool call to `<name>`
 * with those arguments instead. Embeddings are 8-dim vectors derived from a hash of each input. Usage
 * is approximated as ceil(chars / 4). Everything but ids and timestamps is byte-deterministic.
 *
 * @module
 */
import type { TargetConfig } from "../config/schema.ts";
import type { ApiKind, ProviderTarget, UpstreamRequest } from "./types.ts";
import { targetFields } from "./target_base.ts";
import { contentText, type J, nowSeconds, randomId } from "./translate/common.ts";

/** Prefix of the echo reply. */
export const MOCK_REPLY_PREFIX = "Mock reply: ";
/** Words per SSE content chunk. */
const WORDS_PER_CHUNK = 3;
const TOOL_COMMAND = /^call tool ([A-Za-z0-9_.:-]{1,128}) (\{[\s\S]*\})$/;

/** The reply a mock computes before rendering it in an API shape. */
export interface MockAnswer {
  text: string;
  tool?: { name: string; arguments: Record<string, unknown> };
  inputTokens: number;
  outputTokens: number;
  model: string;
}

/** Approximate tokens of a text: ceil(chars / 4). */
export function approxTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/** Text of the last user message of a request, per API. */
export function lastUserText(api: ApiKind, body: J): string {
  if (api === "completions") {
    return Array.isArray(body.prompt) ? String(body.prompt.at(-1) ?? "") : String(body.prompt ?? "");
  }
  if (api === "responses") {
    if (typeof body.input === "string") return body.input;
    const items = (Array.isArray(body.input) ? body.input : []) as J[];
    const last = items.filter((m) => m?.role === "user").at(-1);
    return last ? contentText(last.content) : "";
  }
  const msgs = (Array.isArray(body.messages) ? body.messages : []) as J[];
  const last = msgs.filter((m) => m?.role === "user").at(-1);
  return last ? contentText(last.content) : "";
}

/** Characters of all prompt text of a request (for usage numbers). */
function promptChars(api: ApiKind, body: J): number {
  let n = 0;
  if (api === "completions") {
    return Array.isArray(body.prompt)
      ? body.prompt.reduce((a: number, p: unknown) => a + String(p).length, 0)
      : String(body.prompt ?? "").length;
  }
  if (api === "responses") {
    if (typeof body.instructions === "string") n += body.instructions.length;
    if (typeof body.input === "string") return n + body.input.length;
    for (const m of (Array.isArray(body.input) ? body.input : []) as J[]) n += contentText(m?.content).length;
    return n;
  }
  if (api === "messages") {
    n += typeof body.system === "string" ? body.system.length : contentText(body.system).length;
  }
  for (const m of (Array.isArray(body.messages) ? body.messages : []) as J[]) {
    n += contentText(m?.content).length;
  }
  return n;
}

/** Computes the mock's answer to a request. */
export function mockAnswer(
  req: Pick<UpstreamRequest, "api" | "body">,
  cfg: Pick<TargetConfig, "model" | "mock_response">,
): MockAnswer {
  const last = lastUserText(req.api, req.body);
  const model = cfg.model ?? (typeof req.body.model === "string" ? req.body.model : "mock");
  const inputTokens = approxTokens(promptChars(req.api, req.body));
  if (req.api === "chat" || req.api === "messages") {
    const m = TOOL_COMMAND.exec(last);
    if (m) {
      try {
        const args = JSON.parse(m[2]);
        if (args && typeof args === "object" && !Array.isArray(args)) {
          return {
            text: "",
            tool: { name: m[1], arguments: args },
            inputTokens,
            outputTokens: approxTokens(m[1].length + m[2].length),
            model,
          };
        }
      } catch { /* not a tool command: echo */ }
    }
  }
  const text = cfg.mock_response ?? MOCK_REPLY_PREFIX + last;
  return { text, inputTokens, outputTokens: approxTokens(text.length), model };
}

/** Splits text into chunks of a few words (whitespace kept, so the chunks join back to the text). */
export function chunkWords(text: string, perChunk = WORDS_PER_CHUNK): string[] {
  const words = text.match(/\s*\S+\s*/g) ?? [];
  const out: string[] = [];
  for (let i = 0; i < words.length; i += perChunk) out.push(words.slice(i, i + perChunk).join(""));
  return out.length ? out : [text];
}

/** FNV-1a over a string. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A deterministic 8-dim unit-free vector for an input. */
export function mockEmbedding(input: string): number[] {
  let x = fnv1a(input) || 1;
  const v: number[] = [];
  for (let i = 0; i < 8; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    v.push(Math.round(((x / 0xffffffff) * 2 - 1) * 1e6) / 1e6);
  }
  return v;
}

const sse = (v: unknown) => `data: ${JSON.stringify(v)}\n\n`;
const named = (type: string, v: unknown) => `event: ${type}\ndata: ${JSON.stringify(v)}\n\n`;

function chatJson(a: MockAnswer, id: string, created: number): J {
  const message: J = a.tool
    ? {
      role: "assistant",
      content: null,
      tool_calls: [{
        id: `call_${id}`,
        type: "function",
        function: { name: a.tool.name, arguments: JSON.stringify(a.tool.arguments) },
      }],
      refusal: null,
    }
    : { role: "assistant", content: a.text, refusal: null };
  return {
    id: `chatcmpl-${id}`,
    object: "chat.completion",
    created,
    model: a.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: a.tool ? "tool_calls" : "stop" }],
    usage: usage(a),
  };
}

function usage(a: MockAnswer): J {
  return {
    prompt_tokens: a.inputTokens,
    completion_tokens: a.outputTokens,
    total_tokens: a.inputTokens + a.outputTokens,
  };
}

function chatStream(a: MockAnswer, id: string, created: number): string[] {
  const base = { id: `chatcmpl-${id}`, object: "chat.completion.chunk", created, model: a.model };
  const chunk = (delta: J, finish: string | null = null) =>
    sse({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  const out = [chunk({ role: "assistant", content: "" })];
  if (a.tool) {
    out.push(chunk({
      tool_calls: [{
        index: 0,
        id: `call_${id}`,
        type: "function",
        function: { name: a.tool.name, arguments: "" },
      }],
    }));
    out.push(
      chunk({ tool_calls: [{ index: 0, function: { arguments: JSON.stringify(a.tool.arguments) } }] }),
    );
    out.push(chunk({}, "tool_calls"));
  } else {
    for (const c of chunkWords(a.text)) out.push(chunk({ content: c }));
    out.push(chunk({}, "stop"));
  }
  out.push(sse({ ...base, choices: [], usage: usage(a) }));
  out.push("data: [DONE]\n\n");
  return out;
}

function messagesJson(a: MockAnswer, id: string): J {
  return {
    id: `msg_${id}`,
    type: "message",
    role: "assistant",
    model: a.model,
    content: a.tool
      ? [{ type: "tool_use", id: `toolu_${id}`, name: a.tool.name, input: a.tool.arguments }]
      : [{ type: "text", text: a.text }],
    stop_reason: a.tool ? "tool_use" : "end_turn",
    stop_sequence: null,
    usage: { input_tokens: a.inputTokens, output_tokens: a.outputTokens },
  };
}

function messagesStream(a: MockAnswer, id: string): string[] {
  const out = [named("message_start", {
    type: "message_start",
    message: {
      id: `msg_${id}`,
      type: "message",
      role: "assistant",
      model: a.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: a.inputTokens, output_tokens: 1 },
    },
  })];
  if (a.tool) {
    out.push(named("content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "tool_use", id: `toolu_${id}`, name: a.tool.name, input: {} },
    }));
    out.push(named("content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "input_json_delta", partial_json: JSON.stringify(a.tool.arguments) },
    }));
  } else {
    out.push(named("content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    }));
    for (const c of chunkWords(a.text)) {
      out.push(named("content_block_delta", {
        type: "content_block_delta",
        index: 0,
        delta: { type: "text_delta", text: c },
      }));
    }
  }
  out.push(named("content_block_stop", { type: "content_block_stop", index: 0 }));
  out.push(named("message_delta", {
    type: "message_delta",
    delta: { stop_reason: a.tool ? "tool_use" : "end_turn", stop_sequence: null },
    usage: { output_tokens: a.outputTokens },
  }));
  out.push(named("message_stop", { type: "message_stop" }));
  return out;
}

function completionJson(a: MockAnswer, id: string, created: number): J {
  return {
    id: `cmpl-${id}`,
    object: "text_completion",
    created,
    model: a.model,
    choices: [{ index: 0, text: a.text, logprobs: null, finish_reason: "stop" }],
    usage: usage(a),
  };
}

function completionStream(a: MockAnswer, id: string, created: number): string[] {
  const base = { id: `cmpl-${id}`, object: "text_completion", created, model: a.model };
  const out = chunkWords(a.text).map((t) =>
    sse({ ...base, choices: [{ index: 0, text: t, logprobs: null, finish_reason: null }] })
  );
  out.push(
    sse({
      ...base,
      choices: [{ index: 0, text: "", logprobs: null, finish_reason: "stop" }],
      usage: usage(a),
    }),
  );
  out.push("data: [DONE]\n\n");
  return out;
}

function responseJson(a: MockAnswer, id: string, created: number, status = "completed"): J {
  return {
    id: `resp_${id}`,
    object: "response",
    created_at: created,
    status,
    model: a.model,
    output: status === "completed"
      ? [{
        type: "message",
        id: `msg_${id}`,
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text: a.text, annotations: [] }],
      }]
      : [],
    usage: status === "completed"
      ? {
        input_tokens: a.inputTokens,
        output_tokens: a.outputTokens,
        total_tokens: a.inputTokens + a.outputTokens,
      }
      : null,
  };
}

function responseStream(a: MockAnswer, id: string, created: number): string[] {
  let seq = 0;
  const ev = (type: string, v: J) => named(type, { type, sequence_number: seq++, ...v });
  const item = { id: `msg_${id}`, type: "message", status: "in_progress", role: "assistant", content: [] };
  const part = { type: "output_text", text: "", annotations: [] };
  const out = [
    ev("response.created", { response: responseJson(a, id, created, "in_progress") }),
    ev("response.output_item.added", { output_index: 0, item }),
    ev("response.content_part.added", { item_id: item.id, output_index: 0, content_index: 0, part }),
  ];
  for (const c of chunkWords(a.text)) {
    out.push(
      ev("response.output_text.delta", { item_id: item.id, output_index: 0, content_index: 0, delta: c }),
    );
  }
  out.push(
    ev("response.output_text.done", { item_id: item.id, output_index: 0, content_index: 0, text: a.text }),
  );
  out.push(ev("response.content_part.done", {
    item_id: item.id,
    output_index: 0,
    content_index: 0,
    part: { ...part, text: a.text },
  }));
  const done = responseJson(a, id, created);
  out.push(ev("response.output_item.done", { output_index: 0, item: done.output[0] }));
  out.push(ev("response.completed", { response: done }));
  return out;
}

function embeddingsJson(body: J, model: string): J {
  const raw = body.input;
  const inputs: unknown[] = Array.isArray(raw) && !(raw.length && typeof raw[0] === "number") ? raw : [raw];
  const texts = inputs.map((x) => typeof x === "string" ? x : JSON.stringify(x) ?? "");
  const tokens = approxTokens(texts.reduce((n, t) => n + t.length, 0));
  return {
    object: "list",
    data: texts.map((t, index) => ({ object: "embedding", index, embedding: mockEmbedding(t) })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

const encoder = new TextEncoder();

function streamOf(frames: string[]): Response {
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < frames.length) c.enqueue(encoder.encode(frames[i++]));
      else c.close();
    },
  }, { highWaterMark: 0 });
  return new Response(body, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
}

function json(v: unknown): Response {
  return new Response(JSON.stringify(v), { headers: { "content-type": "application/json" } });
}

/** Renders the mock's answer to a request as a Response in the request's API shape. */
export function mockRespond(
  req: Pick<UpstreamRequest, "api" | "body" | "stream">,
  cfg: Pick<TargetConfig, "model" | "mock_response">,
): Response {
  const id = `mock${randomId()}`;
  const created = nowSeconds();
  if (req.api === "embeddings") {
    return json(
      embeddingsJson(req.body, cfg.model ?? (typeof req.body.model === "string" ? req.body.model : "mock")),
    );
  }
  const a = mockAnswer(req, cfg);
  switch (req.api) {
    case "chat":
      return req.stream ? streamOf(chatStream(a, id, created)) : json(chatJson(a, id, created));
    case "messages":
      return req.stream ? streamOf(messagesStream(a, id)) : json(messagesJson(a, id));
    case "completions":
      return req.stream ? streamOf(completionStream(a, id, created)) : json(completionJson(a, id, created));
    default:
      return req.stream ? streamOf(responseStream(a, id, created)) : json(responseJson(a, id, created));
  }
}

/** Builds a `mock` target (always available, serves every API). */
export function mockTarget(cfg: TargetConfig): ProviderTarget {
  return {
    ...targetFields(cfg),
    supports: () => true,
    send(req) {
      if (req.signal.aborted) return Promise.reject(req.signal.reason);
      return Promise.resolve(mockRespond(req, cfg));
    },
  };
}

/**
 * Serving an OpenAI chat-completions client from an Anthropic Messages provider:
 * the request chat → messages, the answer messages → chat (JSON and SSE).
 *
 * @module
 */
import type { EventSourceMessage } from "eventsource-parser";
import {
  assistantBlocks,
  assistantMessage,
  contentText,
  type J,
  nowSeconds,
  randomId,
  toFinishReason,
} from "./common.ts";
import { parseJson, type SseEmitter, sseTransform } from "./sse.ts";

/** Default `max_tokens` when the chat request sets none (Anthropic requires it). */
export const DEFAULT_MAX_TOKENS = 4096;

/** Converts an OpenAI image part to an Anthropic image block. */
function imageBlock(part: J): J | undefined {
  const url = typeof part.image_url === "string" ? part.image_url : part.image_url?.url;
  if (typeof url !== "string") return undefined;
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (m) return { type: "image", source: { type: "base64", media_type: m[1], data: m[2] } };
  return { type: "image", source: { type: "url", url } };
}

/** OpenAI user content → Anthropic content blocks (or a plain string). */
function userContent(content: unknown): string | J[] {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  const blocks: J[] = [];
  for (const p of content as J[]) {
    if (p?.type === "text" && typeof p.text === "string") blocks.push({ type: "text", text: p.text });
    else if (p?.type === "image_url") {
      const b = imageBlock(p);
      if (b) blocks.push(b);
    }
  }
  return blocks;
}

function asBlocks(c: string | J[]): J[] {
  return typeof c === "string" ? (c === "" ? [] : [{ type: "text", text: c }]) : c;
}

/** Translates an OpenAI chat request body into an Anthropic Messages request body. */
export function chatRequestToMessages(body: J): J {
  const system: string[] = [];
  const messages: J[] = [];
  const push = (role: "user" | "assistant", content: string | J[]) => {
    const last = messages.at(-1);
    if (last && last.role === role) {
      last.content = [...asBlocks(last.content), ...asBlocks(content)];
    } else messages.push({ role, content });
  };
  for (const m of (Array.isArray(body.messages) ? body.messages : []) as J[]) {
    switch (m?.role) {
      case "system":
      case "developer":
        system.push(contentText(m.content));
        break;
      case "user":
        push("user", userContent(m.content));
        break;
      case "assistant": {
        const { text, blocks } = assistantBlocks(m.content, m.tool_calls);
        push("assistant", blocks.length === 1 && blocks[0].type === "text" ? text : blocks);
        break;
      }
      case "tool":
      case "function":
        push("user", [{
          type: "tool_result",
          tool_use_id: String(m.tool_call_id ?? m.name ?? ""),
          content: contentText(m.content),
        }]);
        break;
    }
  }
  const out: J = {
    model: body.model,
    messages,
    max_tokens: body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_TOKENS,
  };
  if (system.length) out.system = system.join("\n\n");
  if (typeof body.temperature === "number") out.temperature = Math.min(1, Math.max(0, body.temperature));
  if (typeof body.top_p === "number") out.top_p = body.top_p;
  if (body.stop !== undefined && body.stop !== null) {
    out.stop_sequences = Array.isArray(body.stop) ? body.stop : [body.stop];
  }
  if (body.stream === true) out.stream = true;
  if (Array.isArray(body.tools) && body.tools.length) {
    out.tools = (body.tools as J[]).filter((t) => t?.type === "function" || t?.function).map((t) => ({
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: "object", properties: {} },
    }));
  }
  const tc = body.tool_choice;
  let choice: J | undefined;
  if (tc === "auto") choice = { type: "auto" };
  else if (tc === "required") choice = { type: "any" };
  else if (tc === "none") choice = { type: "none" };
  else if (tc && typeof tc === "object" && tc.function?.name) {
    choice = { type: "tool", name: tc.function.name };
  }
  if (body.parallel_tool_calls === false && out.tools) {
    choice = { ...(choice ?? { type: "auto" }), disable_parallel_tool_use: true };
  }
  if (choice && out.tools) out.tool_choice = choice;
  if (typeof body.user === "string") out.metadata = { user_id: body.user };
  return out;
}

/** OpenAI usage from Anthropic usage. */
function chatUsage(u: J | undefined): J {
  const prompt = (u?.input_tokens ?? 0) + (u?.cache_read_input_tokens ?? 0) +
    (u?.cache_creation_input_tokens ?? 0);
  const completion = u?.output_tokens ?? 0;
  const usage: J = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
  if (u?.cache_read_input_tokens) usage.prompt_tokens_details = { cached_tokens: u.cache_read_input_tokens };
  return usage;
}

/** Translates an Anthropic Messages response body into an OpenAI chat completion. */
export function messagesResponseToChat(msg: J, fallbackModel: string): J {
  const { role, content, tool_calls } = assistantMessage(msg.content);
  const message: J = { role, content, refusal: null };
  if (tool_calls) message.tool_calls = tool_calls;
  return {
    id: `chatcmpl-${String(msg.id ?? randomId()).replace(/^msg_/, "")}`,
    object: "chat.completion",
    created: nowSeconds(),
    model: msg.model ?? fallbackModel,
    choices: [{ index: 0, message, logprobs: null, finish_reason: toFinishReason(msg.stop_reason) }],
    usage: chatUsage(msg.usage),
  };
}

/**
 * A transform from an Anthropic Messages SSE stream to OpenAI `chat.completion.chunk` SSE ending in
 * `data: [DONE]`. Usage goes into a final `choices: []` chunk when `includeUsage`, otherwise onto the
 * finishing chunk, so it is never lost.
 */
export function messagesStreamToChat(
  fallbackModel: string,
  includeUsage: boolean,
): TransformStream<Uint8Array, Uint8Array> {
  const created = nowSeconds();
  let id = `chatcmpl-${randomId()}`;
  let model = fallbackModel;
  let usage: J = {};
  let finish: string | null = null;
  let finished = false;
  let toolCount = 0;
  const toolIndex = new Map<number, number>();
  const chunk = (delta: J, finishReason: string | null = null, extra?: J): J => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...extra,
  });
  const finishUp = (out: SseEmitter) => {
    if (finished) return;
    finished = true;
    const u = chatUsage(usage);
    if (includeUsage) {
      out.event(chunk({}, finish ?? "stop"));
      out.event({ id, object: "chat.completion.chunk", created, model, choices: [], usage: u });
    } else out.event(chunk({}, finish ?? "stop", { usage: u }));
    out.raw("[DONE]");
  };
  return sseTransform({
    onEvent(m: EventSourceMessage, out) {
      if (finished) return;
      const ev = parseJson(m.data) as J | undefined;
      if (!ev) return;
      switch (ev.type ?? m.event) {
        case "message_start": {
          const msg = ev.message ?? {};
          if (msg.id) id = `chatcmpl-${String(msg.id).replace(/^msg_/, "")}`;
          if (msg.model) model = msg.model;
          usage = { ...usage, ...msg.usage };
          out.event(chunk({ role: "assistant", content: "" }));
          break;
        }
        case "content_block_start": {
          const b = ev.content_block ?? {};
          if (b.type === "tool_use") {
            const i = toolCount++;
            toolIndex.set(ev.index, i);
            out.event(chunk({
              tool_calls: [{
                index: i,
                id: b.id,
                type: "function",
                function: { name: b.name, arguments: "" },
              }],
            }));
          } else if (b.type === "text" && b.text) out.event(chunk({ content: b.text }));
          break;
        }
        case "content_block_delta": {
          const d = ev.delta ?? {};
          if (d.type === "text_delta") out.event(chunk({ content: d.text ?? "" }));
          else if (d.type === "input_json_delta") {
            const i = toolIndex.get(ev.index);
            if (i !== undefined && d.partial_json) {
              out.event(chunk({ tool_calls: [{ index: i, function: { arguments: d.partial_json } }] }));
            }
          }
          break;
        }
        case "message_delta":
          if (ev.delta?.stop_reason) finish = toFinishReason(ev.delta.stop_reason);
          if (ev.usage) usage = { ...usage, ...stripNulls(ev.usage) };
          break;
        case "message_stop":
          finishUp(out);
          break;
        case "error":
          finished = true;
          out.event({
            error: {
              message: ev.error?.message ?? "upstream stream error",
              type: ev.error?.type ?? "upstream_error",
              param: null,
              code: null,
            },
          });
          out.raw("[DONE]");
          break;
      }
    },
    onEnd(out) {
      finishUp(out);
    },
  });
}

function stripNulls(o: J): J {
  const r: J = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) r[k] = v;
  return r;
}

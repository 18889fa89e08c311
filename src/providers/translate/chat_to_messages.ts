/**
 * Serving an OpenAI chat-completions client from an Anthropic Messages provider:
 * the request chat → messages, the answer messages → chat (JSON and SSE).
 *
 * @module
 */
import type { EventSourceMessage } from "eventsource-parser";
import { TranslationError } from "../types.ts";
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

/** Throws the refusal for a part at `param` that an Anthropic target cannot take. */
function refuse(param: string, what: string): never {
  throw new TranslationError(
    param,
    "anthropic",
    `${what} has no equivalent in the Anthropic Messages API, so an anthropic target cannot take it; ` +
      "remove it or route the request to an OpenAI-family target",
  );
}

/** Converts an OpenAI image part to an Anthropic image block. */
function imageBlock(part: J, param: string): J {
  const url = typeof part.image_url === "string" ? part.image_url : part.image_url?.url;
  if (typeof url !== "string") refuse(param, "an image part without a URL");
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (m) return { type: "image", source: { type: "base64", media_type: m[1], data: m[2] } };
  return { type: "image", source: { type: "url", url } };
}

const TEXT_FILE =
  /^(?:text\/|application\/(?:json|xml|yaml|x-yaml|csv|x-ndjson)\b|application\/[\w.+-]*\+(?:json|xml)\b)/;

/** A chat `file` part as an Anthropic document: PDFs as base64 documents, text files as text documents. */
function documentBlock(part: J, param: string): J {
  const file = part.file ?? {};
  if (typeof file.file_data !== "string") refuse(`${param}.file`, "a file given by file_id");
  const m = /^data:([^;,]*)(;[^,]*)?,(.*)$/s.exec(file.file_data);
  const type =
    (m?.[1] || (String(file.filename ?? "").toLowerCase().endsWith(".pdf") ? "application/pdf" : ""))
      .toLowerCase();
  const data = m ? m[3] : file.file_data;
  const base64 = m ? /;base64/i.test(m[2] ?? "") : true;
  const title = typeof file.filename === "string" ? { title: file.filename } : {};
  if (type === "application/pdf") {
    return { type: "document", source: { type: "base64", media_type: "application/pdf", data }, ...title };
  }
  if (TEXT_FILE.test(type) || type === "") {
    let text: string;
    try {
      text = base64
        ? new TextDecoder("utf-8", { fatal: true }).decode(
          Uint8Array.from(atob(data), (c) => c.charCodeAt(0)),
        )
        : decodeURIComponent(data);
    } catch {
      refuse(`${param}.file.file_data`, "a file that is neither a PDF nor UTF-8 text");
    }
    return { type: "document", source: { type: "text", media_type: "text/plain", data: text }, ...title };
  }
  refuse(`${param}.file.file_data`, `a ${type} file`);
}

/** OpenAI content (a string or parts) of message `i` → Anthropic content blocks (or a plain string). */
function userContent(content: unknown, i: number): string | J[] {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return (content as J[]).map((p, j) => {
    const param = `messages[${i}].content[${j}]`;
    switch (p?.type) {
      case "text":
        return { type: "text", text: String(p.text ?? "") };
      case "image_url":
        return imageBlock(p, param);
      case "file":
        return documentBlock(p, param);
      case "input_audio":
        return refuse(param, "an audio part");
      default:
        return refuse(param, `a "${p?.type}" part`);
    }
  });
}

/** Text of system, developer and tool content: a string or text parts only. */
function textOnly(content: unknown, param: string): string {
  if (typeof content === "string" || content === null || content === undefined) return content ?? "";
  if (!Array.isArray(content)) return "";
  (content as J[]).forEach((p, j) => {
    if (p?.type !== "text") refuse(`${param}[${j}]`, `a "${p?.type}" part here`);
  });
  return contentText(content);
}

function asBlocks(c: string | J[]): J[] {
  return typeof c === "string" ? (c === "" ? [] : [{ type: "text", text: c }]) : c;
}

/** Fields of a chat message with no Anthropic equivalent that carry content. */
const UNCARRIED_MESSAGE_FIELDS = ["name", "audio", "reasoning_content", "reasoning", "annotations"];

/**
 * Translates an OpenAI chat request body into an Anthropic Messages request body. Every content part
 * is carried (text, images, PDF and text files as documents, tool calls and results, structured-output
 * schemas) or the request is refused with a {@link TranslationError} naming the part.
 */
export function chatRequestToMessages(body: J): J {
  const system: string[] = [];
  const messages: J[] = [];
  const push = (role: "user" | "assistant", content: string | J[]) => {
    const last = messages.at(-1);
    if (last && last.role === role) {
      last.content = [...asBlocks(last.content), ...asBlocks(content)];
    } else messages.push({ role, content });
  };
  (Array.isArray(body.messages) ? body.messages as J[] : []).forEach((m, i) => {
    for (const f of UNCARRIED_MESSAGE_FIELDS) {
      if (m?.[f] !== undefined && m[f] !== null) refuse(`messages[${i}].${f}`, `a message's "${f}"`);
    }
    switch (m?.role) {
      case "system":
      case "developer":
        system.push(textOnly(m.content, `messages[${i}].content`));
        break;
      case "user":
        push("user", userContent(m.content, i));
        break;
      case "assistant": {
        if (Array.isArray(m.content)) {
          (m.content as J[]).forEach((p, j) => {
            if (p?.type !== "text" && p?.type !== "refusal") {
              refuse(`messages[${i}].content[${j}]`, `a "${p?.type}" part`);
            }
          });
        }
        const content = Array.isArray(m.content)
          ? (m.content as J[]).map((p) => p.text ?? p.refusal ?? "").join("")
          : m.content;
        const calls = [...(Array.isArray(m.tool_calls) ? m.tool_calls : [])] as J[];
        calls.forEach((tc, t) => {
          if (tc?.type === "custom") refuse(`messages[${i}].tool_calls[${t}]`, "a custom tool call");
        });
        if (m.function_call) calls.push({ id: m.function_call.name, function: m.function_call });
        const refusal = typeof m.refusal === "string" && m.refusal !== "" ? m.refusal : "";
        const { text, blocks } = assistantBlocks(
          refusal ? `${content ?? ""}${content ? "\n" : ""}${refusal}` : content,
          calls,
        );
        push("assistant", blocks.length === 1 && blocks[0].type === "text" ? text : blocks);
        break;
      }
      case "tool":
      case "function":
        push("user", [{
          type: "tool_result",
          tool_use_id: String(m.tool_call_id ?? m.name ?? ""),
          content: textOnly(m.content, `messages[${i}].content`),
        }]);
        break;
    }
  });
  for (const f of ["web_search_options", "audio"]) {
    if (body[f] !== undefined && body[f] !== null) refuse(f, `"${f}"`);
  }
  if (Array.isArray(body.modalities) && body.modalities.includes("audio")) {
    refuse("modalities", "audio output");
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
  const tools: J[] = [];
  (Array.isArray(body.tools) ? body.tools as J[] : []).forEach((t, k) => {
    if (t?.type !== "function" && !t?.function) refuse(`tools[${k}]`, `a "${t?.type}" tool`);
    tools.push({
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: "object", properties: {} },
    });
  });
  (Array.isArray(body.functions) ? body.functions as J[] : []).forEach((f) => {
    tools.push({
      name: f.name,
      ...(f.description ? { description: f.description } : {}),
      input_schema: f.parameters ?? { type: "object", properties: {} },
    });
  });
  if (tools.length) out.tools = tools;
  const tc = body.tool_choice ?? body.function_call;
  let choice: J | undefined;
  if (tc === "auto") choice = { type: "auto" };
  else if (tc === "required") choice = { type: "any" };
  else if (tc === "none") choice = { type: "none" };
  else if (tc && typeof tc === "object" && (tc.function?.name || tc.name)) {
    choice = { type: "tool", name: tc.function?.name ?? tc.name };
  }
  if (body.parallel_tool_calls === false && out.tools) {
    choice = { ...(choice ?? { type: "auto" }), disable_parallel_tool_use: true };
  }
  if (choice && out.tools) out.tool_choice = choice;
  const format = body.response_format;
  if (format?.type === "json_schema") {
    out.output_config = { format: { type: "json_schema", schema: format.json_schema?.schema ?? {} } };
    if (format.json_schema?.description) {
      refuse("response_format.json_schema.description", "a structured-output description");
    }
  }
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
  // Thinking blocks carry the model's reasoning: chat clients read it as `reasoning_content`.
  const thinking = (Array.isArray(msg.content) ? msg.content as J[] : [])
    .filter((b) => b?.type === "thinking" && typeof b.thinking === "string")
    .map((b) => b.thinking).join("");
  if (thinking) message.reasoning_content = thinking;
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
          else if (b.type === "thinking" && b.thinking) out.event(chunk({ reasoning_content: b.thinking }));
          break;
        }
        case "content_block_delta": {
          const d = ev.delta ?? {};
          if (d.type === "text_delta") out.event(chunk({ content: d.text ?? "" }));
          else if (d.type === "thinking_delta" && d.thinking) {
            out.event(chunk({ reasoning_content: d.thinking }));
          } else if (d.type === "input_json_delta") {
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

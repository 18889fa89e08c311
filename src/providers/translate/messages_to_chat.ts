/**
 * Serving an Anthropic Messages client from an OpenAI-family provider:
 * the request messages → chat completions, the answer chat → messages (JSON and SSE).
 *
 * @module
 */
import type { EventSourceMessage } from "eventsource-parser";
import { TranslationError } from "../types.ts";
import { assistantBlocks, assistantMessage, contentText, type J, randomId, toStopReason } from "./common.ts";
import { parseJson, type SseEmitter, sseTransform } from "./sse.ts";

/** Throws the refusal for a part at `param` that an OpenAI-family target cannot take. */
function refuse(param: string, what: string): never {
  throw new TranslationError(
    param,
    "openai",
    `${what} has no equivalent in the OpenAI chat API, so an OpenAI-family target cannot take it; ` +
      "remove it or route the request to an anthropic target",
  );
}

/** Text parts of a document's title and context (both are text the model reads). */
function documentHeader(b: J): J[] {
  const out: J[] = [];
  if (typeof b.title === "string" && b.title !== "") out.push({ type: "text", text: b.title });
  if (typeof b.context === "string" && b.context !== "") out.push({ type: "text", text: b.context });
  return out;
}

/** An Anthropic image block → an OpenAI image part. */
function imagePart(b: J, param: string): J {
  const s = b.source ?? {};
  if (s.type === "base64") {
    return { type: "image_url", image_url: { url: `data:${s.media_type};base64,${s.data}` } };
  }
  if (s.type === "url") return { type: "image_url", image_url: { url: s.url } };
  return refuse(`${param}.source`, `an image given by "${s.type}"`);
}

/**
 * Anthropic content blocks of a user turn → OpenAI user content parts: text, images, text documents
 * (as text parts), PDF documents (as file parts), search results (as text).
 */
function userParts(b: J, param: string): J[] {
  switch (b?.type) {
    case "text":
      return [{ type: "text", text: b.text ?? "" }];
    case "image":
      return [imagePart(b, param)];
    case "document": {
      const s = b.source ?? {};
      if (s.type === "text") return [...documentHeader(b), { type: "text", text: String(s.data ?? "") }];
      if (s.type === "base64" && s.media_type === "application/pdf") {
        return [...documentHeader(b), {
          type: "file",
          file: { filename: b.title ?? "document.pdf", file_data: `data:application/pdf;base64,${s.data}` },
        }];
      }
      if (s.type === "content") {
        const inner = typeof s.content === "string" ? [{ type: "text", text: s.content }] : s.content ?? [];
        return [
          ...documentHeader(b),
          ...(inner as J[]).flatMap((x, k) => userParts(x, `${param}.source.content[${k}]`)),
        ];
      }
      return refuse(`${param}.source`, `a document given by "${s.type}"`);
    }
    case "search_result":
      return [
        { type: "text", text: [b.title, b.source].filter((x) => typeof x === "string").join("\n") },
        ...((b.content ?? []) as J[]).map((x) => ({ type: "text", text: String(x.text ?? "") })),
      ];
    default:
      return refuse(param, `a "${b?.type}" block`);
  }
}

/** A tool_result's content as the text of an OpenAI tool message (text blocks and text documents). */
function toolResultText(content: unknown, param: string): string {
  if (typeof content === "string" || content === undefined || content === null) return content ?? "";
  const parts = (content as J[]).flatMap((b, k) => userParts(b, `${param}[${k}]`));
  parts.forEach((p, k) => {
    if (p.type !== "text") refuse(`${param}[${k}]`, "an image or file inside a tool result");
  });
  return parts.map((p) => p.text).join("\n");
}

/** Blocks an assistant turn may carry to an OpenAI target. */
const ASSISTANT_BLOCKS = new Set(["text", "tool_use"]);

/**
 * Translates an Anthropic Messages request body into an OpenAI chat request body. Every block is
 * carried (text, images, documents, search results, tool calls and results, structured-output
 * schemas) or the request is refused with a {@link TranslationError} naming the block.
 */
export function messagesRequestToChat(body: J): J {
  const messages: J[] = [];
  const system = typeof body.system === "string" ? body.system : contentText(body.system);
  if (system) messages.push({ role: "system", content: system });
  (Array.isArray(body.messages) ? body.messages as J[] : []).forEach((m, i) => {
    if (typeof m?.content === "string") {
      const role = m.role === "assistant" ? "assistant" : m.role === "system" ? "system" : "user";
      messages.push({ role, content: m.content });
      return;
    }
    const blocks = (Array.isArray(m?.content) ? m.content : []) as J[];
    if (m?.role === "assistant") {
      blocks.forEach((b, j) => {
        if (!ASSISTANT_BLOCKS.has(b?.type)) refuse(`messages[${i}].content[${j}]`, `a "${b?.type}" block`);
      });
      messages.push(assistantMessage(blocks));
      return;
    }
    if (m?.role === "system") {
      messages.push({ role: "system", content: contentText(blocks) });
      return;
    }
    const parts: J[] = [];
    blocks.forEach((b, j) => {
      const param = `messages[${i}].content[${j}]`;
      if (b?.type === "tool_result") {
        messages.push({
          role: "tool",
          tool_call_id: b.tool_use_id,
          content: toolResultText(b.content, `${param}.content`),
        });
      } else parts.push(...userParts(b, param));
    });
    if (parts.length) {
      const allText = parts.every((p) => p.type === "text");
      messages.push({ role: "user", content: allText ? parts.map((p) => p.text).join("") : parts });
    }
  });
  const out: J = { model: body.model, messages };
  if (typeof body.max_tokens === "number") out.max_tokens = body.max_tokens;
  if (typeof body.temperature === "number") out.temperature = body.temperature;
  if (typeof body.top_p === "number") out.top_p = body.top_p;
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length) {
    if (body.stop_sequences.length > 4) refuse("stop_sequences", "more than 4 stop sequences");
    out.stop = body.stop_sequences;
  }
  if (body.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  const tools: J[] = [];
  (Array.isArray(body.tools) ? body.tools as J[] : []).forEach((t, k) => {
    if (t?.type !== undefined && t.type !== null && t.type !== "custom") {
      refuse(`tools[${k}]`, `the server tool "${t.type}"`);
    }
    tools.push({
      type: "function",
      function: {
        name: t.name,
        ...(t.description ? { description: t.description } : {}),
        parameters: t.input_schema ?? { type: "object", properties: {} },
      },
    });
  });
  if (tools.length) out.tools = tools;
  if (Array.isArray(body.mcp_servers) && body.mcp_servers.length) refuse("mcp_servers", "MCP servers");
  const tc = body.tool_choice;
  if (tc && out.tools) {
    if (tc.type === "auto") out.tool_choice = "auto";
    else if (tc.type === "any") out.tool_choice = "required";
    else if (tc.type === "none") out.tool_choice = "none";
    else if (tc.type === "tool") out.tool_choice = { type: "function", function: { name: tc.name } };
    if (tc.disable_parallel_tool_use === true) out.parallel_tool_calls = false;
  }
  const format = body.output_config?.format;
  if (format?.type === "json_schema") {
    out.response_format = {
      type: "json_schema",
      json_schema: { name: "output", schema: format.schema ?? {} },
    };
  }
  if (typeof body.metadata?.user_id === "string") out.user = body.metadata.user_id;
  return out;
}

function messagesUsage(u: J | undefined): J {
  const usage: J = { input_tokens: u?.prompt_tokens ?? 0, output_tokens: u?.completion_tokens ?? 0 };
  const cached = u?.prompt_tokens_details?.cached_tokens;
  if (cached) {
    usage.input_tokens = Math.max(0, usage.input_tokens - cached);
    usage.cache_read_input_tokens = cached;
  }
  return usage;
}

/** Translates an OpenAI chat completion into an Anthropic Messages response body. */
export function chatResponseToMessages(chat: J, fallbackModel: string): J {
  const choice = (Array.isArray(chat.choices) ? chat.choices[0] : undefined) ?? {};
  const m = choice.message ?? {};
  const refusal = typeof m.refusal === "string" && m.refusal !== "" ? m.refusal : "";
  const text = refusal ? `${contentText(m.content)}${m.content ? "\n" : ""}${refusal}` : m.content;
  const { blocks } = assistantBlocks(text, m.tool_calls);
  const reasoning = typeof m.reasoning_content === "string" ? m.reasoning_content : m.reasoning;
  const content = typeof reasoning === "string" && reasoning !== ""
    ? [{ type: "thinking", thinking: reasoning, signature: "" }, ...blocks]
    : blocks;
  return {
    id: `msg_${String(chat.id ?? randomId()).replace(/^chatcmpl-/, "")}`,
    type: "message",
    role: "assistant",
    model: chat.model ?? fallbackModel,
    content,
    stop_reason: toStopReason(choice.finish_reason),
    stop_sequence: null,
    usage: messagesUsage(chat.usage),
  };
}

/**
 * A transform from OpenAI `chat.completion.chunk` SSE to the Anthropic Messages event sequence
 * (message_start, content_block_start/delta/stop, message_delta with usage, message_stop).
 */
export function chatStreamToMessages(fallbackModel: string): TransformStream<Uint8Array, Uint8Array> {
  let started = false;
  let finished = false;
  let id = `msg_${randomId()}`;
  let model = fallbackModel;
  let stopReason = "end_turn";
  let usage: J | undefined;
  let blockIndex = -1;
  let open: { kind: "text" } | { kind: "thinking" } | { kind: "tool"; toolIndex: number } | undefined;
  const toolBlocks = new Map<number, number>();

  const start = (out: SseEmitter) => {
    if (started) return;
    started = true;
    out.event({
      type: "message_start",
      message: {
        id,
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0 },
      },
    }, "message_start");
  };
  const closeBlock = (out: SseEmitter) => {
    if (!open) return;
    out.event({ type: "content_block_stop", index: blockIndex }, "content_block_stop");
    open = undefined;
  };
  const finishUp = (out: SseEmitter) => {
    if (finished) return;
    finished = true;
    start(out);
    closeBlock(out);
    out.event({
      type: "message_delta",
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: messagesUsage(usage),
    }, "message_delta");
    out.event({ type: "message_stop" }, "message_stop");
  };

  return sseTransform({
    onEvent(m: EventSourceMessage, out) {
      if (finished) return;
      if (m.data === "[DONE]") {
        finishUp(out);
        return;
      }
      const ch = parseJson(m.data) as J | undefined;
      if (!ch) return;
      if (ch.error) {
        finished = true;
        start(out);
        out.event({
          type: "error",
          error: { type: "api_error", message: String(ch.error.message ?? "upstream stream error") },
        }, "error");
        return;
      }
      if (!started) {
        if (ch.id) id = `msg_${String(ch.id).replace(/^chatcmpl-/, "")}`;
        if (ch.model) model = ch.model;
        start(out);
      }
      if (ch.usage) usage = ch.usage;
      const choice = Array.isArray(ch.choices) ? ch.choices[0] : undefined;
      if (!choice) return;
      const d = choice.delta ?? {};
      // Reasoning text (`reasoning_content`, `reasoning`) as thinking blocks; content and refusals as text.
      const reasoning = typeof d.reasoning_content === "string" ? d.reasoning_content : d.reasoning;
      if (typeof reasoning === "string" && reasoning !== "") {
        if (open?.kind !== "thinking") {
          closeBlock(out);
          blockIndex++;
          open = { kind: "thinking" };
          out.event({
            type: "content_block_start",
            index: blockIndex,
            content_block: { type: "thinking", thinking: "", signature: "" },
          }, "content_block_start");
        }
        out.event({
          type: "content_block_delta",
          index: blockIndex,
          delta: { type: "thinking_delta", thinking: reasoning },
        }, "content_block_delta");
      }
      for (const text of [d.content, d.refusal]) {
        if (typeof text !== "string" || text === "") continue;
        if (open?.kind !== "text") {
          closeBlock(out);
          blockIndex++;
          open = { kind: "text" };
          out.event({
            type: "content_block_start",
            index: blockIndex,
            content_block: { type: "text", text: "" },
          }, "content_block_start");
        }
        out.event({
          type: "content_block_delta",
          index: blockIndex,
          delta: { type: "text_delta", text },
        }, "content_block_delta");
      }
      for (const tc of (Array.isArray(d.tool_calls) ? d.tool_calls : []) as J[]) {
        const ti = typeof tc.index === "number" ? tc.index : 0;
        let bi = toolBlocks.get(ti);
        if (bi === undefined) {
          closeBlock(out);
          bi = ++blockIndex;
          toolBlocks.set(ti, bi);
          open = { kind: "tool", toolIndex: ti };
          out.event({
            type: "content_block_start",
            index: bi,
            content_block: {
              type: "tool_use",
              id: tc.id ?? `toolu_${randomId()}`,
              name: tc.function?.name ?? "",
              input: {},
            },
          }, "content_block_start");
        }
        const args = tc.function?.arguments;
        if (typeof args === "string" && args !== "") {
          out.event({
            type: "content_block_delta",
            index: bi,
            delta: { type: "input_json_delta", partial_json: args },
          }, "content_block_delta");
        }
      }
      if (choice.finish_reason) stopReason = toStopReason(choice.finish_reason);
    },
    onEnd(out) {
      finishUp(out);
    },
  });
}

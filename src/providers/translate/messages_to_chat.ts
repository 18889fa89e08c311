/**
 * Serving an Anthropic Messages client from an OpenAI-family provider:
 * the request messages → chat completions, the answer chat → messages (JSON and SSE).
 *
 * @module
 */
import type { EventSourceMessage } from "eventsource-parser";
import { assistantBlocks, assistantMessage, contentText, type J, randomId, toStopReason } from "./common.ts";
import { parseJson, type SseEmitter, sseTransform } from "./sse.ts";

/** Anthropic content block → OpenAI user content part. */
function userPart(b: J): J | undefined {
  if (b?.type === "text") return { type: "text", text: b.text ?? "" };
  if (b?.type === "image") {
    const s = b.source ?? {};
    if (s.type === "base64") {
      return { type: "image_url", image_url: { url: `data:${s.media_type};base64,${s.data}` } };
    }
    if (s.type === "url") return { type: "image_url", image_url: { url: s.url } };
  }
  return undefined;
}

/** Text of a tool_result's content (string or blocks). */
function toolResultText(content: unknown): string {
  return typeof content === "string" ? content : contentText(content);
}

/** Translates an Anthropic Messages request body into an OpenAI chat request body. */
export function messagesRequestToChat(body: J): J {
  const messages: J[] = [];
  const system = typeof body.system === "string" ? body.system : contentText(body.system);
  if (system) messages.push({ role: "system", content: system });
  for (const m of (Array.isArray(body.messages) ? body.messages : []) as J[]) {
    if (typeof m?.content === "string") {
      messages.push({ role: m.role === "assistant" ? "assistant" : "user", content: m.content });
      continue;
    }
    const blocks = (Array.isArray(m?.content) ? m.content : []) as J[];
    if (m?.role === "assistant") {
      messages.push(assistantMessage(blocks));
    } else {
      const parts: J[] = [];
      for (const b of blocks) {
        if (b?.type === "tool_result") {
          messages.push({ role: "tool", tool_call_id: b.tool_use_id, content: toolResultText(b.content) });
        } else {
          const p = userPart(b);
          if (p) parts.push(p);
        }
      }
      if (parts.length) {
        const allText = parts.every((p) => p.type === "text");
        messages.push({ role: "user", content: allText ? parts.map((p) => p.text).join("") : parts });
      }
    }
  }
  const out: J = { model: body.model, messages };
  if (typeof body.max_tokens === "number") out.max_tokens = body.max_tokens;
  if (typeof body.temperature === "number") out.temperature = body.temperature;
  if (typeof body.top_p === "number") out.top_p = body.top_p;
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length) out.stop = body.stop_sequences;
  if (body.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  if (Array.isArray(body.tools) && body.tools.length) {
    out.tools = (body.tools as J[]).filter((t) => typeof t?.name === "string" && t.input_schema).map((t) => ({
      type: "function",
      function: {
        name: t.name,
        ...(t.description ? { description: t.description } : {}),
        parameters: t.input_schema,
      },
    }));
    if (!out.tools.length) delete out.tools;
  }
  const tc = body.tool_choice;
  if (tc && out.tools) {
    if (tc.type === "auto") out.tool_choice = "auto";
    else if (tc.type === "any") out.tool_choice = "required";
    else if (tc.type === "none") out.tool_choice = "none";
    else if (tc.type === "tool") out.tool_choice = { type: "function", function: { name: tc.name } };
    if (tc.disable_parallel_tool_use === true) out.parallel_tool_calls = false;
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
  const { blocks: content } = assistantBlocks(m.content, m.tool_calls);
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
  let open: { kind: "text" } | { kind: "tool"; toolIndex: number } | undefined;
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
      if (typeof d.content === "string" && d.content !== "") {
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
          delta: { type: "text_delta", text: d.content },
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

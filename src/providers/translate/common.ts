/**
 * Small helpers shared by the API translators.
 *
 * @module
 */

/** A loosely typed JSON object (wire formats are validated by the providers, not here). */
// deno-lint-ignore no-explicit-any
export type J = Record<string, any>;

/** Text of an OpenAI/Anthropic content value: a string, or the text parts of an array. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let s = "";
  for (const p of content) {
    if (p && typeof p === "object" && typeof (p as J).text === "string") {
      const t = (p as J).type;
      if (t === undefined || t === "text" || t === "input_text" || t === "output_text") s += (p as J).text;
    }
  }
  return s;
}

/** Parses tool-call arguments into an object (Anthropic `input` must be an object). */
export function parseArguments(args: unknown): Record<string, unknown> {
  if (args && typeof args === "object" && !Array.isArray(args)) return args as Record<string, unknown>;
  if (typeof args !== "string" || args.trim() === "") return {};
  try {
    const v = JSON.parse(args);
    return v && typeof v === "object" && !Array.isArray(v) ? v : { value: v };
  } catch {
    return { _raw: args };
  }
}

/**
 * An assistant message's text and OpenAI `tool_calls` as Anthropic content blocks (`text`, then `tool_use`
 * with the arguments parsed into `input`).
 */
export function assistantBlocks(content: unknown, toolCalls: unknown): { text: string; blocks: J[] } {
  const blocks: J[] = [];
  const text = contentText(content);
  if (text) blocks.push({ type: "text", text });
  for (const tc of (Array.isArray(toolCalls) ? toolCalls : []) as J[]) {
    blocks.push({
      type: "tool_use",
      id: String(tc.id ?? `toolu_${randomId()}`),
      name: String(tc.function?.name ?? ""),
      input: parseArguments(tc.function?.arguments),
    });
  }
  return { text, blocks };
}

/**
 * The reverse of {@link assistantBlocks}: Anthropic content blocks as an OpenAI assistant message
 * (`content` null when there are only tool calls; `tool_calls` with the input as JSON arguments).
 */
export function assistantMessage(blocks: unknown): J {
  let text = "";
  const toolCalls: J[] = [];
  for (const b of (Array.isArray(blocks) ? blocks : []) as J[]) {
    if (b?.type === "text") text += b.text ?? "";
    else if (b?.type === "tool_use") {
      toolCalls.push({
        id: b.id,
        type: "function",
        function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) },
      });
    }
  }
  const message: J = { role: "assistant", content: text === "" && toolCalls.length ? null : text };
  if (toolCalls.length) message.tool_calls = toolCalls;
  return message;
}

/** A random id suffix. */
export function randomId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 24);
}

/** Seconds since the epoch. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Builds a JSON response. */
export function jsonResponse(value: unknown, status: number, headers: Headers): Response {
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(value), { status, headers });
}

/** OpenAI finish_reason → Anthropic stop_reason. */
export function toStopReason(finish: unknown): string {
  switch (finish) {
    case "length":
      return "max_tokens";
    case "tool_calls":
    case "function_call":
      return "tool_use";
    case "content_filter":
      return "refusal";
    default:
      return "end_turn";
  }
}

/** Anthropic stop_reason → OpenAI finish_reason. */
export function toFinishReason(stop: unknown): string {
  switch (stop) {
    case "max_tokens":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      return "stop";
  }
}

/** Anthropic error body → OpenAI error body. */
export function anthropicErrorToOpenAI(body: unknown, status: number): J {
  const e = (body as J)?.error;
  const message = typeof e?.message === "string" ? e.message : `upstream returned status ${status}`;
  const type = typeof e?.type === "string" ? e.type : "upstream_error";
  return { error: { message, type, param: null, code: null } };
}

/** OpenAI error body → Anthropic error body. */
export function openAIErrorToAnthropic(body: unknown, status: number): J {
  const e = (body as J)?.error;
  const message = typeof e?.message === "string"
    ? e.message
    : typeof e === "string"
    ? e
    : `upstream returned status ${status}`;
  const type = status === 429
    ? "rate_limit_error"
    : status === 401
    ? "authentication_error"
    : status === 403
    ? "permission_error"
    : status === 404
    ? "not_found_error"
    : status >= 500
    ? "api_error"
    : "invalid_request_error";
  return { type: "error", error: { type, message } };
}

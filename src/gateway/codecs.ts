/**
 * Codecs: for each client API, where the governed content of requests and
 * responses lives. A segment key is the literal JSON path of a string field
 * (`messages.2.content`, `content.0.text`), so writing redactions back is one
 * generic path update.
 *
 * @module
 */
import type { ApiKind } from "../providers/types.ts";
import type { TextSegment, ToolCall, ToolDefinition } from "../policy/types.ts";
import { GatewayError } from "./errors.ts";

/** Token usage read from a response. */
export interface Usage {
  input?: number;
  output?: number;
}

/** Governed content of a request or a response. */
export interface Content {
  segments: TextSegment[];
  tools: ToolDefinition[];
  toolCalls: ToolCall[];
  /**
   * Strings inside the tool-call arguments a request replays in its history (input only; absent when there
   * are none). Policies see them as text after {@link segments}; {@link applyInput} writes them back.
   */
  toolArgs?: ToolArgs;
}

/**
 * The strings of a request's replayed tool-call arguments: one `assistant` segment per string (JSON string
 * values of argument text, string leaves of argument objects, a custom tool's whole input), and per
 * argument field how to rebuild it from its segments' texts.
 */
export interface ToolArgs {
  segments: TextSegment[];
  fields: ToolArgField[];
}

/** One argument field of a replayed tool call. */
export interface ToolArgField {
  /** Path of the field in the body. */
  path: string[];
  /** Index of its first segment in {@link ToolArgs.segments}. */
  first: number;
  /** Number of its segments. */
  count: number;
  /** The field's new value from its segments' (redacted) texts. */
  build(texts: readonly string[]): unknown;
}

/** A JSON object body. */
export type Json = Record<string, unknown>;

/** Per-API knowledge of bodies. */
export interface ApiCodec {
  readonly api: ApiKind;
  /** Checks required fields; throws a 400 {@link GatewayError}. */
  validate(body: Json): void;
  /** Governed content of a request. */
  input(body: Json): Content;
  /** Governed content of a complete (non-streamed) response. */
  output(body: Json): Content;
  /** Usage of a complete response. */
  usage(body: Json): Usage;
}

/** A JSON object (not an array). */
export type Obj = Record<string, unknown>;
/** True for a JSON object (not null, not an array). */
export const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const str = (v: unknown): v is string => typeof v === "string";

function requireField(body: Json, field: string, check: (v: unknown) => boolean, expected: string): void {
  const v = body[field];
  if (v === undefined || v === null) {
    throw new GatewayError(400, "missing_field", `the request needs "${field}" (${expected})`);
  }
  if (!check(v)) throw new GatewayError(400, "invalid_field", `"${field}" must be ${expected}`);
}

function nonEmptyArray(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0;
}

function stringOrList(v: unknown): boolean {
  return str(v) || Array.isArray(v);
}

/** User segments of a string-or-list-of-strings field (`prompt`, `input`): keys `field` or `field.<i>`. */
function stringSegments(value: unknown, field: string): TextSegment[] {
  const segments: TextSegment[] = [];
  if (str(value)) segments.push({ key: field, role: "user", text: value });
  else if (Array.isArray(value)) {
    value.forEach((p, i) => str(p) && segments.push({ key: `${field}.${i}`, role: "user", text: p }));
  }
  return segments;
}

function checkMessages(body: Json): void {
  const messages = body.messages as unknown[];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (!isObj(m) || !str(m.role)) {
      throw new GatewayError(400, "invalid_field", `messages[${i}] must be an object with a string "role"`);
    }
    const c = m.content;
    if (c !== undefined && c !== null && !str(c) && !Array.isArray(c)) {
      throw new GatewayError(
        400,
        "invalid_field",
        `messages[${i}].content must be a string or a list of parts`,
      );
    }
  }
}

/** Pushes text parts of an OpenAI/Anthropic content value (string or parts). */
function pushContent(out: TextSegment[], content: unknown, key: string, role: string): void {
  if (str(content)) {
    out.push({ key, role, text: content });
  } else if (Array.isArray(content)) {
    content.forEach((part, j) => {
      if (!isObj(part)) return;
      if (str(part.text)) out.push({ key: `${key}.${j}.text`, role, text: part.text });
      else if (part.type === "tool_result") pushContent(out, part.content, `${key}.${j}.content`, "tool");
    });
  }
}

function parseArgs(v: unknown): string {
  return str(v) ? v : JSON.stringify(v ?? {});
}

/** A tool call; arguments given as an object (Anthropic `input`) are serialised to JSON text. */
function toolCall(id: unknown, name: unknown, args: unknown): ToolCall {
  return { id: str(id) ? id : undefined, name: String(name ?? ""), arguments: parseArgs(args) };
}

/** Tool definitions of a request: `select` picks the object holding name/description (or skips the entry). */
function readTools(
  tools: unknown,
  select: (t: Obj) => Obj | undefined,
  schemaKey: "parameters" | "input_schema",
): ToolDefinition[] {
  const out: ToolDefinition[] = [];
  if (!Array.isArray(tools)) return out;
  for (const t of tools) {
    const d = isObj(t) ? select(t) : undefined;
    if (d) {
      out.push({
        name: String(d.name ?? ""),
        description: str(d.description) ? d.description : undefined,
        parameters: d[schemaKey],
      });
    }
  }
  return out;
}

/** Pushes OpenAI `tool_calls` entries (`{id, function: {name, arguments}}`). */
function pushOpenAiToolCalls(out: ToolCall[], toolCalls: unknown): void {
  if (!Array.isArray(toolCalls)) return;
  for (const tc of toolCalls) {
    if (isObj(tc) && isObj(tc.function)) {
      out.push(toolCall(tc.id, tc.function.name, tc.function.arguments));
    }
  }
}

/** Offsets `[start, end)` of the string values (not object keys) of valid JSON text, in order. */
function jsonStringValues(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== 34) continue;
    let j = i + 1;
    while (j < text.length) {
      const c = text.charCodeAt(j);
      if (c === 34) break;
      j += c === 92 ? 2 : 1;
    }
    let k = j + 1;
    while (k < text.length && " \t\n\r".includes(text[k])) k++;
    if (text.charCodeAt(k) !== 58) out.push([i, j + 1]);
    i = j;
  }
  return out;
}

/** Visits the string leaves of a JSON value in a fixed order; `fn`'s result replaces each leaf. */
function mapLeaves(v: unknown, fn: (s: string) => string): unknown {
  if (typeof v === "string") return fn(v);
  if (Array.isArray(v)) return v.map((x) => mapLeaves(x, fn));
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapLeaves(x, fn)]));
  return v;
}

/**
 * Adds the strings of one replayed tool-call argument field at `key` (a dotted body path) to `acc`. `value`
 * is JSON text (`json`), free text (a custom tool's input, or argument text that is not JSON), or an object.
 * Redacted JSON text stays valid: only its string values change, each re-encoded with `JSON.stringify`.
 */
function pushToolArgs(acc: ToolArgs, key: string, value: unknown, json: boolean): void {
  const path = key.split(".");
  const first = acc.segments.length;
  const add = (text: string) => acc.segments.push({ key, role: "assistant", text });
  if (typeof value === "string") {
    let tokens: Array<[number, number]> | undefined;
    if (json) {
      try {
        JSON.parse(value);
        tokens = jsonStringValues(value);
      } catch {
        // Not JSON: governed as free text.
      }
    }
    if (!tokens) {
      if (value === "") return;
      add(value);
      acc.fields.push({ path, first, count: 1, build: (texts) => texts[0] });
      return;
    }
    const decoded = tokens.map(([a, b]) => JSON.parse(value.slice(a, b)) as string);
    decoded.forEach(add);
    if (decoded.length === 0) return;
    acc.fields.push({
      path,
      first,
      count: decoded.length,
      build(texts) {
        let out = "";
        let at = 0;
        tokens.forEach(([a, b], n) => {
          out += value.slice(at, a) +
            (texts[n] === decoded[n] ? value.slice(a, b) : JSON.stringify(texts[n]));
          at = b;
        });
        return out + value.slice(at);
      },
    });
  } else if (value !== null && typeof value === "object") {
    mapLeaves(value, (s) => {
      add(s);
      return s;
    });
    const count = acc.segments.length - first;
    if (count === 0) return;
    acc.fields.push({
      path,
      first,
      count,
      build(texts) {
        let n = 0;
        return mapLeaves(value, () => texts[n++]);
      },
    });
  }
}

/** Adds the arguments of replayed OpenAI chat `tool_calls` of message `i`. */
function pushChatToolArgs(acc: ToolArgs, toolCalls: unknown[], i: number): void {
  toolCalls.forEach((tc, t) => {
    if (isObj(tc) && isObj(tc.function)) {
      pushToolArgs(acc, `messages.${i}.tool_calls.${t}.function.arguments`, tc.function.arguments, true);
    }
  });
}

const newToolArgs = (): ToolArgs => ({ segments: [], fields: [] });

const chat: ApiCodec = {
  api: "chat",
  validate(body) {
    requireField(body, "model", str, "a model name");
    requireField(body, "messages", nonEmptyArray, "a non-empty list of messages");
    checkMessages(body);
  },
  input(body) {
    const segments: TextSegment[] = [];
    const toolCalls: ToolCall[] = [];
    let toolArgs: ToolArgs | undefined;
    (body.messages as Obj[]).forEach((m, i) => {
      pushContent(segments, m.content, `messages.${i}.content`, String(m.role));
      if (Array.isArray(m.tool_calls)) {
        pushOpenAiToolCalls(toolCalls, m.tool_calls);
        pushChatToolArgs(toolArgs ??= newToolArgs(), m.tool_calls, i);
      }
    });
    const tools = readTools(body.tools, (t) => (isObj(t.function) ? t.function : undefined), "parameters");
    return withToolArgs({ segments, tools, toolCalls }, toolArgs);
  },
  output(body) {
    const segments: TextSegment[] = [];
    const toolCalls: ToolCall[] = [];
    if (Array.isArray(body.choices)) {
      body.choices.forEach((c, k) => {
        if (!isObj(c) || !isObj(c.message)) return;
        pushContent(segments, c.message.content, `choices.${k}.message.content`, "assistant");
        pushOpenAiToolCalls(toolCalls, c.message.tool_calls);
      });
    }
    return { segments, tools: [], toolCalls };
  },
  usage: openaiUsage,
};

function openaiUsage(body: Json): Usage {
  const u = body.usage;
  if (!isObj(u)) return {};
  return {
    input: typeof u.prompt_tokens === "number"
      ? u.prompt_tokens
      : typeof u.input_tokens === "number"
      ? u.input_tokens
      : undefined,
    output: typeof u.completion_tokens === "number"
      ? u.completion_tokens
      : typeof u.output_tokens === "number"
      ? u.output_tokens
      : undefined,
  };
}

const completions: ApiCodec = {
  api: "completions",
  validate(body) {
    requireField(body, "model", str, "a model name");
    requireField(body, "prompt", stringOrList, "a string or a list of strings");
  },
  input: (body) => ({ segments: stringSegments(body.prompt, "prompt"), tools: [], toolCalls: [] }),
  output(body) {
    const segments: TextSegment[] = [];
    if (Array.isArray(body.choices)) {
      body.choices.forEach((c, k) => {
        if (isObj(c) && str(c.text)) {
          segments.push({ key: `choices.${k}.text`, role: "assistant", text: c.text });
        }
      });
    }
    return { segments, tools: [], toolCalls: [] };
  },
  usage: openaiUsage,
};

const embeddings: ApiCodec = {
  api: "embeddings",
  validate(body) {
    requireField(body, "model", str, "a model name");
    requireField(body, "input", stringOrList, "a string or a list of strings");
  },
  input: (body) => ({ segments: stringSegments(body.input, "input"), tools: [], toolCalls: [] }),
  output: () => ({ segments: [], tools: [], toolCalls: [] }),
  usage: openaiUsage,
};

const responses: ApiCodec = {
  api: "responses",
  validate(body) {
    requireField(body, "model", str, "a model name");
    requireField(body, "input", stringOrList, "a string or a list of input items");
  },
  input(body) {
    const segments: TextSegment[] = [];
    const toolCalls: ToolCall[] = [];
    let toolArgs: ToolArgs | undefined;
    if (str(body.instructions)) {
      segments.push({ key: "instructions", role: "system", text: body.instructions });
    }
    if (str(body.input)) segments.push({ key: "input", role: "user", text: body.input });
    else if (Array.isArray(body.input)) {
      body.input.forEach((item, i) => {
        if (!isObj(item)) return;
        if (item.type === "function_call") {
          toolCalls.push(toolCall(item.call_id, item.name, item.arguments));
          pushToolArgs(toolArgs ??= newToolArgs(), `input.${i}.arguments`, item.arguments, true);
        } else if (item.type === "custom_tool_call") {
          // A custom tool's input is free text.
          pushToolArgs(toolArgs ??= newToolArgs(), `input.${i}.input`, item.input, false);
        } else if (item.type === "function_call_output" || item.type === "custom_tool_call_output") {
          // A tool's output (text or content parts) goes to the provider like any message.
          pushContent(segments, item.output, `input.${i}.output`, "tool");
        } else {
          pushContent(segments, item.content, `input.${i}.content`, str(item.role) ? item.role : "user");
        }
      });
    }
    const tools = readTools(body.tools, (t) => (t.type === "function" ? t : undefined), "parameters");
    return withToolArgs({ segments, tools, toolCalls }, toolArgs);
  },
  output(body) {
    const segments: TextSegment[] = [];
    const toolCalls: ToolCall[] = [];
    if (Array.isArray(body.output)) {
      body.output.forEach((item, i) => {
        if (!isObj(item)) return;
        if (item.type === "function_call") {
          toolCalls.push(toolCall(item.call_id, item.name, item.arguments));
        } else if (Array.isArray(item.content)) {
          pushContent(segments, item.content, `output.${i}.content`, "assistant");
        }
      });
    }
    return { segments, tools: [], toolCalls };
  },
  usage: openaiUsage,
};

const messages: ApiCodec = {
  api: "messages",
  validate(body) {
    requireField(body, "model", str, "a model name");
    requireField(body, "messages", nonEmptyArray, "a non-empty list of messages");
    checkMessages(body);
    if (body.max_tokens !== undefined && (typeof body.max_tokens !== "number" || body.max_tokens < 1)) {
      throw new GatewayError(400, "invalid_field", `"max_tokens" must be a positive number`);
    }
  },
  input(body) {
    const segments: TextSegment[] = [];
    const toolCalls: ToolCall[] = [];
    let toolArgs: ToolArgs | undefined;
    pushContent(segments, body.system, "system", "system");
    (body.messages as Obj[]).forEach((m, i) => {
      pushContent(segments, m.content, `messages.${i}.content`, String(m.role));
      if (Array.isArray(m.content)) {
        m.content.forEach((block, j) => {
          if (isObj(block) && block.type === "tool_use") {
            toolCalls.push(toolCall(block.id, block.name, block.input));
            pushToolArgs(toolArgs ??= newToolArgs(), `messages.${i}.content.${j}.input`, block.input, false);
          }
        });
      }
    });
    const tools = readTools(body.tools, (t) => (str(t.name) ? t : undefined), "input_schema");
    return withToolArgs({ segments, tools, toolCalls }, toolArgs);
  },
  output(body) {
    const segments: TextSegment[] = [];
    const toolCalls: ToolCall[] = [];
    if (Array.isArray(body.content)) {
      body.content.forEach((block, j) => {
        if (!isObj(block)) return;
        if (str(block.text)) segments.push({ key: `content.${j}.text`, role: "assistant", text: block.text });
        else if (block.type === "tool_use") {
          toolCalls.push(toolCall(block.id, block.name, block.input));
        }
      });
    }
    return { segments, tools: [], toolCalls };
  },
  usage(body) {
    const u = body.usage;
    if (!isObj(u)) return {};
    return {
      input: typeof u.input_tokens === "number" ? u.input_tokens : undefined,
      output: typeof u.output_tokens === "number" ? u.output_tokens : undefined,
    };
  },
};

/** `content` with `toolArgs` when some replayed tool call has strings to govern. */
function withToolArgs(content: Content, toolArgs: ToolArgs | undefined): Content {
  if (toolArgs && toolArgs.segments.length > 0) content.toolArgs = toolArgs;
  return content;
}

/**
 * The segments policies see for a request's `content`: its text segments, then the strings of its replayed
 * tool-call arguments ({@link Content.toolArgs}). The same array as `content.segments` when there are none.
 */
export function inputSegments(content: Content): readonly TextSegment[] {
  return content.toolArgs ? content.segments.concat(content.toolArgs.segments) : content.segments;
}

/** The text part of input-policy `segments` (as ordered by {@link inputSegments}): what the audit describes. */
export function inputTextSegments(
  content: Content,
  segments: readonly TextSegment[],
): readonly TextSegment[] {
  const n = content.segments.length;
  return segments.length === n ? segments : segments.slice(0, n);
}

/**
 * Returns a copy of a request `body` with the policies' `segments` (as ordered by {@link inputSegments})
 * written back: text segments at their keys, tool-call argument fields rebuilt from their strings (JSON
 * argument text stays valid JSON, argument objects keep their shape).
 */
export function applyInput(body: Json, content: Content, segments: readonly TextSegment[]): Json {
  const n = content.segments.length;
  let out = applySegments(body, inputTextSegments(content, segments), content.segments);
  const args = content.toolArgs;
  if (!args) return out;
  for (const f of args.fields) {
    let changed = false;
    const texts: string[] = [];
    for (let i = f.first; i < f.first + f.count; i++) {
      const text = segments[n + i]?.text ?? args.segments[i].text;
      if (text !== args.segments[i].text) changed = true;
      texts.push(text);
    }
    if (changed) out = setPath(out, f.path, f.build(texts)) as Json;
  }
  return out;
}

/** Codec of each API. */
export const CODECS: Readonly<Record<ApiKind, ApiCodec>> = {
  chat,
  completions,
  embeddings,
  responses,
  messages,
};

/**
 * Applies `fn` to every tool-call argument string of a complete response (OpenAI `function.arguments`,
 * Responses `function_call.arguments` and `custom_tool_call.input`, every string inside an Anthropic
 * `tool_use.input`). `json` tells `fn` whether the string is JSON source (the OpenAI and Responses function
 * arguments) rather than a value or free text. Returns the
 * new body, or undefined when nothing changed. Used to restore redacted values for the caller.
 */
export function mapToolArguments(
  api: ApiKind,
  body: Json,
  fn: (text: string, json: boolean) => string,
): Json | undefined {
  let changed = false;
  const map = (v: unknown, json = false): unknown => {
    if (typeof v === "string") {
      const t = fn(v, json);
      if (t !== v) changed = true;
      return t;
    }
    if (Array.isArray(v)) return v.map((x) => map(x));
    if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, map(x)]));
    return v;
  };
  let out = body;
  if (api === "chat" && Array.isArray(body.choices)) {
    body.choices.forEach((c, k) => {
      const calls = isObj(c) && isObj(c.message) && Array.isArray(c.message.tool_calls)
        ? c.message.tool_calls
        : [];
      calls.forEach((tc, t) => {
        if (isObj(tc) && isObj(tc.function) && str(tc.function.arguments)) {
          const next = map(tc.function.arguments, true) as string;
          if (next !== tc.function.arguments) {
            out = setPath(out, [
              "choices",
              String(k),
              "message",
              "tool_calls",
              String(t),
              "function",
              "arguments",
            ], next) as Json;
          }
        }
      });
    });
  } else if (api === "responses" && Array.isArray(body.output)) {
    body.output.forEach((item, i) => {
      if (isObj(item) && item.type === "function_call" && str(item.arguments)) {
        const next = map(item.arguments, true) as string;
        if (next !== item.arguments) out = setPath(out, ["output", String(i), "arguments"], next) as Json;
      } else if (isObj(item) && item.type === "custom_tool_call" && str(item.input)) {
        // A custom tool's input is free text, not JSON.
        const next = map(item.input) as string;
        if (next !== item.input) out = setPath(out, ["output", String(i), "input"], next) as Json;
      }
    });
  } else if (api === "messages" && Array.isArray(body.content)) {
    const content = body.content.map((block) =>
      isObj(block) && block.type === "tool_use" ? { ...block, input: map(block.input) } : block
    );
    if (changed) out = { ...body, content };
  }
  return changed ? out : undefined;
}

/**
 * Returns a copy of `body` with each segment's text written at its key (a dotted JSON path).
 * Only the objects along changed paths are copied.
 */
export function applySegments(
  body: Json,
  segments: readonly TextSegment[],
  original: readonly TextSegment[],
): Json {
  let out = body;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (original[i] && original[i].key === seg.key && original[i].text === seg.text) continue;
    out = setPath(out, seg.key.split("."), seg.text) as Json;
  }
  return out;
}

function setPath(node: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(node)) {
    const copy = node.slice();
    const i = Number(head);
    copy[i] = setPath(copy[i], rest, value);
    return copy;
  }
  const obj = isObj(node) ? node : {};
  return { ...obj, [head]: setPath(obj[head], rest, value) };
}

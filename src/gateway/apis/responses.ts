/**
 * OpenAI Responses (`POST /v1/responses`): the complete field map of requests and answers, and the
 * stream dialect of Responses events. The field lists follow the official `openai` SDK's
 * `ResponseCreateParams`, `Response` and `ResponseStreamEvent`. Items and tools the provider runs
 * itself (file and web search, computer use, code interpreter, shells, patches, MCP, tool search,
 * compaction, programs) are provider-defined: every string in them is scanned.
 *
 * @module
 */
import type { ClientApi } from "./types.ts";
import {
  arr,
  bool,
  inert,
  isObj,
  type Node,
  num,
  type Obj,
  obj,
  stored,
  stringOr,
  tagged,
  token,
  within,
} from "./walk.ts";
import {
  asToolDefinition,
  asToolResult,
  id,
  model,
  openaiUsage,
  scannedItem,
  settings,
  txt,
} from "./common.ts";
import { addJsonText, jsonSchema } from "./values.ts";
import { addEncodedFile, mediaTypeOfName } from "./files.ts";
import { imageUrl, stop } from "./chat.ts";
import type { Guard, Handled, StreamDialect } from "../sse_guard.ts";

// --- request -----------------------------------------------------------------------------------------

const cache = { prompt_cache_breakpoint: settings };
const inputText = obj({ type: token, text: txt, ...cache });
const inputImage = obj({
  type: token,
  image_url: imageUrl,
  file_id: (w, v) => {
    id(w, v);
    w.mediaPart("an image given by file_id");
  },
  detail: token,
  ...cache,
});
const inputFile: Node = (w, v) => {
  if (!isObj(v)) return w.invalid("an object");
  for (const k in v) {
    w.path.push(k);
    const x = v[k];
    if (k === "file_data" && typeof x === "string") addEncodedFile(w, x, mediaTypeOfName(v.filename));
    else if (k === "file_id") {
      id(w, x);
      w.opaqueFile("a file given by file_id");
    } else if (k === "file_url") {
      txt(w, x);
      w.opaqueFile("a file given by URL");
    } else if (k === "filename") txt(w, x);
    else if (k === "type" || k === "detail") token(w, x);
    else if (k === "prompt_cache_breakpoint") settings(w, x);
    else w.unknown(x);
    w.path.pop();
  }
};
const outputText = obj({ type: token, text: txt, annotations: scannedItem, logprobs: scannedItem });
const parts = arr(tagged("type", {
  input_text: inputText,
  input_image: inputImage,
  input_file: inputFile,
  output_text: outputText,
  refusal: obj({ type: token, refusal: txt }),
  summary_text: inputText,
  reasoning_text: inputText,
}));
const content = stringOr(txt, parts);

/** A message item; its role sets the segments' role and source. */
const messageItem: Node = (w, v) => {
  if (!isObj(v)) return w.invalid("an object");
  const role = v.role;
  if (role !== "user" && role !== "assistant" && role !== "system" && role !== "developer") {
    w.path.push("role");
    return w.invalid('one of "user", "assistant", "system", "developer"');
  }
  const system = role === "system" || role === "developer";
  within(
    { role: system ? "system" : role, source: system ? "system" : "messages" },
    obj({ type: token, id: token, role: token, status: token, phase: token, content }, {
      required: { content: "the message's content" },
    }),
  )(w, v);
};

const functionCall: Node = (w, v) => {
  if (isObj(v)) {
    w.toolCalls.push({
      id: typeof v.call_id === "string" ? v.call_id : undefined,
      name: String(v.name ?? ""),
      arguments: String(v.arguments ?? ""),
    });
  }
  within(
    { source: "tool_results", role: "assistant" },
    obj({
      type: token,
      id: token,
      call_id: id,
      name: txt,
      namespace: txt,
      status: token,
      arguments: (w2, a) => typeof a === "string" ? addJsonText(w2, a) : w2.invalid("JSON text"),
      caller: settings,
    }),
  )(w, v);
};

const toolOutput = asToolResult(obj({ type: token, id: token, call_id: id, status: token, output: content }));

/** Item types the provider runs or keeps itself: scanned whole as tool output. */
const PROVIDER_ITEMS = [
  "file_search_call",
  "computer_call",
  "computer_call_output",
  "web_search_call",
  "image_generation_call",
  "code_interpreter_call",
  "local_shell_call",
  "local_shell_call_output",
  "shell_call",
  "shell_call_output",
  "apply_patch_call",
  "apply_patch_call_output",
  "mcp_list_tools",
  "mcp_approval_request",
  "mcp_approval_response",
  "mcp_call",
  "tool_search_call",
  "tool_search_output",
  "additional_tools",
  "compaction",
  "compaction_trigger",
  "program",
  "program_output",
];

const item = tagged("type", {
  message: messageItem,
  function_call: functionCall,
  function_call_output: toolOutput,
  custom_tool_call: (w, v) => {
    within(
      { source: "tool_results", role: "assistant" },
      obj({
        type: token,
        id: token,
        call_id: id,
        name: txt,
        namespace: txt,
        input: txt,
        status: token,
      }),
    )(w, v);
  },
  custom_tool_call_output: toolOutput,
  reasoning: within(
    { role: "assistant", source: "messages" },
    obj({ type: token, id: token, status: token, summary: parts, content: parts, encrypted_content: token }),
  ),
  item_reference: obj({ type: token, id: token }),
  ...Object.fromEntries(PROVIDER_ITEMS.map((t) => [t, asToolResult(scannedItem)])),
}, { missing: "message" });

const functionTool: Node = (w, v) => {
  if (isObj(v)) {
    w.tools.push({
      name: String(v.name ?? ""),
      description: typeof v.description === "string" ? v.description : undefined,
      parameters: v.parameters,
    });
  }
  obj({
    type: token,
    name: txt,
    description: txt,
    parameters: jsonSchema,
    output_schema: jsonSchema,
    strict: bool,
    allowed_callers: settings,
    defer_loading: bool,
  })(w, v);
};
const customTool: Node = (w, v) => {
  if (isObj(v)) {
    w.tools.push({
      name: String(v.name ?? ""),
      description: typeof v.description === "string" ? v.description : undefined,
    });
  }
  obj({
    type: token,
    name: txt,
    description: txt,
    format: scannedItem,
    defer_loading: bool,
    allowed_callers: settings,
  })(w, v);
};

/** A tool: function and custom tools field by field; provider tools (any other type) scanned whole. */
const tool: Node = (w, v) => {
  if (!isObj(v)) return w.invalid("an object");
  if (v.type === "function") return functionTool(w, v);
  if (v.type === "custom") return customTool(w, v);
  if (typeof v.type !== "string") {
    w.path.push("type");
    return w.invalid("a tool type");
  }
  scannedItem(w, v);
};

const textConfig = obj({
  format: asToolDefinition(tagged("type", {
    text: obj({ type: token }),
    json_object: obj({ type: token }),
    json_schema: obj({ type: token, name: txt, description: txt, schema: jsonSchema, strict: bool }),
  })),
  verbosity: token,
});

const request = obj({
  model,
  input: stringOr(txt, arr(item)),
  instructions: within({ role: "system", source: "system" }, txt),
  background: bool,
  context_management: settings,
  conversation: (w, v) => typeof v === "string" ? token(w, v) : obj({ id: token })(w, v),
  include: arr(token),
  max_output_tokens: num({ integer: true, min: 1 }),
  max_tool_calls: num({ integer: true, min: 1 }),
  metadata: stored,
  moderation: settings,
  parallel_tool_calls: bool,
  previous_response_id: token,
  prompt: obj({
    id: token,
    version: token,
    variables: (w, v) => {
      if (!isObj(v)) return w.invalid("an object of variables");
      for (const k in v) w.at(k, (w2, x) => typeof x === "string" ? txt(w2, x) : parts(w2, [x]), v[k]);
    },
  }),
  prompt_cache_key: stored,
  prompt_cache_options: settings,
  prompt_cache_retention: token,
  reasoning: settings,
  safety_identifier: stored,
  service_tier: token,
  store: bool,
  stream: bool,
  stream_options: obj({ include_obfuscation: bool }, { closed: true }),
  temperature: num({ min: 0, max: 2 }),
  text: textConfig,
  tool_choice: (w, v) => typeof v === "string" ? token(w, v) : settings(w, v),
  tools: asToolDefinition(arr(tool)),
  top_logprobs: num({ integer: true, min: 0, max: 20 }),
  top_p: num({ min: 0, max: 1 }),
  truncation: token,
  user: stored,
  // Not in the Responses reference, but some clients send chat-style `stop`: provider-kept text.
  stop,
}, { required: { model: "a model name", input: "a string or a list of input items" } });

// --- answer ------------------------------------------------------------------------------------------

/** Request fields a Response echoes: governed on the way in, not read again. */
const ECHOES = [
  "instructions",
  "tools",
  "tool_choice",
  "text",
  "reasoning",
  "metadata",
  "user",
  "prompt",
  "previous_response_id",
  "conversation",
  "include",
  "safety_identifier",
  "prompt_cache_key",
  "prompt_cache_retention",
  "truncation",
  "max_output_tokens",
  "max_tool_calls",
  "parallel_tool_calls",
  "temperature",
  "top_p",
  "top_logprobs",
  "store",
  "background",
  "service_tier",
  "moderation",
  "context_management",
];
const skip = inert(() => undefined);

const answerItem = tagged("type", {
  message: obj({
    type: token,
    id: token,
    role: token,
    status: token,
    phase: token,
    content: arr(tagged("type", { output_text: outputText, refusal: obj({ type: token, refusal: txt }) })),
  }),
  reasoning: within(
    { source: "reasoning" },
    obj({ type: token, id: token, status: token, summary: parts, content: parts, encrypted_content: token }),
  ),
  function_call: (w, v) => {
    if (isObj(v)) {
      w.toolCalls.push({
        id: typeof v.call_id === "string" ? v.call_id : undefined,
        name: String(v.name ?? ""),
        arguments: String(v.arguments ?? ""),
      });
    }
    within(
      { source: "output_tools" },
      obj({
        type: token,
        id: token,
        call_id: id,
        name: txt,
        namespace: txt,
        status: token,
        arguments: (w2, a) => typeof a === "string" ? addJsonText(w2, a) : undefined,
        caller: settings,
      }),
    )(w, v);
  },
  custom_tool_call: within(
    { source: "output_tools" },
    obj({ type: token, id: token, call_id: id, name: txt, namespace: txt, input: txt, status: token }),
  ),
});

const answer = obj({
  id: token,
  object: token,
  created_at: num(),
  completed_at: num(),
  status: token,
  model: token,
  error: scannedItem,
  incomplete_details: scannedItem,
  output: arr(answerItem),
  output_text: txt,
  usage: skip,
  ...Object.fromEntries(ECHOES.map((k) => [k, skip])),
});

// --- stream ------------------------------------------------------------------------------------------

/** Text delta events: type → [channel prefix, source, index field]. */
const TEXT_DELTAS: ReadonlyMap<string, [string, "output_text" | "reasoning" | "output_tools", string]> =
  new Map([
    ["response.output_text.delta", ["o", "output_text", "content_index"]],
    ["response.refusal.delta", ["r", "output_text", "content_index"]],
    ["response.reasoning_summary_text.delta", ["s", "reasoning", "summary_index"]],
    ["response.reasoning_text.delta", ["t", "reasoning", "content_index"]],
    ["response.audio.transcript.delta", ["a", "output_text", ""]],
    ["response.code_interpreter_call_code.delta", ["k", "output_tools", ""]],
  ]);

/** Done events carrying a channel's whole text: type → [channel prefix, field, index field]. */
const TEXT_DONES: ReadonlyMap<string, [string, string, string]> = new Map([
  ["response.output_text.done", ["o", "text", "content_index"]],
  ["response.refusal.done", ["r", "refusal", "content_index"]],
  ["response.reasoning_summary_text.done", ["s", "text", "summary_index"]],
  ["response.reasoning_text.done", ["t", "text", "content_index"]],
  ["response.audio.transcript.done", ["a", "transcript", ""]],
  ["response.code_interpreter_call_code.done", ["k", "code", ""]],
]);

/** Tool-call argument events: delta type → [done type, field of the done event, JSON?]. */
const ARGUMENT_DELTAS: ReadonlyMap<string, { done: string; field: string; json: boolean }> = new Map([
  ["response.function_call_arguments.delta", {
    done: "response.function_call_arguments.done",
    field: "arguments",
    json: true,
  }],
  ["response.custom_tool_call_input.delta", {
    done: "response.custom_tool_call_input.done",
    field: "input",
    json: false,
  }],
  ["response.mcp_call_arguments.delta", {
    done: "response.mcp_call_arguments.done",
    field: "arguments",
    json: true,
  }],
]);
const ARGUMENT_DONES = new Map([...ARGUMENT_DELTAS.values()].map((a) => [a.done, a]));

const channelKey = (prefix: string, json: Obj, indexField: string) =>
  `${prefix}${json.output_index ?? 0}.${indexField ? json[indexField] ?? 0 : 0}`;
const callKey = (json: Obj) => `f${json.output_index ?? 0}`;

/**
 * Puts what each channel sent into the whole-text fields of an item (message parts, reasoning
 * summaries, tool-call arguments); true when something changed.
 */
function rewriteItem(g: Guard, item: unknown, outputIndex: number): boolean {
  if (!isObj(item)) return false;
  let changed = false;
  const set = (list: unknown, prefix: (p: Obj) => string, field: (p: Obj) => string) => {
    if (!Array.isArray(list)) return;
    list.forEach((p, j) => {
      if (!isObj(p)) return;
      const sent = g.emitted(`${prefix(p)}${outputIndex}.${j}`);
      const f = field(p);
      if (sent !== undefined && typeof p[f] === "string" && p[f] !== sent) {
        p[f] = sent;
        changed = true;
      }
    });
  };
  if (item.type === "message") {
    set(
      item.content,
      (p) => p.type === "refusal" ? "r" : "o",
      (p) => p.type === "refusal" ? "refusal" : "text",
    );
  } else if (item.type === "reasoning") {
    set(item.summary, () => "s", () => "text");
    set(item.content, () => "t", () => "text");
  } else if (item.type === "function_call" || item.type === "mcp_call") {
    changed = g.whole(`f${outputIndex}`, item, "arguments");
  } else if (item.type === "custom_tool_call") {
    changed = g.whole(`f${outputIndex}`, item, "input");
  }
  return changed;
}

/** {@link Guard.scanEvent}, reported as changed when the dialect already changed the event. */
function scanChanged(g: Guard, json: Obj, changed: boolean, skip?: ReadonlySet<string>): Handled {
  const h = g.scanEvent(json, skip);
  return h === "same" && changed ? "changed" : h;
}

const dialect: StreamDialect = {
  numbered: true,
  onEvent(g: Guard, name: string | undefined, json: Obj): Handled {
    const type = String(json.type ?? name ?? "");
    const delta = TEXT_DELTAS.get(type);
    if (delta && typeof json.delta === "string") {
      const [prefix, source, indexField] = delta;
      return g.text(channelKey(prefix, json, indexField), source, json, "delta") ? "same" : "drop";
    }
    const done = TEXT_DONES.get(type);
    if (done) {
      // The channel's held-back rest is decided before its done event, which then carries what went out.
      const [prefix, field, indexField] = done;
      const key = channelKey(prefix, json, indexField);
      if (!g.close(key)) return "drop";
      const sent = g.emitted(key);
      if (sent === undefined) return typeof json[field] === "string" ? g.scanEvent(json) : "same";
      if (json[field] === sent) return "same";
      json[field] = sent;
      return "changed";
    }
    const args = ARGUMENT_DELTAS.get(type);
    if (args && typeof json.delta === "string") {
      const key = callKey(json);
      g.call(key, json.item_id, undefined, args.json);
      if (g.holdsTools) {
        g.args(key, json, "delta");
        g.hold();
      }
      return "same";
    }
    const argsDone = ARGUMENT_DONES.get(type);
    if (argsDone) {
      const key = callKey(json);
      g.call(key, json.item_id, json.name, argsDone.json);
      g.whole(key, json, argsDone.field);
      if (!g.holdsTools) return "same";
      g.hold();
      return g.endCall(key) ? "same" : "drop";
    }
    switch (type) {
      case "response.output_item.added":
      case "response.output_item.done": {
        const index = Number(json.output_index ?? 0);
        const it = isObj(json.item) ? json.item : undefined;
        const isCall = it?.type === "function_call" || it?.type === "custom_tool_call" ||
          it?.type === "mcp_call";
        if (isCall && it) {
          const key = `f${index}`;
          g.call(
            key,
            it.call_id ?? it.id,
            type.endsWith("added") ? it.name : undefined,
            it.type !== "custom_tool_call",
          );
          const changed = rewriteItem(g, it, index);
          if (g.holdsTools) {
            g.hold();
            // A finished call goes with its events (tool policies see the calls so far first).
            if (type.endsWith("done") && (!g.endCall(key) || !g.releaseTools())) return "drop";
          }
          return changed ? "changed" : "same";
        }
        if (type.endsWith("done") && !g.closeChannels()) return "drop";
        return scanChanged(g, json, rewriteItem(g, it, index));
      }
      case "response.content_part.added":
      case "response.content_part.done":
      case "response.reasoning_summary_part.added":
      case "response.reasoning_summary_part.done": {
        const part = isObj(json.part) ? json.part : undefined;
        if (part) {
          const summary = type.includes("summary");
          const prefix = summary ? "s" : part.type === "refusal" ? "r" : "o";
          const field = part.type === "refusal" ? "refusal" : "text";
          const key = channelKey(prefix, json, summary ? "summary_index" : "content_index");
          const sent = g.emitted(key);
          if (sent !== undefined && typeof part[field] === "string") {
            if (part[field] === sent) return "same";
            part[field] = sent;
            return "changed";
          }
        }
        return g.scanEvent(json);
      }
      case "response.completed":
      case "response.incomplete":
      case "response.failed": {
        if (!g.closeAll()) return "drop";
        const r = isObj(json.response) ? json.response : undefined;
        let changed = false;
        if (r) {
          g.usage(r.usage);
          if (Array.isArray(r.output)) {
            r.output.forEach((it, i) => changed = rewriteItem(g, it, i) || changed);
          }
        }
        return scanResponse(g, json, changed);
      }
      case "response.created":
      case "response.in_progress":
      case "response.queued":
        return scanResponse(g, json, false);
      default:
        return g.scanEvent(json);
    }
  },
};

const RESPONSE_SKIP = new Set([...ECHOES, "usage"]);

/** Scans a whole-response event's response object, outside the request echoes. */
function scanResponse(g: Guard, json: Obj, changed: boolean): Handled {
  const r = isObj(json.response) ? json.response : undefined;
  if (!r) return changed ? "changed" : "same";
  const h = g.scanEvent(r, RESPONSE_SKIP);
  return h === "same" && changed ? "changed" : h;
}

/** OpenAI Responses. */
export const responsesApi: ClientApi = {
  api: "responses",
  request,
  answer,
  usage: openaiUsage,
  maxTokensFields: ["max_output_tokens"],
  ungovernedOutput(body) {
    if (typeof body.top_logprobs === "number" && body.top_logprobs > 0) return "top_logprobs";
    if (
      Array.isArray(body.include) && body.include.some((i) => typeof i === "string" && i.includes("logprobs"))
    ) {
      return "include";
    }
    return undefined;
  },
  stream: dialect,
};

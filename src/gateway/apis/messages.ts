/**
 * Anthropic Messages (`POST /v1/messages`): the complete field map of requests and answers, and the
 * stream dialect of Messages events. The field lists follow the official `@anthropic-ai/sdk`'s
 * `MessageCreateParams`, `Message` and `RawMessageStreamEvent`. Server tools and their result blocks
 * (web search, web fetch, code execution, bash, text editor, tool search, MCP, container uploads) are
 * provider-defined, dated types: every string in them is scanned.
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
  type Walker,
  within,
} from "./walk.ts";
import { asToolDefinition, asToolResult, id, model, scannedItem, settings, txt } from "./common.ts";
import { jsonArguments, jsonSchema } from "./values.ts";
import { addDocumentText, addEncodedFile } from "./files.ts";
import type { Usage } from "./common.ts";
import { type Guard, type Handled, hasUnknownText, type StreamDialect } from "../sse_guard.ts";

// --- request -----------------------------------------------------------------------------------------

const cache = { cache_control: settings };
const citations = scannedItem;
const textBlock = obj({ type: token, text: txt, citations, ...cache });

const imageSource = tagged("type", {
  base64: obj({
    type: token,
    media_type: token,
    data: inert((v) => typeof v === "string" ? undefined : "base64"),
  }),
  url: obj({ type: token, url: txt }),
  file: obj({ type: token, file_id: id }),
});
const imageBlock: Node = (w, v) => {
  w.mediaPart("an image");
  obj({ type: token, source: imageSource, transformations: settings, ...cache })(w, v);
};

const documentSource = tagged("type", {
  base64: (w, v) => {
    if (!isObj(v)) return w.invalid("an object");
    obj({
      type: token,
      media_type: token,
      data: (w2, d) => {
        if (typeof d !== "string") return w2.invalid("base64 data");
        addEncodedFile(w2, d, typeof v.media_type === "string" ? v.media_type : "application/pdf");
      },
    })(w, v);
  },
  text: obj({
    type: token,
    media_type: token,
    data: (w, d) => typeof d === "string" ? addDocumentText(w, d) : w.invalid("text"),
  }),
  content: obj({
    type: token,
    content: within(
      { source: "files" },
      stringOr(txt, arr(tagged("type", { text: textBlock, image: imageBlock }))),
    ),
  }),
  url: (w, v) => {
    obj({ type: token, url: txt })(w, v);
    w.opaqueFile("a document given by URL");
  },
  file: (w, v) => {
    obj({ type: token, file_id: id })(w, v);
    w.opaqueFile("a document given by file_id");
  },
});
const documentBlock = obj({
  type: token,
  source: documentSource,
  title: within({ source: "files" }, txt),
  context: within({ source: "files" }, txt),
  citations: settings,
  ...cache,
}, { required: { source: "the document's source" } });

const searchResultBlock = obj({
  type: token,
  source: txt,
  title: txt,
  content: arr(tagged("type", { text: textBlock })),
  citations: settings,
  ...cache,
});

const toolUseBlock: Node = (w, v) => {
  if (isObj(v)) {
    w.toolCalls.push({
      id: typeof v.id === "string" ? v.id : undefined,
      name: String(v.name ?? ""),
      arguments: JSON.stringify(v.input ?? {}),
    });
  }
  within(
    { source: "tool_results", role: "assistant" },
    obj({
      type: token,
      id,
      name: txt,
      input: jsonArguments,
      caller: settings,
      toolset_name: txt,
      ...cache,
    }),
  )(w, v);
};

const toolResultBlock = asToolResult(obj({
  type: token,
  tool_use_id: id,
  is_error: bool,
  content: stringOr(
    txt,
    arr(tagged("type", {
      text: textBlock,
      image: imageBlock,
      document: (w, v) => documentBlock(w, v),
      search_result: searchResultBlock,
      tool_reference: scannedItem,
    })),
  ),
  ...cache,
}));

/** Blocks whose shape the provider defines (server tools): every string scanned as tool output. */
const SERVER_BLOCKS = [
  "server_tool_use",
  "web_search_tool_result",
  "web_fetch_tool_result",
  "code_execution_tool_result",
  "bash_code_execution_tool_result",
  "text_editor_code_execution_tool_result",
  "tool_search_tool_result",
  "mcp_tool_use",
  "mcp_tool_result",
  "container_upload",
];
const serverBlock = asToolResult(scannedItem);

const blocks: Record<string, Node> = {
  text: textBlock,
  image: imageBlock,
  document: documentBlock,
  search_result: searchResultBlock,
  thinking: obj({ type: token, thinking: txt, signature: token }),
  redacted_thinking: obj({ type: token, data: token }),
  tool_use: toolUseBlock,
  tool_result: toolResultBlock,
  ...Object.fromEntries(SERVER_BLOCKS.map((t) => [t, serverBlock])),
};
const content = stringOr(txt, arr(tagged("type", blocks)));
const systemContent = stringOr(txt, arr(tagged("type", { text: textBlock })));

const message = tagged("role", {
  user: within({ role: "user", source: "messages" }, obj({ role: token, content })),
  assistant: within({ role: "assistant", source: "messages" }, obj({ role: token, content })),
  system: within({ role: "system", source: "system" }, obj({ role: token, content: systemContent })),
}, { other: "invalid" });

/** A custom tool (no `type`, or `custom`); tools of any other type are server tools, scanned whole. */
const tool: Node = (w, v) => {
  if (!isObj(v)) return w.invalid("an object");
  if (v.type !== undefined && v.type !== null && v.type !== "custom") return scannedItem(w, v);
  w.tools.push({
    name: String(v.name ?? ""),
    description: typeof v.description === "string" ? v.description : undefined,
    parameters: v.input_schema,
  });
  obj({
    type: token,
    name: txt,
    description: txt,
    input_schema: jsonSchema,
    input_examples: scannedItem,
    allowed_callers: settings,
    defer_loading: bool,
    eager_input_streaming: bool,
    strict: bool,
    ...cache,
  }, { required: { name: "the tool's name" } })(w, v);
};

const request = obj({
  model,
  messages: arr(message, 1),
  max_tokens: num({ integer: true, min: 1 }),
  system: within({ role: "system", source: "system" }, systemContent),
  metadata: within({ source: "stored" }, obj({ user_id: stored })),
  stop_sequences: (w, v) => {
    if (v === null || v === undefined) return;
    if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) return w.invalid("a list of strings");
    stored(w, v);
  },
  stream: bool,
  temperature: num({ min: 0, max: 1 }),
  top_k: num({ integer: true, min: 1 }),
  top_p: num({ min: 0, max: 1 }),
  thinking: settings,
  tool_choice: settings,
  tools: asToolDefinition(arr(tool)),
  service_tier: token,
  speed: token,
  inference_geo: token,
  cache_control: settings,
  container: (w, v) => typeof v === "string" ? token(w, v) : settings(w, v),
  diagnostics: settings,
  output_config: obj({
    effort: token,
    format: asToolDefinition(obj({ type: token, schema: jsonSchema })),
  }),
  context_management: settings,
  mcp_servers: asToolDefinition(arr(scannedItem)),
  user_profile_id: stored,
  workspace_id: token,
}, {
  required: {
    model: "a model name",
    messages: "a non-empty list of messages",
    max_tokens: "the most tokens to generate, a positive integer",
  },
});

// --- answer ------------------------------------------------------------------------------------------

const answerBlock = tagged("type", {
  text: obj({ type: token, text: txt, citations: scannedItem }),
  thinking: within({ source: "reasoning" }, obj({ type: token, thinking: txt, signature: token })),
  redacted_thinking: obj({ type: token, data: token }),
  tool_use: (w, v) => {
    if (isObj(v)) {
      w.toolCalls.push({
        id: typeof v.id === "string" ? v.id : undefined,
        name: String(v.name ?? ""),
        arguments: JSON.stringify(v.input ?? {}),
      });
    }
    within(
      { source: "output_tools" },
      obj({ type: token, id, name: txt, input: jsonArguments, caller: settings }),
    )(w, v);
  },
  ...Object.fromEntries(SERVER_BLOCKS.map((t) => [t, scannedItem])),
});

const answer = obj({
  id: token,
  type: token,
  role: token,
  model: token,
  content: arr(answerBlock),
  stop_reason: token,
  stop_sequence: txt,
  stop_details: scannedItem,
  usage: inert(() => undefined),
  container: settings,
  context_management: settings,
});

function usage(body: Obj): Usage {
  const u = body.usage;
  if (!isObj(u)) return {};
  return {
    input: typeof u.input_tokens === "number" ? u.input_tokens : undefined,
    output: typeof u.output_tokens === "number" ? u.output_tokens : undefined,
  };
}

// --- stream ------------------------------------------------------------------------------------------

const BLOCK_START_KNOWN = new Set(["type", "index", "content_block"]);

const MESSAGE_DELTA_KNOWN = new Set(["type", "delta", "usage", "context_management"]);

const dialect: StreamDialect = {
  onEvent(g: Guard, name: string | undefined, json: Obj): Handled {
    const type = json.type ?? name;
    const key = `b${Number(json.index ?? 0)}`;
    switch (type) {
      case "message_start":
        if (isObj(json.message)) {
          g.usage(json.message.usage);
          if (Array.isArray(json.message.content) && json.message.content.length > 0) {
            return g.scanEvent(json);
          }
        }
        return "same";
      case "content_block_start": {
        const block = isObj(json.content_block) ? json.content_block : undefined;
        if (!block) return "same";
        if (block.type === "tool_use" || block.type === "server_tool_use" || block.type === "mcp_tool_use") {
          g.call(key, block.id, block.name);
          // The input is normally `{}` (arguments follow as deltas); a full one is part of the arguments.
          if (isObj(block.input) && Object.keys(block.input).length > 0) g.args(key, block, "input");
          if (g.holdsTools) g.hold();
          return "same";
        }
        if (block.type === "text" || block.type === "thinking") {
          const field = block.type === "text" ? "text" : "thinking";
          if (!g.text(key, field === "text" ? "output_text" : "reasoning", block, field)) return "drop";
          return hasUnknownText(json, BLOCK_START_KNOWN) ? g.scanEvent(json, BLOCK_START_KNOWN) : "same";
        }
        return g.scanEvent(json);
      }
      case "content_block_delta": {
        const delta = isObj(json.delta) ? json.delta : undefined;
        if (!delta) return "same";
        if (delta.type === "text_delta") return g.text(key, "output_text", delta, "text") ? "same" : "drop";
        if (delta.type === "thinking_delta") {
          return g.text(key, "reasoning", delta, "thinking") ? "same" : "drop";
        }
        if (delta.type === "input_json_delta") {
          if (g.hasCall(key) && g.holdsTools) {
            g.args(key, delta, "partial_json");
            g.hold();
          }
          return "same";
        }
        if (delta.type === "signature_delta") return "same";
        return g.scanEvent(json);
      }
      case "content_block_stop":
        if (g.hasCall(key) && g.holdsTools) {
          g.hold();
          if (!g.endCall(key)) return "drop";
          // Tool policies judge the whole answer's calls at its end; without them the call goes now.
          if (!g.checksTools && !g.releaseTools()) return "drop";
          return "same";
        }
        // The block's held-back rest is decided before its stop goes.
        return g.close(key) ? "same" : "drop";
      case "message_delta":
        g.usage(json.usage);
        if (!g.closeAll()) return "drop";
        return hasUnknownText(json, MESSAGE_DELTA_KNOWN) ? g.scanEvent(json) : "same";
      case "message_stop":
        return g.closeAll() ? "same" : "drop";
      case "ping":
        return "same";
      default:
        return g.scanEvent(json);
    }
  },
};

/** Anthropic Messages. */
export const messagesApi: ClientApi = {
  api: "messages",
  request,
  answer,
  usage,
  maxTokensFields: ["max_tokens"],
  ungovernedOutput: () => undefined,
  stream: dialect,
};

export type { Walker };

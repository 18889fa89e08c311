/**
 * OpenAI chat completions (`POST /v1/chat/completions`): the complete field map of requests and
 * answers, and the stream dialect of chat chunks. The field lists follow the official `openai` SDK's
 * `ChatCompletionCreateParams`, `ChatCompletion` and `ChatCompletionChunk`.
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
  oneOf,
  stored,
  stringOr,
  tagged,
  token,
  type Walker,
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
import { jsonArguments, jsonSchema } from "./values.ts";
import { addEncodedFile, mediaTypeOfName } from "./files.ts";
import { type Guard, type Handled, hasUnknownText, type StreamDialect } from "../sse_guard.ts";

// --- request -----------------------------------------------------------------------------------------

const cache = { prompt_cache_breakpoint: settings, cache_control: settings };
const textPart = obj({ type: token, text: txt, ...cache });
const textParts = tagged("type", { text: textPart });
/** `string | text parts` content. */
const textContent = stringOr(txt, arr(textParts), "a string or a list of text parts");

/** An image part's URL: a data URL is media; any other URL is text (scanned) and media. */
export const imageUrl: Node = (w, v) => {
  if (v === null || v === undefined) return;
  if (typeof v !== "string") return w.invalid("a URL");
  if (!v.startsWith("data:")) w.text(v);
  w.mediaPart("an image");
};

/** Chat `file` part: `{file_data, file_id, filename}`. */
const filePart = obj({
  type: token,
  ...cache,
  file: (w, v) => {
    if (!isObj(v)) return w.invalid("an object with file_data or file_id");
    const f = v;
    for (const k in f) {
      w.path.push(k);
      if (k === "file_data" && typeof f.file_data === "string") {
        addEncodedFile(w, f.file_data, mediaTypeOfName(f.filename));
      } else if (k === "filename") txt(w, f[k]);
      else if (k === "file_id") {
        id(w, f[k]);
        w.opaqueFile("a file given by file_id");
      } else w.unknown(f[k]);
      w.path.pop();
    }
  },
}, { required: { file: "the file" } });

const userParts = tagged("type", {
  text: textPart,
  image_url: obj({
    type: token,
    ...cache,
    image_url: (w, v) => {
      if (typeof v === "string") return w.at("url", imageUrl, v);
      obj({ url: imageUrl, detail: token })(w, v);
    },
  }, { required: { image_url: "the image" } }),
  input_audio: obj({
    type: token,
    ...cache,
    input_audio: (w, v) => {
      if (!isObj(v)) return w.invalid("an object with data and format");
      w.mediaPart("audio");
      obj({ data: inert((x) => typeof x === "string" ? undefined : "base64 audio"), format: token })(w, v);
    },
  }),
  file: filePart,
});

const toolCall: Node = (w, v) => {
  if (!isObj(v)) return w.invalid("an object");
  const fn = isObj(v.function) ? v.function : isObj(v.custom) ? v.custom : undefined;
  w.toolCalls.push({
    id: typeof v.id === "string" ? v.id : undefined,
    name: String(fn?.name ?? ""),
    arguments: typeof fn?.arguments === "string"
      ? fn.arguments
      : typeof fn?.input === "string"
      ? fn.input
      : JSON.stringify(fn?.arguments ?? {}),
  });
  toolCallFields(w, v);
};
const toolCallFields = tagged("type", {
  function: obj({ id, type: token, function: obj({ name: txt, arguments: jsonArguments }) }),
  custom: obj({ id, type: token, custom: obj({ name: txt, input: txt }) }),
}, { missing: "function" });

const common = { name: txt };
const message = tagged("role", {
  system: within({ role: "system", source: "system" }, obj({ role: token, content: textContent, ...common })),
  developer: within(
    { role: "system", source: "system" },
    obj({ role: token, content: textContent, ...common }),
  ),
  user: within(
    { role: "user", source: "messages" },
    obj({ role: token, content: stringOr(txt, arr(userParts)), ...common }),
  ),
  assistant: within(
    { role: "assistant", source: "messages" },
    obj({
      role: token,
      content: stringOr(
        txt,
        arr(tagged("type", { text: textPart, refusal: obj({ type: token, refusal: txt }) })),
      ),
      refusal: txt,
      ...common,
      audio: obj({ id }),
      tool_calls: within({ source: "tool_results" }, arr(toolCall)),
      function_call: within({ source: "tool_results" }, obj({ name: txt, arguments: jsonArguments })),
      // Fields some clients echo from answers (`reasoning_content`, annotations): text the model reads.
      reasoning_content: txt,
      reasoning: txt,
      annotations: scannedItem,
    }),
  ),
  tool: asToolResult(obj({ role: token, content: textContent, tool_call_id: id, ...common })),
  function: asToolResult(obj({ role: token, content: textContent, ...common })),
}, { other: "invalid" });

/** A function tool's definition; also recorded for the tool policies. */
const functionDefinition: Node = (w, v) => {
  if (isObj(v)) {
    w.tools.push({
      name: String(v.name ?? ""),
      description: typeof v.description === "string" ? v.description : undefined,
      parameters: v.parameters,
    });
  }
  obj({ name: txt, description: txt, parameters: jsonSchema, strict: bool })(w, v);
};

const customDefinition: Node = (w, v) => {
  if (isObj(v)) {
    w.tools.push({
      name: String(v.name ?? ""),
      description: typeof v.description === "string" ? v.description : undefined,
    });
  }
  obj({
    name: txt,
    description: txt,
    format: tagged("type", {
      text: obj({ type: token }),
      grammar: obj({
        type: token,
        grammar: obj({ definition: txt, syntax: token }),
        definition: txt,
        syntax: token,
      }),
    }),
  })(w, v);
};

const tools = asToolDefinition(arr(tagged("type", {
  function: obj({ type: token, function: functionDefinition }, { required: { function: "the function" } }),
  custom: obj({ type: token, custom: customDefinition }, { required: { custom: "the custom tool" } }),
})));

/** `response_format` (chat) and the structured-output schemas in it. */
const responseFormat = asToolDefinition(tagged("type", {
  text: obj({ type: token }),
  json_object: obj({ type: token }),
  json_schema: obj({
    type: token,
    json_schema: obj({ name: txt, description: txt, schema: jsonSchema, strict: bool }),
  }),
}));

const toolChoice: Node = (w, v) => {
  if (typeof v === "string") return token(w, v);
  settings(w, v);
};

/** Stop sequences: provider-kept strings, scanned. */
export const stop: Node = (w, v) => {
  if (v === null || v === undefined) return;
  if (typeof v === "string") return stored(w, v);
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) {
    return w.invalid("a string or a list of strings");
  }
  if (v.length > 4) return w.invalid("a list of at most 4 stop sequences");
  stored(w, v);
};

const temperature = num({ min: 0, max: 2 });
const penalty = num({ min: -2, max: 2 });
const positive = num({ integer: true, min: 1 });
const logitBias = inert((v) =>
  isObj(v) && Object.values(v).every((x) => typeof x === "number" && x >= -100 && x <= 100)
    ? undefined
    : "an object of token ids to numbers from -100 to 100"
);

const request = obj({
  model,
  messages: arr(message, 1),
  audio: obj({ format: token, voice: (w, v) => typeof v === "string" ? token(w, v) : obj({ id })(w, v) }),
  frequency_penalty: penalty,
  presence_penalty: penalty,
  function_call: toolChoice,
  functions: asToolDefinition(arr(functionDefinition)),
  logit_bias: logitBias,
  logprobs: bool,
  top_logprobs: num({ integer: true, min: 0, max: 20 }),
  max_completion_tokens: positive,
  max_tokens: positive,
  metadata: stored,
  modalities: arr(oneOf("text", "audio")),
  moderation: settings,
  n: num({ integer: true, min: 1, max: 128 }),
  parallel_tool_calls: bool,
  prediction: obj({ type: token, content: textContent }),
  prompt_cache_key: stored,
  prompt_cache_options: settings,
  prompt_cache_retention: token,
  reasoning_effort: token,
  response_format: responseFormat,
  safety_identifier: stored,
  seed: num({ integer: true }),
  service_tier: token,
  stop,
  store: bool,
  stream: bool,
  stream_options: obj({ include_usage: bool, include_obfuscation: bool }, { closed: true }),
  temperature,
  tool_choice: toolChoice,
  tools,
  top_p: num({ min: 0, max: 1 }),
  user: stored,
  verbosity: token,
  web_search_options: within(
    { source: "stored" },
    obj({ search_context_size: token, user_location: scannedItem }),
  ),
}, { required: { model: "a model name", messages: "a non-empty list of messages" } });

// --- answer ------------------------------------------------------------------------------------------

const answerToolCall = tagged("type", {
  function: obj({ id, type: token, index: num(), function: obj({ name: txt, arguments: jsonArguments }) }),
  custom: obj({ id, type: token, index: num(), custom: obj({ name: txt, input: txt }) }),
}, { missing: "function" });

const answerMessage = obj({
  role: token,
  content: stringOr(txt, arr(scannedItem)),
  refusal: txt,
  reasoning_content: within({ source: "reasoning" }, txt),
  reasoning: within({ source: "reasoning" }, txt),
  tool_calls: (w, v) => {
    if (Array.isArray(v)) {
      for (const tc of v) {
        if (!isObj(tc)) continue;
        const fn = isObj(tc.function) ? tc.function : isObj(tc.custom) ? tc.custom : undefined;
        w.toolCalls.push({
          id: typeof tc.id === "string" ? tc.id : undefined,
          name: String(fn?.name ?? ""),
          arguments: String(fn?.arguments ?? fn?.input ?? ""),
        });
      }
    }
    within({ source: "output_tools" }, arr(answerToolCall))(w, v);
  },
  function_call: within({ source: "output_tools" }, obj({ name: txt, arguments: jsonArguments })),
  audio: obj({ id, data: inert(() => undefined), expires_at: num(), transcript: txt }),
  annotations: scannedItem,
});

const answer = obj({
  id: token,
  object: token,
  created: num(),
  model: token,
  system_fingerprint: token,
  service_tier: token,
  usage: inert(() => undefined),
  choices: arr(obj({
    index: num(),
    finish_reason: token,
    message: answerMessage,
    // Per-token log probabilities repeat the text token by token; see ungovernedOutput.
    logprobs: scannedItem,
  })),
});

// --- stream ------------------------------------------------------------------------------------------

/** Chat (and completions) chunks: `field` is `content` for chat, `text` for completions. */
export function openAiDialect(completions: boolean): StreamDialect {
  return {
    onEvent(g, _name, json) {
      return onChunk(g, json, completions);
    },
  };
}

/** Delta fields read as text channels: field → source. */
const DELTA_TEXT: ReadonlyArray<[string, "output_text" | "reasoning"]> = [
  ["content", "output_text"],
  ["refusal", "output_text"],
  ["reasoning_content", "reasoning"],
  ["reasoning", "reasoning"],
];
const DELTA_KNOWN = new Set([
  "role",
  "content",
  "refusal",
  "reasoning_content",
  "reasoning",
  "tool_calls",
  "function_call",
]);
const CHUNK_KNOWN = new Set([
  "id",
  "object",
  "created",
  "model",
  "system_fingerprint",
  "service_tier",
  "usage",
  "choices",
  "obfuscation",
]);
const CHOICE_KNOWN = new Set(["index", "delta", "finish_reason", "logprobs", "text"]);

function onChunk(g: Guard, json: Obj, completions: boolean): Handled {
  g.usage(json.usage);
  if (!Array.isArray(json.choices)) return g.scanEvent(json);
  let changed = false;
  let hold = false;
  const ended: number[] = [];
  for (const choice of json.choices) {
    if (!isObj(choice)) continue;
    const idx = Number(choice.index ?? 0);
    const delta = isObj(choice.delta) ? choice.delta : undefined;
    if (completions) {
      if (!g.text(`c${idx}.text`, "output_text", choice, "text")) return "drop";
    } else if (delta) {
      for (const [field, source] of DELTA_TEXT) {
        if (!g.text(`c${idx}.${field}`, source, delta, field)) return "drop";
      }
      if (isObj(delta.audio) && !g.text(`c${idx}.audio`, "output_text", delta.audio, "transcript")) {
        return "drop";
      }
      if (Array.isArray(delta.tool_calls)) {
        for (const tc of delta.tool_calls) {
          if (!isObj(tc)) continue;
          const key = `${idx}:${Number(tc.index ?? 0)}`;
          const fn = isObj(tc.function) ? tc.function : isObj(tc.custom) ? tc.custom : undefined;
          const field = isObj(tc.custom) ? "input" : "arguments";
          g.call(key, tc.id, fn?.name, field === "arguments");
          if (g.holdsTools) {
            hold = true;
            if (fn) g.args(key, fn, field);
          }
        }
      }
      if (isObj(delta.function_call)) {
        const key = `${idx}:fc`;
        g.call(key, undefined, delta.function_call.name);
        if (g.holdsTools) {
          hold = true;
          g.args(key, delta.function_call, "arguments");
        }
      }
      if (hasUnknownText(delta, DELTA_KNOWN)) {
        const h = g.scanEvent(delta, DELTA_KNOWN);
        if (h === "drop") return "drop";
        if (h === "changed") changed = true;
      }
    }
    if (choice.logprobs !== null && choice.logprobs !== undefined && g.holdsTools) {
      // Log probabilities repeat the text token by token, unredacted: never forwarded under text policies.
      delete choice.logprobs;
      changed = true;
    }
    if (hasUnknownText(choice, CHOICE_KNOWN)) {
      const h = g.scanEvent(choice, CHOICE_KNOWN);
      if (h === "drop") return "drop";
      if (h === "changed") changed = true;
    }
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) ended.push(idx);
  }
  if (hasUnknownText(json, CHUNK_KNOWN)) {
    const h = g.scanEvent(json, CHUNK_KNOWN);
    if (h === "drop") return "drop";
    if (h === "changed") changed = true;
  }
  // Tool-call chunks wait until the calls are complete.
  if (hold) g.hold();
  for (const idx of ended) {
    // The choice's text ends here: its held-back rest is decided before this chunk goes.
    for (const [field] of completions ? [["text"]] : DELTA_TEXT) {
      if (!g.close(`c${idx}.${field}`)) return "drop";
    }
    if (!g.close(`c${idx}.audio`)) return "drop";
  }
  if (ended.length > 0 && !g.releaseTools()) return "drop";
  return changed ? "changed" : "same";
}

// --- the API -----------------------------------------------------------------------------------------

/** OpenAI chat completions. */
export const chatApi: ClientApi = {
  api: "chat",
  request,
  answer,
  usage: openaiUsage,
  maxTokensFields: ["max_completion_tokens", "max_tokens"],
  ungovernedOutput(body) {
    if (body.logprobs === true) return "logprobs";
    if (typeof body.top_logprobs === "number" && body.top_logprobs > 0) return "top_logprobs";
    if (Array.isArray(body.modalities) && body.modalities.includes("audio")) return "modalities";
    return undefined;
  },
  stream: openAiDialect(false),
};

/** Re-exported for the completions module. */
export { logitBias, penalty, positive, temperature, textContent };
export type { Walker };

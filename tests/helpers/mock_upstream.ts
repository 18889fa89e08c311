/**
 * A real loopback HTTP server imitating the OpenAI and Anthropic APIs, for tests.
 *
 * It listens on `127.0.0.1` (port 0 = a free port) and answers by path suffix, so both the plain
 * layout (`/v1/chat/completions`) and Azure's (`/openai/deployments/<d>/chat/completions?api-version=…`)
 * work:
 *
 * | path ends with       | answers as                                 |
 * |----------------------|--------------------------------------------|
 * | `/chat/completions`  | OpenAI chat completion (JSON or SSE)       |
 * | `/completions`       | OpenAI legacy completion (JSON or SSE)     |
 * | `/embeddings`        | OpenAI embeddings (JSON)                   |
 * | `/responses`         | OpenAI Responses API (JSON or SSE)         |
 * | `/messages`          | Anthropic Messages (JSON or SSE)           |
 *
 * Streaming is chosen by `"stream": true` in the body. The answer's `model` echoes the request's model.
 * The default reply text is `"echo: " + <last user message text>` so a test can see what the upstream
 * received; set {@link MockUpstream.reply} for a fixed text or a tool call.
 *
 * Behaviour per call is controlled with a queue of one-shot behaviours ({@link MockUpstream.failNext},
 * {@link MockUpstream.delayNext}, {@link MockUpstream.hangNext}, {@link MockUpstream.stallNext}) consumed
 * in order, then {@link MockUpstream.defaultBehavior} (normal answers when unset). Every request is
 * recorded in {@link MockUpstream.requests}.
 *
 * ```ts
 * await using up = startMockUpstream();
 * up.failNext(429, 2, { headers: { "retry-after": "1" } });
 * const res = await fetch(`${up.baseUrl}/chat/completions`, { method: "POST", body: "{}" });
 * ```
 *
 * A hanging or delayed call ends when the server closes (the server does not watch client aborts; a
 * stalled stream ends when the client cancels it).
 *
 * Always `await up.close()` (or use `await using`): it ends hanging calls and stalled streams so the
 * test sanitizers see no leaked ops or resources.
 *
 * @module
 */

/** A request the mock upstream received. */
export interface RecordedRequest {
  method: string;
  /** Path without query, e.g. `/v1/chat/completions`. */
  path: string;
  /** Query string including `?`, or `""`. */
  search: string;
  /** Request headers, names lowercase. */
  headers: Record<string, string>;
  /** The raw body text. */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** A tool call the mock answers with instead of text. */
export interface MockToolCall {
  name: string;
  arguments: Record<string, unknown>;
  /** Defaults to `call_mock_1` (OpenAI) / `toolu_mock_1` (Anthropic). */
  id?: string;
}

/** What a normal (successful) answer contains. */
export interface MockReply {
  /** Reply text; default `"echo: " + <last user text>`. Ignored when `toolCall` is set. */
  text?: string;
  toolCall?: MockToolCall;
  /** Token usage reported; default `{ input: 10, output: 5 }`. */
  usage?: { input: number; output: number };
  /** Delay between SSE chunks in ms (default 0). */
  chunkDelayMs?: number;
}

/** One call's behaviour. */
export type MockBehavior =
  /** Answer with this status (and an error body in the API's shape unless `body` is given). */
  | { kind: "status"; status: number; body?: unknown; headers?: Record<string, string> }
  /** Wait `ms` before the response headers, then answer normally. */
  | { kind: "delay"; ms: number }
  /** Never answer (until the client aborts or the server closes). */
  | { kind: "hang" }
  /** Send the headers and the first `chunks` body chunks, then send nothing more (stream stays open). */
  | { kind: "stall"; chunks: number }
  /** Answer normally. */
  | { kind: "ok" };

/** Options of {@link startMockUpstream}. */
export interface MockUpstreamOptions {
  /** Default reply (may be changed later through {@link MockUpstream.reply}). */
  reply?: MockReply;
  /** Behaviour when the one-shot queue is empty (default normal answers). */
  defaultBehavior?: MockBehavior;
}

/** A running mock upstream. */
export interface MockUpstream extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `http://127.0.0.1:<port>/v1`, the `base_url` for openai/anthropic targets. */
  readonly baseUrl: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** The last request received (throws when none). */
  readonly lastRequest: RecordedRequest;
  /** Default reply content; mutable. */
  reply: MockReply;
  /** Behaviour when the one-shot queue is empty; mutable. */
  defaultBehavior: MockBehavior;
  /** The next `count` calls answer with `status` (default error body in the API's shape). */
  failNext(
    status: number,
    count?: number,
    options?: { body?: unknown; headers?: Record<string, string> },
  ): MockUpstream;
  /** The next `count` calls wait `ms` before answering normally. */
  delayNext(ms: number, count?: number): MockUpstream;
  /** The next `count` calls never answer. */
  hangNext(count?: number): MockUpstream;
  /** The next `count` calls send headers and `chunks` body chunks, then stall. */
  stallNext(chunks: number, count?: number): MockUpstream;
  /** Queues arbitrary behaviours. */
  enqueue(...behaviors: MockBehavior[]): MockUpstream;
  /** Clears recorded requests, the behaviour queue, and resets the reply and default behaviour. */
  reset(): void;
  /** Stops the server, ending hanging calls and stalled streams. Idempotent. */
  close(): Promise<void>;
}

const enc = new TextEncoder();

/** Returns a loopback TCP port with nothing listening on it (for connection-refused tests). */
export function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts a mock upstream on 127.0.0.1 with a free port. */
export function startMockUpstream(options: MockUpstreamOptions = {}): MockUpstream {
  const closing = new AbortController();
  const requests: RecordedRequest[] = [];
  const queue: MockBehavior[] = [];
  const initialReply = options.reply ?? {};
  const initialDefault = options.defaultBehavior ?? { kind: "ok" };
  let closed: Promise<void> | undefined;

  /** Resolves after `ms`, or at once when the server closes or `signal` aborts. */
  const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        closing.signal.removeEventListener("abort", done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      closing.signal.addEventListener("abort", done);
      signal?.addEventListener("abort", done);
    });
  const forever = (signal?: AbortSignal) => sleep(2_147_483_647, signal);

  const up: MockUpstream = {
    url: "",
    baseUrl: "",
    port: 0,
    requests,
    get lastRequest() {
      const r = requests.at(-1);
      if (!r) throw new Error("mock upstream received no request");
      return r;
    },
    reply: { ...initialReply },
    defaultBehavior: initialDefault,
    failNext(status, count = 1, opts = {}) {
      for (let i = 0; i < count; i++) queue.push({ kind: "status", status, ...opts });
      return up;
    },
    delayNext(ms, count = 1) {
      for (let i = 0; i < count; i++) queue.push({ kind: "delay", ms });
      return up;
    },
    hangNext(count = 1) {
      for (let i = 0; i < count; i++) queue.push({ kind: "hang" });
      return up;
    },
    stallNext(chunks, count = 1) {
      for (let i = 0; i < count; i++) queue.push({ kind: "stall", chunks });
      return up;
    },
    enqueue(...behaviors) {
      queue.push(...behaviors);
      return up;
    },
    reset() {
      requests.length = 0;
      queue.length = 0;
      up.reply = { ...initialReply };
      up.defaultBehavior = initialDefault;
    },
    close() {
      closed ??= (async () => {
        closing.abort();
        await server.shutdown();
      })();
      return closed;
    },
    [Symbol.asyncDispose]() {
      return up.close();
    },
  };

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const text = await req.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => headers[k] = v);
    requests.push({ method: req.method, path: url.pathname, search: url.search, headers, text, body });
    const api = apiOf(url.pathname);
    const behavior = queue.shift() ?? up.defaultBehavior;
    if (!api) return json({ error: { message: "unknown route", type: "invalid_request_error" } }, 404);
    switch (behavior.kind) {
      case "status": {
        const errBody = behavior.body ?? errorBody(api, behavior.status);
        return new Response(typeof errBody === "string" ? errBody : JSON.stringify(errBody), {
          status: behavior.status,
          headers: { "content-type": "application/json", ...behavior.headers },
        });
      }
      case "hang":
        await forever();
        return new Response(null, { status: 503 });
      case "delay":
        await sleep(behavior.ms);
        break;
    }
    // deno-lint-ignore no-explicit-any
    const b: any = body ?? {};
    const reply = up.reply;
    const model = typeof b.model === "string" ? b.model : "mock-upstream-model";
    const usage = reply.usage ?? { input: 10, output: 5 };
    const content: Content = reply.toolCall
      ? { tool: reply.toolCall }
      : { text: reply.text ?? "echo: " + lastUserText(api, b) };
    if (api === "embeddings") return json(embeddings(b, model, usage.input));
    if (b.stream !== true) return json(renderJson(api, model, content, usage));
    const events = renderSse(api, model, content, usage, b.stream_options?.include_usage === true);
    const stallAt = behavior.kind === "stall" ? behavior.chunks : Infinity;
    let i = 0;
    const cancelled = new AbortController();
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (i >= stallAt) {
          await forever(cancelled.signal);
          controller.close();
          return;
        }
        if (i >= events.length) {
          controller.close();
          return;
        }
        if (i > 0 && reply.chunkDelayMs) await sleep(reply.chunkDelayMs, cancelled.signal);
        if (closing.signal.aborted || cancelled.signal.aborted) {
          controller.close();
          return;
        }
        controller.enqueue(enc.encode(events[i++]));
      },
      cancel() {
        cancelled.abort();
      },
    });
    return new Response(stream, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
    });
  };

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
    handler,
  });
  const port = server.addr.port;
  Object.assign(up, { port, url: `http://127.0.0.1:${port}`, baseUrl: `http://127.0.0.1:${port}/v1` });
  return up;
}

type Api = "chat" | "completions" | "embeddings" | "responses" | "messages";
type Content = { text: string } | { tool: MockToolCall };
type Usage = { input: number; output: number };

function apiOf(path: string): Api | undefined {
  if (path.endsWith("/chat/completions")) return "chat";
  if (path.endsWith("/completions")) return "completions";
  if (path.endsWith("/embeddings")) return "embeddings";
  if (path.endsWith("/responses")) return "responses";
  if (path.endsWith("/messages")) return "messages";
  return undefined;
}

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });
}

function errorBody(api: Api, status: number): unknown {
  const message = `mock upstream failure ${status}`;
  if (api === "messages") {
    const type = status === 429 ? "rate_limit_error" : status >= 500 ? "api_error" : "invalid_request_error";
    return { type: "error", error: { type, message } };
  }
  const type = status === 429
    ? "rate_limit_exceeded"
    : status >= 500
    ? "server_error"
    : "invalid_request_error";
  return { error: { message, type, param: null, code: null } };
}

// deno-lint-ignore no-explicit-any
function textOf(content: any): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.filter((p) =>
      p && (p.type === "text" || p.type === "input_text") && typeof p.text === "string"
    )
      .map((p) => p.text).join("");
  }
  return "";
}

// deno-lint-ignore no-explicit-any
function lastUserText(api: Api, b: any): string {
  if (api === "completions") {
    return Array.isArray(b.prompt) ? String(b.prompt.at(-1) ?? "") : String(b.prompt ?? "");
  }
  if (api === "responses") {
    if (typeof b.input === "string") return b.input;
    const items = Array.isArray(b.input) ? b.input : [];
    // deno-lint-ignore no-explicit-any
    const last = items.filter((m: any) => m?.role === "user").at(-1);
    return last ? textOf(last.content) : "";
  }
  const msgs = Array.isArray(b.messages) ? b.messages : [];
  // deno-lint-ignore no-explicit-any
  const last = msgs.filter((m: any) => m?.role === "user").at(-1);
  return last ? textOf(last.content) : "";
}

function words(text: string): string[] {
  const parts = text.match(/\S+\s*|\s+/g) ?? [];
  return parts.length ? parts : [""];
}

// deno-lint-ignore no-explicit-any
function embeddings(b: any, model: string, input: number): unknown {
  const inputs = Array.isArray(b.input) ? b.input : [b.input];
  return {
    object: "list",
    // deno-lint-ignore no-explicit-any
    data: inputs.map((s: any, index: number) => ({
      object: "embedding",
      index,
      embedding: [String(s).length / 100, 0.5, -0.25, index],
    })),
    model,
    usage: { prompt_tokens: input, total_tokens: input },
  };
}

function renderJson(api: Api, model: string, c: Content, u: Usage): unknown {
  const created = Math.floor(Date.now() / 1000);
  const usage = { prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output };
  switch (api) {
    case "chat": {
      const message = "tool" in c
        ? {
          role: "assistant",
          content: null,
          tool_calls: [{
            id: c.tool.id ?? "call_mock_1",
            type: "function",
            function: { name: c.tool.name, arguments: JSON.stringify(c.tool.arguments) },
          }],
        }
        : { role: "assistant", content: c.text };
      return {
        id: "chatcmpl-mockup",
        object: "chat.completion",
        created,
        model,
        choices: [{ index: 0, message, finish_reason: "tool" in c ? "tool_calls" : "stop", logprobs: null }],
        usage,
      };
    }
    case "completions":
      return {
        id: "cmpl-mockup",
        object: "text_completion",
        created,
        model,
        choices: [{ index: 0, text: "tool" in c ? "" : c.text, finish_reason: "stop", logprobs: null }],
        usage,
      };
    case "responses":
      return {
        id: "resp_mockup",
        object: "response",
        created_at: created,
        status: "completed",
        model,
        output: [{
          type: "message",
          id: "msg_mockup",
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text: "tool" in c ? "" : c.text, annotations: [] }],
        }],
        usage: { input_tokens: u.input, output_tokens: u.output, total_tokens: u.input + u.output },
      };
    default:
      return {
        id: "msg_mockup",
        type: "message",
        role: "assistant",
        model,
        content: "tool" in c
          ? [{
            type: "tool_use",
            id: c.tool.id ?? "toolu_mock_1",
            name: c.tool.name,
            input: c.tool.arguments,
          }]
          : [{ type: "text", text: c.text }],
        stop_reason: "tool" in c ? "tool_use" : "end_turn",
        stop_sequence: null,
        usage: { input_tokens: u.input, output_tokens: u.output },
      };
  }
}

const data = (v: unknown) => `data: ${JSON.stringify(v)}\n\n`;
const event = (type: string, v: unknown) => `event: ${type}\ndata: ${JSON.stringify(v)}\n\n`;

function renderSse(api: Api, model: string, c: Content, u: Usage, includeUsage: boolean): string[] {
  const created = Math.floor(Date.now() / 1000);
  const out: string[] = [];
  const usage = { prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output };
  if (api === "chat") {
    const chunk = (delta: unknown, finish: string | null = null) =>
      data({
        id: "chatcmpl-mockup",
        object: "chat.completion.chunk",
        created,
        model,
        choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      });
    out.push(chunk({ role: "assistant", content: "" }));
    if ("tool" in c) {
      const args = JSON.stringify(c.tool.arguments);
      const half = Math.ceil(args.length / 2);
      out.push(chunk({
        tool_calls: [{
          index: 0,
          id: c.tool.id ?? "call_mock_1",
          type: "function",
          function: { name: c.tool.name, arguments: "" },
        }],
      }));
      for (const part of [args.slice(0, half), args.slice(half)]) {
        out.push(chunk({ tool_calls: [{ index: 0, function: { arguments: part } }] }));
      }
      out.push(chunk({}, "tool_calls"));
    } else {
      for (const w of words(c.text)) out.push(chunk({ content: w }));
      out.push(chunk({}, "stop"));
    }
    if (includeUsage) {
      out.push(
        data({ id: "chatcmpl-mockup", object: "chat.completion.chunk", created, model, choices: [], usage }),
      );
    }
    out.push("data: [DONE]\n\n");
  } else if (api === "completions") {
    const text = "tool" in c ? "" : c.text;
    for (const w of words(text)) {
      out.push(data({
        id: "cmpl-mockup",
        object: "text_completion",
        created,
        model,
        choices: [{ index: 0, text: w, finish_reason: null, logprobs: null }],
      }));
    }
    out.push(data({
      id: "cmpl-mockup",
      object: "text_completion",
      created,
      model,
      choices: [{ index: 0, text: "", finish_reason: "stop", logprobs: null }],
      ...(includeUsage ? { usage } : {}),
    }));
    out.push("data: [DONE]\n\n");
  } else if (api === "responses") {
    const text = "tool" in c ? "" : c.text;
    const base = { id: "resp_mockup", object: "response", created_at: created, model };
    out.push(
      event("response.created", { type: "response.created", response: { ...base, status: "in_progress" } }),
    );
    for (const w of words(text)) {
      out.push(event("response.output_text.delta", {
        type: "response.output_text.delta",
        item_id: "msg_mockup",
        output_index: 0,
        content_index: 0,
        delta: w,
      }));
    }
    out.push(event("response.completed", {
      type: "response.completed",
      response: {
        ...base,
        status: "completed",
        output: [{
          type: "message",
          id: "msg_mockup",
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text, annotations: [] }],
        }],
        usage: { input_tokens: u.input, output_tokens: u.output, total_tokens: u.input + u.output },
      },
    }));
  } else {
    out.push(event("message_start", {
      type: "message_start",
      message: {
        id: "msg_mockup",
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: u.input, output_tokens: 1 },
      },
    }));
    if ("tool" in c) {
      out.push(event("content_block_start", {
        type: "content_block_start",
        index: 0,
        content_block: { type: "tool_use", id: c.tool.id ?? "toolu_mock_1", name: c.tool.name, input: {} },
      }));
      const args = JSON.stringify(c.tool.arguments);
      const half = Math.ceil(args.length / 2);
      for (const part of [args.slice(0, half), args.slice(half)]) {
        out.push(event("content_block_delta", {
          type: "content_block_delta",
          index: 0,
          delta: { type: "input_json_delta", partial_json: part },
        }));
      }
    } else {
      out.push(event("content_block_start", {
        type: "content_block_start",
        index: 0,
        content_block: { type: "text", text: "" },
      }));
      out.push(event("ping", { type: "ping" }));
      for (const w of words(c.text)) {
        out.push(event("content_block_delta", {
          type: "content_block_delta",
          index: 0,
          delta: { type: "text_delta", text: w },
        }));
      }
    }
    out.push(event("content_block_stop", { type: "content_block_stop", index: 0 }));
    out.push(event("message_delta", {
      type: "message_delta",
      delta: { stop_reason: "tool" in c ? "tool_use" : "end_turn", stop_sequence: null },
      usage: { output_tokens: u.output },
    }));
    out.push(event("message_stop", { type: "message_stop" }));
  }
  return out;
}

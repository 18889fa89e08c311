/**
 * Response bodies on their way to the client.
 *
 * - {@link passThrough}: forwards bytes as they come, counts them against the
 *   response size limit and sniffs token usage from the head and tail.
 * - {@link guardSse}: parses SSE (eventsource-parser), runs every text channel
 *   through the policy chain's {@link StreamGuard}, rewrites deltas (redaction,
 *   restore), holds tool-call events when a policy inspects them, and on a block
 *   ends the stream with `event: error` and `data: [DONE]`.
 *
 * @module
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { ApiKind } from "../providers/types.ts";
import type {
  ChainOutcome,
  CompiledChain,
  PolicyRequest,
  RequestPolicyState,
  StreamGuard,
  ToolCall,
} from "../policy/types.ts";
import { isObj, type Obj, type Usage } from "./codecs.ts";
import { GatewayError } from "./errors.ts";

/** How a streamed body ended. */
export interface StreamResult {
  usage: Usage;
  /** Set when output policies blocked the stream. */
  blocked?: ChainOutcome;
  /** Output-phase outcomes of every channel (for the decision event). */
  outcomes: ChainOutcome[];
  /** Set when the body failed (size limit, upstream error, client gone). */
  error?: string;
  bytes: number;
}

const encoder = new TextEncoder();

const USAGE_PATTERNS: Array<[keyof Usage, RegExp]> = [
  ["input", /"(?:prompt_tokens|input_tokens)"\s*:\s*(\d+)/g],
  ["output", /"(?:completion_tokens|output_tokens)"\s*:\s*(\d+)/g],
];

/** Reads usage numbers out of JSON text (last occurrence wins). */
export function sniffUsage(text: string, into: Usage = {}): Usage {
  for (const [field, re] of USAGE_PATTERNS) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) {
      const n = Number(m[1]);
      if (n > 0 || into[field] === undefined) into[field] = n;
    }
  }
  return into;
}

/** Forwards `body` unchanged chunk by chunk; reports usage and size at the end. */
export function passThrough(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  onDone: (result: StreamResult) => void,
): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  let head = "";
  let tail = "";
  let bytes = 0;
  let done = false;
  const finish = (error?: string) => {
    if (done) return;
    done = true;
    const usage = sniffUsage(head);
    sniffUsage(tail, usage);
    onDone({ usage, outcomes: [], error, bytes });
  };
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        if (bytes > maxBytes) {
          finish(`response exceeded size_limits.max_response_bytes (${maxBytes})`);
          controller.error(new GatewayError(502, "upstream_failed", "response too large"));
          return;
        }
        if (head.length < 4096) head += decoder.decode(chunk.subarray(0, 4096), { stream: true });
        else {
          const t = decoder.decode(chunk.length > 4096 ? chunk.subarray(chunk.length - 4096) : chunk);
          tail = (tail + t).slice(-4096);
        }
        controller.enqueue(chunk);
      },
      flush() {
        finish();
      },
      cancel() {
        finish("client closed the connection");
      },
    }),
  );
}

/** A plain (non-SSE) body read whole by {@link readPlainBody}. */
export type PlainBody =
  | { bytes: Uint8Array; usage: Usage }
  | { overflow: ReadableStream<Uint8Array>; error: string };

/**
 * Reads a plain (non-SSE) response body whole, for answering in one write instead of through a JS
 * stream (the cheap path when no output policy looks at the body). Usage is sniffed from the first
 * and last 4 KiB, like {@link passThrough}. Past `maxBytes` it stops reading and, like
 * {@link passThrough}, yields a stream of the bytes read before the limit that then errors.
 */
export async function readPlainBody(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<PlainBody> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total + value.byteLength > maxBytes) {
      reader.cancel().catch(() => {});
      return overflowBody(chunks, maxBytes);
    }
    total += value.byteLength;
    chunks.push(value);
  }
  let bytes: Uint8Array;
  if (chunks.length === 1) bytes = chunks[0];
  else {
    bytes = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      bytes.set(c, off);
      off += c.byteLength;
    }
  }
  return { bytes, usage: sniffBytesUsage(bytes) };
}

/**
 * {@link readPlainBody} for a body already read whole (the provider layer's buffered answer):
 * the same size limit and usage sniffing, without a stream.
 */
export function plainBody(bytes: Uint8Array, maxBytes: number): PlainBody {
  if (bytes.byteLength > maxBytes) return overflowBody([], maxBytes);
  return { bytes, usage: sniffBytesUsage(bytes) };
}

function overflowBody(chunks: Uint8Array[], maxBytes: number): PlainBody {
  const error = `response exceeded size_limits.max_response_bytes (${maxBytes})`;
  let i = 0;
  const overflow = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]);
      else c.error(new GatewayError(502, "upstream_failed", "response too large"));
    },
  });
  return { overflow, error };
}

const sniffDecoder = new TextDecoder();

/** Usage from the first and last 4 KiB of a plain body, like {@link passThrough}. */
function sniffBytesUsage(bytes: Uint8Array): Usage {
  const usage = sniffUsage(sniffDecoder.decode(bytes.subarray(0, 4096)));
  if (bytes.byteLength > 4096) {
    sniffUsage(sniffDecoder.decode(bytes.subarray(Math.max(4096, bytes.byteLength - 4096))), usage);
  }
  return usage;
}

interface Channel {
  guard: StreamGuard;
  emitted: string;
  closed: boolean;
}

/** Options of {@link guardSse}. */
export interface GuardOptions {
  api: ApiKind;
  chain: CompiledChain;
  request: PolicyRequest;
  state: RequestPolicyState;
  maxBytes: number;
  requestId: string;
  onDone: (result: StreamResult) => void;
}

/** Governs an SSE body: see the module doc. */
export function guardSse(body: ReadableStream<Uint8Array>, o: GuardOptions): ReadableStream<Uint8Array> {
  const channels = new Map<string, Channel>();
  const outcomes: ChainOutcome[] = [];
  const usage: Usage = {};
  const heldTools: string[] = [];
  const toolCalls = new Map<string, ToolCall>();
  let bytes = 0;
  let finished = false;
  let blocked: ChainOutcome | undefined;
  let ctrl: ReadableStreamDefaultController<Uint8Array>;
  const reader = body.getReader();
  const decoder = new TextDecoder();

  const finish = (error?: string) => {
    if (finished) return;
    finished = true;
    o.onDone({ usage, blocked, outcomes, error, bytes });
  };
  /** Events enqueued so far: `pull` reads on until it has forwarded something (see there). */
  let sent = 0;
  const send = (text: string) => {
    sent++;
    ctrl.enqueue(encoder.encode(text));
  };
  const sendEvent = (name: string | undefined, data: string) => {
    let s = name ? `event: ${name}\n` : "";
    for (const line of data.split("\n")) s += `data: ${line}\n`;
    send(s + "\n");
  };
  const channel = (key: string): Channel => {
    let c = channels.get(key);
    if (!c) {
      c = { guard: o.chain.streamGuard(o.request, o.state), emitted: "", closed: false };
      channels.set(key, c);
    }
    return c;
  };
  /** Ends the stream early: an `error` event with `err`, `[DONE]`, and the upstream body cancelled. */
  const abort = (err: GatewayError, error?: string) => {
    sendEvent("error", JSON.stringify(err.toBody(o.requestId)));
    send("data: [DONE]\n\n");
    reader.cancel().catch(() => {});
    finish(error);
    ctrl.close();
  };
  const block = (outcome: ChainOutcome) => {
    blocked = outcome;
    abort(
      new GatewayError(409, "output_blocked", outcome.message ?? "the response was blocked by policy", {
        policy: outcome.policy,
      }),
    );
  };
  /** Pushes a delta through the channel's guard; returns the text to send, or undefined when blocked. */
  const push = (key: string, text: string): string | undefined => {
    const c = channel(key);
    const r = c.guard.push(text);
    if (r.blocked) {
      block(r.blocked);
      return undefined;
    }
    c.emitted += r.emit;
    return r.emit;
  };
  /** Ends a channel; returns its held-back tail, or undefined when blocked. */
  const close = (key: string): string | undefined => {
    const c = channels.get(key);
    if (!c || c.closed) return "";
    c.closed = true;
    const r = c.guard.finish();
    outcomes.push(r.blocked ?? r.outcome);
    if (r.blocked) {
      block(r.blocked);
      return undefined;
    }
    c.emitted += r.emit;
    return r.emit;
  };
  const checkTools = (): boolean => {
    if (!o.chain.checksToolCalls || toolCalls.size === 0) return true;
    const outcome = o.chain.runOutput(
      { ...o.request, segments: [], toolCalls: [...toolCalls.values()] },
      o.state,
    );
    outcomes.push(outcome);
    if (outcome.verdict === "block") {
      block(outcome);
      return false;
    }
    return true;
  };
  const releaseTools = () => {
    for (const ev of heldTools) send(ev);
    heldTools.length = 0;
  };
  /** End of the answer: closes every channel, checks and releases held tool calls; false when blocked. */
  const closeAll = (): boolean => {
    for (const key of channels.keys()) if (close(key) === undefined) return false;
    if (!checkTools()) return false;
    releaseTools();
    return true;
  };

  const onEvent = (ev: EventSourceMessage) => {
    if (blocked || finished) return;
    if (ev.data === "[DONE]") {
      if (closeAll()) sendEvent(ev.event, ev.data);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(ev.data);
    } catch {
      sendEvent(ev.event, ev.data);
      return;
    }
    if (!isObj(json)) return sendEvent(ev.event, ev.data);
    const handled = o.api === "messages"
      ? onAnthropic(ev.event, json)
      : o.api === "responses"
      ? onResponses(ev.event, json)
      : onOpenAi(ev.event, json);
    if (handled === "drop" || blocked) return;
    sendEvent(ev.event, handled === "changed" ? JSON.stringify(json) : ev.data);
  };

  type Handled = "same" | "changed" | "drop";

  const onOpenAi = (name: string | undefined, json: Obj): Handled => {
    sniffUsageObj(json.usage, usage);
    if (!Array.isArray(json.choices)) return "same";
    let changed = false;
    for (const choice of json.choices) {
      if (!isObj(choice)) continue;
      const idx = Number(choice.index ?? 0);
      const delta = isObj(choice.delta) ? choice.delta : undefined;
      const field = o.api === "completions" ? "text" : "content";
      const holder = o.api === "completions" ? choice : delta;
      if (holder && typeof holder[field] === "string" && holder[field] !== "") {
        const emit = push(`c${idx}`, holder[field] as string);
        if (emit === undefined) return "drop";
        holder[field] = emit;
        changed = true;
      }
      if (delta && Array.isArray(delta.tool_calls) && o.chain.checksToolCalls) {
        for (const tc of delta.tool_calls) {
          if (!isObj(tc)) continue;
          const key = `${idx}:${tc.index ?? 0}`;
          const entry = toolCalls.get(key) ?? { name: "", arguments: "" };
          const fn = isObj(tc.function) ? tc.function : {};
          if (typeof fn.name === "string") entry.name += fn.name;
          if (typeof fn.arguments === "string") entry.arguments += fn.arguments;
          if (typeof tc.id === "string") entry.id = tc.id;
          toolCalls.set(key, entry);
        }
        heldTools.push(serialize(name, JSON.stringify(json)));
        return "drop";
      }
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
        const tail = close(`c${idx}`);
        if (tail === undefined) return "drop";
        if (tail) {
          const extra = structuredClone(json);
          const c0 = { index: idx, finish_reason: null } as Obj;
          if (o.api === "completions") c0.text = tail;
          else c0.delta = { content: tail };
          extra.choices = [c0];
          delete extra.usage;
          sendEvent(name, JSON.stringify(extra));
        }
        if (!checkTools()) return "drop";
        releaseTools();
      }
    }
    return changed ? "changed" : "same";
  };

  const onAnthropic = (name: string | undefined, json: Obj): Handled => {
    const type = json.type ?? name;
    if (type === "message_start" && isObj(json.message)) sniffUsageObj(json.message.usage, usage);
    if (type === "message_delta") sniffUsageObj(json.usage, usage);
    const index = Number(json.index ?? 0);
    if (
      type === "content_block_start" && isObj(json.content_block) && json.content_block.type === "tool_use"
    ) {
      if (o.chain.checksToolCalls) {
        toolCalls.set(`b${index}`, {
          id: String(json.content_block.id ?? ""),
          name: String(json.content_block.name ?? ""),
          arguments: "",
        });
        heldTools.push(serialize(name, JSON.stringify(json)));
        return "drop";
      }
    }
    if (type === "content_block_delta" && isObj(json.delta)) {
      if (json.delta.type === "text_delta" && typeof json.delta.text === "string") {
        const emit = push(`b${index}`, json.delta.text);
        if (emit === undefined) return "drop";
        json.delta.text = emit;
        return "changed";
      }
      if (json.delta.type === "input_json_delta" && toolCalls.has(`b${index}`)) {
        toolCalls.get(`b${index}`)!.arguments += String(json.delta.partial_json ?? "");
        heldTools.push(serialize(name, JSON.stringify(json)));
        return "drop";
      }
    }
    if (type === "content_block_stop") {
      if (toolCalls.has(`b${index}`)) {
        heldTools.push(serialize(name, JSON.stringify(json)));
        return "drop";
      }
      const tail = close(`b${index}`);
      if (tail === undefined) return "drop";
      if (tail) {
        sendEvent(
          "content_block_delta",
          JSON.stringify({ type: "content_block_delta", index, delta: { type: "text_delta", text: tail } }),
        );
      }
    }
    if ((type === "message_delta" || type === "message_stop") && !closeAll()) return "drop";
    return "same";
  };

  const onResponses = (name: string | undefined, json: Obj): Handled => {
    const type = String(json.type ?? name ?? "");
    const key = `o${json.output_index ?? 0}.${json.content_index ?? 0}`;
    if (type === "response.output_text.delta" && typeof json.delta === "string") {
      const emit = push(key, json.delta);
      if (emit === undefined) return "drop";
      json.delta = emit;
      return "changed";
    }
    if (type === "response.output_text.done") {
      const tail = close(key);
      if (tail === undefined) return "drop";
      if (tail) {
        sendEvent(
          "response.output_text.delta",
          JSON.stringify({ ...json, type: "response.output_text.delta", delta: tail, text: undefined }),
        );
      }
      json.text = channels.get(key)?.emitted ?? json.text;
      return "changed";
    }
    if (type === "response.output_item.done" && isObj(json.item) && json.item.type === "function_call") {
      if (o.chain.checksToolCalls) {
        toolCalls.set(`i${json.output_index}`, {
          name: String(json.item.name ?? ""),
          arguments: String(json.item.arguments ?? ""),
        });
        if (!checkTools()) return "drop";
      }
    }
    if (
      type === "response.completed" || type === "response.output_item.done" ||
      type === "response.content_part.done"
    ) {
      if (type === "response.completed") {
        for (const k of channels.keys()) if (close(k) === undefined) return "drop";
        sniffUsageObj(isObj(json.response) ? json.response.usage : undefined, usage);
      }
      rewriteResponseTexts(json, channels);
      return "changed";
    }
    return "same";
  };

  const parser = createParser({ onEvent });

  return new ReadableStream<Uint8Array>({
    start(controller) {
      ctrl = controller;
    },
    async pull(controller) {
      try {
        // A pull that enqueues nothing is not called again, so the stream would stall: read on while
        // the upstream's chunks only hold back (tool events held for the tool policies, part of an event).
        const before = sent;
        while (sent === before) {
          const { done, value } = await reader.read();
          if (blocked || finished) return;
          if (done) {
            if (!closeAll()) return;
            finish();
            controller.close();
            return;
          }
          bytes += value.byteLength;
          if (bytes > o.maxBytes) {
            abort(
              new GatewayError(
                502,
                "upstream_failed",
                "the response exceeded size_limits.max_response_bytes",
              ),
              `response exceeded size_limits.max_response_bytes (${o.maxBytes})`,
            );
            return;
          }
          parser.feed(decoder.decode(value, { stream: true }));
        }
      } catch (err) {
        finish(err instanceof Error ? err.message : String(err));
        controller.error(err);
      }
    },
    cancel(reason) {
      finish("client closed the connection");
      return reader.cancel(reason);
    },
  });
}

function serialize(name: string | undefined, data: string): string {
  return `${name ? `event: ${name}\n` : ""}data: ${data}\n\n`;
}

function sniffUsageObj(u: unknown, into: Usage): void {
  if (!isObj(u)) return;
  const i = u.prompt_tokens ?? u.input_tokens;
  const o = u.completion_tokens ?? u.output_tokens;
  if (typeof i === "number" && (i > 0 || into.input === undefined)) into.input = i;
  if (typeof o === "number" && (o > 0 || into.output === undefined)) into.output = o;
}

/** Replaces full-text fields of Responses API summary events with what the client was actually sent. */
function rewriteResponseTexts(json: Obj, channels: Map<string, Channel>): void {
  const setPart = (part: unknown, outputIndex: number, contentIndex: number) => {
    const c = channels.get(`o${outputIndex}.${contentIndex}`);
    if (c && isObj(part) && typeof part.text === "string") part.text = c.emitted;
  };
  if (isObj(json.part)) setPart(json.part, Number(json.output_index ?? 0), Number(json.content_index ?? 0));
  if (isObj(json.item) && Array.isArray(json.item.content)) {
    json.item.content.forEach((p, j) => setPart(p, Number(json.output_index ?? 0), j));
  }
  if (isObj(json.response) && Array.isArray(json.response.output)) {
    json.response.output.forEach((item, i) => {
      if (isObj(item) && Array.isArray(item.content)) item.content.forEach((p, j) => setPart(p, i, j));
    });
  }
}

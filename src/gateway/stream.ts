/**
 * Response bodies on their way to the client.
 *
 * - {@link passThrough}: forwards bytes as they come, counts them against the
 *   response size limit and sniffs token usage from the head and tail.
 * - {@link guardSse}: parses SSE (eventsource-parser), runs every text channel
 *   through the policy chain's {@link StreamGuard}, rewrites deltas (redaction,
 *   restore), restores `redaction.restore` placeholders in tool-call argument
 *   deltas and Responses custom tool input deltas (holding back only a possible
 *   placeholder prefix per call), holds tool-call events when a policy inspects
 *   them, and on a block ends the stream
 *   with `event: error` and `data: [DONE]`. Responses API events, forwarded or
 *   added, are renumbered so `sequence_number` rises by one from the upstream's
 *   first.
 *
 * @module
 */
import type { EventSourceMessage } from "eventsource-parser";
import { createSseParser } from "../providers/translate/sse.ts";
import type { ApiKind } from "../providers/types.ts";
import type {
  ChainOutcome,
  CompiledChain,
  PlaceholderStream,
  PolicyRequest,
  RequestPolicyState,
  StreamGuard,
  ToolCall,
} from "../policy/types.ts";
import { placeholderStream, restorePlaceholders } from "../policy/engine.ts";
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
  /** Sends a held-back tail as a text delta event of the stream's API (when no end event of its own did). */
  tail: (text: string) => void;
}

/** One streamed tool call's arguments under `redaction.restore`. */
interface ArgsChannel {
  restore: PlaceholderStream;
  done: boolean;
  /** Sends (or holds with the tool events) a held-back tail as an argument delta event of the stream's API. */
  tail: (text: string) => void;
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

/**
 * Responses events that stream tool-call arguments, and whether their text is JSON (function
 * arguments: restored values are JSON-escaped) or free text (a custom tool's input: values go back as
 * they are).
 */
const RESPONSES_ARGUMENT_DELTAS: ReadonlyMap<string, { json: boolean }> = new Map([
  ["response.function_call_arguments.delta", { json: true }],
  ["response.custom_tool_call_input.delta", { json: false }],
]);

/** Governs an SSE body: see the module doc. */
export function guardSse(body: ReadableStream<Uint8Array>, o: GuardOptions): ReadableStream<Uint8Array> {
  const channels = new Map<string, Channel>();
  const args = new Map<string, ArgsChannel>();
  const restoring = o.state.restore.size > 0;
  const outcomes: ChainOutcome[] = [];
  const usage: Usage = {};
  const heldTools: string[] = [];
  const toolCalls = new Map<string, ToolCall>();
  let bytes = 0;
  let finished = false;
  let blocked: ChainOutcome | undefined;
  let ctrl: ReadableStreamDefaultController<Uint8Array>;
  /** The last OpenAI chunk with `choices`: the template of chunks the guard adds. */
  let lastChunk: Obj = {};
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
  /**
   * Responses API: the `sequence_number` of the next event sent, from the upstream's first numbered event
   * on (undefined before it, and for other APIs). Every JSON event goes out through {@link sendJson}, which
   * numbers it, so events the guard adds (held-back tails) or that follow them stay numbered one by one.
   */
  let nextSeq: number | undefined;
  /** Sends a JSON event; `raw` is its upstream text, sent as is when numbering leaves `json` unchanged. */
  const sendJson = (name: string | undefined, json: Obj, raw?: string) => {
    let renumbered = false;
    if (o.api === "responses") {
      if (nextSeq === undefined && typeof json.sequence_number === "number") nextSeq = json.sequence_number;
      if (nextSeq !== undefined) {
        const n = nextSeq++;
        if (json.sequence_number !== n) {
          json.sequence_number = n;
          renumbered = true;
        }
      }
    }
    sendEvent(name, raw !== undefined && !renumbered ? raw : JSON.stringify(json));
  };
  /** Ends the stream early: an `error` event with `err`, `[DONE]`, and the upstream body cancelled. */
  const abort = (err: GatewayError, error?: string) => {
    sendJson("error", err.toBody(o.requestId));
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
  /**
   * Pushes a delta through the channel's guard; returns the text to send, or undefined when blocked.
   * `tail` sends the channel's held-back rest if the stream ends without the channel's own end event.
   */
  const push = (key: string, text: string, tail: (text: string) => void): string | undefined => {
    let c = channels.get(key);
    if (!c) {
      c = { guard: o.chain.streamGuard(o.request, o.state), emitted: "", closed: false, tail };
      channels.set(key, c);
    }
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
  /**
   * redaction.restore on a tool call's argument delta: returns what can go out now (a possible placeholder
   * prefix is held back until the next delta). `tail` sends the held rest when the call ends. `json`: the
   * arguments are JSON source (originals go in JSON-escaped); false for free text (Responses custom tools).
   */
  const restoreArgs = (key: string, delta: string, tail: (text: string) => void, json = true): string => {
    let a = args.get(key);
    if (!a) {
      a = { restore: placeholderStream(o.state, json), done: false, tail };
      args.set(key, a);
    }
    return a.restore.push(delta);
  };
  /** Ends a tool call's arguments: returns the held-back rest ("" when none or already ended). */
  const endArgs = (key: string): string => {
    const a = args.get(key);
    if (!a || a.done) return "";
    a.done = true;
    return a.restore.finish();
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
  /**
   * End of the answer: closes every channel and tool call (sending held-back tails), checks and releases
   * held tool calls; false when blocked.
   */
  const closeAll = (): boolean => {
    for (const [key, c] of channels) {
      const tail = close(key);
      if (tail === undefined) return false;
      if (tail) c.tail(tail);
    }
    for (const [key, a] of args) {
      const tail = endArgs(key);
      if (tail) a.tail(tail);
    }
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
    sendJson(ev.event, json, handled === "changed" ? undefined : ev.data);
  };

  type Handled = "same" | "changed" | "drop";

  /** An OpenAI chunk like the stream's last one carrying only `choice` (no usage). */
  const openAiChunk = (choice: Obj): string =>
    JSON.stringify({ ...lastChunk, choices: [choice], usage: undefined });
  const openAiText = (idx: number, text: string): Obj =>
    o.api === "completions"
      ? { index: idx, text, finish_reason: null }
      : { index: idx, delta: { content: text }, finish_reason: null };
  const openAiArgs = (idx: number, tool: number, text: string): Obj => ({
    index: idx,
    delta: { tool_calls: [{ index: tool, function: { arguments: text } }] },
    finish_reason: null,
  });
  /** Tool-call events go out now, or wait with the held tool calls when a policy checks them. */
  const toolEvent = (name: string | undefined, data: string) => {
    if (o.chain.checksToolCalls) heldTools.push(serialize(name, data));
    else sendEvent(name, data);
  };

  const onOpenAi = (name: string | undefined, json: Obj): Handled => {
    sniffUsageObj(json.usage, usage);
    if (!Array.isArray(json.choices)) return "same";
    lastChunk = json;
    const field = o.api === "completions" ? "text" : "content";
    let changed = false;
    /** The chunk carries tool-call deltas that wait for the tool policies. */
    let hold = false;
    /** Argument holders of this chunk by tool key, so a tail at the end follows them in the same chunk. */
    const argHolders = new Map<string, Obj>();
    const ended: Array<{ idx: number; text?: Obj }> = [];
    for (const choice of json.choices) {
      if (!isObj(choice)) continue;
      const idx = Number(choice.index ?? 0);
      const delta = isObj(choice.delta) ? choice.delta : undefined;
      const holder = o.api === "completions" ? choice : delta;
      let textHolder: Obj | undefined;
      if (holder && typeof holder[field] === "string" && holder[field] !== "") {
        const emit = push(
          `c${idx}`,
          holder[field] as string,
          (t) => sendEvent(name, openAiChunk(openAiText(idx, t))),
        );
        if (emit === undefined) return "drop";
        holder[field] = emit;
        textHolder = holder;
        changed = true;
      }
      if (delta && Array.isArray(delta.tool_calls)) {
        if (o.chain.checksToolCalls) hold = true;
        for (const tc of delta.tool_calls) {
          if (!isObj(tc)) continue;
          const tool = Number(tc.index ?? 0);
          const key = `${idx}:${tool}`;
          const fn = isObj(tc.function) ? tc.function : undefined;
          if (o.chain.checksToolCalls) {
            const entry = toolCalls.get(key) ?? { name: "", arguments: "" };
            if (typeof fn?.name === "string") entry.name += fn.name;
            if (typeof fn?.arguments === "string") entry.arguments += fn.arguments;
            if (typeof tc.id === "string") entry.id = tc.id;
            toolCalls.set(key, entry);
          }
          if (restoring && fn && typeof fn.arguments === "string") {
            const next = restoreArgs(
              key,
              fn.arguments,
              (t) => toolEvent(name, openAiChunk(openAiArgs(idx, tool, t))),
            );
            argHolders.set(key, fn);
            if (next !== fn.arguments) {
              fn.arguments = next;
              changed = true;
            }
          }
        }
      }
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
        ended.push({ idx, text: textHolder });
      }
    }
    for (const { idx, text } of ended) {
      // Held-back rests go out before the finish: appended to this chunk's own delta of the same text or
      // tool call (they follow it), else as a chunk of their own ahead of this one.
      const tail = close(`c${idx}`);
      if (tail === undefined) return "drop";
      if (tail && text) text[field] = String(text[field]) + tail;
      else if (tail) sendEvent(name, openAiChunk(openAiText(idx, tail)));
      for (const [key, a] of args) {
        if (!key.startsWith(`${idx}:`)) continue;
        const rest = endArgs(key);
        const own = argHolders.get(key);
        if (rest && own) own.arguments = String(own.arguments) + rest;
        else if (rest) a.tail(rest);
      }
    }
    if (hold) heldTools.push(serialize(name, JSON.stringify(json)));
    if (ended.length > 0) {
      if (!checkTools()) return "drop";
      releaseTools();
    }
    return hold ? "drop" : changed ? "changed" : "same";
  };

  const onAnthropic = (name: string | undefined, json: Obj): Handled => {
    const type = json.type ?? name;
    if (type === "message_start" && isObj(json.message)) sniffUsageObj(json.message.usage, usage);
    if (type === "message_delta") sniffUsageObj(json.usage, usage);
    const index = Number(json.index ?? 0);
    const key = `b${index}`;
    /** Events of a tool block wait with the held tool calls when a policy checks them. */
    const blockEvent = (ev: string, data: string) => {
      if (toolCalls.has(key)) heldTools.push(serialize(ev, data));
      else sendEvent(ev, data);
    };
    if (
      type === "content_block_start" && isObj(json.content_block) && json.content_block.type === "tool_use"
    ) {
      let changed = false;
      if (restoring) {
        // The block's `input` is normally `{}` (arguments follow as deltas); restore it when it is not.
        const input = mapStrings(json.content_block.input, (s) => restorePlaceholders(s, o.state));
        if (input !== json.content_block.input) {
          json.content_block.input = input;
          changed = true;
        }
      }
      if (o.chain.checksToolCalls) {
        toolCalls.set(key, {
          id: String(json.content_block.id ?? ""),
          name: String(json.content_block.name ?? ""),
          arguments: "",
        });
        heldTools.push(serialize(name, JSON.stringify(json)));
        return "drop";
      }
      if (changed) return "changed";
    }
    if (type === "content_block_delta" && isObj(json.delta)) {
      if (json.delta.type === "text_delta" && typeof json.delta.text === "string") {
        const emit = push(key, json.delta.text, (t) =>
          sendEvent(
            "content_block_delta",
            JSON.stringify({ type: "content_block_delta", index, delta: { type: "text_delta", text: t } }),
          ));
        if (emit === undefined) return "drop";
        json.delta.text = emit;
        return "changed";
      }
      if (json.delta.type === "input_json_delta") {
        const raw = json.delta.partial_json;
        let changed = false;
        if (restoring && typeof raw === "string") {
          const next = restoreArgs(key, raw, (t) =>
            blockEvent(
              "content_block_delta",
              JSON.stringify({
                type: "content_block_delta",
                index,
                delta: { type: "input_json_delta", partial_json: t },
              }),
            ));
          if (next !== raw) {
            json.delta.partial_json = next;
            changed = true;
          }
        }
        if (toolCalls.has(key)) {
          toolCalls.get(key)!.arguments += String(raw ?? "");
          heldTools.push(serialize(name, JSON.stringify(json)));
          return "drop";
        }
        if (changed) return "changed";
      }
    }
    if (type === "content_block_stop") {
      const rest = endArgs(key);
      if (rest) args.get(key)!.tail(rest);
      if (toolCalls.has(key)) {
        heldTools.push(serialize(name, JSON.stringify(json)));
        return "drop";
      }
      const tail = close(key);
      if (tail === undefined) return "drop";
      if (tail) channels.get(key)!.tail(tail);
    }
    if ((type === "message_delta" || type === "message_stop") && !closeAll()) return "drop";
    return "same";
  };

  const onResponses = (name: string | undefined, json: Obj): Handled => {
    const type = String(json.type ?? name ?? "");
    const key = `o${json.output_index ?? 0}.${json.content_index ?? 0}`;
    const fnKey = `f${json.output_index ?? 0}`;
    if (type === "response.output_text.delta" && typeof json.delta === "string") {
      const { item_id, output_index, content_index } = json;
      const emit = push(key, json.delta, (t) =>
        sendJson("response.output_text.delta", {
          type: "response.output_text.delta",
          item_id,
          output_index,
          content_index,
          delta: t,
        }));
      if (emit === undefined) return "drop";
      json.delta = emit;
      return "changed";
    }
    if (type === "response.output_text.done") {
      const tail = close(key);
      if (tail === undefined) return "drop";
      if (tail) {
        sendJson("response.output_text.delta", {
          ...json,
          type: "response.output_text.delta",
          delta: tail,
          text: undefined,
        });
      }
      json.text = channels.get(key)?.emitted ?? json.text;
      return "changed";
    }
    const argsDelta = RESPONSES_ARGUMENT_DELTAS.get(type);
    if (argsDelta !== undefined && typeof json.delta === "string") {
      if (!restoring) return "same";
      const { item_id, output_index } = json;
      const next = restoreArgs(
        fnKey,
        json.delta,
        (t) => sendJson(type, { type, item_id, output_index, delta: t }),
        argsDelta.json,
      );
      if (next === json.delta) return "same";
      json.delta = next;
      return "changed";
    }
    let changed = false;
    if (
      type === "response.function_call_arguments.done" || type === "response.custom_tool_call_input.done" ||
      type === "response.output_item.done"
    ) {
      const rest = endArgs(fnKey);
      if (rest) args.get(fnKey)!.tail(rest);
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
        for (const [k, c] of channels) {
          const tail = close(k);
          if (tail === undefined) return "drop";
          if (tail) c.tail(tail);
        }
        for (const [k, a] of args) {
          const rest = endArgs(k);
          if (rest) a.tail(rest);
        }
        sniffUsageObj(isObj(json.response) ? json.response.usage : undefined, usage);
      }
      rewriteResponseTexts(json, channels);
      changed = true;
    }
    // Whole argument strings (`…arguments.done`, `…input.done`, function and custom tool call items, the
    // final response) get the caller's values back the same way as the deltas before them.
    if (restoring && restoreResponseArguments(json, o.state)) changed = true;
    return changed ? "changed" : "same";
  };

  const parser = createSseParser({ onEvent });

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

/**
 * Restores whole Responses API tool-call strings: `arguments` (JSON source) of a
 * `…function_call_arguments.done` event and of the function calls in `json.item` and `json.response.output`,
 * and `input` (free text) of a `…custom_tool_call_input.done` event and of the custom tool calls there.
 */
function restoreResponseArguments(json: Obj, state: RequestPolicyState): boolean {
  let changed = false;
  const restore = (holder: Obj, field: "arguments" | "input") => {
    const text = holder[field];
    if (typeof text !== "string") return;
    const next = restorePlaceholders(text, state, field === "arguments");
    if (next !== text) {
      holder[field] = next;
      changed = true;
    }
  };
  const restoreItem = (item: unknown) => {
    if (isObj(item) && item.type === "function_call") restore(item, "arguments");
    else if (isObj(item) && item.type === "custom_tool_call") restore(item, "input");
  };
  if (json.type === "response.function_call_arguments.done") restore(json, "arguments");
  if (json.type === "response.custom_tool_call_input.done") restore(json, "input");
  restoreItem(json.item);
  if (isObj(json.response) && Array.isArray(json.response.output)) json.response.output.forEach(restoreItem);
  return changed;
}

/** `v` with `fn` applied to every string inside it (copies along changed paths); `v` itself when unchanged. */
function mapStrings(v: unknown, fn: (s: string) => string): unknown {
  if (typeof v === "string") return fn(v);
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    v.forEach((x, i) => {
      const y = mapStrings(x, fn);
      if (y !== x) (out ??= v.slice())[i] = y;
    });
    return out ?? v;
  }
  if (isObj(v)) {
    let out: Obj | undefined;
    for (const [k, x] of Object.entries(v)) {
      const y = mapStrings(x, fn);
      if (y !== x) (out ??= { ...v })[k] = y;
    }
    return out ?? v;
  }
  return v;
}

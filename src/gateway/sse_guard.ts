/**
 * The API-neutral SSE guard: cuts a provider's event stream into frames (sse_frames.ts), lets the client
 * API's {@link StreamDialect} say what each event carries, and applies the policy chain:
 *
 * - **text channels** (content, refusal, reasoning): each delta goes through the chain's stream guard
 *   (redaction, restore, block), holding back a bounded tail so an entity split across events is still
 *   caught; held tails go out before the channel's end;
 * - **tool calls**: while an output policy reads text or inspects tool calls, a call's events are held
 *   until the call is complete; its argument strings then go through the chain like any text
 *   (source `output_tools`; redaction, restore, block), the held fragments are rewritten, and the tool
 *   policies see the finished call before the events are released;
 * - **every other event** is scanned as text (its strings, outside structure keys) and forwarded as it
 *   came when no policy changed it; a `data:` line that is not JSON is scanned and dropped, counted,
 *   when a policy would act on it. Nothing reaches the client unread.
 *
 * Frames nothing changed go on as the bytes they came in, and what one upstream chunk produced goes to
 * the client in one write.
 *
 * A block ends the stream with `event: error` (the error JSON) and `data: [DONE]`, and cancels the
 * upstream body.
 *
 * @module
 */
import { type SseFrame, SseFramer } from "./sse_frames.ts";
import type {
  ChainOutcome,
  CompiledChain,
  ContentSource,
  PolicyRequest,
  RequestPolicyState,
  StreamGuard,
  ToolCall,
} from "../policy/types.ts";
import { DEFAULT_COVERAGE, isObj, type Obj, Walker } from "./apis/walk.ts";
import { addJsonText } from "./apis/values.ts";
import { applySlots } from "./apis/content.ts";
import type { Usage } from "./apis/common.ts";
import type { PassResult } from "./stream.ts";
import { GatewayError } from "./errors.ts";

/** How a guarded stream ended. */
export interface StreamResult extends PassResult {
  /** Text segments scanned, by source (the decision event's coverage manifest). */
  scanned: Partial<Record<ContentSource, number>>;
  /** Frames dropped because a policy acted on text kt could not rewrite in place. */
  dropped: number;
}

/** What a dialect did with an event: forward it as it came, forward the changed JSON, or drop it. */
export type Handled = "same" | "changed" | "drop";

/** A client API's streaming shape: see the module doc. */
export interface StreamDialect {
  /**
   * Handles one JSON event (may change `json` in place, and send or hold events through `g`). Events
   * it does not model go to {@link Guard.scanEvent}.
   */
  onEvent(g: Guard, name: string | undefined, json: Obj): Handled;
  /** True when the API numbers its events (`sequence_number`), which the guard keeps rising by one. */
  readonly numbered?: boolean;
}

/** Options of {@link guardSse}. */
export interface GuardOptions {
  dialect: StreamDialect;
  chain: CompiledChain;
  /** The output-phase request (its `segments` are empty: text comes from the stream). */
  request: PolicyRequest;
  state: RequestPolicyState;
  maxBytes: number;
  requestId: string;
  onDone: (result: StreamResult) => void;
}

interface Channel {
  guard: StreamGuard;
  source: ContentSource;
  emitted: string;
  closed: boolean;
  /** Sends a held-back tail as an event of the stream's API (when no end event of its own did). */
  tail: (text: string) => void;
}

/** A place in a held event where part of a tool call's arguments is (JSON text, or an object). */
interface Fragment {
  holder: Obj;
  field: string;
  object?: boolean;
}

/** One tool call of the answer. */
interface Call {
  call: ToolCall;
  /** JSON arguments (OpenAI, Anthropic) or free text (a Responses custom tool's input). */
  json: boolean;
  /** Argument deltas in held events, in order. */
  fragments: Fragment[];
  /** Places that carry the whole arguments (done events, items, the final response). */
  wholes: Fragment[];
  /** True once its arguments were scanned. */
  scanned: boolean;
  /** The arguments after the policies ran (undefined until scanned, or when unchanged). */
  final?: string;
}

const encoder = new TextEncoder();

/** Keys whose string values are structure (ids, types, states), not text, in events the guard scans. */
const STRUCTURE_KEYS = new Set([
  "type",
  "id",
  "object",
  "model",
  "role",
  "status",
  "finish_reason",
  "stop_reason",
  "item_id",
  "call_id",
  "tool_use_id",
  "system_fingerprint",
  "service_tier",
  "signature",
  "encrypted_content",
  "event_id",
  "response_id",
  "phase",
]);

/**
 * The running guard of one stream. Dialects call its methods; they are the only way an event
 * reaches the client.
 */
export class Guard {
  readonly #o: GuardOptions;
  readonly #channels = new Map<string, Channel>();
  readonly #calls = new Map<string, Call>();
  readonly #held: Array<{ name: string | undefined; json?: Obj; frame?: SseFrame }> = [];
  readonly outcomes: ChainOutcome[] = [];
  readonly usageSeen: Usage = {};
  readonly scanned: Partial<Record<ContentSource, number>> = {};
  dropped = 0;
  blocked: ChainOutcome | undefined;
  #ctrl!: ReadableStreamDefaultController<Uint8Array>;
  #nextSeq: number | undefined;
  /** Events enqueued so far (the pull loop reads on until it forwarded something). */
  sent = 0;
  /** Called by {@link abort} to stop reading the upstream. */
  onAbort: (error?: string) => void = () => {};

  /** True when tool-call events wait until the call is complete (see the module doc). */
  readonly holdsTools: boolean;

  constructor(o: GuardOptions) {
    this.#o = o;
    this.holdsTools = o.chain.readsOutputText || o.chain.checksToolCalls;
  }

  /** Attaches the client stream's controller. */
  attach(ctrl: ReadableStreamDefaultController<Uint8Array>): void {
    this.#ctrl = ctrl;
  }

  /** The per-request policy state (restore map). */
  get state(): RequestPolicyState {
    return this.#o.state;
  }

  /** What goes to the client for the upstream chunk being handled: upstream bytes, or kt's own text. */
  readonly #out: Array<Uint8Array | string> = [];

  #send(text: string): void {
    this.sent++;
    this.#out.push(text);
  }

  /** Forwards a frame as the bytes it came in. */
  #forwardBytes(bytes: Uint8Array): void {
    this.sent++;
    this.#out.push(bytes);
  }

  /**
   * Forwards an upstream frame unchanged: its own bytes, or (an API that numbers its events, when the
   * guard's numbering differs) the JSON with its number set.
   */
  forward(frame: SseFrame, json?: Obj): void {
    if (json && this.#renumber(json)) this.sendEvent(frame.event, JSON.stringify(json));
    else this.#forwardBytes(frame.bytes);
  }

  /**
   * Hands what the last upstream chunk produced to the client in one write: the chunk's own bytes when
   * every frame went on unchanged (one subarray, no copy), else the pieces joined.
   */
  flush(): void {
    const out = this.#out;
    if (out.length === 0) return;
    let bytes: Uint8Array;
    if (out.length === 1) bytes = typeof out[0] === "string" ? encoder.encode(out[0]) : out[0];
    else {
      let contiguous = true;
      let total = 0;
      const parts: Uint8Array[] = [];
      for (const p of out) {
        const b = typeof p === "string" ? encoder.encode(p) : p;
        const prev = parts.at(-1);
        if (typeof p === "string") contiguous = false;
        else if (prev) {
          contiguous &&= prev.buffer === b.buffer && prev.byteOffset + prev.byteLength === b.byteOffset;
        }
        parts.push(b);
        total += b.byteLength;
      }
      if (contiguous) bytes = new Uint8Array(parts[0].buffer, parts[0].byteOffset, total);
      else {
        bytes = new Uint8Array(total);
        let at = 0;
        for (const b of parts) {
          bytes.set(b, at);
          at += b.byteLength;
        }
      }
    }
    out.length = 0;
    this.#ctrl.enqueue(bytes);
  }

  /** Sends an event with raw `data`. */
  sendEvent(name: string | undefined, data: string): void {
    this.#send(serialize(name, data));
  }

  /** Sends a JSON event (numbered, in an API that numbers its events). */
  sendJson(name: string | undefined, json: Obj): void {
    this.#renumber(json);
    this.sendEvent(name, JSON.stringify(json));
  }

  /** Numbers a JSON event of a numbered API; true when its number changed. */
  #renumber(json: Obj): boolean {
    if (!this.#o.dialect.numbered) return false;
    if (this.#nextSeq === undefined && typeof json.sequence_number === "number") {
      this.#nextSeq = json.sequence_number;
    }
    if (this.#nextSeq === undefined) return false;
    const n = this.#nextSeq++;
    if (json.sequence_number === n) return false;
    json.sequence_number = n;
    return true;
  }

  /** Reads usage numbers from a usage object. */
  usage(u: unknown): void {
    if (!isObj(u)) return;
    const i = u.prompt_tokens ?? u.input_tokens;
    const out = u.completion_tokens ?? u.output_tokens;
    if (typeof i === "number" && (i > 0 || this.usageSeen.input === undefined)) this.usageSeen.input = i;
    if (typeof out === "number" && (out > 0 || this.usageSeen.output === undefined)) {
      this.usageSeen.output = out;
    }
  }

  /** Ends the stream early: an `error` event with `err`, `[DONE]`, and the upstream cancelled. */
  abort(err: GatewayError, error?: string): void {
    this.sendJson("error", err.toBody(this.#o.requestId));
    this.#send("data: [DONE]\n\n");
    this.flush();
    this.onAbort(error);
    this.#ctrl.close();
  }

  #block(outcome: ChainOutcome): void {
    this.blocked = outcome;
    if (!this.outcomes.includes(outcome)) this.outcomes.push(outcome);
    this.abort(
      new GatewayError(409, "output_blocked", outcome.message ?? "the response was blocked by policy", {
        policy: outcome.policy,
      }),
    );
  }

  #count(source: ContentSource, n = 1): void {
    this.scanned[source] = (this.scanned[source] ?? 0) + n;
  }

  // --- text channels -------------------------------------------------------------------------------

  /**
   * Pushes a text delta of channel `key` through its guard; returns the text to send now, or undefined
   * when blocked. `tail` sends the channel's held-back rest if the stream ends without its end event.
   */
  text(key: string, source: ContentSource, delta: string, tail: (text: string) => void): string | undefined {
    let c = this.#channels.get(key);
    if (!c) {
      c = {
        guard: this.#o.chain.streamGuard(this.#o.request, this.#o.state),
        source,
        emitted: "",
        closed: false,
        tail,
      };
      this.#channels.set(key, c);
      this.#count(source);
    }
    const r = c.guard.push(delta);
    if (r.blocked) {
      this.#block(r.blocked);
      return undefined;
    }
    c.emitted += r.emit;
    return r.emit;
  }

  /** Ends channel `key`; returns its held-back tail ("" when none), or undefined when blocked. */
  close(key: string): string | undefined {
    const c = this.#channels.get(key);
    if (!c || c.closed) return "";
    c.closed = true;
    const r = c.guard.finish();
    this.outcomes.push(r.blocked ?? r.outcome);
    if (r.blocked) {
      this.#block(r.blocked);
      return undefined;
    }
    c.emitted += r.emit;
    return r.emit;
  }

  /** The source of channel `key` (undefined when it never had text). */
  channelSource(key: string): ContentSource | undefined {
    return this.#channels.get(key)?.source;
  }

  /** What channel `key` has sent so far, or undefined for a channel that never had text. */
  emitted(key: string): string | undefined {
    return this.#channels.get(key)?.emitted;
  }

  /** Closes every channel, sending held tails through their `tail`; false when blocked. */
  closeChannels(): boolean {
    for (const [key, c] of this.#channels) {
      const tail = this.close(key);
      if (tail === undefined) return false;
      if (tail) c.tail(tail);
    }
    return true;
  }

  // --- tool calls ----------------------------------------------------------------------------------

  /** Registers (or updates) tool call `key`: its id and a piece of its name. */
  call(key: string, id?: unknown, name?: unknown, json = true): void {
    let c = this.#calls.get(key);
    if (!c) {
      c = { call: { name: "", arguments: "" }, json, fragments: [], wholes: [], scanned: false };
      this.#calls.set(key, c);
    }
    if (typeof id === "string" && id !== "") c.call.id = id;
    if (typeof name === "string") c.call.name += name;
  }

  /** True when tool call `key` was registered. */
  hasCall(key: string): boolean {
    return this.#calls.has(key);
  }

  /**
   * Adds an argument delta of call `key`, found at `holder[field]` of an event the dialect holds: JSON
   * text, or (an Anthropic block's `input`) an object.
   */
  args(key: string, holder: Obj, field: string): void {
    const c = this.#calls.get(key);
    const v = holder[field];
    if (!c) return;
    if (typeof v === "string") {
      c.call.arguments += v;
      c.fragments.push({ holder, field });
      if (c.final !== undefined) holder[field] = "";
    } else if (isObj(v)) {
      c.call.arguments += JSON.stringify(v);
      c.fragments.push({ holder, field, object: true });
    }
  }

  /** True when a tool policy judges tool calls (held calls then wait for the end of the answer). */
  get checksTools(): boolean {
    return this.#o.chain.checksToolCalls;
  }

  /**
   * Notes a place that carries call `key`'s whole arguments (a done event, an item, the final
   * response); once the call was scanned it gets the final arguments. Returns true when it changed.
   */
  whole(key: string, holder: Obj, field: string): boolean {
    const c = this.#calls.get(key);
    if (!c || typeof holder[field] !== "string") return false;
    if (c.fragments.length === 0 && !c.scanned) c.call.arguments = holder[field] as string;
    c.wholes.push({ holder, field });
    if (c.final !== undefined && holder[field] !== c.final) {
      holder[field] = c.final;
      return true;
    }
    return false;
  }

  /** Holds an event until {@link releaseTools} (tool-call events while {@link holdsTools}). */
  hold(name: string | undefined, json: Obj): void {
    this.#held.push({ name, json });
  }

  /** Holds an upstream frame that must keep its place after held ones, to forward as it came. */
  holdFrame(frame: SseFrame): void {
    this.#held.push({ name: frame.event, frame });
  }

  /** True while events are held. */
  get holding(): boolean {
    return this.#held.length > 0;
  }

  /**
   * Tool call `key` is complete: its arguments go through the output chain (when a policy reads
   * text) and the held fragments get the result. False when blocked.
   */
  endCall(key: string): boolean {
    const c = this.#calls.get(key);
    if (!c || c.scanned) return true;
    c.scanned = true;
    if (!this.#o.chain.readsOutputText) return true;
    const w = new Walker("stream", DEFAULT_COVERAGE, true, true);
    w.source = "output_tools";
    w.role = "assistant";
    w.path.push("arguments");
    if (c.json) addJsonText(w, c.call.arguments);
    else if (c.call.arguments !== "") w.text(c.call.arguments);
    w.path.pop();
    if (w.segments.length === 0) return true;
    this.#count("output_tools", w.segments.length);
    const outcome = this.#o.chain.runOutput({ ...this.#o.request, segments: w.segments }, this.#o.state);
    this.outcomes.push(outcome);
    if (outcome.verdict === "block") {
      this.#block(outcome);
      return false;
    }
    if (!outcome.changed) return true;
    const next = applySlots({ arguments: c.call.arguments }, w.slots, w.segments, outcome.segments)
      .arguments as string;
    if (next === c.call.arguments) return true;
    c.final = next;
    c.call.arguments = next;
    c.fragments.forEach((f, i) => {
      if (f.object) f.holder[f.field] = i === 0 ? parseObject(next) : {};
      else f.holder[f.field] = i === 0 ? next : "";
    });
    for (const f of c.wholes) f.holder[f.field] = next;
    return true;
  }

  /** Runs the tool policies over the calls so far; false when blocked. */
  checkTools(): boolean {
    if (!this.#o.chain.checksToolCalls || this.#calls.size === 0) return true;
    const outcome = this.#o.chain.runOutput(
      { ...this.#o.request, segments: [], toolCalls: [...this.#calls.values()].map((c) => c.call) },
      this.#o.state,
    );
    this.outcomes.push(outcome);
    if (outcome.verdict === "block") {
      this.#block(outcome);
      return false;
    }
    return true;
  }

  /** Scans every unscanned call, runs the tool policies and sends the held events; false when blocked. */
  releaseTools(): boolean {
    for (const key of this.#calls.keys()) if (!this.endCall(key)) return false;
    if (!this.checkTools()) return false;
    for (const e of this.#held) {
      if (e.json) this.sendJson(e.name, e.json);
      else this.#forwardBytes(e.frame!.bytes);
    }
    this.#held.length = 0;
    return true;
  }

  /** End of the answer: every channel closed, every call scanned, checked and released. */
  closeAll(): boolean {
    return this.closeChannels() && this.releaseTools();
  }

  // --- everything else -----------------------------------------------------------------------------

  /**
   * Scans the strings of an event no dialect rule covers (outside {@link STRUCTURE_KEYS}, and outside
   * the top-level fields in `skip`, which the dialect read itself) as output text. Returns how to
   * forward it, or "drop" when blocked.
   */
  scanEvent(json: Obj, skip?: ReadonlySet<string>): Handled {
    const w = new Walker("stream", DEFAULT_COVERAGE, true, true);
    w.source = "output_text";
    w.role = "assistant";
    collectStrings(w, json, skip);
    if (w.segments.length === 0) return "same";
    this.#count("output_text", w.segments.length);
    const outcome = this.#o.chain.runOutput({ ...this.#o.request, segments: w.segments }, this.#o.state);
    this.outcomes.push(outcome);
    if (outcome.verdict === "block") {
      this.#block(outcome);
      return "drop";
    }
    if (!outcome.changed) return "same";
    const next = applySlots(json, w.slots, w.segments, outcome.segments);
    for (const k of Object.keys(json)) delete json[k];
    Object.assign(json, next);
    return "changed";
  }

  /**
   * A frame whose text is not JSON (a `data:` line, a comment): scanned; forwarded as it came when no
   * policy acts on it, else dropped and counted.
   */
  scanFrame(frame: SseFrame, text: string): void {
    this.#count("output_text");
    const outcome = this.#o.chain.runOutput(
      { ...this.#o.request, segments: [{ key: "data", role: "assistant", text, source: "output_text" }] },
      this.#o.state,
    );
    if (outcome.verdict === "allow" && !outcome.changed) {
      if (this.holding) this.holdFrame(frame);
      else this.#forwardBytes(frame.bytes);
      return;
    }
    this.outcomes.push(outcome);
    this.dropped++;
  }
}

/** JSON text as an object (`{}` when it is not one). */
function parseObject(text: string): Obj {
  try {
    const v = JSON.parse(text);
    return isObj(v) ? v : {};
  } catch {
    return {};
  }
}

/** Adds every string of `v` outside structure keys (and, at the top level, outside `skip`) to `w`. */
function collectStrings(w: Walker, v: unknown, skip?: ReadonlySet<string>): void {
  if (typeof v === "string") {
    if (v !== "") w.text(v);
  } else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      w.path.push(i);
      collectStrings(w, v[i]);
      w.path.pop();
    }
  } else if (isObj(v)) {
    for (const k in v) {
      const x = v[k];
      if (skip?.has(k) || (typeof x === "string" && STRUCTURE_KEYS.has(k))) continue;
      if (typeof x === "number" || typeof x === "boolean" || x === null) continue;
      w.path.push(k);
      collectStrings(w, x);
      w.path.pop();
    }
  }
}

/** True when `json` has a field outside `known` that could carry text (a string, array or object). */
export function hasUnknownText(json: Obj, known: ReadonlySet<string>): boolean {
  for (const k in json) {
    const x = json[k];
    if (!known.has(k) && x !== null && x !== undefined && typeof x !== "number" && typeof x !== "boolean") {
      return true;
    }
  }
  return false;
}

function serialize(name: string | undefined, data: string): string {
  let s = name ? `event: ${name}\n` : "";
  for (const line of data.split("\n")) s += `data: ${line}\n`;
  return s + "\n";
}

/** Governs an SSE body: see the module doc. */
export function guardSse(body: ReadableStream<Uint8Array>, o: GuardOptions): ReadableStream<Uint8Array> {
  const g = new Guard(o);
  const reader = body.getReader();
  const framer = new SseFramer();
  let bytes = 0;
  let finished = false;
  const finish = (error?: string) => {
    if (finished) return;
    finished = true;
    o.onDone({
      usage: g.usageSeen,
      blocked: g.blocked,
      outcomes: g.outcomes,
      error,
      bytes,
      scanned: g.scanned,
      dropped: g.dropped,
    });
  };
  g.onAbort = (error) => {
    reader.cancel().catch(() => {});
    finish(error);
  };
  const onFrame = (frame: SseFrame) => {
    if (g.blocked || finished) return;
    const data = frame.data;
    if (data === undefined) {
      // A comment: a bare keep-alive goes on; one with text is read like any text.
      if (frame.comment !== undefined) {
        if (frame.comment.trim() === "") g.forward(frame);
        else g.scanFrame(frame, frame.comment);
      }
      return;
    }
    if (data === "[DONE]") {
      if (g.closeAll()) g.forward(frame);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return g.scanFrame(frame, data);
    }
    if (!isObj(json)) return g.scanFrame(frame, data);
    const handled = o.dialect.onEvent(g, frame.event, json);
    if (handled === "drop" || g.blocked) return;
    if (handled === "changed") g.sendJson(frame.event, json);
    else g.forward(frame, json);
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      g.attach(controller);
    },
    async pull(controller) {
      try {
        // A pull that enqueues nothing is not called again, so the stream would stall: read on while
        // the upstream's chunks only hold back (tool events held for the policies, part of an event).
        const before = g.sent;
        while (g.sent === before) {
          const { done, value } = await reader.read();
          if (g.blocked || finished) return;
          if (done) {
            for (const frame of framer.finish()) onFrame(frame);
            if (g.blocked || finished) return;
            if (!g.closeAll()) return;
            g.flush();
            finish();
            controller.close();
            return;
          }
          bytes += value.byteLength;
          if (bytes > o.maxBytes) {
            g.abort(
              new GatewayError(
                502,
                "upstream_failed",
                "the response exceeded size_limits.max_response_bytes",
              ),
              `response exceeded size_limits.max_response_bytes (${o.maxBytes})`,
            );
            return;
          }
          for (const frame of framer.feed(value)) onFrame(frame);
          if (g.blocked || finished) return;
          g.flush();
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

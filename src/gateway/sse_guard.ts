/**
 * The API-neutral SSE guard: cuts a provider's event stream into frames (sse_frames.ts), lets the client
 * API's {@link StreamDialect} say what each event carries, and applies the policy chain:
 *
 * - **text channels** (content, refusal, reasoning): each delta goes through the chain's stream guard
 *   (redaction, restore, block), which holds back only the tail that could still become part of a
 *   finding; an event waits until its text is decided (sse_out.ts), so events go out in order, as the
 *   bytes they came in unless a policy rewrote their text;
 * - **tool calls**: while an output policy reads text or inspects tool calls, a call's events are held
 *   until the call is complete; its argument strings then go through the chain like any text
 *   (source `output_tools`; redaction, restore, block), the held fragments are rewritten, and the tool
 *   policies see the finished call before the events are released;
 * - **every other event** is scanned as text (its strings, outside structure keys) and forwarded as it
 *   came when no policy changed it; a `data:` line that is not JSON is scanned and dropped, counted,
 *   when a policy would act on it. Nothing reaches the client unread.
 *
 * What one upstream chunk let out goes to the client in one write.
 *
 * A block ends the stream with `event: error` (the error JSON) and `data: [DONE]`, and cancels the
 * upstream body.
 *
 * @module
 */
import { type SseFrame, SseFramer } from "./sse_frames.ts";
import { decide, type Entry, type Need, OutQueue } from "./sse_out.ts";
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
   * Handles one JSON event: hands its texts to `g` ({@link Guard.text}), holds it with its tool call,
   * may change `json` in place ("changed"); events it does not model go to {@link Guard.scanEvent}.
   * "drop" leaves the event out.
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
  /** What the channel sent (decided) so far. */
  emitted: string;
  closed: boolean;
  /** Characters of text pushed so far. */
  received: number;
  /** Characters of text decided so far. */
  decided: number;
  /** Texts (of queued events) not yet decided, in order. */
  needs: Need[];
}

/** A place in a held event where part of a tool call's arguments is (JSON text, or an object). */
interface Fragment {
  holder: Obj;
  field: string;
  object?: boolean;
  /** The queued event it is in. */
  entry?: Entry;
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
 * The running guard of one stream. Dialects call its methods; events reach the client only through
 * its queue.
 */
export class Guard {
  readonly #o: GuardOptions;
  readonly #channels = new Map<string, Channel>();
  readonly #calls = new Map<string, Call>();
  readonly outcomes: ChainOutcome[] = [];
  readonly usageSeen: Usage = {};
  readonly scanned: Partial<Record<ContentSource, number>> = {};
  dropped = 0;
  blocked: ChainOutcome | undefined;
  #q!: OutQueue;
  #nextSeq: number | undefined;
  /** The queued event the dialect is handling. */
  #current: Entry | undefined;
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
    this.#q = new OutQueue(ctrl, (json) => this.#renumber(json));
  }

  /** Pieces handed to the client so far. */
  get sent(): number {
    return this.#q.sent;
  }

  /** The per-request policy state (restore map). */
  get state(): RequestPolicyState {
    return this.#o.state;
  }

  /** Queues an upstream frame and makes it the event being handled. */
  begin(frame: SseFrame, json?: Obj): Entry {
    const e = this.#q.upstream(frame, json);
    this.#current = e;
    return e;
  }

  /** The dialect is done with the current event: `handled` says what it did. */
  end(e: Entry, handled: Handled): void {
    this.#current = undefined;
    if (handled === "changed") e.dirty = true;
    else if (handled === "drop") this.#q.discard(e);
    this.#q.drain();
  }

  /** Sends what the last upstream chunk let out (one write). */
  flush(): void {
    this.#q.drain();
    this.#q.flush();
  }

  /** Queues a JSON event kt adds (numbered in an API that numbers its events). */
  sendJson(name: string | undefined, json: Obj): void {
    this.#q.made(name, json);
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
    this.#q.clear();
    const body = err.toBody(this.#o.requestId) as unknown as Obj;
    this.#renumber(body);
    this.#q.text(`event: error\ndata: ${JSON.stringify(body)}\n\n`);
    this.#q.text("data: [DONE]\n\n");
    this.#q.flush();
    this.onAbort(error);
    this.#q.ctrl.close();
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
   * The text at `holder[field]` of the current event is the next delta of channel `key`: it goes
   * through the channel's guard, and the event waits until it is decided. False when blocked.
   */
  text(key: string, source: ContentSource, holder: Obj, field: string): boolean {
    const v = holder[field];
    const e = this.#current;
    if (typeof v !== "string" || v === "" || !e) return true;
    let c = this.#channels.get(key);
    if (!c) {
      c = {
        guard: this.#o.chain.streamGuard(this.#o.request, this.#o.state),
        source,
        emitted: "",
        closed: false,
        received: 0,
        decided: 0,
        needs: [],
      };
      this.#channels.set(key, c);
      this.#count(source);
    }
    const need: Need = { holder, field, orig: v, start: c.received, out: "", decided: 0, entry: e };
    e.needs.push(need);
    e.open++;
    c.needs.push(need);
    c.received += v.length;
    const r = c.guard.push(v);
    if (r.blocked) {
      this.#block(r.blocked);
      return false;
    }
    this.#decide(c, r.emit, r.released);
    return true;
  }

  #decide(c: Channel, emit: string, released: number): void {
    if (released === 0 && emit === "") return;
    c.needs = decide(c.needs, c.decided, released, emit);
    c.decided += released;
    c.emitted += emit;
  }

  /** Ends channel `key` (its held-back rest is decided); false when blocked. */
  close(key: string): boolean {
    const c = this.#channels.get(key);
    if (!c || c.closed) return true;
    c.closed = true;
    const r = c.guard.finish();
    this.outcomes.push(r.blocked ?? r.outcome);
    if (r.blocked) {
      this.#block(r.blocked);
      return false;
    }
    this.#decide(c, r.emit, r.released);
    return true;
  }

  /** The source of channel `key` (undefined when it never had text). */
  channelSource(key: string): ContentSource | undefined {
    return this.#channels.get(key)?.source;
  }

  /** What channel `key` has sent so far, or undefined for a channel that never had text. */
  emitted(key: string): string | undefined {
    return this.#channels.get(key)?.emitted;
  }

  /** Closes every channel; false when blocked. */
  closeChannels(): boolean {
    for (const key of this.#channels.keys()) if (!this.close(key)) return false;
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
   * Adds an argument delta of call `key`, found at `holder[field]` of the current event: JSON text,
   * or (an Anthropic block's `input`) an object.
   */
  args(key: string, holder: Obj, field: string): void {
    const c = this.#calls.get(key);
    const v = holder[field];
    if (!c) return;
    const entry = this.#current;
    if (typeof v === "string") {
      c.call.arguments += v;
      c.fragments.push({ holder, field, entry });
      if (c.final !== undefined) {
        holder[field] = "";
        if (entry) entry.dirty = true;
      }
    } else if (isObj(v)) {
      c.call.arguments += JSON.stringify(v);
      c.fragments.push({ holder, field, object: true, entry });
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
    c.wholes.push({ holder, field, entry: this.#current });
    if (c.final !== undefined && holder[field] !== c.final) {
      holder[field] = c.final;
      return true;
    }
    return false;
  }

  /** The current event waits for its tool call's release ({@link releaseTools}). */
  hold(): void {
    if (this.#current) this.#current.tools = true;
  }

  /** True while events wait for their tool calls. */
  get holding(): boolean {
    return this.#q.holdingTools;
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
      if (f.entry) f.entry.dirty = true;
    });
    for (const f of c.wholes) {
      f.holder[f.field] = next;
      if (f.entry) f.entry.dirty = true;
    }
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

  /** Scans every unscanned call, runs the tool policies and lets the held events go; false when blocked. */
  releaseTools(): boolean {
    for (const key of this.#calls.keys()) if (!this.endCall(key)) return false;
    if (!this.checkTools()) return false;
    this.#q.releaseTools();
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
    const e = this.#q.upstream(frame);
    if (outcome.verdict === "allow" && !outcome.changed) {
      this.#q.drain();
      return;
    }
    this.#q.discard(e);
    this.outcomes.push(outcome);
    this.dropped++;
  }

  /** Queues a frame that goes on as it came (`[DONE]`, a bare keep-alive). */
  pass(frame: SseFrame): void {
    this.#q.upstream(frame);
    this.#q.drain();
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
        if (frame.comment.trim() === "") g.pass(frame);
        else g.scanFrame(frame, frame.comment);
      }
      return;
    }
    if (data === "[DONE]") {
      if (g.closeAll()) g.pass(frame);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return g.scanFrame(frame, data);
    }
    if (!isObj(json)) return g.scanFrame(frame, data);
    const entry = g.begin(frame, json);
    const handled = o.dialect.onEvent(g, frame.event, json);
    if (g.blocked) return;
    g.end(entry, handled);
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

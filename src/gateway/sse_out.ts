/**
 * The SSE guard's output: an ordered queue of the events going to the client. An upstream event waits
 * in it until every text it carries is decided (released by the channel's stream guard, as it came or
 * rewritten) and, when it belongs to a held tool call, until the call is released; events leave in
 * upstream order. An event whose texts all went out as they came is forwarded as the bytes it came in
 * (no re-serialisation); one whose text a policy rewrote carries the rewritten text (and, when a
 * rewrite spans several events, the first of them carries it and the others are emptied). What one
 * upstream chunk let out goes to the client in one write.
 *
 * @module
 */
import type { SseFrame } from "./sse_frames.ts";
import type { Obj } from "./apis/walk.ts";

/** A text field of a queued event, as part of a channel's text. */
export interface Need {
  /** Where the text is in the event's JSON. */
  readonly holder: Obj;
  readonly field: string;
  /** The text as the upstream sent it. */
  readonly orig: string;
  /** Its place in its channel's text: `[start, start + orig.length)`. */
  readonly start: number;
  /** What goes out for the part decided so far. */
  out: string;
  /** Characters of `orig` decided so far. */
  decided: number;
  readonly entry: Entry;
}

/** One event in the queue. */
export interface Entry {
  /** The upstream frame (absent for an event kt makes). */
  readonly frame?: SseFrame;
  readonly name: string | undefined;
  /** The event's JSON (upstream, maybe changed), absent for a non-JSON frame. */
  readonly json?: Obj;
  /** An event kt makes: its data text. */
  readonly data?: string;
  /** Texts not yet decided. */
  open: number;
  /** Waits for its tool call's release. */
  tools: boolean;
  /** Its JSON changed: serialise it. */
  dirty: boolean;
  readonly needs: Need[];
}

const encoder = new TextEncoder();

/** `data:` lines of an event (an event's data may hold line breaks). */
export function serialize(name: string | undefined, data: string): string {
  let s = name ? `event: ${name}\n` : "";
  for (const line of data.split("\n")) s += `data: ${line}\n`;
  return s + "\n";
}

/** The queue: see the module doc. */
export class OutQueue {
  readonly #queue: Entry[] = [];
  #head = 0;
  readonly #out: Array<Uint8Array | string> = [];
  /** Pieces handed out so far (the guard's read loop goes on until one more was). */
  sent = 0;

  /**
   * @param ctrl the client stream's controller
   * @param renumber sets the event's number in an API that numbers its events; true when it changed
   */
  constructor(
    readonly ctrl: ReadableStreamDefaultController<Uint8Array>,
    readonly renumber: (json: Obj) => boolean,
  ) {}

  /** Queues an upstream event (`json` absent for a frame that is not JSON). */
  upstream(frame: SseFrame, json?: Obj): Entry {
    const e: Entry = { frame, name: frame.event, json, open: 0, tools: false, dirty: false, needs: [] };
    this.#queue.push(e);
    return e;
  }

  /** Queues an event kt makes (a JSON event, numbered when the API numbers its events). */
  made(name: string | undefined, json: Obj): void {
    this.#queue.push({ name, json, data: "", open: 0, tools: false, dirty: true, needs: [] });
  }

  /** Drops an entry that must not go out (only the last one queued). */
  discard(e: Entry): void {
    if (this.#queue[this.#queue.length - 1] === e && e.needs.length === 0 && !e.tools) this.#queue.pop();
  }

  /** True while an event waits for its tool call. */
  get holdingTools(): boolean {
    for (let i = this.#head; i < this.#queue.length; i++) if (this.#queue[i].tools) return true;
    return false;
  }

  /** Lets the events waiting for their tool calls go. */
  releaseTools(): void {
    for (let i = this.#head; i < this.#queue.length; i++) this.#queue[i].tools = false;
  }

  /** Sends every event at the front that is ready. */
  drain(): void {
    const q = this.#queue;
    while (this.#head < q.length) {
      const e = q[this.#head];
      if (e.open > 0 || e.tools) break;
      this.#head++;
      this.#emit(e);
    }
    if (this.#head === q.length) {
      q.length = 0;
      this.#head = 0;
    } else if (this.#head > 64) {
      q.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #emit(e: Entry): void {
    let rewritten = e.dirty;
    for (const n of e.needs) {
      if (n.out !== n.orig) {
        n.holder[n.field] = n.out;
        rewritten = true;
      }
    }
    const json = e.json;
    if (json && this.renumber(json)) rewritten = true;
    if (!rewritten && e.frame) this.#bytes(e.frame.bytes);
    else if (json) this.text(serialize(e.name, JSON.stringify(json)));
  }

  /** Hands out text now (ahead of the queue: the error and `[DONE]` of a blocked stream). */
  text(s: string): void {
    this.sent++;
    this.#out.push(s);
  }

  #bytes(b: Uint8Array): void {
    this.sent++;
    this.#out.push(b);
  }

  /**
   * Writes what was handed out to the client in one chunk: the upstream chunk's own bytes when every
   * frame went on as it came (one subarray, no copy), else the pieces joined.
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
    this.ctrl.enqueue(bytes);
  }

  /** Forgets every queued event (a blocked stream). */
  clear(): void {
    this.#queue.length = 0;
    this.#head = 0;
  }
}

/**
 * Decides a channel's texts `[from, from + released)` (its `needs` in order, the undecided ones):
 * `emit` is what goes out for them. When it equals their original text each keeps its own part;
 * otherwise the first carries `emit` and the others are emptied. Returns the needs left undecided.
 */
export function decide(needs: Need[], from: number, released: number, emit: string): Need[] {
  const to = from + released;
  let k = 0;
  let original = "";
  while (k < needs.length && needs[k].start < to) {
    const n = needs[k];
    original += n.orig.slice(
      Math.max(from, n.start) - n.start,
      Math.min(to, n.start + n.orig.length) - n.start,
    );
    k++;
  }
  const same = original === emit;
  for (let i = 0; i < k; i++) {
    const n = needs[i];
    const a = Math.max(from, n.start) - n.start;
    const b = Math.min(to, n.start + n.orig.length) - n.start;
    if (same) n.out += n.orig.slice(a, b);
    else if (i === 0) n.out += emit;
    n.decided = b;
    if (n.decided === n.orig.length) n.entry.open--;
  }
  let done = 0;
  while (done < needs.length && needs[done].decided === needs[done].orig.length) done++;
  return done === 0 ? needs : needs.slice(done);
}

/**
 * Server-sent-event framing over bytes, for a guard that forwards unchanged events as the bytes they
 * came in (no re-serialisation, no re-encoding): {@link SseFramer} cuts an upstream byte stream into
 * frames (one event, or one comment line, with its line endings), each with its byte range and its
 * parsed fields. Lines end with CR, LF or CRLF (the SSE specification's rules); `data` lines are joined
 * with `\n`; a leading byte-order mark is skipped; a frame without `data` is reported as `empty`
 * (browsers do not dispatch it).
 *
 * @module
 */

/** One frame of an event stream. */
export interface SseFrame {
  /** The frame's bytes, blank line included. */
  readonly bytes: Uint8Array;
  /** `event:` field, when set. */
  readonly event?: string;
  /** `data:` lines joined with `\n`; undefined for a frame without data. */
  readonly data?: string;
  /** Text of `:` comment lines (keep-alives), joined with `\n`; undefined without any. */
  readonly comment?: string;
}

const LF = 0x0a;
const CR = 0x0d;
const decoder = new TextDecoder();

/** Cuts bytes into {@link SseFrame}s: see the module doc. */
export class SseFramer {
  #carry: Uint8Array | undefined;
  #started = false;

  /**
   * Feeds the next upstream chunk; returns the frames it completes, in order. A partial frame is kept
   * for the next call (its bytes copied once).
   */
  feed(chunk: Uint8Array): SseFrame[] {
    let buf = chunk;
    if (this.#carry) {
      buf = new Uint8Array(this.#carry.length + chunk.length);
      buf.set(this.#carry);
      buf.set(chunk, this.#carry.length);
      this.#carry = undefined;
    }
    let pos = 0;
    if (!this.#started && buf.length > 0) {
      if (buf.length < 3 && buf[0] === 0xef) {
        this.#carry = buf.slice();
        return [];
      }
      this.#started = true;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
    }
    const frames: SseFrame[] = [];
    const end = this.#scan(buf, pos, frames, false);
    if (end < buf.length) this.#carry = buf.slice(end);
    return frames;
  }

  /** Ends the stream: a last frame without its blank line is completed (as the specification does not). */
  finish(): SseFrame[] {
    const buf = this.#carry;
    this.#carry = undefined;
    if (!buf || buf.length === 0) return [];
    const frames: SseFrame[] = [];
    this.#scan(buf, 0, frames, true);
    return frames;
  }

  /** Scans `buf` from `pos`; returns where the unfinished rest starts. */
  #scan(buf: Uint8Array, pos: number, frames: SseFrame[], final: boolean): number {
    let frameStart = pos;
    let lineStart = pos;
    let i = pos;
    let cr = buf.indexOf(CR, pos);
    const lines: Array<[number, number]> = [];
    while (true) {
      const lf = buf.indexOf(LF, i);
      if (cr >= 0 && cr < i) cr = buf.indexOf(CR, i);
      let nl: number;
      let eol: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        nl = cr;
        if (cr + 1 < buf.length) eol = buf[cr + 1] === LF ? cr + 2 : cr + 1;
        else if (final) eol = cr + 1;
        else break; // a CR at the end: an LF may follow in the next chunk
      } else if (lf >= 0) {
        nl = lf;
        eol = lf + 1;
      } else {
        if (!final) break;
        // The stream ended inside a frame: the rest is its last line.
        if (lineStart < buf.length) lines.push([lineStart, buf.length]);
        if (lines.length > 0) frames.push(frameOf(buf, frameStart, buf.length, lines));
        return buf.length;
      }
      if (nl === lineStart) {
        // A blank line ends the frame (a blank line with no lines before it is skipped).
        if (lines.length > 0) frames.push(frameOf(buf, frameStart, eol, lines));
        lines.length = 0;
        frameStart = eol;
      } else lines.push([lineStart, nl]);
      lineStart = eol;
      i = eol;
    }
    return frameStart;
  }
}

function frameOf(buf: Uint8Array, start: number, end: number, lines: Array<[number, number]>): SseFrame {
  let event: string | undefined;
  let data: string | undefined;
  let comment: string | undefined;
  for (const [a, b] of lines) {
    const line = decoder.decode(buf.subarray(a, b));
    const colon = line.indexOf(":");
    if (colon === 0) {
      const text = line.slice(1);
      comment = comment === undefined ? text : `${comment}\n${text}`;
      continue;
    }
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === "data") data = data === undefined ? value : `${data}\n${value}`;
    else if (field === "event") event = value;
  }
  return { bytes: buf.subarray(start, end), event, data, comment };
}

/**
 * Chunk-by-chunk SSE transformation: parse events with `eventsource-parser` (through
 * {@link createSseParser}), emit new SSE text.
 *
 * @module
 */
import {
  createParser,
  type EventSourceMessage,
  type EventSourceParser,
  type ParserConfig,
} from "eventsource-parser";

/**
 * An SSE parser (the `eventsource-parser` interface) that ends a line at a CR as soon as it
 * arrives. The SSE format allows CRLF, LF and CR line ends; `eventsource-parser` holds back a CR
 * at the end of a chunk (it may be the first half of a CRLF), so over a stream with CR-only line
 * ends every event waited for the next chunk and the last one (`[DONE]`) was never dispatched.
 * Here a trailing CR is completed to CRLF at once, and an LF that then opens the next chunk is
 * dropped as the second half of that CRLF.
 *
 * @example
 * ```ts
 * const parser = createSseParser({ onEvent: (e) => console.log(e.data) });
 * parser.feed("data: [DONE]\r\r"); // logs "[DONE]" now
 * ```
 */
export function createSseParser(callbacks: ParserConfig): EventSourceParser {
  const inner = createParser(callbacks);
  let afterCr = false;
  return {
    feed(chunk: string) {
      if (chunk === "") return;
      if (afterCr && chunk.charCodeAt(0) === 10) chunk = chunk.slice(1);
      afterCr = chunk.charCodeAt(chunk.length - 1) === 13;
      if (chunk === "") return;
      inner.feed(afterCr ? chunk + "\n" : chunk);
    },
    reset(options) {
      afterCr = false;
      inner.reset(options);
    },
  };
}

/** Writes one SSE frame to the output. */
export interface SseEmitter {
  /** `data: <json>` (with `event: <name>` when given). */
  event(data: unknown, name?: string): void;
  /** A raw `data:` line such as `[DONE]`. */
  raw(data: string): void;
}

/** Callbacks of {@link sseTransform}. */
export interface SseHandlers {
  /** Called for every parsed upstream event. */
  onEvent(message: EventSourceMessage, out: SseEmitter): void;
  /** Called once when the upstream stream ends (normally). */
  onEnd(out: SseEmitter): void;
}

const encoder = new TextEncoder();

/** Builds a byte→byte TransformStream that re-encodes an SSE stream event by event (never buffers it whole). */
export function sseTransform(handlers: SseHandlers): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  let pending = "";
  const out: SseEmitter = {
    event(data, name) {
      pending += (name ? `event: ${name}\n` : "") + `data: ${JSON.stringify(data)}\n\n`;
    },
    raw(data) {
      pending += `data: ${data}\n\n`;
    },
  };
  const parser = createSseParser({ onEvent: (m) => handlers.onEvent(m, out) });
  const flushTo = (c: TransformStreamDefaultController<Uint8Array>) => {
    if (pending) {
      c.enqueue(encoder.encode(pending));
      pending = "";
    }
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, c) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      flushTo(c);
    },
    flush(c) {
      const tail = decoder.decode();
      if (tail) parser.feed(tail);
      parser.feed("\n\n");
      handlers.onEnd(out);
      flushTo(c);
    },
  });
}

/** Parses JSON, returning undefined on failure. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

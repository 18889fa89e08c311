/**
 * Chunk-by-chunk SSE transformation: parse events with `eventsource-parser`, emit new SSE text.
 *
 * @module
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";

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
  const parser = createParser({ onEvent: (m) => handlers.onEvent(m, out) });
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

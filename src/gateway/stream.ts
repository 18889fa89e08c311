/**
 * Response bodies no output policy reads, on their way to the client: {@link passThrough} forwards
 * bytes as they come, {@link readPlainBody} and {@link plainBody} read a plain answer whole; all
 * count bytes against the response size limit and sniff token usage from the head and tail.
 * (Bodies that policies read go through sse_guard.ts.)
 *
 * @module
 */
import type { ChainOutcome } from "../policy/types.ts";
import type { Usage } from "./apis/common.ts";
import { GatewayError } from "./errors.ts";

/** How a forwarded body ended. */
export interface PassResult {
  usage: Usage;
  /** Set when output policies blocked the stream (never for a pass-through). */
  blocked?: ChainOutcome;
  /** Output-phase outcomes (none for a pass-through). */
  outcomes: ChainOutcome[];
  /** Set when the body failed (size limit, upstream error, client gone). */
  error?: string;
  bytes: number;
}

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
  onDone: (result: PassResult) => void,
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

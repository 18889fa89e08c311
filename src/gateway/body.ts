/**
 * Reading client request bodies safely: content type, size limit (early from
 * Content-Length, and while streaming), read timeout, strict UTF-8, bounded
 * nesting depth, no duplicate keys, JSON object shape.
 *
 * @module
 */
import { GatewayError } from "./errors.ts";
import { watchdog } from "../providers/watchdog.ts";
import { countKeys, duplicateKeyPath, scanJson } from "./json_scan.ts";

/** Limits applied while reading a body. */
export interface BodyLimits {
  maxBytes: number;
  maxDepth: number;
  timeoutMs: number;
}

const decoder = new TextDecoder("utf-8", { fatal: true });
/** The lossy decoder has the runtime's fast path (about 4× faster than the fatal one on a 2 KB body). */
const lossyDecoder = new TextDecoder();

/** A parsed JSON object body and its original bytes. */
export interface ParsedBody {
  json: Record<string, unknown>;
  raw: Uint8Array;
}

/** Reads, validates and parses a JSON object body; throws {@link GatewayError} on any problem. */
export async function readJsonBody(req: Request, limits: BodyLimits): Promise<ParsedBody> {
  const type = req.headers.get("content-type");
  if (type !== null && !/^application\/(?:[\w.+-]*\+)?json\b/i.test(type.trimStart())) {
    throw new GatewayError(
      415,
      "unsupported_media_type",
      `content-type must be application/json (got "${type.slice(0, 60)}")`,
    );
  }
  const declared = req.headers.get("content-length");
  let raw: Uint8Array;
  if (declared !== null) {
    const n = Number(declared);
    if (Number.isFinite(n) && n > limits.maxBytes) throw tooLarge(limits.maxBytes);
    raw = n <= NATIVE_READ_MAX_BYTES ? await readDeclared(req, limits) : await readLimited(req, limits);
  } else {
    raw = await readLimited(req, limits);
  }
  if (raw.byteLength === 0) {
    throw new GatewayError(400, "malformed_json", "the request body is empty; send a JSON object");
  }
  // Lossy decoding replaces every invalid sequence with U+FFFD: a text without one came from valid
  // UTF-8. Only a text with one (invalid input, or a genuine U+FFFD) needs the strict decoder.
  let text = lossyDecoder.decode(raw);
  if (text.includes("\uFFFD")) {
    try {
      text = decoder.decode(raw);
    } catch {
      throw new GatewayError(400, "invalid_encoding", "the request body is not valid UTF-8");
    }
  }
  const shape = scanJson(raw);
  if (shape.depth > limits.maxDepth) {
    throw new GatewayError(
      400,
      "too_deeply_nested",
      `the JSON body nests deeper than ${limits.maxDepth} levels (size_limits.max_json_depth)`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof SyntaxError ? `: ${err.message.slice(0, 120)}` : "";
    throw new GatewayError(400, "malformed_json", `the request body is not valid JSON${detail}`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new GatewayError(400, "malformed_json", "the request body must be a JSON object");
  }
  if (countKeys(json) !== shape.keys) {
    // Fewer parsed keys than keys in the text: some object repeats a key (see json_scan.ts).
    const param = duplicateKeyPath(text) ?? "$";
    throw new GatewayError(
      400,
      "malformed_json",
      `the request body repeats the key ${param}; send each key once (providers disagree on which duplicate wins)`,
      { param },
    );
  }
  return { json: json as Record<string, unknown>, raw };
}

function tooLarge(max: number): GatewayError {
  return new GatewayError(
    413,
    "body_too_large",
    `the request body exceeds ${max} bytes (size_limits.max_body_bytes)`,
  );
}

/**
 * Largest declared body read with the runtime's native read-all ({@link readDeclared}); larger ones
 * (and bodies without a `content-length`) go through the cancellable reader loop of
 * {@link readLimited}. 64 KiB is what one read of the stream reader allocates anyway.
 */
const NATIVE_READ_MAX_BYTES = 64 * 1024;

/**
 * A small body with a declared length (the HTTP server ends it at that length, within the limit
 * checked before): read with the runtime's native read-all, one exact allocation. The stream reader
 * of {@link readLimited} allocates a 64 KiB buffer per read even for a 2 KB prompt, which under load
 * costs malloc and GC time and keeps tens of MiB of dead buffers around.
 *
 * Trade-off (slowloris): a body being read by `req.bytes()` is locked and cannot be cancelled, so the
 * deadline only rejects the wait: the client still gets its 408 at `request_body_ms`, but the pending
 * native read, its buffer (at most the declared length, ≤ {@link NATIVE_READ_MAX_BYTES}) and the
 * connection stay until the client finishes sending or closes, not until the deadline as with the
 * reader loop. (After a 408 the server keeps the connection open either way while the client sends.)
 * A client holding many slow connections thus pins up to 64 KiB each for as long as it keeps them
 * open, the same order as a stream reader's pending read and the kernel's socket buffers, and nothing
 * of the gateway's own (concurrency slots, inflight counts are released with the 408). Larger bodies
 * keep the cancellable reader, so the declared length cannot make this path pin more.
 */
function readDeclared(req: Request, limits: BodyLimits): Promise<Uint8Array> {
  // Not even `req.body` is touched: once the stream object exists, `bytes()` reads through it (64 KiB
  // chunks) instead of the native read-all. A request without a body gives an empty array.
  const { promise, resolve, reject } = Promise.withResolvers<Uint8Array>();
  const deadline = {
    lastActivity: performance.now(),
    timeoutMs: limits.timeoutMs,
    expire: () => reject(bodyTimeout(limits)),
  };
  watchdog.add(deadline);
  req.bytes().then(
    (bytes) => {
      watchdog.delete(deadline);
      // A body longer than declared is cut by the HTTP server; this guards in-process callers.
      if (bytes.byteLength > limits.maxBytes) reject(tooLarge(limits.maxBytes));
      else resolve(bytes);
    },
    () => {
      watchdog.delete(deadline);
      reject(new GatewayError(400, "malformed_json", "the request body could not be read"));
    },
  );
  return promise;
}

async function readLimited(req: Request, limits: BodyLimits): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  // On timeout the reader is cancelled, which settles the pending read: no Promise.race per chunk.
  // The deadline is kept by the shared watchdog (one timer for all requests, not one per request).
  let timedOut = false;
  const deadline = {
    lastActivity: performance.now(),
    timeoutMs: limits.timeoutMs,
    expire() {
      timedOut = true;
      reader.cancel().catch(() => {});
    },
  };
  watchdog.add(deadline);
  try {
    while (true) {
      const r = await reader.read().catch((err) => {
        throw timedOut ? bodyTimeout(limits) : err;
      });
      if (timedOut) throw bodyTimeout(limits);
      if (r.done) break;
      const value = r.value;
      total += value.byteLength;
      if (total > limits.maxBytes) throw tooLarge(limits.maxBytes);
      chunks.push(value);
    }
  } catch (err) {
    reader.cancel().catch(() => {});
    if (err instanceof GatewayError) throw err;
    throw new GatewayError(400, "malformed_json", "the request body could not be read");
  } finally {
    watchdog.delete(deadline);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

function bodyTimeout(limits: BodyLimits): GatewayError {
  return new GatewayError(
    408,
    "request_timeout",
    `the request body did not arrive within ${limits.timeoutMs} ms`,
  );
}

/** Maximum nesting depth of JSON text (strings skipped), in one linear pass. */
export function jsonDepth(bytes: Uint8Array): number {
  return scanJson(bytes).depth;
}

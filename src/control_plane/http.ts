/**
 * Request-level helpers: bounded body reading, JSON parsing with stable
 * errors, zod → validation details, request ids, time parsing, and the
 * methods a path allows (for 405 answers).
 *
 * @module
 */
import type { Context } from "hono";
import { TrieRouter } from "hono/router/trie-router";
import type { z } from "zod";
import { ApiError, badRequest, type ValidationDetail, validationError } from "./errors.ts";

/** Reads the body as UTF-8 text, refusing more than `maxBytes` (413) and invalid UTF-8 (400). */
export async function readBodyText(c: Context, maxBytes: number): Promise<string> {
  const tooLarge = () =>
    new ApiError(
      413,
      "invalid_request",
      "body_too_large",
      `the request body is larger than ${maxBytes} bytes`,
    );
  const declared = c.req.header("content-length");
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > maxBytes) throw tooLarge();
  const body = c.req.raw.body;
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw badRequest("invalid_utf8", "the request body is not valid UTF-8");
  }
}

/** Parses JSON text or throws 400 `malformed_json`. */
export function parseJsonText(text: string): unknown {
  if (text.trim() === "") throw badRequest("malformed_json", "the request body is empty; send a JSON object");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest("malformed_json", `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Converts zod issues to {@link ValidationDetail}s. */
export function zodDetails(error: z.ZodError): ValidationDetail[] {
  return error.issues.slice(0, 50).map((issue) => {
    const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".")
      .replace(/\.\[/g, "[");
    return {
      code: issue.code === "unrecognized_keys" ? "unknown_field" : "invalid_field",
      path,
      message: issue.code === "unrecognized_keys"
        ? `unknown field(s): ${(issue as { keys: string[] }).keys.join(", ")}`
        : issue.message,
    };
  });
}

/** Reads a bounded JSON body and validates it against `schema` (422 with details when invalid). */
export async function readJson<T extends z.ZodType>(
  c: Context,
  schema: T,
  maxBytes: number,
): Promise<z.infer<T>> {
  const value = parseJsonText(await readBodyText(c, maxBytes));
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError("the request body is not valid", zodDetails(parsed.error));
  return parsed.data;
}

/** The order methods are listed in an `Allow` header. */
const METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/**
 * Indexes registered routes (Hono's `app.routes`) by path and returns a lookup
 * of the methods a request path is served with, in `Allow` order; empty when
 * no route has that path. Middleware (method `ALL`) is not a route. A `GET`
 * route also answers `HEAD` (Hono serves `HEAD` from `GET`). Paths match as
 * the app matches them (same router semantics, strict trailing slash).
 */
export function allowedMethodsIndex(
  routes: readonly { method: string; path: string }[],
): (path: string) => string[] {
  const router = new TrieRouter<string>();
  for (const r of routes) if (r.method !== "ALL") router.add("ALL", r.path, r.method);
  return (path) => {
    const methods = new Set(router.match("GET", path)[0].map(([method]) => method));
    if (methods.has("GET")) methods.add("HEAD");
    const rank = (m: string) => (METHOD_ORDER.indexOf(m) + 1) || METHOD_ORDER.length + 1;
    return [...methods].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` when well-formed, else a new one. */
export function requestIdFor(header: string | undefined): string {
  if (header && REQUEST_ID.test(header)) return header;
  return `req_${crypto.randomUUID().replace(/-/g, "")}`;
}

const DURATION = /^(\d{1,9})(ms|s|m|h|d|w)$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$/;

/** `5m`, `2h`, `7d`, `30s`, `500ms`, `1w` → milliseconds; null when not a duration. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2]]!;
  return Number(m[1]) * unit;
}

/** Parses an RFC 3339 timestamp into a Date; null when not one. */
export function parseTimestamp(text: string): Date | null {
  if (!RFC3339.test(text.trim())) return null;
  const d = new Date(text.trim());
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The furthest back a `since` duration may reach: 100 years. */
export const MAX_LOOKBACK_MS = 100 * 365 * 86_400_000;

/**
 * `since` as RFC 3339 or a duration back from `now` (at most {@link MAX_LOOKBACK_MS}); throws 400
 * `invalid_parameter` otherwise, never a date that cannot be printed.
 */
export function parseSince(text: string, now: Date, name = "since"): Date {
  const ms = parseDuration(text);
  if (ms !== null) {
    if (ms > MAX_LOOKBACK_MS) {
      throw badRequest("invalid_parameter", `${name} reaches back at most 100 years (36500d)`);
    }
    return new Date(now.getTime() - ms);
  }
  const at = parseTimestamp(text);
  if (at) return at;
  throw badRequest(
    "invalid_parameter",
    `${name} must be RFC 3339 (2026-01-02T15:04:05Z) or a duration like 5m, 2h, 7d`,
  );
}

/**
 * A whole-number query parameter from `min` to `max`; `fallback` when absent; 400
 * `invalid_parameter` for anything else (no silent clamping).
 */
export function parseIntParam(
  value: string | undefined,
  name: string,
  range: { min: number; max: number; fallback: number },
): number {
  if (value === undefined) return range.fallback;
  const n = /^\d{1,7}$/.test(value) ? Number(value) : NaN;
  if (!(n >= range.min && n <= range.max)) {
    throw badRequest("invalid_parameter", `${name} must be a whole number from ${range.min} to ${range.max}`);
  }
  return n;
}

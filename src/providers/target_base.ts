/**
 * Pieces shared by every adapter: the static fields of a target and body preparation.
 *
 * @module
 */
import type { TargetConfig } from "../config/schema.ts";
import type { ProviderKind, ProviderTarget, UpstreamRequest } from "./types.ts";
import { type J, jsonResponse } from "./translate/common.ts";
import { parseJson } from "./translate/sse.ts";
import type { Http1Agent } from "./http1_client.ts";
import { type HeaderPairs, readText, upstreamFetch, withContentType } from "./http.ts";

/** What every adapter factory receives besides the target config. */
export interface AdapterContext {
  /** The resolved key (kept in the adapter's closure only, never on the target object). */
  apiKey?: string;
  /** Per-snapshot fetch client (custom CA certificates), when any. */
  client?: Deno.HttpClient;
  /** Per-snapshot HTTP/1.1 connection pools; provider calls use `fetch` when absent. */
  agent?: Http1Agent;
  /** Bound on a 2xx answer's body (`size_limits.max_response_bytes`; see `upstreamFetch`). */
  maxResponseBytes?: number;
}

/** The non-behavioural fields of a {@link ProviderTarget}. */
export type TargetFields = Pick<
  ProviderTarget,
  "id" | "provider" | "model" | "weight" | "timeoutMs" | "dataPolicy" | "available" | "unavailableReason"
>;

/** Copies the static fields of a target config. */
export function targetFields(cfg: TargetConfig, provider: ProviderKind = cfg.provider): TargetFields {
  return {
    id: cfg.id,
    provider,
    model: cfg.model,
    weight: cfg.weight,
    timeoutMs: cfg.timeout_ms,
    dataPolicy: cfg.data_policy,
    available: true,
  };
}

/**
 * The body to send when no translation is needed: the client's raw bytes when nothing changes,
 * otherwise the body re-serialized with `model` replaced.
 */
export function passBody(req: UpstreamRequest, model: string | undefined): BodyInit {
  if (model !== undefined && req.body.model !== model) return JSON.stringify({ ...req.body, model });
  if (req.raw) return req.raw as Uint8Array<ArrayBuffer>;
  return JSON.stringify(req.body);
}

/** Applies the target model (when set) to a translated body. */
export function withModel(body: J, model: string | undefined): J {
  if (model !== undefined) body.model = model;
  return body;
}

/** True when the response is an SSE stream. */
export function isEventStream(res: Response): boolean {
  return (res.headers.get("content-type") ?? "").includes("text/event-stream");
}

/** Builds a target that cannot be used, with a reason that never holds a secret. */
export function unavailableTarget(cfg: TargetConfig, reason: string): ProviderTarget {
  return {
    ...targetFields(cfg),
    available: false,
    unavailableReason: reason,
    supports: () => false,
    send: () => Promise.reject(new Error(`target ${cfg.id} is unavailable: ${reason}`)),
  };
}

/**
 * The upstream call of one target: `headersFor` builds its request headers, and the target's
 * timeouts and the snapshot's clients apply. Shared by every HTTP adapter.
 */
export function targetCall(
  cfg: TargetConfig,
  ctx: AdapterContext,
  headersFor: (forwarded: UpstreamRequest["headers"]) => HeaderPairs,
): (url: string, req: UpstreamRequest, body: BodyInit) => Promise<Response> {
  return (url, req, body) =>
    upstreamFetch(url, headersFor(req.headers), body, {
      targetId: cfg.id,
      timeoutMs: cfg.timeout_ms,
      signal: req.signal,
      client: ctx.client,
      agent: ctx.agent,
      connectTimeoutMs: cfg.connect_timeout_ms,
      maxBodyBytes: ctx.maxResponseBytes,
    });
}

/** How an adapter turns a provider answer in the other API into the client's API. */
export interface AnswerTranslation {
  /** A provider error body (already parsed, undefined when not JSON) as the client API's error. */
  error(body: unknown, status: number): unknown;
  /** The provider's SSE stream as the client API's SSE stream. */
  stream(): TransformStream<Uint8Array, Uint8Array>;
  /** A complete provider answer as the client API's answer. */
  json(body: Record<string, unknown>): unknown;
}

/** Translates a provider answer (error, SSE stream or JSON) with `t`; the status stays. */
export async function translatedAnswer(res: Response, t: AnswerTranslation): Promise<Response> {
  if (!res.ok) {
    return jsonResponse(t.error(parseJson(await readText(res)), res.status), res.status, res.headers);
  }
  if (isEventStream(res) && res.body) {
    return new Response(res.body.pipeThrough(t.stream()), {
      status: res.status,
      headers: withContentType(res.headers, "text/event-stream"),
    });
  }
  const body = parseJson(await res.text()) ?? {};
  return jsonResponse(t.json(body as Record<string, unknown>), res.status, res.headers);
}

/**
 * The contract between the gateway and provider targets.
 *
 * A target receives a request in the *client's* API shape and answers in that
 * same shape: adapters translate internally when the provider speaks another
 * API (an Anthropic target serving `/v1/chat/completions`, an OpenAI target
 * serving `/v1/messages`). The gateway never sees provider wire formats.
 *
 * @module
 */
import type { DataPolicy } from "../config/schema.ts";

/** Client-facing API families the gateway serves. */
export type ApiKind = "chat" | "completions" | "embeddings" | "responses" | "messages";

/** Provider kinds (SPEC 3.4). */
export type ProviderKind = "openai" | "anthropic" | "azure" | "mock";

/** One upstream call as the gateway asks for it. */
export interface UpstreamRequest {
  /** The API the client called; the response must be in this API's shape. */
  api: ApiKind;
  /** The request body (after input policies). Adapters must not mutate it. */
  body: Record<string, unknown>;
  /**
   * The client's original bytes, present only when `body` is unchanged. An adapter that needs no
   * translation and no model rewrite forwards these bytes as they are.
   */
  raw?: Uint8Array;
  /** `body.stream === true`. */
  stream: boolean;
  /**
   * Headers to pass upstream (traceparent, x-request-id, anthropic-version, …); no client credentials.
   * Either a `Headers` object or name/value pairs with lower-case names (the gateway's cheap form).
   */
  headers: Headers | readonly (readonly [string, string])[];
  /** Aborted when the client goes away or the gateway gives up. */
  signal: AbortSignal;
}

/** Why an upstream call failed without an HTTP answer. */
export type UpstreamFailureKind = "timeout" | "connection_error";

/** Thrown by {@link ProviderTarget.send} when no HTTP response could be had. */
export class UpstreamError extends Error {
  /** Stable failure kind. */
  readonly kind: UpstreamFailureKind;
  /** The target that failed. */
  readonly targetId: string;
  /** Creates the error; `message` must never hold a secret. */
  constructor(kind: UpstreamFailureKind, targetId: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UpstreamError";
    this.kind = kind;
    this.targetId = targetId;
  }
}

/**
 * Thrown by {@link ProviderTarget.send} before any network call when a request holds a part the
 * target's API has no equivalent for (an OpenAI audio part for an Anthropic target, an Anthropic
 * thinking block for an OpenAI one): translation never drops content. `param` is the part's JSON
 * path in the client's request (`messages[0].content[1]`).
 */
export class TranslationError extends Error {
  readonly param: string;
  readonly targetId: string;
  constructor(param: string, targetId: string, message: string) {
    super(message);
    this.name = "TranslationError";
    this.param = param;
    this.targetId = targetId;
  }
}

/** Availability of a target as `/health` reports it. */
export type TargetHealth = "available" | "unavailable" | "open_circuit";

/** A ready-to-use provider target (secrets resolved, URLs built) inside a runtime snapshot. */
export interface ProviderTarget {
  /** Unique target id from the config. */
  readonly id: string;
  /** Provider kind (which adapter). */
  readonly provider: ProviderKind;
  /** The model sent upstream; when unset the client's `model` is passed through. */
  readonly model?: string;
  /** Routing weight (`weighted` strategy). */
  readonly weight: number;
  /** Bound on time to headers and on every idle gap while the body streams. */
  readonly timeoutMs: number;
  /** What the provider promises about retention and training (for data-routing policies). */
  readonly dataPolicy?: DataPolicy;
  /** False when the target cannot be used (for example its secret did not resolve). */
  readonly available: boolean;
  /** Why the target is unavailable; never contains a secret. */
  readonly unavailableReason?: string;
  /** Whether the target can serve this API (natively or by translation). */
  supports(api: ApiKind): boolean;
  /**
   * Performs the call. Resolves with the provider's HTTP answer translated to the client's API shape
   * (streaming bodies stay streams). Rejects with {@link UpstreamError} on timeout or connection failure.
   * `timeoutMs` bounds the time to the response headers and every idle gap while the body streams.
   */
  send(request: UpstreamRequest): Promise<Response>;
  /** Releases pooled connections (called when a snapshot is retired). */
  close?(): void;
}

/** Resolves `secret_key_ref`s; returns undefined when the secret is not available. */
export type SecretResolver = (ref: { env: string } | { store: string }) => string | undefined;

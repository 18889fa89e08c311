/**
 * Gateway errors (README "Errors"): one typed class, stable codes, one JSON shape.
 *
 * @module
 */

/** Error `type` values. */
export type ErrorType =
  | "invalid_request"
  | "authentication_error"
  | "policy_violation"
  | "validation_error"
  | "rate_limit"
  | "upstream_error"
  | "internal_error"
  | "unavailable";

/** Every stable error code the gateway answers with. */
export type ErrorCode =
  | "malformed_json"
  | "missing_field"
  | "invalid_field"
  | "unsupported_content"
  | "unsupported_media_type"
  | "invalid_encoding"
  | "too_deeply_nested"
  | "missing_credentials"
  | "invalid_credentials"
  | "unknown_route"
  | "method_not_allowed"
  | "input_blocked"
  | "output_blocked"
  | "body_too_large"
  | "request_timeout"
  | "model_not_allowed"
  | "no_compliant_target"
  | "unsupported_api"
  | "rate_limited"
  | "budget_exceeded"
  | "upstream_failed"
  | "upstream_timeout"
  | "internal_error"
  | "not_ready"
  | "overloaded"
  | "shutting_down";

const TYPE_BY_STATUS: Record<number, ErrorType> = {
  400: "invalid_request",
  401: "authentication_error",
  403: "authentication_error",
  404: "invalid_request",
  405: "invalid_request",
  408: "invalid_request",
  409: "policy_violation",
  413: "invalid_request",
  415: "invalid_request",
  422: "validation_error",
  429: "rate_limit",
  500: "internal_error",
  502: "upstream_error",
  504: "upstream_error",
  503: "unavailable",
};

/** A failure with its HTTP status and stable code. The message never holds secrets or blocked content. */
export class GatewayError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly type: ErrorType;
  readonly policy?: string;
  readonly retryAfterSeconds?: number;
  readonly headers?: Record<string, string>;
  /** The JSON path of the request field the error is about (`messages[2].content[0]`), when there is one. */
  readonly param?: string;

  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    extra: {
      policy?: string;
      retryAfterSeconds?: number;
      headers?: Record<string, string>;
      param?: string;
    } = {},
  ) {
    super(message);
    this.name = "GatewayError";
    this.status = status;
    this.code = code;
    this.type = TYPE_BY_STATUS[status] ?? (status >= 500 ? "upstream_error" : "invalid_request");
    this.policy = extra.policy;
    this.retryAfterSeconds = extra.retryAfterSeconds;
    this.headers = extra.headers;
    this.param = extra.param;
  }

  /** The error body `{error: {type, code, message, policy?, param?, request_id}}`. */
  toBody(requestId: string): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = { type: this.type, code: this.code, message: this.message };
    if (this.policy) error.policy = this.policy;
    if (this.param !== undefined) error.param = this.param;
    error.request_id = requestId;
    return { error };
  }

  /** The JSON error response, with `Retry-After` when set. */
  toResponse(requestId: string, headers: Headers = new Headers()): Response {
    headers.set("content-type", "application/json");
    headers.set("x-request-id", requestId);
    if (this.retryAfterSeconds !== undefined) {
      headers.set("retry-after", String(Math.max(1, Math.ceil(this.retryAfterSeconds))));
    }
    for (const [k, v] of Object.entries(this.headers ?? {})) headers.set(k, v);
    return new Response(JSON.stringify(this.toBody(requestId)), { status: this.status, headers });
  }
}

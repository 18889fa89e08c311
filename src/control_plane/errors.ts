/**
 * Typed API errors of the control plane and their JSON shape
 * `{"error": {"type", "code", "message", "request_id", "details"?}}`.
 *
 * @module
 */

/** Error `type` values (the gateway's error families, docs/control_plane.md). */
export type ApiErrorType =
  | "invalid_request"
  | "authentication_error"
  | "permission_error"
  | "not_found"
  | "conflict"
  | "validation_error"
  | "rate_limit"
  | "unavailable"
  | "internal_error";

/** One validation problem (config lint issues and request field errors). */
export interface ValidationDetail {
  code: string;
  path: string;
  message: string;
  hint?: string;
  line?: number;
  column?: number;
}

/** An error the API returns as JSON with a stable `code`. */
export class ApiError extends Error {
  readonly status: number;
  readonly type: ApiErrorType;
  readonly code: string;
  readonly details?: readonly ValidationDetail[];
  readonly headers?: Record<string, string>;

  constructor(
    status: number,
    type: ApiErrorType,
    code: string,
    message: string,
    extra: { details?: readonly ValidationDetail[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.type = type;
    this.code = code;
    this.details = extra.details;
    this.headers = extra.headers;
  }
}

/** 401 `missing_credentials`. */
export function missingCredentials(): ApiError {
  return new ApiError(
    401,
    "authentication_error",
    "missing_credentials",
    "send an API token as 'Authorization: Bearer <token>'",
    { headers: { "www-authenticate": 'Bearer realm="kt-control-plane"' } },
  );
}

/** 401 `invalid_credentials`. */
export function invalidCredentials(): ApiError {
  return new ApiError(
    401,
    "authentication_error",
    "invalid_credentials",
    "the API token is not valid (unknown or revoked); create a new one",
    { headers: { "www-authenticate": 'Bearer realm="kt-control-plane", error="invalid_token"' } },
  );
}

/** 403 `insufficient_scope`. */
export function insufficientScope(message: string): ApiError {
  return new ApiError(403, "permission_error", "insufficient_scope", message);
}

/** 404 `not_found`. */
export function notFound(message: string): ApiError {
  return new ApiError(404, "not_found", "not_found", message);
}

/** 422 `validation_error` with details. */
export function validationError(message: string, details: readonly ValidationDetail[]): ApiError {
  return new ApiError(422, "validation_error", "validation_error", message, { details });
}

/** 400 `invalid_request` with a specific code. */
export function badRequest(code: string, message: string): ApiError {
  return new ApiError(400, "invalid_request", code, message);
}

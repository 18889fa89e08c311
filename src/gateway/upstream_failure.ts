/**
 * How provider-layer failures become the client's error: a dispatch that found no usable answer
 * ({@link RoutingError}) or a response body that failed while it was read ({@link UpstreamError}).
 *
 * | failure                                    | status | code               |
 * | ------------------------------------------ | ------ | ------------------ |
 * | timeout (no answer, or a stalled body)     | 504    | `upstream_timeout` |
 * | malformed HTTP (bare CR/LF, status ∉ 1xx–5xx, broken framing) | 502 | `invalid_response` |
 * | body over `size_limits.max_response_bytes` | 502    | `upstream_failed`  |
 * | connection failure, every target failed    | 502    | `upstream_failed`  |
 *
 * Messages name targets and statuses only (scrubbed of registered secrets all the same).
 *
 * @module
 */
import { RoutingError } from "../providers/router.ts";
import { UpstreamError, type UpstreamFailureKind } from "../providers/types.ts";
import { scrubSecrets } from "../observability/log.ts";
import { GatewayError } from "./errors.ts";

const TOO_LARGE = "the provider's response exceeded size_limits.max_response_bytes";

/** The client's error for a provider-layer failure, or undefined when `err` is not one. */
export function upstreamFailure(err: unknown): GatewayError | undefined {
  if (err instanceof RoutingError) {
    switch (err.code) {
      case "upstream_timeout":
        return new GatewayError(504, "upstream_timeout", scrubSecrets(err.message));
      case "invalid_response":
        return new GatewayError(502, "invalid_response", scrubSecrets(err.message));
      case "response_too_large":
        return new GatewayError(502, "upstream_failed", TOO_LARGE);
      default:
        return new GatewayError(502, "upstream_failed", scrubSecrets(err.message));
    }
  }
  if (err instanceof UpstreamError) return fromKind(err.kind, err.targetId);
  return undefined;
}

function fromKind(kind: UpstreamFailureKind, targetId: string): GatewayError {
  switch (kind) {
    case "timeout":
      return new GatewayError(504, "upstream_timeout", `target ${targetId}: timed out`);
    case "invalid_response":
      return new GatewayError(
        502,
        "invalid_response",
        `target ${targetId} answered with malformed HTTP; the gateway refused it`,
      );
    case "response_too_large":
      return new GatewayError(502, "upstream_failed", `target ${targetId}: ${TOO_LARGE}`);
    case "connection_error":
      return new GatewayError(502, "upstream_failed", `target ${targetId}: could not be reached`);
  }
}

/**
 * How the console acts: it calls the control plane's own API routes in-process
 * (`app.fetch` of an internal {@link Request}) as the signed-in principal, so
 * every console read and action goes through exactly the handlers, scope
 * checks, validation, logging and metrics of the HTTP API.
 *
 * The principal is attached to the internal request object in a module-private
 * `WeakMap` that {@link internalPrincipalMiddleware} reads before bearer-token
 * authentication. A request from the network is never in that map, so nothing
 * a client sends can claim a principal this way; and the console holds no
 * token, only the principal it re-reads from the store (by token hash) on each
 * request, so a revoked token ends its console sessions at once.
 *
 * @module
 */
import type { Hono, MiddlewareHandler } from "hono";
import type { ControlPlaneEnv, Principal } from "../auth.ts";
import type { ValidationDetail } from "../errors.ts";

const principals = new WeakMap<Request, Principal>();

/**
 * Middleware for `/v1/*`, mounted before bearer authentication: sets
 * `c.var.principal` for the console's internal requests.
 */
export function internalPrincipalMiddleware(): MiddlewareHandler<ControlPlaneEnv> {
  return async (c, next) => {
    const principal = principals.get(c.req.raw);
    if (principal) c.set("principal", principal);
    await next();
  };
}

/** An API answer as the console sees it. */
export interface ApiResult<T = unknown> {
  status: number;
  ok: boolean;
  body: T;
  /** The API's error object, when it answered with one. */
  error: ApiErrorBody | null;
}

/** The `error` object of an API error answer. */
export interface ApiErrorBody {
  type: string;
  code: string;
  message: string;
  details?: ValidationDetail[];
}

/** Calls the control plane API in-process as one principal. */
export class InternalApi {
  readonly #app: Hono<ControlPlaneEnv>;
  readonly #principal: Principal;
  readonly #origin: string;
  readonly #requestId: string;

  constructor(app: Hono<ControlPlaneEnv>, principal: Principal, origin: string, requestId: string) {
    this.#app = app;
    this.#principal = principal;
    this.#origin = origin;
    this.#requestId = requestId;
  }

  /** GET a path (with query) of the API. */
  get<T = Record<string, unknown>>(path: string): Promise<ApiResult<T>> {
    return this.#call<T>("GET", path, undefined, undefined);
  }

  /** POST a JSON body. */
  postJson<T = Record<string, unknown>>(path: string, body: unknown): Promise<ApiResult<T>> {
    return this.#call<T>("POST", path, JSON.stringify(body), { "content-type": "application/json" });
  }

  /** POST a text body with its own headers (config push). */
  postText<T = Record<string, unknown>>(
    path: string,
    body: string,
    headers: Record<string, string>,
  ): Promise<ApiResult<T>> {
    return this.#call<T>("POST", path, body, headers);
  }

  async #call<T>(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string> | undefined,
  ): Promise<ApiResult<T>> {
    const req = new Request(new URL(path, this.#origin), {
      method,
      body,
      headers: { ...headers, "x-request-id": this.#requestId },
    });
    principals.set(req, this.#principal);
    const res = await this.#app.fetch(req);
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    const error = !res.ok && parsed && typeof parsed === "object" && "error" in parsed
      ? (parsed as { error: ApiErrorBody }).error
      : null;
    return { status: res.status, ok: res.ok, body: parsed as T, error };
  }
}

/**
 * The gateway's HTTP client for the control plane (SPEC 5 wire shape):
 * runtime state with ETag/304, status reports, decision-event batches, and
 * `store` config variables. Every failure is a {@link ControlPlaneError} with
 * a stable `kind`, so callers branch on kinds, never on messages.
 *
 * @module
 */

/** Failure classes the poller treats differently. */
export type ControlPlaneErrorKind =
  /** Connection refused/reset, DNS, TLS, or a timeout. */
  | "network"
  /** 5xx from the control plane. */
  | "server"
  /** A 2xx body that is not the documented shape. */
  | "garbage"
  /** 401 or 403: token invalid, expired, or out of scope. */
  | "unauthorized"
  /** 404 `no_config_assigned`. */
  | "no_config"
  /** 404 for something else (unknown gateway, unknown variable). */
  | "not_found"
  /** 429: the control plane asks to retry later (`retryAfterMs`); the request itself is fine. */
  | "rate_limited"
  /** Any other 4xx (the request itself was refused). */
  | "client";

/** A failed control-plane request. */
export class ControlPlaneError extends Error {
  readonly kind: ControlPlaneErrorKind;
  readonly status: number | undefined;
  /** The control plane's error code, when it sent one. */
  readonly code: string | undefined;
  /** For `rate_limited`: how long `Retry-After` asks to wait (1 s to 5 min), when it said. */
  readonly retryAfterMs: number | undefined;
  constructor(
    kind: ControlPlaneErrorKind,
    message: string,
    status?: number,
    code?: string,
    retryAfterMs?: number,
  ) {
    super(message);
    this.name = "ControlPlaneError";
    this.kind = kind;
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

/** `Retry-After` (seconds or an HTTP date) in milliseconds, bounded to 1 s–5 min; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  const ms = /^\d{1,9}$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  return Number.isFinite(ms) ? Math.min(300_000, Math.max(1000, ms)) : undefined;
}

/** The 200 body of `runtime-state`. */
export interface RuntimeState {
  gateway_id: string;
  desired_version: string;
  config: string;
  config_format: "yaml" | "json";
  digest: string;
  signature?: string;
}

/** Outcome of {@link ControlPlaneClient.runtimeState}. */
export type RuntimeStateResult =
  | { changed: false }
  | { changed: true; state: RuntimeState; etag: string | undefined };

/** Options of {@link ControlPlaneClient}. */
export interface ClientOptions {
  apiUrl: string;
  gatewayId: string;
  token: string;
  caCerts?: string[];
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Largest accepted runtime-state body (default 16 MiB). */
  maxBodyBytes?: number;
}

/** Talks to one control plane as one gateway. */
export class ControlPlaneClient {
  readonly apiUrl: string;
  readonly gatewayId: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #maxBodyBytes: number;
  readonly #http: Deno.HttpClient | undefined;

  constructor(options: ClientOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, "");
    this.gatewayId = options.gatewayId;
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
    this.#http = options.caCerts?.length ? Deno.createHttpClient({ caCerts: options.caCerts }) : undefined;
  }

  /** URL of this gateway's runtime state (for messages). */
  get runtimeStateUrl(): string {
    return `${this.apiUrl}/v1/admin/configurations/gateways/${
      encodeURIComponent(this.gatewayId)
    }/runtime-state`;
  }

  /** Releases the HTTP client. */
  close(): void {
    this.#http?.close();
  }

  async #request(path: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${this.#token}`);
    headers.set("accept", "application/json");
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), init.timeoutMs ?? this.#timeoutMs);
    try {
      const res = await fetch(this.apiUrl + path, {
        ...init,
        headers,
        signal: ctrl.signal,
        ...(this.#http ? { client: this.#http } : {}),
      } as RequestInit);
      // The timer bounds connect + headers; a stalled body is bounded by #readText's own timer.
      return res;
    } catch (err) {
      const msg = ctrl.signal.aborted
        ? `timed out after ${init.timeoutMs ?? this.#timeoutMs} ms`
        : describeFetchError(err);
      throw new ControlPlaneError("network", msg);
    } finally {
      clearTimeout(timer);
    }
  }

  async #readText(res: Response): Promise<string> {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), this.#timeoutMs);
    const reader = res.body?.getReader();
    if (!reader) return "";
    const chunks: Uint8Array[] = [];
    let size = 0;
    const onAbort = () => reader.cancel().catch(() => {});
    ctrl.signal.addEventListener("abort", onAbort);
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > this.#maxBodyBytes) {
          await reader.cancel().catch(() => {});
          throw new ControlPlaneError("garbage", `the response is larger than ${this.#maxBodyBytes} bytes`);
        }
        chunks.push(value);
      }
    } catch (err) {
      if (err instanceof ControlPlaneError) throw err;
      throw new ControlPlaneError(
        "network",
        ctrl.signal.aborted ? "timed out reading the response" : describeFetchError(err),
      );
    } finally {
      clearTimeout(timer);
      ctrl.signal.removeEventListener("abort", onAbort);
    }
    const out = new Uint8Array(size);
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.byteLength;
    }
    return new TextDecoder().decode(out);
  }

  async #failure(res: Response, what: string): Promise<ControlPlaneError> {
    const text = await this.#readText(res).catch(() => "");
    let code: string | undefined;
    let message: string | undefined;
    try {
      const body = JSON.parse(text);
      code = typeof body?.error?.code === "string" ? body.error.code : undefined;
      message = typeof body?.error?.message === "string" ? body.error.message.slice(0, 300) : undefined;
    } catch {
      // not JSON
    }
    const detail = `${what}: HTTP ${res.status}${code ? ` ${code}` : ""}${message ? ` (${message})` : ""}`;
    if (res.status === 401 || res.status === 403) {
      return new ControlPlaneError("unauthorized", detail, res.status, code);
    }
    if (res.status === 404) {
      return new ControlPlaneError(
        code === "no_config_assigned" ? "no_config" : "not_found",
        detail,
        404,
        code,
      );
    }
    if (res.status === 429) {
      return new ControlPlaneError(
        "rate_limited",
        detail,
        429,
        code,
        retryAfterMs(res.headers.get("retry-after")),
      );
    }
    if (res.status >= 500) return new ControlPlaneError("server", detail, res.status, code);
    return new ControlPlaneError("client", detail, res.status, code);
  }

  /** `GET …/runtime-state` with `If-None-Match`; 304 → `{changed: false}`. */
  async runtimeState(etag: string | undefined): Promise<RuntimeStateResult> {
    const path = `/v1/admin/configurations/gateways/${encodeURIComponent(this.gatewayId)}/runtime-state`;
    const res = await this.#request(path, { headers: etag ? { "if-none-match": etag } : {} });
    if (res.status === 304) {
      await res.body?.cancel();
      return { changed: false };
    }
    if (!res.ok) throw await this.#failure(res, "runtime-state");
    const text = await this.#readText(res);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ControlPlaneError("garbage", "runtime-state: the response is not JSON", res.status);
    }
    return { changed: true, state: parseRuntimeState(body), etag: res.headers.get("etag") ?? undefined };
  }

  /** `POST …/status`. */
  async reportStatus(report: Record<string, unknown>): Promise<void> {
    const path = `/v1/admin/configurations/gateways/${encodeURIComponent(this.gatewayId)}/status`;
    const res = await this.#request(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(report),
    });
    if (!res.ok) throw await this.#failure(res, "status report");
    await res.body?.cancel();
  }

  /** `POST /v1/events` with one batch (already serialised to keep the retry cheap). */
  async uploadEvents(body: string): Promise<void> {
    const res = await this.#request("/v1/events", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    if (!res.ok) throw await this.#failure(res, "event upload");
    await res.body?.cancel();
  }

  /** `GET /v1/gateway/config-variables/{name}` → the value. */
  async configVariable(name: string): Promise<string> {
    const res = await this.#request(`/v1/gateway/config-variables/${encodeURIComponent(name)}`);
    if (!res.ok) throw await this.#failure(res, `config variable "${name}"`);
    const text = await this.#readText(res);
    try {
      const body = JSON.parse(text);
      if (typeof body?.value === "string") return body.value;
    } catch {
      // fall through
    }
    throw new ControlPlaneError("garbage", `config variable "${name}": the response has no string value`);
  }
}

/** Checks the documented runtime-state shape; throws `garbage` otherwise. */
export function parseRuntimeState(body: unknown): RuntimeState {
  const b = body as Record<string, unknown> | null;
  const bad = (what: string) => new ControlPlaneError("garbage", `runtime-state: ${what}`);
  if (!b || typeof b !== "object" || Array.isArray(b)) throw bad("the body is not an object");
  if (typeof b.desired_version !== "string" || b.desired_version === "") throw bad("desired_version missing");
  if (typeof b.config !== "string") throw bad("config missing");
  if (b.config_format !== "yaml" && b.config_format !== "json") {
    throw bad("config_format is not yaml or json");
  }
  if (typeof b.digest !== "string") throw bad("digest missing");
  if (b.signature !== undefined && b.signature !== null && typeof b.signature !== "string") {
    throw bad("signature is not a string");
  }
  return {
    gateway_id: typeof b.gateway_id === "string" ? b.gateway_id : "",
    desired_version: b.desired_version,
    config: b.config,
    config_format: b.config_format,
    digest: b.digest,
    ...(typeof b.signature === "string" && b.signature ? { signature: b.signature } : {}),
  };
}

function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? cause.message : cause ? String(cause) : "";
  return (inner ? `${err.message}: ${inner}` : err.message).slice(0, 300);
}

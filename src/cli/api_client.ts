/**
 * A small typed HTTP client of the control plane API (docs/control_plane.md),
 * used by the `kt gateway …`, `kt config push` and `kt events` commands.
 * Managed gateways do not use it (they have their own poller).
 *
 * @module
 */
import type { ValidationDetail } from "../control_plane/errors.ts";
import type {
  ConfigurationJson,
  GatewayDetailJson,
  GatewayJson,
  RolloutResultJson,
  VersionJson,
} from "../control_plane/wire.ts";

/** An error answer of the API (or a failure to reach it: `status` 0). */
export class ApiClientError extends Error {
  readonly status: number;
  /** Stable error code from the API (`version_conflict`, …) or `connection_failed` / `bad_response`. */
  readonly code: string;
  readonly type: string;
  readonly requestId: string | null;
  /** The error's `details` (validation issues), each field checked for its type. */
  readonly details: ReadonlyArray<ValidationDetail>;

  constructor(
    status: number,
    code: string,
    message: string,
    extra: { type?: string; requestId?: string | null; details?: ReadonlyArray<ValidationDetail> } = {},
  ) {
    super(message);
    this.name = "ApiClientError";
    this.status = status;
    this.code = code;
    this.type = extra.type ?? "";
    this.requestId = extra.requestId ?? null;
    this.details = extra.details ?? [];
  }
}

/** Options of {@link ControlPlaneClient}. */
export interface ApiClientOptions {
  /** Base URL, e.g. `https://cp.example.com` (a trailing `/` is fine). */
  baseUrl: string;
  token: string;
  /** Replaces the global fetch (tests). */
  fetch?: typeof fetch;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

/** A gateway as listed. */
export type GatewaySummary = GatewayJson;

/** A gateway with its latest report and history. */
export type GatewayDetail = GatewayDetailJson;

/** Answer of gateway registration (the token is shown once). */
export interface CreatedGateway {
  id: string;
  name: string;
  description: string | null;
  token: string;
  token_id: string;
  scopes: string[];
  created_at: string;
}

/** A row of `GET /v1/admin/configurations`. */
export type ConfigurationItem = ConfigurationJson;

/** A stored config version. */
export type VersionSummary = Omit<VersionJson, "config" | "signature">;

/** A stored version with its text. */
export type VersionDetail = VersionSummary & { config: string; signature: string | null };

/** Answer of a push: `created` false when the same version and bytes were already stored. */
export interface PushResult extends VersionSummary {
  created: boolean;
  warnings: ValidationDetail[];
}

/** Answer of a rollout or revert. */
export type RolloutResult = RolloutResultJson;

/** Filters of {@link ControlPlaneClient.queryEvents}. */
export interface EventFilters {
  since?: string;
  verdict?: string;
  gatewayId?: string;
  policy?: string;
  limit?: number;
}

/** Typed calls of the control plane API. */
export class ControlPlaneClient {
  readonly baseUrl: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#token = options.token;
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  async #request<T>(
    method: string,
    path: string,
    body?: { json?: unknown; text?: string; contentType?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; data: T }> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#token}`,
      accept: "application/json",
      ...body?.headers,
    };
    let payload: string | undefined;
    if (body?.json !== undefined) {
      payload = JSON.stringify(body.json);
      headers["content-type"] = "application/json";
    } else if (body?.text !== undefined) {
      payload = body.text;
      headers["content-type"] = body.contentType ?? "text/plain";
    }
    let res: Response;
    try {
      res = await this.#fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      const cause = err instanceof Error
        ? (err.cause instanceof Error ? err.cause.message : err.message)
        : String(err);
      throw new ApiClientError(
        0,
        "connection_failed",
        `cannot reach the control plane at ${this.baseUrl}: ${cause}`,
      );
    }
    const text = await res.text();
    let data: unknown = undefined;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        if (!res.ok) {
          throw new ApiClientError(
            res.status,
            "bad_response",
            `the control plane answered ${res.status} (not JSON)`,
          );
        }
        throw new ApiClientError(
          res.status,
          "bad_response",
          `the control plane answered ${res.status} with non-JSON text`,
        );
      }
    }
    if (!res.ok) {
      const e = (data as { error?: Record<string, unknown> } | undefined)?.error;
      throw new ApiClientError(
        res.status,
        typeof e?.code === "string" ? e.code : `http_${res.status}`,
        typeof e?.message === "string" ? e.message : `the control plane answered ${res.status}`,
        {
          type: typeof e?.type === "string" ? e.type : undefined,
          requestId: typeof e?.request_id === "string" ? e.request_id : null,
          details: Array.isArray(e?.details) ? e.details.map(detailOf) : [],
        },
      );
    }
    return { status: res.status, data: data as T };
  }

  /** `POST /v1/admin/gateways`. */
  async createGateway(input: { name: string; description?: string; id?: string }): Promise<CreatedGateway> {
    return (await this.#request<CreatedGateway>("POST", "/v1/admin/gateways", { json: input })).data;
  }

  /** `GET /v1/admin/gateways`. */
  async listGateways(): Promise<GatewaySummary[]> {
    return (await this.#request<{ items: GatewaySummary[] }>("GET", "/v1/admin/gateways")).data.items;
  }

  /** `GET /v1/admin/gateways/{id}`. */
  async getGateway(id: string): Promise<GatewayDetail> {
    return (await this.#request<GatewayDetail>("GET", `/v1/admin/gateways/${encodeURIComponent(id)}`)).data;
  }

  /** `GET /v1/admin/configurations`. */
  async listConfigurations(): Promise<ConfigurationItem[]> {
    return (await this.#request<{ items: ConfigurationItem[] }>("GET", "/v1/admin/configurations")).data
      .items;
  }

  /** `GET /v1/admin/configurations/versions`. */
  async listVersions(): Promise<VersionSummary[]> {
    return (await this.#request<{ items: VersionSummary[] }>("GET", "/v1/admin/configurations/versions")).data
      .items;
  }

  /** `GET /v1/admin/configurations/versions/{version}`. */
  async getVersion(version: string): Promise<VersionDetail> {
    return (await this.#request<VersionDetail>(
      "GET",
      `/v1/admin/configurations/versions/${encodeURIComponent(version)}`,
    )).data;
  }

  /** `POST /v1/admin/configurations` with the exact text (and an optional base64 Ed25519 signature). */
  async pushConfig(
    text: string,
    options: { format?: "yaml" | "json"; signature?: string } = {},
  ): Promise<PushResult> {
    const format = options.format ?? (/^\s*\{/.test(text) ? "json" : "yaml");
    return (await this.#request<PushResult>("POST", "/v1/admin/configurations", {
      text,
      contentType: format === "json" ? "application/json" : "application/yaml",
      headers: options.signature ? { "x-keeptrusts-signature": options.signature } : undefined,
    })).data;
  }

  /** `POST /v1/admin/configurations/rollout`. */
  async rollout(gatewayIds: readonly string[], version: string): Promise<RolloutResult> {
    return (await this.#request<RolloutResult>("POST", "/v1/admin/configurations/rollout", {
      json: { gateway_ids: gatewayIds, version },
    })).data;
  }

  /** `POST /v1/admin/gateways/{id}/revert` (without a version: the previous desired version). */
  async revert(gatewayId: string, version?: string): Promise<RolloutResult> {
    return (await this.#request<RolloutResult>(
      "POST",
      `/v1/admin/gateways/${encodeURIComponent(gatewayId)}/revert`,
      {
        json: version ? { version } : {},
      },
    )).data;
  }

  /** `GET /v1/events` (newest first). */
  async queryEvents(filters: EventFilters = {}): Promise<Array<Record<string, unknown>>> {
    const q = new URLSearchParams();
    if (filters.since) q.set("since", filters.since);
    if (filters.verdict) q.set("verdict", filters.verdict);
    if (filters.gatewayId) q.set("gateway_id", filters.gatewayId);
    if (filters.policy) q.set("policy", filters.policy);
    if (filters.limit) q.set("limit", String(filters.limit));
    const qs = q.toString();
    return (await this.#request<{ items: Array<Record<string, unknown>> }>(
      "GET",
      `/v1/events${qs ? `?${qs}` : ""}`,
    ))
      .data.items;
  }

  /** `POST /v1/admin/tokens`: a scoped admin token (shown once). */
  async createToken(
    name: string,
    scopes?: string[],
  ): Promise<{ id: string; name: string; scopes: string[]; token: string }> {
    return (await this.#request<{ id: string; name: string; scopes: string[]; token: string }>(
      "POST",
      "/v1/admin/tokens",
      { json: scopes ? { name, scopes } : { name } },
    )).data;
  }

  /** `POST /v1/config-variables`. */
  async setVariable(name: string, value: string, sensitive = true): Promise<void> {
    await this.#request("POST", "/v1/config-variables", { json: { name, value, sensitive } });
  }
}

/** A `details` entry of an API error body, typed field by field (a field of another type is dropped). */
function detailOf(raw: unknown): ValidationDetail {
  const d = (raw !== null && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  const out: ValidationDetail = {
    code: text(d.code) ?? "",
    path: text(d.path) ?? "",
    message: text(d.message) ?? "",
  };
  if (text(d.hint)) out.hint = text(d.hint);
  if (num(d.line) !== undefined) out.line = num(d.line);
  if (num(d.column) !== undefined) out.column = num(d.column);
  return out;
}

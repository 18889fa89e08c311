/**
 * Who may call each control plane endpoint, as data: the expectation the scope
 * matrix test (`api_suite.ts`) checks request by request against a running
 * server, that `scope_table_test.ts` checks against the routes the app
 * registers and against the table in docs/control_plane.md.
 *
 * @module
 */
import { ADMIN_SCOPES, type AdminScope, GATEWAY_TOKEN_AUTHORITY } from "../../src/control_plane/auth.ts";

/** One endpoint. */
export interface ScopeRow {
  method: "GET" | "POST" | "DELETE";
  /** The route template, as Hono registers it (`:id`). */
  path: string;
  /** Admin scopes required, every one of them; null when admin tokens are refused. */
  admin: readonly AdminScope[] | null;
  /** Gateway tokens may call it (for a path with `:id`, only their own gateway's). */
  gateway: boolean;
  /** Anyone, without a token. */
  public?: true;
}

const row = (
  method: ScopeRow["method"],
  path: string,
  admin: readonly AdminScope[] | null,
  gateway = false,
): ScopeRow => ({ method, path, admin, gateway });

/** Every endpoint outside `/console`. */
export const SCOPE_TABLE: readonly ScopeRow[] = [
  { method: "GET", path: "/healthz", admin: null, gateway: true, public: true },
  { method: "GET", path: "/readyz", admin: null, gateway: true, public: true },
  row("GET", "/metrics", ["metrics:read"]),
  row("POST", "/v1/admin/configurations", ["configurations:write"]),
  row("GET", "/v1/admin/configurations", ["configurations:read"]),
  row("GET", "/v1/admin/configurations/versions", ["configurations:read"]),
  row("GET", "/v1/admin/configurations/versions/:version", ["configurations:read"]),
  row("GET", "/v1/admin/configurations/rollouts", ["configurations:read"]),
  row("POST", "/v1/admin/configurations/rollout", ["configurations:write"]),
  row("GET", "/v1/admin/configurations/gateways/:id/runtime-state", ["configurations:read"], true),
  row("POST", "/v1/admin/configurations/gateways/:id/status", null, true),
  row("POST", "/v1/admin/gateways", GATEWAY_TOKEN_AUTHORITY),
  row("GET", "/v1/admin/gateways", ["gateways:read"]),
  row("GET", "/v1/admin/gateways/:id", ["gateways:read"]),
  row("POST", "/v1/admin/gateways/:id/revert", ["configurations:write"]),
  row("POST", "/v1/admin/gateways/:id/token", GATEWAY_TOKEN_AUTHORITY),
  row("POST", "/v1/events", null, true),
  row("GET", "/v1/events", ["events:read"]),
  row("POST", "/v1/config-variables", ["configurations:write"]),
  row("GET", "/v1/config-variables", ["configurations:read"]),
  row("GET", "/v1/config-variables/:name", ["secrets:read"]),
  row("DELETE", "/v1/config-variables/:name", ["configurations:write"]),
  row("GET", "/v1/gateway/config-variables/:name", null, true),
  row("POST", "/v1/admin/tokens", ["tokens:write"]),
  row("GET", "/v1/admin/tokens", ["tokens:write"]),
  row("DELETE", "/v1/admin/tokens/:id", ["tokens:write"]),
  row("GET", "/v1/admin/audit", ["audit:read"]),
];

/** The columns of the docs table after the endpoint and "requires": each admin scope, then gateway tokens. */
export const SCOPE_COLUMNS: readonly string[] = [...ADMIN_SCOPES, "gateway token"];

/** What a token holding only `column` (or a gateway token) gets: allowed or 403. */
export function expectedAccess(r: ScopeRow, column: string): "allowed" | "403" {
  if (r.public) return "allowed";
  if (column === "gateway token") return r.gateway ? "allowed" : "403";
  return r.admin?.length === 1 && r.admin[0] === column ? "allowed" : "403";
}

/** `/v1/admin/gateways/{id}` for `/v1/admin/gateways/:id`. */
export function docsPath(path: string): string {
  return path.replace(/:([a-z_]+)/g, "{$1}");
}

/** The cells of the docs row of `r`, as docs/control_plane.md must show them. */
export function docsCells(r: ScopeRow): string[] {
  const requires = r.public
    ? "none (public)"
    : r.admin === null
    ? "gateway token"
    : r.admin.map((s) => `\`${s}\``).join(" + ");
  return [
    `\`${r.method} ${docsPath(r.path)}\``,
    requires,
    ...SCOPE_COLUMNS.map((col) => {
      if (expectedAccess(r, col) === "403") return "403";
      return col === "gateway token" && r.path.includes(":id") && !r.public ? "own gateway" : "✓";
    }),
  ];
}

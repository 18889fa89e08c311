/**
 * What every console page handler receives, the shapes of the API answers it
 * reads, and small request helpers.
 *
 * @module
 */
import type { Context } from "hono";
import type { Principal } from "../auth.ts";
import type { RouteDeps } from "../context.ts";
import type { ApiResult, InternalApi } from "./internal_api.ts";
import type { ConsoleSession } from "./session.ts";
import type { Viewer } from "./views.tsx";

/** Hono variables of the console sub-app. */
export interface ConsoleEnv {
  Variables: {
    requestId: string;
    principal?: Principal;
    session?: ConsoleSession;
    viewer?: Viewer;
    api?: InternalApi;
  };
}

/** Context of a console route. */
export type ConsoleContext = Context<ConsoleEnv>;

/** The signed-in state of a request (set by the session middleware). */
export interface SignedIn {
  viewer: Viewer;
  api: InternalApi;
  principal: Principal;
  session: ConsoleSession;
  deps: RouteDeps;
  now: Date;
}

/** A gateway as `GET /v1/admin/gateways` returns it. */
export interface GatewayJson {
  id: string;
  name: string;
  description: string | null;
  status: string;
  desired_version: string | null;
  running_version: string | null;
  last_seen_at: string | null;
  last_error: string | null;
  created_at: string;
}

/** `GET /v1/admin/gateways/{id}`. */
export interface GatewayDetailJson extends GatewayJson {
  reported_status: string | null;
  poll_interval_seconds: number;
  desired_updated_at: string | null;
  last_report: Record<string, unknown> | null;
  status_history: Array<Record<string, unknown> & { received_at: string }>;
  rollouts: Array<{
    version: string;
    previous_version: string | null;
    kind: string;
    created_at: string;
    created_by: string | null;
  }>;
}

/** A stored config version. */
export interface VersionJson {
  version: string;
  name: string;
  format: string;
  digest: string;
  size_bytes: number;
  signed: boolean;
  store_refs: string[];
  created_at: string;
  created_by: string | null;
  config?: string;
  signature?: string | null;
}

/** A config variable (no value). */
export interface VariableJson {
  name: string;
  sensitive: boolean;
  created_at: string;
  updated_at: string;
  updated_by: string | null;
}

/** `{items: T[]}` listings. */
export interface Items<T> {
  items: T[];
}

/** The message of a failed API answer, for a notice. */
export function apiMessage(r: ApiResult<unknown>): string {
  return r.error?.message ?? `the control plane answered HTTP ${r.status}`;
}

/** True when the viewer's token holds `scope`. */
export function can(viewer: Viewer, scope: string): boolean {
  return viewer.scopes.has(scope);
}

/** A query parameter as a list (repeated keys and comma lists). */
export function queryList(c: ConsoleContext, name: string): string[] {
  const values = c.req.queries(name) ?? [];
  return [...new Set(values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean))].slice(
    0,
    1000,
  );
}

/** A form field as a string ('' when absent or a file). */
export function field(form: Record<string, unknown>, name: string): string {
  const v = form[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === "string" ? first : "";
}

/** A form field as a list of strings. */
export function fieldList(form: Record<string, unknown>, name: string): string[] {
  const v = form[name];
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.filter((x): x is string => typeof x === "string" && x !== "");
}

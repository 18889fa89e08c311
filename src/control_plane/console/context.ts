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

export type { GatewayDetailJson, GatewayJson, Items, VariableJson, VersionJson } from "../wire.ts";

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

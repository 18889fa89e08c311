/**
 * The control plane's web console, served by `kt-control-plane serve` itself
 * at `/console/` (see docs/console.md).
 *
 * {@link mountConsole} adds it to the control plane app. It must be called
 * before the API's bearer authentication is mounted on `/v1/*`, because it
 * installs the middleware that lets the console call the API in-process as
 * the signed-in principal.
 *
 * @module
 */
import type { Hono } from "hono";
import type { ControlPlaneEnv } from "../auth.ts";
import type { RouteDeps } from "../context.ts";
import { type ConsoleOptions, createConsoleApp } from "./app.tsx";
import { internalPrincipalMiddleware } from "./internal_api.ts";
import { SECURITY_HEADERS } from "./security.ts";
import type { SessionStore } from "./session.ts";

export type { ConsoleOptions } from "./app.tsx";
export { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from "./security.ts";
export { SESSION_COOKIE } from "./session.ts";

/** What {@link mountConsole} mounted. */
export interface MountedConsole {
  /** The live sessions (tests inspect them). */
  sessions: SessionStore;
}

/**
 * Mounts the console at `/console` on the control plane `app`, over the same
 * route dependencies as the API.
 */
export function mountConsole(
  app: Hono<ControlPlaneEnv>,
  deps: RouteDeps,
  options: ConsoleOptions = {},
): MountedConsole {
  app.use("/v1/*", internalPrincipalMiddleware());
  const { app: consoleApp, sessions } = createConsoleApp(app, deps, options);
  // `/console` itself is the sub-app's "/" route; `/console/` is not part of the sub-app, so it is answered here.
  app.get("/console/", (c) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.header(k, v);
    return c.redirect("/console/fleet", 303);
  });
  app.route("/console", consoleApp);
  return { sessions };
}

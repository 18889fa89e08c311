/**
 * The control plane HTTP app (Hono). {@link createControlPlaneApp} builds it
 * from a store and options so that `serve.ts`, the tests and the future web
 * console can mount it.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { routePath } from "hono/route";
import { AuditTrail } from "./audit.ts";
import { authenticate, type ControlPlaneEnv, requireScope } from "./auth.ts";
import { type Logger, type ResolvedOptions, type RouteDeps, shownStatus } from "./context.ts";
import type { SecretBox } from "./crypto.ts";
import { ApiError } from "./errors.ts";
import { allowedMethodsIndex, requestIdFor } from "./http.ts";
import { ControlPlaneMetrics, StoreGauges } from "./metrics.ts";
import { auditRoutes } from "./routes/audit.ts";
import { configurationRoutes } from "./routes/configurations.ts";
import { eventRoutes } from "./routes/events.ts";
import { gatewayRoutes } from "./routes/gateways.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { variableRoutes } from "./routes/variables.ts";
import { type ConsoleOptions, mountConsole } from "./console/mod.ts";
import type { Store } from "./store/types.ts";

export type { ControlPlaneEnv, Principal } from "./auth.ts";
export type { Logger, LogLevel } from "./context.ts";

/** Options of {@link createControlPlaneApp}; every field but `secrets` has a default. */
export interface ControlPlaneOptions {
  /** Encrypts sensitive config variables (see `loadSecretBox`). */
  secrets: SecretBox;
  /** Clock (tests move it). Default: real time. */
  now?: () => Date;
  /** Version shown in metrics and `/healthz`. */
  version?: string;
  /** Poll interval assumed for gateways that do not report one (seconds, default 30). */
  defaultPollIntervalSeconds?: number;
  /** A gateway is `offline` after this many silent poll intervals (default 3). */
  offlineAfterIntervals?: number;
  /** Status reports kept per gateway (default 100). */
  statusHistoryLimit?: number;
  /** Largest JSON body for small requests (default 64 KiB). */
  maxJsonBytes?: number;
  /** Largest config push (default 1 MiB). */
  maxConfigBytes?: number;
  /** Largest event batch body (default 5 MiB). */
  maxEventBatchBytes?: number;
  /** Most events in one batch (default 1000). */
  maxEventsPerBatch?: number;
  /** Largest single event (default 64 KiB). */
  maxEventBytes?: number;
  /** Events received longer ago than this are pruned on ingest (days, default 30; 0 keeps all). */
  eventRetentionDays?: number;
  /** Event stamps are clamped to the receipt time ± this (seconds, default 300). */
  eventClockSkewSeconds?: number;
  /** Events one gateway may post per second, sustained (default 200; 0 turns the limit off). */
  eventRateLimit?: number;
  /** Events one gateway may post at once (default 10 000, at least `maxEventsPerBatch`). */
  eventBurst?: number;
  /** Audit entries older than this are pruned (days, default 365; 0 keeps all). */
  auditRetentionDays?: number;
  /** `/metrics` recomputes its store-derived gauges at most this often (seconds, default 15). */
  metricsCacheSeconds?: number;
  /** Gateways may read only variables their desired config references (default true). */
  restrictGatewaySecrets?: boolean;
  /** Structured log sink (default: none). */
  log?: Logger;
  /** Shared metrics (default: a new registry). */
  metrics?: ControlPlaneMetrics;
  /** Web console options (session lifetimes, `Secure` cookies, the session clock). */
  console?: ConsoleOptions;
}

/** The app and what was built for it. */
export interface ControlPlaneApp {
  app: Hono<ControlPlaneEnv>;
  metrics: ControlPlaneMetrics;
  options: ResolvedOptions;
}

/** Applies the defaults of {@link ControlPlaneOptions}; throws on settings that cannot work. */
export function resolveOptions(options: ControlPlaneOptions): ResolvedOptions {
  const maxEventsPerBatch = options.maxEventsPerBatch ?? 1000;
  const eventBurst = options.eventBurst ?? Math.max(10_000, maxEventsPerBatch);
  if (!(eventBurst >= maxEventsPerBatch)) {
    throw new Error(`the event burst (${eventBurst}) must be at least one full batch (${maxEventsPerBatch})`);
  }
  const eventRateLimit = options.eventRateLimit ?? 200;
  const eventClockSkewSeconds = options.eventClockSkewSeconds ?? 300;
  if (!(eventRateLimit >= 0) || !(eventClockSkewSeconds >= 0)) {
    throw new Error("the event rate limit and clock skew must be 0 or more");
  }
  return {
    now: options.now ?? (() => new Date()),
    version: options.version ?? "0.0.0",
    defaultPollIntervalSeconds: options.defaultPollIntervalSeconds ?? 30,
    offlineAfterIntervals: options.offlineAfterIntervals ?? 3,
    statusHistoryLimit: options.statusHistoryLimit ?? 100,
    maxJsonBytes: options.maxJsonBytes ?? 64 * 1024,
    maxConfigBytes: options.maxConfigBytes ?? 1024 * 1024,
    maxEventBatchBytes: options.maxEventBatchBytes ?? 5 * 1024 * 1024,
    maxEventsPerBatch,
    maxEventBytes: options.maxEventBytes ?? 64 * 1024,
    eventRetentionDays: options.eventRetentionDays ?? 30,
    eventClockSkewSeconds,
    eventRateLimit,
    eventBurst,
    auditRetentionDays: options.auditRetentionDays ?? 365,
    metricsCacheSeconds: options.metricsCacheSeconds ?? 15,
    restrictGatewaySecrets: options.restrictGatewaySecrets ?? true,
    log: options.log ?? (() => {}),
  };
}

/** Error body of the control plane. */
export function errorBody(err: ApiError, requestId: string): Record<string, unknown> {
  const error: Record<string, unknown> = {
    type: err.type,
    code: err.code,
    message: err.message,
    request_id: requestId,
  };
  if (err.details) error.details = err.details;
  return { error };
}

/** The JSON answer of an {@link ApiError}, with its headers. */
function errorResponse(c: Context<ControlPlaneEnv>, err: ApiError): Response {
  const res = c.json(errorBody(err, c.get("requestId") ?? requestIdFor(undefined)), err.status as 400);
  for (const [k, v] of Object.entries(err.headers ?? {})) res.headers.set(k, v);
  return res;
}

/** Header marking an answer no route handled (404/405), so metrics label it `unmatched`. */
const UNMATCHED = "x-kt-unmatched";

/**
 * Builds the control plane app over `store`. The store stays the caller's to
 * close. Routes: see docs/control_plane.md.
 */
export function createControlPlaneApp(store: Store, options: ControlPlaneOptions): ControlPlaneApp {
  const resolved = resolveOptions(options);
  const metrics = options.metrics ?? new ControlPlaneMetrics();
  const audit = new AuditTrail(store, {
    now: resolved.now,
    log: resolved.log,
    retentionDays: resolved.auditRetentionDays,
  });
  const deps: RouteDeps = { store, secrets: options.secrets, metrics, audit, options: resolved };
  const app = new Hono<ControlPlaneEnv>();

  app.use("*", async (c, next) => {
    const started = performance.now();
    const requestId = requestIdFor(c.req.header("x-request-id"));
    c.set("requestId", requestId);
    try {
      await next();
    } finally {
      c.header("x-request-id", requestId);
      c.header("x-content-type-options", "nosniff");
      if (!c.res.headers.has("cache-control")) c.header("cache-control", "no-store");
      const seconds = (performance.now() - started) / 1000;
      const unmatched = c.res.headers.get(UNMATCHED) === "1";
      if (unmatched) c.res.headers.delete(UNMATCHED);
      const route = unmatched ? "unmatched" : routePath(c, -1);
      metrics.observeRequest(c.req.method, route, c.res.status, seconds);
      const principal = c.get("principal");
      resolved.log(c.res.status >= 500 ? "error" : "debug", "request", {
        method: c.req.method,
        route,
        status: c.res.status,
        duration_ms: Math.round(seconds * 1000 * 10) / 10,
        request_id: requestId,
        token_id: principal?.tokenId,
      });
    }
  });

  app.onError((err, c) => {
    if (err instanceof ApiError) return errorResponse(c, err);
    resolved.log("error", "unhandled error", {
      request_id: c.get("requestId"),
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    return errorResponse(
      c,
      new ApiError(
        500,
        "internal_error",
        "internal_error",
        "the control plane failed; see its log for this request id",
      ),
    );
  });

  app.get("/healthz", (c) => c.json({ status: "ok", version: resolved.version }));

  app.get("/readyz", async (c) => {
    try {
      await store.ping();
      return c.json({ status: "ready", database: store.backend });
    } catch (err) {
      resolved.log("warn", "database not reachable", { error: (err as Error).message });
      return c.json(
        errorBody(
          new ApiError(503, "unavailable", "not_ready", "the database is not reachable"),
          c.get("requestId"),
        ),
        503,
      );
    }
  });

  // A scrape needs `metrics:read` (a token with only that scope is a scrape token) and costs no store
  // listing: the store-derived gauges are cached for `metricsCacheSeconds`.
  const gauges = new StoreGauges(
    async () => {
      const now = resolved.now();
      const gatewaysByStatus: Record<string, number> = {};
      for (const g of await store.gatewayLiveness()) {
        const s = shownStatus(g, now, resolved);
        gatewaysByStatus[s] = (gatewaysByStatus[s] ?? 0) + 1;
      }
      return { gatewaysByStatus, configVersions: await store.countConfigVersions() };
    },
    resolved.now,
    resolved.metricsCacheSeconds,
  );
  app.get("/metrics", authenticate(store), requireScope("metrics:read"), async (c) => {
    const values = await gauges.get();
    c.header("content-type", "text/plain; version=0.0.4; charset=utf-8");
    return c.body(metrics.render({ ...values, version: resolved.version }));
  });

  mountConsole(app, deps, options.console); // web console at /console/ (before bearer auth: it calls the API in-process)
  app.use("/v1/*", authenticate(store));
  app.route("/", configurationRoutes(deps));
  app.route("/", gatewayRoutes(deps));
  app.route("/", eventRoutes(deps));
  app.route("/", variableRoutes(deps));
  app.route("/", tokenRoutes(deps));
  app.route("/", auditRoutes(deps));

  // A miss: 405 with `Allow` when the path is a route under other methods, else 404. Registered last so the
  // index holds every route above (the console answers its own misses under /console).
  const allowedMethods = allowedMethodsIndex(app.routes);
  app.notFound((c) => {
    const path = new URL(c.req.url).pathname.slice(0, 200);
    const allowed = allowedMethods(c.req.path);
    const res = errorResponse(
      c,
      allowed.length > 0
        ? new ApiError(
          405,
          "invalid_request",
          "method_not_allowed",
          `${c.req.method} is not allowed on ${path}; use ${allowed.join(" or ")}`,
          { headers: { allow: allowed.join(", ") } },
        )
        : new ApiError(404, "invalid_request", "unknown_route", `no route ${c.req.method} ${path}`),
    );
    res.headers.set(UNMATCHED, "1");
    return res;
  });

  return { app, metrics, options: resolved };
}

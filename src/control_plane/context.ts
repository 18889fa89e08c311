/**
 * What every route module receives: the store, the resolved options, the
 * secret box and the metrics.
 *
 * @module
 */
import type { AuditTrail } from "./audit.ts";
import type { SecretBox } from "./crypto.ts";
import type { ControlPlaneMetrics } from "./metrics.ts";
import type { GatewayLiveness, Store } from "./store/types.ts";

/** Log levels of the control plane. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured logger; fields never contain tokens or secret values. */
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/** Resolved settings (defaults applied) shared by the routes. */
export interface ResolvedOptions {
  now: () => Date;
  version: string;
  defaultPollIntervalSeconds: number;
  offlineAfterIntervals: number;
  statusHistoryLimit: number;
  maxJsonBytes: number;
  maxConfigBytes: number;
  maxEventBatchBytes: number;
  maxEventsPerBatch: number;
  maxEventBytes: number;
  eventRetentionDays: number;
  /** Event stamps are clamped to the receipt time ± this many seconds. */
  eventClockSkewSeconds: number;
  /** Events a gateway may post per second, sustained (0: no limit). */
  eventRateLimit: number;
  /** Events a gateway may post at once (at least `maxEventsPerBatch`). */
  eventBurst: number;
  /** Audit entries older than this are pruned (days; 0 keeps all). */
  auditRetentionDays: number;
  /** `/metrics` recomputes its store-derived gauges at most this often (seconds). */
  metricsCacheSeconds: number;
  restrictGatewaySecrets: boolean;
  log: Logger;
}

/** Dependencies of the route modules. */
export interface RouteDeps {
  store: Store;
  secrets: SecretBox;
  metrics: ControlPlaneMetrics;
  audit: AuditTrail;
  options: ResolvedOptions;
}

/** The status shown for a gateway: its reported one, or `offline` after 3 silent poll intervals. */
export type ShownStatus = "healthy" | "degraded" | "config_rejected" | "offline";

/** Computes the shown status of a gateway at `now`. */
export function shownStatus(
  g: GatewayLiveness,
  now: Date,
  options: Pick<ResolvedOptions, "defaultPollIntervalSeconds" | "offlineAfterIntervals">,
): ShownStatus {
  if (!g.lastSeenAt || !g.reportedStatus) return "offline";
  const interval = g.pollIntervalSeconds ?? options.defaultPollIntervalSeconds;
  const silentMs = now.getTime() - new Date(g.lastSeenAt).getTime();
  if (silentMs > options.offlineAfterIntervals * interval * 1000) return "offline";
  return g.reportedStatus;
}

/**
 * What every route module receives: the store, the resolved options, the
 * secret box and the metrics.
 *
 * @module
 */
import type { SecretBox } from "./crypto.ts";
import type { ControlPlaneMetrics } from "./metrics.ts";
import type { GatewayRecord, Store } from "./store/types.ts";

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
  restrictGatewaySecrets: boolean;
  log: Logger;
}

/** Dependencies of the route modules. */
export interface RouteDeps {
  store: Store;
  secrets: SecretBox;
  metrics: ControlPlaneMetrics;
  options: ResolvedOptions;
}

/** The status shown for a gateway: its reported one, or `offline` after 3 silent poll intervals. */
export type ShownStatus = "healthy" | "degraded" | "config_rejected" | "offline";

/** Computes the shown status of a gateway at `now`. */
export function shownStatus(g: GatewayRecord, now: Date, options: ResolvedOptions): ShownStatus {
  if (!g.lastSeenAt || !g.reportedStatus) return "offline";
  const interval = g.pollIntervalSeconds ?? options.defaultPollIntervalSeconds;
  const silentMs = now.getTime() - new Date(g.lastSeenAt).getTime();
  if (silentMs > options.offlineAfterIntervals * interval * 1000) return "offline";
  return g.reportedStatus;
}

/**
 * Messages between the managed-mode main thread (which serves requests and
 * swaps configs) and the poller worker (which talks to the control plane).
 * Everything crossing the boundary is plain data (structured clone).
 *
 * @module
 */
import type { DecisionEvent } from "../audit/event.ts";

/** Settings the main thread gives the worker once, by `postMessage` (never by environment). */
export interface PollerSettings {
  /** Control plane base URL without a trailing slash, e.g. `https://api.example.com`. */
  apiUrl: string;
  gatewayId: string;
  /** The scoped gateway token (Bearer). */
  token: string;
  /** Poll interval in milliseconds (±10% jitter is added). */
  pollIntervalMs: number;
  /** Extra CA certificates (PEM) for the control plane connection. */
  caCerts?: string[];
  /** PEM Ed25519 public key: when set, only configs signed by it are applied. */
  publicKeyPem?: string;
  ktVersion: string;
  /** Identifies this process in status reports. */
  instanceId: string;
  /** Epoch ms when the process started (uptime in status reports). */
  startedAt: number;
  /** Bounded buffer of decision events waiting for upload (default 10 000). */
  maxBufferedEvents?: number;
  /** Events per upload request (default 500). */
  eventBatchSize?: number;
  /** Timeout of one control-plane request in ms (default 10 000). */
  requestTimeoutMs?: number;
}

/** Result labels of `keeptrusts_gateway_control_plane_polls_total{result}`. */
export type PollResult = "ok" | "not_modified" | "no_config" | "error" | "unauthorized" | "rejected";

/** Why a poll failed (startup decisions and logs). */
export type PollFailureKind = "unreachable" | "unauthorized" | "no_config" | "rejected";

/** What the main thread reports about itself for a status report. */
export interface StatusInfo {
  runningVersion: string | null;
  runningDigest: string | null;
  /** Health of the running snapshot as `/health` shows it. */
  health: "healthy" | "degraded" | "unhealthy";
  requests: { total: number; blocked: number; redacted: number; errors: number };
  /** True while the bootstrap config (not a control-plane version) is serving. */
  bootstrap: boolean;
}

/** Main thread → worker. */
export type ToWorker =
  | { type: "init"; settings: PollerSettings; /** A bootstrap config is already serving. */ serving: boolean }
  | { type: "applied"; id: number; ok: true; version: string; digest: string }
  | { type: "applied"; id: number; ok: false; error: string }
  | { type: "status-info"; id: number; info: StatusInfo }
  | { type: "events"; events: DecisionEvent[] }
  | { type: "flush"; id: number; deadlineMs: number }
  | { type: "shutdown" };

/** A validated config the poller hands to the main thread to compile and swap in. */
export interface ConfigHandover {
  /** The exact bytes the control plane sent (the digest covers them). */
  text: string;
  /** The validated document as JSON text (skips a second YAML parse on the main thread). */
  json?: string;
  format: "yaml" | "json";
  version: string;
  digest: string;
  /** Resolved `secret_key_ref: { store }` values by variable name. */
  secrets: Record<string, string>;
}

/** Worker → main thread. */
export type FromWorker =
  | { type: "started" }
  | ({ type: "config"; id: number } & ConfigHandover)
  | { type: "status-request"; id: number }
  | { type: "poll"; result: PollResult; failure?: { kind: PollFailureKind; error: string } }
  | { type: "log"; level: "debug" | "info" | "warn" | "error"; msg: string; fields?: Record<string, unknown> }
  | { type: "events-dropped"; count: number }
  | { type: "flushed"; id: number; pending: number }
  | { type: "stopped" }
  | { type: "fatal"; error: string };

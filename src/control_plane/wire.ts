/**
 * Shapes of the control plane's JSON answers, shared by the console and the `kt` API client.
 *
 * @module
 */
import type { RolloutRecord } from "./store/types.ts";

/** A rollout as the API shows it (gateway detail and the rollout listing). */
export function rolloutJson(r: RolloutRecord): GatewayDetailJson["rollouts"][number] {
  return {
    version: r.version,
    previous_version: r.previousVersion,
    kind: r.kind,
    created_at: r.createdAt,
    created_by: r.createdBy,
  };
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
  format: "yaml" | "json";
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

/** A row of `GET /v1/admin/configurations`. */
export interface ConfigurationJson {
  gateway_id: string;
  name: string;
  status: string;
  reported_status: string | null;
  running_version: string | null;
  desired_version: string | null;
  last_seen_at: string | null;
  last_error: string | null;
}

/** Answer of a rollout or a revert. */
export interface RolloutResultJson {
  version: string;
  digest: string;
  gateways: Array<{ gateway_id: string; previous_version: string | null; desired_version: string }>;
}

/** `{items: T[]}` listings. */
export interface Items<T> {
  items: T[];
}

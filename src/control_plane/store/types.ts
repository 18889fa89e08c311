/**
 * The storage contract of the control plane. One implementation
 * ({@link SqlStore} in `sql_store.ts`) runs on two SQL backends: embedded
 * SQLite (`node:sqlite`) and PostgreSQL (`postgres` npm package).
 *
 * Every method is async (PostgreSQL is), returns plain records, and never
 * sees a token secret or a plaintext sensitive value: tokens arrive hashed and
 * sensitive variables arrive encrypted.
 *
 * @module
 */

/** Kind of an API token. */
export type TokenKind = "admin" | "gateway";

/** A stored API token (the secret itself is never stored, only its sha256). */
export interface TokenRecord {
  id: string;
  kind: TokenKind;
  name: string;
  /** Lowercase hex sha256 of the full token string. */
  tokenHash: string;
  scopes: string[];
  /** The gateway a gateway token is bound to; null for admin tokens. */
  gatewayId: string | null;
  createdAt: string;
  /** Token id of the creator, or `bootstrap` / `cli`. */
  createdBy: string | null;
  revokedAt: string | null;
}

/** Health a gateway reports about itself (docs/managed.md). */
export type ReportedStatus = "healthy" | "degraded" | "config_rejected";

/** A registered gateway with its desired version and its latest report. */
export interface GatewayRecord {
  id: string;
  name: string;
  description: string | null;
  createdAt: string;
  createdBy: string | null;
  desiredVersion: string | null;
  desiredUpdatedAt: string | null;
  /** From the latest status report; null until the first report. */
  reportedStatus: ReportedStatus | null;
  runningVersion: string | null;
  lastError: string | null;
  lastSeenAt: string | null;
  /** Poll interval the gateway said it uses (seconds), if it said. */
  pollIntervalSeconds: number | null;
  /** The latest status report as received (validated fields only). */
  lastReport: Record<string, unknown> | null;
}

/** A stored, immutable config version. */
export interface ConfigVersionRecord {
  /** `pack.version` (semver): the key. */
  version: string;
  /** `pack.name`. */
  name: string;
  format: "yaml" | "json";
  /** The exact text that was pushed. */
  content: string;
  /** `sha256:<hex>` of the UTF-8 bytes of {@link content}. */
  digest: string;
  sizeBytes: number;
  /** Base64 Ed25519 signature over the bytes, as pushed (not verified here). */
  signature: string | null;
  /** Names of config variables the config references with `secret_key_ref: { store }`. */
  storeRefs: string[];
  createdAt: string;
  createdBy: string | null;
}

/** A config version without its text (listings). */
export type ConfigVersionSummary = Omit<ConfigVersionRecord, "content">;

/** Result of {@link Store.insertConfigVersion}. */
export interface InsertConfigResult {
  /** True when this call stored the version; false when it already existed. */
  inserted: boolean;
  /** The stored record (the new one, or the existing one). */
  record: ConfigVersionRecord;
}

/** One entry of a gateway's rollout history. */
export interface RolloutRecord {
  seq: number;
  gatewayId: string;
  version: string;
  previousVersion: string | null;
  kind: "rollout" | "revert";
  createdAt: string;
  createdBy: string | null;
}

/** One status report kept in a gateway's bounded history. */
export interface StatusHistoryEntry {
  receivedAt: string;
  report: Record<string, unknown>;
}

/** A status report to record. */
export interface StatusReportInput {
  gatewayId: string;
  receivedAt: string;
  status: ReportedStatus;
  runningVersion: string | null;
  lastError: string | null;
  pollIntervalSeconds: number | null;
  report: Record<string, unknown>;
}

/** A decision event to store (gateway_id already forced from the token). */
export interface EventInput {
  id: string;
  gatewayId: string;
  /**
   * The gateway's stamp clamped to {@link receivedAt} ± the allowed clock skew, as RFC 3339 UTC
   * (`toISOString()`); the stamp as sent stays in the body (`sent_timestamp`).
   */
  timestamp: string;
  /** When the control plane received the batch: the order, the `since` filter and pruning use it. */
  receivedAt: string;
  verdict: string;
  /** The deciding policy, when any. */
  policy: string | null;
  /** Every policy named in the event (deciding policy and policy_results). */
  policies: string[];
  configVersion: string | null;
  /** The whole event as JSON-compatible data. */
  body: Record<string, unknown>;
}

/** Filters of {@link Store.queryEvents}; results are newest received first. */
export interface EventQuery {
  /** Only events received at or after this RFC 3339 UTC timestamp. */
  since?: string;
  verdict?: string;
  gatewayId?: string;
  policy?: string;
  limit: number;
}

/** A config variable as stored. */
export interface VariableRecord {
  name: string;
  sensitive: boolean;
  /** Plain value, or for sensitive variables the encrypted envelope (see `crypto.ts`). */
  value: string;
  createdAt: string;
  updatedAt: string;
  updatedBy: string | null;
}

/** A config variable without its value (listings). */
export type VariableSummary = Omit<VariableRecord, "value">;

/**
 * A web console session as stored. The session id the browser holds is never
 * stored, only its sha256; likewise the admin token, by hash only.
 */
export interface ConsoleSessionRecord {
  /** Lowercase hex sha256 of the session id (the key). */
  idHash: string;
  /** Synchronizer CSRF token of the session. */
  csrf: string;
  /** sha256 of the admin token that signed in; null for an anonymous (sign-in form) session. */
  tokenHash: string | null;
  /** RFC 3339 UTC (`toISOString()`). */
  createdAt: string;
  /** Absolute expiry, RFC 3339 UTC. */
  expiresAt: string;
  /** Idle expiry, RFC 3339 UTC; never later than {@link expiresAt}. */
  idleExpiresAt: string;
}

/** What the audit trail records (ids and names, never a secret value or a token). */
export const AUDIT_ACTIONS = [
  "secret_read",
  "variable_set",
  "variable_deleted",
  "token_created",
  "token_revoked",
  "gateway_registered",
  "gateway_token_rotated",
] as const;

/** One of {@link AUDIT_ACTIONS}. */
export type AuditAction = typeof AUDIT_ACTIONS[number];

/** One privileged act. */
export interface AuditEntry {
  /** Assigned by the store; absent on insert. */
  seq?: number;
  /** RFC 3339 UTC (`toISOString()`). */
  at: string;
  action: AuditAction;
  /** Token id of the actor (`tok_…`); null when none (offline CLI). */
  tokenId: string | null;
  /** The gateway concerned (a gateway token's own, or the one acted on). */
  gatewayId: string | null;
  /** What was acted on: a variable name or a token id. */
  subject: string | null;
  /** Small JSON-compatible facts (revoked token ids, scopes); never values. */
  details: Record<string, unknown>;
  requestId: string | null;
}

/** Filters of {@link Store.queryAudit}; results are newest first. */
export interface AuditQuery {
  since?: string;
  action?: string;
  gatewayId?: string;
  tokenId?: string;
  limit: number;
}

/** The columns of a gateway that its shown status depends on (metrics gauges). */
export type GatewayLiveness = Pick<GatewayRecord, "reportedStatus" | "lastSeenAt" | "pollIntervalSeconds">;

/** Which SQL backend a store runs on. */
export type StoreBackend = "sqlite" | "postgres";

/** Persistence of the control plane. Implementations must be safe for concurrent calls. */
export interface Store {
  readonly backend: StoreBackend;
  /** A human-readable location (file path, or the PostgreSQL URL without password). */
  readonly location: string;

  /** Cheap round trip for `/readyz`. */
  ping(): Promise<void>;
  /** Releases connections and file handles. */
  close(): Promise<void>;

  // tokens
  insertToken(token: TokenRecord): Promise<void>;
  /** A non-revoked token by hash, or null. */
  findTokenByHash(tokenHash: string): Promise<TokenRecord | null>;
  listTokens(): Promise<TokenRecord[]>;
  /** A token by id (revoked ones too), or null. */
  getToken(id: string): Promise<TokenRecord | null>;
  /** Marks a token revoked; false when unknown or already revoked. */
  revokeToken(id: string, at: string): Promise<boolean>;
  /**
   * Stores `token` (bound to its gateway) and revokes every other live token of that gateway, in one
   * transaction; returns the ids revoked.
   */
  rotateGatewayToken(token: TokenRecord, at: string): Promise<string[]>;
  /** How many tokens exist at all (revoked included): 0 means a fresh database. */
  countTokens(): Promise<number>;

  // gateways
  /** Creates a gateway and its token atomically; false when the id is taken. */
  insertGateway(gateway: GatewayRecord, token: TokenRecord): Promise<boolean>;
  getGateway(id: string): Promise<GatewayRecord | null>;
  listGateways(): Promise<GatewayRecord[]>;
  /** Only what the shown status of every gateway depends on (cheap: for the metrics gauges). */
  gatewayLiveness(): Promise<GatewayLiveness[]>;
  /**
   * Sets the desired version of every listed gateway in one transaction and
   * records the rollout history. Returns the previous desired version per gateway.
   */
  setDesiredVersion(
    gatewayIds: readonly string[],
    version: string,
    kind: "rollout" | "revert",
    at: string,
    by: string | null,
  ): Promise<Array<{ gatewayId: string; previousVersion: string | null }>>;
  /** Rollout history, newest first. */
  listRollouts(gatewayId: string | null, limit: number): Promise<RolloutRecord[]>;
  /** Stores the latest report and appends it to the history, keeping at most `historyLimit` entries. */
  recordStatus(input: StatusReportInput, historyLimit: number): Promise<void>;
  /** Newest first. */
  statusHistory(gatewayId: string, limit: number): Promise<StatusHistoryEntry[]>;

  // config versions
  /** Stores a version unless one with the same version exists (then returns that one). */
  insertConfigVersion(record: ConfigVersionRecord): Promise<InsertConfigResult>;
  getConfigVersion(version: string): Promise<ConfigVersionRecord | null>;
  /** Newest first. */
  listConfigVersions(): Promise<ConfigVersionSummary[]>;
  /** How many versions are stored. */
  countConfigVersions(): Promise<number>;

  // events
  /** Stores events, ignoring ones already stored (same gateway and id); returns how many were new. */
  insertEvents(events: readonly EventInput[]): Promise<number>;
  queryEvents(query: EventQuery): Promise<Array<Record<string, unknown>>>;
  /** Deletes events received before the timestamp; returns how many. */
  pruneEvents(olderThan: string): Promise<number>;

  // audit trail
  insertAudit(entry: AuditEntry): Promise<void>;
  queryAudit(query: AuditQuery): Promise<AuditEntry[]>;
  /** Deletes entries older than the timestamp; returns how many. */
  pruneAudit(olderThan: string): Promise<number>;

  // config variables
  upsertVariable(variable: VariableRecord): Promise<void>;
  getVariable(name: string): Promise<VariableRecord | null>;
  listVariables(): Promise<VariableSummary[]>;
  deleteVariable(name: string): Promise<boolean>;

  // console sessions
  insertConsoleSession(session: ConsoleSessionRecord): Promise<void>;
  /**
   * Housekeeping, bounded: deletes at most `limit` sessions whose idle expiry
   * (never later than the absolute one) is at or before `now`, and at most `limit` of the oldest sessions beyond the
   * newest `maxSessions`. Returns how many were deleted.
   */
  sweepConsoleSessions(options: { now: string; maxSessions: number; limit: number }): Promise<number>;
  /** A session by the hash of its id (expired or not: the caller decides), or null. */
  getConsoleSession(idHash: string): Promise<ConsoleSessionRecord | null>;
  /** Moves a session's idle expiry forward (never back); false when the session is gone or already later. */
  touchConsoleSession(idHash: string, idleExpiresAt: string): Promise<boolean>;
  /** Deletes a session; false when it was not there. */
  deleteConsoleSession(idHash: string): Promise<boolean>;
}

/** Raised by {@link Store.setDesiredVersion} when a gateway does not exist (nothing is changed). */
export class UnknownGatewayError extends Error {
  /** Stable error code. */
  readonly code = "not_found";
  readonly gatewayId: string;
  constructor(gatewayId: string) {
    super(`unknown gateway "${gatewayId}"`);
    this.name = "UnknownGatewayError";
    this.gatewayId = gatewayId;
  }
}

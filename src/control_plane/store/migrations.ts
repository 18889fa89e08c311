/**
 * The schema of the control plane as one ordered list of migrations, applied
 * by both backends. SQL is written once in the common subset of SQLite and
 * PostgreSQL; the only dialect difference, an auto-increment primary key, is
 * the `{{serial_pk}}` token, expanded per dialect by {@link migrationSql}.
 *
 * Append new migrations at the end; never edit an applied one.
 *
 * @module
 */
import type { StoreBackend } from "./types.ts";

/** One schema migration. */
export interface Migration {
  /** Strictly increasing. */
  version: number;
  name: string;
  /** Statements, run in order inside one transaction. */
  statements: readonly string[];
}

/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    statements: [
      `CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        gateway_id TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT,
        revoked_at TEXT
      )`,
      `CREATE TABLE gateways (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT,
        desired_version TEXT,
        desired_updated_at TEXT,
        reported_status TEXT,
        running_version TEXT,
        last_error TEXT,
        last_seen_at TEXT,
        poll_interval_seconds INTEGER,
        last_report TEXT
      )`,
      `CREATE TABLE gateway_status_history (
        seq {{serial_pk}},
        gateway_id TEXT NOT NULL,
        received_at TEXT NOT NULL,
        report TEXT NOT NULL
      )`,
      `CREATE INDEX gateway_status_history_gateway ON gateway_status_history (gateway_id, seq)`,
      `CREATE TABLE config_versions (
        seq {{serial_pk}},
        version TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        format TEXT NOT NULL,
        content TEXT NOT NULL,
        digest TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        signature TEXT,
        store_refs TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT
      )`,
      `CREATE TABLE rollouts (
        seq {{serial_pk}},
        gateway_id TEXT NOT NULL,
        version TEXT NOT NULL,
        previous_version TEXT,
        kind TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT
      )`,
      `CREATE INDEX rollouts_gateway ON rollouts (gateway_id, seq)`,
      `CREATE TABLE events (
        seq {{serial_pk}},
        id TEXT NOT NULL,
        gateway_id TEXT NOT NULL,
        ts TEXT NOT NULL,
        received_at TEXT NOT NULL,
        verdict TEXT NOT NULL,
        policy TEXT,
        policies TEXT NOT NULL,
        config_version TEXT,
        body TEXT NOT NULL,
        UNIQUE (gateway_id, id)
      )`,
      `CREATE INDEX events_ts ON events (ts)`,
      `CREATE INDEX events_gateway_ts ON events (gateway_id, ts)`,
      `CREATE TABLE config_variables (
        name TEXT PRIMARY KEY,
        sensitive INTEGER NOT NULL,
        value TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT
      )`,
    ],
  },
  {
    version: 2,
    name: "console sessions",
    statements: [
      // Keyed by sha256 of the session id; the id itself and the admin token are never stored.
      `CREATE TABLE console_sessions (
        id_hash TEXT PRIMARY KEY,
        csrf TEXT NOT NULL,
        token_hash TEXT,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        idle_expires_at TEXT NOT NULL
      )`,
      `CREATE INDEX console_sessions_idle_expires ON console_sessions (idle_expires_at)`,
      `CREATE INDEX console_sessions_created ON console_sessions (created_at)`,
    ],
  },
  {
    version: 3,
    name: "audit trail, events by receipt time, scopes of full admin tokens",
    statements: [
      // Privileged acts (secret reads, token mints, rotations, revocations): ids and names, never values.
      `CREATE TABLE audit_log (
        seq {{serial_pk}},
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        token_id TEXT,
        gateway_id TEXT,
        subject TEXT,
        details TEXT NOT NULL,
        request_id TEXT
      )`,
      `CREATE INDEX audit_log_at ON audit_log (at)`,
      `CREATE INDEX audit_log_action ON audit_log (action, seq)`,
      // Events are ordered, filtered and pruned by the time the control plane received them.
      `CREATE INDEX events_received ON events (received_at)`,
      `CREATE INDEX events_gateway_received ON events (gateway_id, received_at)`,
      // A token that held every admin scope before secrets:read, audit:read and metrics:read existed
      // (the bootstrap token) keeps holding every admin scope.
      `UPDATE tokens SET scopes = substr(scopes, 1, length(scopes) - 1) || ',"secrets:read","audit:read","metrics:read"]'
        WHERE kind = 'admin'
          AND scopes LIKE '%"configurations:write"%' AND scopes LIKE '%"configurations:read"%'
          AND scopes LIKE '%"gateways:write"%' AND scopes LIKE '%"gateways:read"%'
          AND scopes LIKE '%"events:read"%' AND scopes LIKE '%"tokens:write"%'
          AND scopes NOT LIKE '%"secrets:read"%'`,
    ],
  },
];

const SERIAL_PK: Record<StoreBackend, string> = {
  sqlite: "INTEGER PRIMARY KEY AUTOINCREMENT",
  postgres: "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
};

/** The statements of a migration for one backend. */
export function migrationSql(migration: Migration, backend: StoreBackend): string[] {
  return migration.statements.map((s) => s.replaceAll("{{serial_pk}}", SERIAL_PK[backend]));
}

/** DDL of the table that records applied migrations (same on both backends). */
export const SCHEMA_MIGRATIONS_DDL =
  `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`;

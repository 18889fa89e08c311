/**
 * {@link Store} on top of a {@link SqlDriver}: every query of the control
 * plane, written once for SQLite and PostgreSQL.
 *
 * One file past the usual size on purpose: it is the one implementation of the
 * {@link Store} contract, and keeping every query together keeps the two
 * dialects' common subset in view.
 *
 * Timestamps are stored as `toISOString()` text (UTC, fixed width, so text
 * order is time order); lists are stored as JSON text; booleans as 0/1.
 *
 * @module
 */
import type { SqlDriver, SqlExecutor, SqlParam, SqlRow } from "./driver.ts";
import { MIGRATIONS, migrationSql, SCHEMA_MIGRATIONS_DDL } from "./migrations.ts";
import {
  type AuditAction,
  type AuditEntry,
  type AuditQuery,
  type ConfigVersionRecord,
  type ConfigVersionSummary,
  type ConsoleSessionRecord,
  type EventInput,
  type EventQuery,
  type GatewayLiveness,
  type GatewayRecord,
  type InsertConfigResult,
  type ReportedStatus,
  type RolloutRecord,
  type StatusHistoryEntry,
  type StatusReportInput,
  type Store,
  type StoreBackend,
  type TokenRecord,
  UnknownGatewayError,
  type VariableRecord,
  type VariableSummary,
} from "./types.ts";

const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function parseJson<T>(v: unknown, fallback: T): T {
  if (typeof v !== "string") return fallback;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
}

function tokenFromRow(r: SqlRow): TokenRecord {
  return {
    id: str(r.id),
    kind: str(r.kind) as TokenRecord["kind"],
    name: str(r.name),
    tokenHash: str(r.token_hash),
    scopes: parseJson<string[]>(r.scopes, []),
    gatewayId: strOrNull(r.gateway_id),
    createdAt: str(r.created_at),
    createdBy: strOrNull(r.created_by),
    revokedAt: strOrNull(r.revoked_at),
  };
}

function gatewayFromRow(r: SqlRow): GatewayRecord {
  return {
    id: str(r.id),
    name: str(r.name),
    description: strOrNull(r.description),
    createdAt: str(r.created_at),
    createdBy: strOrNull(r.created_by),
    desiredVersion: strOrNull(r.desired_version),
    desiredUpdatedAt: strOrNull(r.desired_updated_at),
    reportedStatus: strOrNull(r.reported_status) as ReportedStatus | null,
    runningVersion: strOrNull(r.running_version),
    lastError: strOrNull(r.last_error),
    lastSeenAt: strOrNull(r.last_seen_at),
    pollIntervalSeconds: numOrNull(r.poll_interval_seconds),
    lastReport: parseJson<Record<string, unknown> | null>(r.last_report, null),
  };
}

function configSummaryFromRow(r: SqlRow): ConfigVersionSummary {
  return {
    version: str(r.version),
    name: str(r.name),
    format: str(r.format) === "json" ? "json" : "yaml",
    digest: str(r.digest),
    sizeBytes: Number(r.size_bytes),
    signature: strOrNull(r.signature),
    storeRefs: parseJson<string[]>(r.store_refs, []),
    createdAt: str(r.created_at),
    createdBy: strOrNull(r.created_by),
  };
}

function configFromRow(r: SqlRow): ConfigVersionRecord {
  return { ...configSummaryFromRow(r), content: str(r.content) };
}

function variableSummaryFromRow(r: SqlRow): VariableSummary {
  return {
    name: str(r.name),
    sensitive: Number(r.sensitive) === 1,
    createdAt: str(r.created_at),
    updatedAt: str(r.updated_at),
    updatedBy: strOrNull(r.updated_by),
  };
}

function consoleSessionFromRow(r: SqlRow): ConsoleSessionRecord {
  return {
    idHash: str(r.id_hash),
    csrf: str(r.csrf),
    tokenHash: strOrNull(r.token_hash),
    createdAt: str(r.created_at),
    expiresAt: str(r.expires_at),
    idleExpiresAt: str(r.idle_expires_at),
  };
}

/** Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`. */
function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const GATEWAY_COLUMNS =
  "id, name, description, created_at, created_by, desired_version, desired_updated_at, reported_status, running_version, last_error, last_seen_at, poll_interval_seconds, last_report";
const CONFIG_SUMMARY_COLUMNS =
  "version, name, format, digest, size_bytes, signature, store_refs, created_at, created_by";

/** The one {@link Store} implementation; see `openSqliteStore` and `openPostgresStore`. */
export class SqlStore implements Store {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  get backend(): StoreBackend {
    return this.#db.backend;
  }

  get location(): string {
    return this.#db.location;
  }

  /** Applies pending migrations (idempotent; safe with concurrent starters). */
  async migrate(): Promise<number[]> {
    return await this.#db.transaction(async (tx) => {
      await this.#db.lockForMigration(tx);
      await tx.run(SCHEMA_MIGRATIONS_DDL);
      const rows = await tx.all("SELECT version FROM schema_migrations");
      const applied = new Set(rows.map((r) => Number(r.version)));
      const newest = MIGRATIONS.at(-1)?.version ?? 0;
      const unknown = [...applied].filter((v) => v > newest);
      if (unknown.length > 0) {
        throw new Error(
          `the database has schema version ${
            Math.max(...unknown)
          }, newer than this kt-control-plane knows (${newest}); upgrade kt-control-plane`,
        );
      }
      const done: number[] = [];
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        for (const stmt of migrationSql(m, this.#db.backend)) await tx.run(stmt);
        await tx.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
          m.version,
          m.name,
          new Date().toISOString(),
        ]);
        done.push(m.version);
      }
      return done;
    });
  }

  async ping(): Promise<void> {
    await this.#db.all("SELECT 1 AS ok");
  }

  async close(): Promise<void> {
    await this.#db.close();
  }

  // ---- tokens

  async insertToken(t: TokenRecord): Promise<void> {
    await this.#insertToken(this.#db, t);
  }

  async #insertToken(db: SqlExecutor, t: TokenRecord): Promise<void> {
    await db.run(
      "INSERT INTO tokens (id, kind, name, token_hash, scopes, gateway_id, created_at, created_by, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      [
        t.id,
        t.kind,
        t.name,
        t.tokenHash,
        JSON.stringify(t.scopes),
        t.gatewayId,
        t.createdAt,
        t.createdBy,
        t.revokedAt,
      ],
    );
  }

  async findTokenByHash(tokenHash: string): Promise<TokenRecord | null> {
    const rows = await this.#db.all(
      "SELECT * FROM tokens WHERE token_hash = ? AND revoked_at IS NULL",
      [tokenHash],
    );
    return rows.length ? tokenFromRow(rows[0]) : null;
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.#db.all("SELECT * FROM tokens ORDER BY created_at, id")).map(tokenFromRow);
  }

  async getToken(id: string): Promise<TokenRecord | null> {
    const rows = await this.#db.all("SELECT * FROM tokens WHERE id = ?", [id]);
    return rows.length ? tokenFromRow(rows[0]) : null;
  }

  rotateGatewayToken(token: TokenRecord, at: string): Promise<string[]> {
    return this.#db.transaction(async (tx) => {
      const rows = await tx.all(
        "SELECT id FROM tokens WHERE gateway_id = ? AND kind = 'gateway' AND revoked_at IS NULL ORDER BY created_at, id",
        [token.gatewayId],
      );
      await tx.run(
        "UPDATE tokens SET revoked_at = ? WHERE gateway_id = ? AND kind = 'gateway' AND revoked_at IS NULL",
        [at, token.gatewayId],
      );
      await this.#insertToken(tx, token);
      return rows.map((r) => str(r.id));
    });
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    return (await this.#db.run("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [
      at,
      id,
    ])) > 0;
  }

  async countTokens(): Promise<number> {
    const rows = await this.#db.all("SELECT COUNT(*) AS n FROM tokens");
    return Number(rows[0].n);
  }

  // ---- gateways

  insertGateway(g: GatewayRecord, token: TokenRecord): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const changed = await tx.run(
        `INSERT INTO gateways (${GATEWAY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
        [
          g.id,
          g.name,
          g.description,
          g.createdAt,
          g.createdBy,
          g.desiredVersion,
          g.desiredUpdatedAt,
          g.reportedStatus,
          g.runningVersion,
          g.lastError,
          g.lastSeenAt,
          g.pollIntervalSeconds,
          g.lastReport ? JSON.stringify(g.lastReport) : null,
        ],
      );
      if (changed === 0) return false;
      await this.#insertToken(tx, token);
      return true;
    });
  }

  async getGateway(id: string): Promise<GatewayRecord | null> {
    const rows = await this.#db.all(`SELECT ${GATEWAY_COLUMNS} FROM gateways WHERE id = ?`, [id]);
    return rows.length ? gatewayFromRow(rows[0]) : null;
  }

  async listGateways(): Promise<GatewayRecord[]> {
    return (await this.#db.all(`SELECT ${GATEWAY_COLUMNS} FROM gateways ORDER BY created_at, id`)).map(
      gatewayFromRow,
    );
  }

  async gatewayLiveness(): Promise<GatewayLiveness[]> {
    return (await this.#db.all("SELECT reported_status, last_seen_at, poll_interval_seconds FROM gateways"))
      .map((r) => ({
        reportedStatus: strOrNull(r.reported_status) as ReportedStatus | null,
        lastSeenAt: strOrNull(r.last_seen_at),
        pollIntervalSeconds: numOrNull(r.poll_interval_seconds),
      }));
  }

  setDesiredVersion(
    gatewayIds: readonly string[],
    version: string,
    kind: "rollout" | "revert",
    at: string,
    by: string | null,
  ): Promise<Array<{ gatewayId: string; previousVersion: string | null }>> {
    return this.#db.transaction(async (tx) => {
      const out: Array<{ gatewayId: string; previousVersion: string | null }> = [];
      for (const id of new Set(gatewayIds)) {
        const rows = await tx.all("SELECT desired_version FROM gateways WHERE id = ?", [id]);
        if (rows.length === 0) throw new UnknownGatewayError(id);
        const previousVersion = strOrNull(rows[0].desired_version);
        await tx.run("UPDATE gateways SET desired_version = ?, desired_updated_at = ? WHERE id = ?", [
          version,
          at,
          id,
        ]);
        await tx.run(
          "INSERT INTO rollouts (gateway_id, version, previous_version, kind, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)",
          [id, version, previousVersion, kind, at, by],
        );
        out.push({ gatewayId: id, previousVersion });
      }
      return out;
    });
  }

  async listRollouts(gatewayId: string | null, limit: number): Promise<RolloutRecord[]> {
    const rows = gatewayId === null
      ? await this.#db.all("SELECT * FROM rollouts ORDER BY seq DESC LIMIT ?", [limit])
      : await this.#db.all("SELECT * FROM rollouts WHERE gateway_id = ? ORDER BY seq DESC LIMIT ?", [
        gatewayId,
        limit,
      ]);
    return rows.map((r) => ({
      seq: Number(r.seq),
      gatewayId: str(r.gateway_id),
      version: str(r.version),
      previousVersion: strOrNull(r.previous_version),
      kind: str(r.kind) === "revert" ? "revert" : "rollout",
      createdAt: str(r.created_at),
      createdBy: strOrNull(r.created_by),
    }));
  }

  recordStatus(input: StatusReportInput, historyLimit: number): Promise<void> {
    return this.#db.transaction(async (tx) => {
      const report = JSON.stringify(input.report);
      const changed = await tx.run(
        "UPDATE gateways SET reported_status = ?, running_version = ?, last_error = ?, last_seen_at = ?, poll_interval_seconds = ?, last_report = ? WHERE id = ?",
        [
          input.status,
          input.runningVersion,
          input.lastError,
          input.receivedAt,
          input.pollIntervalSeconds,
          report,
          input.gatewayId,
        ],
      );
      if (changed === 0) throw new UnknownGatewayError(input.gatewayId);
      await tx.run("INSERT INTO gateway_status_history (gateway_id, received_at, report) VALUES (?, ?, ?)", [
        input.gatewayId,
        input.receivedAt,
        report,
      ]);
      await tx.run(
        "DELETE FROM gateway_status_history WHERE gateway_id = ? AND seq <= (SELECT seq FROM gateway_status_history WHERE gateway_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
        [input.gatewayId, input.gatewayId, Math.max(1, historyLimit)],
      );
    });
  }

  async statusHistory(gatewayId: string, limit: number): Promise<StatusHistoryEntry[]> {
    const rows = await this.#db.all(
      "SELECT received_at, report FROM gateway_status_history WHERE gateway_id = ? ORDER BY seq DESC LIMIT ?",
      [gatewayId, limit],
    );
    return rows.map((r) => ({ receivedAt: str(r.received_at), report: parseJson(r.report, {}) }));
  }

  // ---- config versions

  insertConfigVersion(c: ConfigVersionRecord): Promise<InsertConfigResult> {
    return this.#db.transaction(async (tx) => {
      const changed = await tx.run(
        "INSERT INTO config_versions (version, name, format, content, digest, size_bytes, signature, store_refs, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (version) DO NOTHING",
        [
          c.version,
          c.name,
          c.format,
          c.content,
          c.digest,
          c.sizeBytes,
          c.signature,
          JSON.stringify(c.storeRefs),
          c.createdAt,
          c.createdBy,
        ],
      );
      const rows = await tx.all("SELECT * FROM config_versions WHERE version = ?", [c.version]);
      return {
        inserted: changed > 0,
        record: configFromRow(rows[0]),
      };
    });
  }

  async getConfigVersion(version: string): Promise<ConfigVersionRecord | null> {
    const rows = await this.#db.all("SELECT * FROM config_versions WHERE version = ?", [version]);
    return rows.length ? configFromRow(rows[0]) : null;
  }

  async listConfigVersions(): Promise<ConfigVersionSummary[]> {
    return (await this.#db.all(`SELECT ${CONFIG_SUMMARY_COLUMNS} FROM config_versions ORDER BY seq DESC`))
      .map(configSummaryFromRow);
  }

  async countConfigVersions(): Promise<number> {
    return Number((await this.#db.all("SELECT COUNT(*) AS n FROM config_versions"))[0].n);
  }

  // ---- events

  insertEvents(events: readonly EventInput[]): Promise<number> {
    if (events.length === 0) return Promise.resolve(0);
    return this.#db.transaction(async (tx) => {
      let inserted = 0;
      const chunk = 100;
      for (let i = 0; i < events.length; i += chunk) {
        const part = events.slice(i, i + chunk);
        const params: SqlParam[] = [];
        for (const e of part) {
          params.push(
            e.id,
            e.gatewayId,
            e.timestamp,
            e.receivedAt,
            e.verdict,
            e.policy,
            `,${e.policies.join(",")},`,
            e.configVersion,
            JSON.stringify(e.body),
          );
        }
        inserted += await tx.run(
          `INSERT INTO events (id, gateway_id, ts, received_at, verdict, policy, policies, config_version, body) VALUES ${
            part.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")
          } ON CONFLICT (gateway_id, id) DO NOTHING`,
          params,
        );
      }
      return inserted;
    });
  }

  async queryEvents(q: EventQuery): Promise<Array<Record<string, unknown>>> {
    const where: string[] = [];
    const params: SqlParam[] = [];
    if (q.since) {
      where.push("received_at >= ?");
      params.push(q.since);
    }
    if (q.verdict) {
      where.push("verdict = ?");
      params.push(q.verdict);
    }
    if (q.gatewayId) {
      where.push("gateway_id = ?");
      params.push(q.gatewayId);
    }
    if (q.policy) {
      where.push("policies LIKE ? ESCAPE '\\'");
      params.push(`%,${likeEscape(q.policy)},%`);
    }
    params.push(q.limit);
    const rows = await this.#db.all(
      `SELECT body FROM events ${
        where.length ? `WHERE ${where.join(" AND ")}` : ""
      } ORDER BY received_at DESC, ts DESC, seq DESC LIMIT ?`,
      params,
    );
    return rows.map((r) => parseJson<Record<string, unknown>>(r.body, {}));
  }

  async pruneEvents(olderThan: string): Promise<number> {
    return await this.#db.run("DELETE FROM events WHERE received_at < ?", [olderThan]);
  }

  // ---- audit trail

  async insertAudit(e: AuditEntry): Promise<void> {
    await this.#db.run(
      "INSERT INTO audit_log (at, action, token_id, gateway_id, subject, details, request_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
      [e.at, e.action, e.tokenId, e.gatewayId, e.subject, JSON.stringify(e.details), e.requestId],
    );
  }

  async queryAudit(q: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: SqlParam[] = [];
    const filters: Array<[string, string | undefined]> = [
      ["at >= ?", q.since],
      ["action = ?", q.action],
      ["gateway_id = ?", q.gatewayId],
      ["token_id = ?", q.tokenId],
    ];
    for (const [clause, value] of filters) {
      if (value === undefined) continue;
      where.push(clause);
      params.push(value);
    }
    params.push(q.limit);
    const rows = await this.#db.all(
      `SELECT * FROM audit_log ${
        where.length ? `WHERE ${where.join(" AND ")}` : ""
      } ORDER BY seq DESC LIMIT ?`,
      params,
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: str(r.at),
      action: str(r.action) as AuditAction,
      tokenId: strOrNull(r.token_id),
      gatewayId: strOrNull(r.gateway_id),
      subject: strOrNull(r.subject),
      details: parseJson<Record<string, unknown>>(r.details, {}),
      requestId: strOrNull(r.request_id),
    }));
  }

  async pruneAudit(olderThan: string): Promise<number> {
    return await this.#db.run("DELETE FROM audit_log WHERE at < ?", [olderThan]);
  }

  // ---- config variables

  async upsertVariable(v: VariableRecord): Promise<void> {
    await this.#db.run(
      "INSERT INTO config_variables (name, sensitive, value, created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET sensitive = excluded.sensitive, value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
      [v.name, v.sensitive ? 1 : 0, v.value, v.createdAt, v.updatedAt, v.updatedBy],
    );
  }

  async getVariable(name: string): Promise<VariableRecord | null> {
    const rows = await this.#db.all("SELECT * FROM config_variables WHERE name = ?", [name]);
    return rows.length ? { ...variableSummaryFromRow(rows[0]), value: str(rows[0].value) } : null;
  }

  async listVariables(): Promise<VariableSummary[]> {
    return (await this.#db.all(
      "SELECT name, sensitive, created_at, updated_at, updated_by FROM config_variables ORDER BY name",
    )).map(variableSummaryFromRow);
  }

  async deleteVariable(name: string): Promise<boolean> {
    return (await this.#db.run("DELETE FROM config_variables WHERE name = ?", [name])) > 0;
  }

  // ---- console sessions

  async insertConsoleSession(s: ConsoleSessionRecord): Promise<void> {
    await this.#db.run(
      "INSERT INTO console_sessions (id_hash, csrf, token_hash, created_at, expires_at, idle_expires_at) VALUES (?, ?, ?, ?, ?, ?)",
      [s.idHash, s.csrf, s.tokenHash, s.createdAt, s.expiresAt, s.idleExpiresAt],
    );
  }

  async sweepConsoleSessions(o: { now: string; maxSessions: number; limit: number }): Promise<number> {
    // Two single statements, not one transaction: replicas sweeping at once each delete what they find.
    const expired = await this.#db.run(
      "DELETE FROM console_sessions WHERE id_hash IN (SELECT id_hash FROM console_sessions WHERE idle_expires_at <= ? ORDER BY idle_expires_at LIMIT ?)",
      [o.now, o.limit],
    );
    const excess = await this.#db.run(
      // Beyond the bound, anonymous (sign-in form) sessions go first: opening sign-in pages must not
      // push signed-in operators out.
      "DELETE FROM console_sessions WHERE id_hash IN (SELECT id_hash FROM console_sessions ORDER BY CASE WHEN token_hash IS NULL THEN 0 ELSE 1 END DESC, created_at DESC, id_hash DESC LIMIT ? OFFSET ?)",
      [o.limit, Math.max(0, o.maxSessions)],
    );
    return expired + excess;
  }

  async getConsoleSession(idHash: string): Promise<ConsoleSessionRecord | null> {
    const rows = await this.#db.all("SELECT * FROM console_sessions WHERE id_hash = ?", [idHash]);
    return rows.length ? consoleSessionFromRow(rows[0]) : null;
  }

  async touchConsoleSession(idHash: string, idleExpiresAt: string): Promise<boolean> {
    return (await this.#db.run(
      "UPDATE console_sessions SET idle_expires_at = ? WHERE id_hash = ? AND idle_expires_at < ?",
      [idleExpiresAt, idHash, idleExpiresAt],
    )) > 0;
  }

  async deleteConsoleSession(idHash: string): Promise<boolean> {
    return (await this.#db.run("DELETE FROM console_sessions WHERE id_hash = ?", [idHash])) > 0;
  }
}

/** Wraps a driver in a {@link SqlStore} and migrates it; closes the driver when that fails. */
export async function openSqlStore(driver: SqlDriver): Promise<SqlStore> {
  const store = new SqlStore(driver);
  try {
    await store.migrate();
  } catch (err) {
    await driver.close().catch(() => {});
    throw err;
  }
  return store;
}

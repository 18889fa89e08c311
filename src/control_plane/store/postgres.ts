/**
 * PostgreSQL backend (`postgres` npm package), selected by a `postgres://` or
 * `postgresql://` database URL. Same schema and queries as SQLite.
 *
 * @module
 */
import postgres, { type TransactionSql } from "postgres";
import type { SqlDriver, SqlExecutor, SqlParam, SqlRow } from "./driver.ts";
import { openSqlStore, type SqlStore } from "./sql_store.ts";

type Sql = ReturnType<typeof postgres>;
type TxSql = TransactionSql<Record<string, never>>;

/** Rewrites `?` placeholders to `$1…$n` (our SQL never has `?` inside literals). */
export function toPostgresPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function executor(sql: Sql | TxSql): SqlExecutor {
  return {
    async all(text: string, params: readonly SqlParam[] = []): Promise<SqlRow[]> {
      const rows = await sql.unsafe(toPostgresPlaceholders(text), params as SqlParam[]);
      return [...rows] as SqlRow[];
    },
    async run(text: string, params: readonly SqlParam[] = []): Promise<number> {
      const result = await sql.unsafe(toPostgresPlaceholders(text), params as SqlParam[]);
      return result.count;
    },
  };
}

/** The URL with any password replaced by `***`, for logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://…";
  }
}

class PostgresDriver implements SqlDriver {
  readonly backend = "postgres" as const;
  readonly location: string;
  #sql: Sql;
  #exec: SqlExecutor;

  constructor(url: string, maxConnections: number) {
    this.location = redactDatabaseUrl(url);
    this.#sql = postgres(url, {
      max: maxConnections,
      onnotice: () => {},
      connect_timeout: 10,
      idle_timeout: 60,
      // Dates and big integers come back as text/number as we store them.
      types: {},
    });
    this.#exec = executor(this.#sql);
  }

  all(sql: string, params?: readonly SqlParam[]): Promise<SqlRow[]> {
    return this.#exec.all(sql, params);
  }

  run(sql: string, params?: readonly SqlParam[]): Promise<number> {
    return this.#exec.run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return await this.#sql.begin((tx) => fn(executor(tx))) as T;
  }

  async lockForMigration(tx: SqlExecutor): Promise<void> {
    await tx.all("SELECT pg_advisory_xact_lock(7346201501)");
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
  }
}

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** Pool size (default 10). */
  maxConnections?: number;
}

/** Connects to PostgreSQL, applies pending migrations and returns the store. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<SqlStore> {
  return await openSqlStore(new PostgresDriver(url, options.maxConnections ?? 10));
}

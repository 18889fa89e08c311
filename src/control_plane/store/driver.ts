/**
 * The small SQL driver interface both backends implement, so that
 * `sql_store.ts` holds all queries once. Statements use `?` placeholders;
 * the PostgreSQL driver rewrites them to `$n`.
 *
 * @module
 */
import type { StoreBackend } from "./types.ts";

/** A value bound to a placeholder. */
export type SqlParam = string | number | null;

/** A result row. */
export type SqlRow = Record<string, unknown>;

/** Runs statements (inside or outside a transaction). */
export interface SqlExecutor {
  /** Runs a query and returns its rows. */
  all(sql: string, params?: readonly SqlParam[]): Promise<SqlRow[]>;
  /** Runs a statement and returns the number of changed rows. */
  run(sql: string, params?: readonly SqlParam[]): Promise<number>;
}

/** A connection (or pool) to one database. */
export interface SqlDriver extends SqlExecutor {
  readonly backend: StoreBackend;
  /** Where the data lives, without credentials. */
  readonly location: string;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it
   * throws. Statements of other callers never interleave with it.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Serialises concurrent migrators (an advisory lock on PostgreSQL); call inside a transaction. */
  lockForMigration(tx: SqlExecutor): Promise<void>;
  close(): Promise<void>;
}

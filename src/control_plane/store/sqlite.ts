/**
 * Embedded SQLite backend (`node:sqlite`, WAL mode) — the default store,
 * `<data-dir>/kt-control-plane.db`.
 *
 * `DatabaseSync` is synchronous and has one connection, so a transaction that
 * awaits must not let statements of other requests slip into it: every
 * operation goes through one async lock.
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { SqlDriver, SqlExecutor, SqlParam, SqlRow } from "./driver.ts";
import { openSqlStore, type SqlStore } from "./sql_store.ts";

/** File name of the database inside the data directory. */
export const SQLITE_FILE_NAME = "kt-control-plane.db";

class SqliteDriver implements SqlDriver {
  readonly backend = "sqlite" as const;
  readonly location: string;
  #db: DatabaseSync;
  #statements = new Map<string, StatementSync>();
  #lock: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(path: string) {
    this.location = path;
    this.#db = new DatabaseSync(path);
    this.#db.exec("PRAGMA journal_mode = WAL");
    this.#db.exec("PRAGMA synchronous = NORMAL");
    this.#db.exec("PRAGMA busy_timeout = 5000");
    this.#db.exec("PRAGMA foreign_keys = ON");
  }

  #prepare(sql: string): StatementSync {
    if (this.#closed) throw new Error("the database is closed");
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  #direct: SqlExecutor = {
    all: (sql, params = []) => Promise.resolve(this.#prepare(sql).all(...(params as SqlParam[])) as SqlRow[]),
    run: (sql, params = []) =>
      Promise.resolve(Number(this.#prepare(sql).run(...(params as SqlParam[])).changes)),
  };

  async #locked<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.#lock;
    let release!: () => void;
    this.#lock = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  all(sql: string, params?: readonly SqlParam[]): Promise<SqlRow[]> {
    return this.#locked(() => this.#direct.all(sql, params));
  }

  run(sql: string, params?: readonly SqlParam[]): Promise<number> {
    return this.#locked(() => this.#direct.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#locked(async () => {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const result = await fn(this.#direct);
        this.#db.exec("COMMIT");
        return result;
      } catch (err) {
        this.#db.exec("ROLLBACK");
        throw err;
      }
    });
  }

  lockForMigration(): Promise<void> {
    return Promise.resolve(); // BEGIN IMMEDIATE already holds the write lock
  }

  close(): Promise<void> {
    return this.#locked(() => {
      if (!this.#closed) {
        this.#closed = true;
        this.#statements.clear();
        this.#db.close();
      }
      return Promise.resolve();
    });
  }
}

/**
 * Opens (creating when needed) the SQLite database at `path`, applies pending
 * migrations and returns the store. The file is made readable by its owner only.
 */
export async function openSqliteStore(path: string): Promise<SqlStore> {
  const driver = new SqliteDriver(path);
  try {
    Deno.chmodSync(path, 0o600);
  } catch {
    // not fatal (e.g. a file owned by another user); permissions are the operator's call then
  }
  return await openSqlStore(driver);
}

/**
 * Opens the store a `--database` setting names: a `postgres://` URL selects
 * PostgreSQL, anything else is a SQLite file path (default
 * `<data-dir>/kt-control-plane.db`).
 *
 * @module
 */
import { join } from "node:path";
import type { Store } from "./types.ts";
import { openSqliteStore, SQLITE_FILE_NAME } from "./sqlite.ts";
import { openPostgresStore } from "./postgres.ts";

export type { Store } from "./types.ts";

/** True for `postgres://` and `postgresql://` URLs. */
export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database);
}

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** `postgres://…` or a SQLite file path; default `<dataDir>/kt-control-plane.db`. */
  database?: string;
  /** The data directory (created with mode 0700 when SQLite needs it). */
  dataDir: string;
}

/** Opens and migrates the configured store. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.database && isPostgresUrl(options.database)) return await openPostgresStore(options.database);
  const path = options.database || join(options.dataDir, SQLITE_FILE_NAME);
  if (!options.database) await Deno.mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  return await openSqliteStore(path);
}

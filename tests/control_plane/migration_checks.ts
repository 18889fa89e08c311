/**
 * Data checks of migrations, shared by the SQLite and PostgreSQL tests: a
 * database left at an older schema version with rows in it, then opened by
 * this version of the store.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ADMIN_SCOPES } from "../../src/control_plane/auth.ts";
import { MIGRATIONS, migrationSql, SCHEMA_MIGRATIONS_DDL } from "../../src/control_plane/store/migrations.ts";
import type { Store, StoreBackend } from "../../src/control_plane/store/types.ts";

/** Runs one statement with `?` placeholders on the raw database. */
export type RawRun = (sql: string, params?: Array<string | number | null>) => Promise<void>;

/**
 * Migration 3: a token that held every admin scope (the bootstrap token) keeps holding every one;
 * a partial admin token and gateway tokens gain nothing.
 */
export async function checkMigration3(
  backend: StoreBackend,
  run: RawRun,
  open: () => Promise<Store>,
): Promise<void> {
  await run(SCHEMA_MIGRATIONS_DDL);
  for (const m of MIGRATIONS.filter((m) => m.version <= 2)) {
    for (const stmt of migrationSql(m, backend)) await run(stmt);
    await run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 'x')", [
      m.version,
      m.name,
    ]);
  }
  const old = [
    "configurations:write",
    "configurations:read",
    "gateways:write",
    "gateways:read",
    "events:read",
  ];
  const insert =
    "INSERT INTO tokens (id, kind, name, token_hash, scopes, gateway_id, created_at) VALUES (?, ?, ?, ?, ?, ?, 'x')";
  await run(insert, [
    "tok_full",
    "admin",
    "bootstrap admin",
    "h1",
    JSON.stringify([...old, "tokens:write"]),
    null,
  ]);
  await run(insert, ["tok_ops", "admin", "ops", "h2", JSON.stringify(old), null]);
  await run(insert, [
    "tok_gw",
    "gateway",
    "gw",
    "h3",
    JSON.stringify(["configurations:read", "secrets:read"]),
    "g",
  ]);
  const store = await open();
  try {
    const scopes = Object.fromEntries((await store.listTokens()).map((t) => [t.id, t.scopes]));
    assert.deepEqual(
      new Set(scopes.tok_full),
      new Set(ADMIN_SCOPES),
      "the full token still holds every scope",
    );
    assert.deepEqual(scopes.tok_ops, old, "a partial token gains no secrets:read");
    assert.deepEqual(scopes.tok_gw, ["configurations:read", "secrets:read"]);
  } finally {
    await store.close();
  }
}

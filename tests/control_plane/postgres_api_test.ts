/**
 * The API and authority suites on PostgreSQL: starts a throwaway cluster (initdb + pg_ctl,
 * as the `postgres` user when root) on 127.0.0.1 with a random port, and stops
 * it by its PID after the last test. Skipped, visibly, when PostgreSQL is not
 * installed.
 */
import { registerApiSuite } from "./api_suite.ts";
import { registerAuthoritySuite } from "./authority_suite.ts";
import postgres from "postgres";
import { openPostgresStore, toPostgresPlaceholders } from "../../src/control_plane/store/postgres.ts";
import { postgresFactory, withFileTestPostgres } from "./helpers.ts";
import { checkMigration3 } from "./migration_checks.ts";

await withFileTestPostgres((cluster, skip) => {
  const factory = () => {
    const pg = cluster();
    return pg ? postgresFactory(pg) : null;
  };
  registerApiSuite("postgres", factory, skip);
  registerAuthoritySuite("postgres", factory, skip);
  Deno.test({
    name: `[postgres] migration 3: full admin tokens keep every scope, others gain nothing${
      skip ? ` (skipped: ${skip})` : ""
    }`,
    ignore: skip !== undefined,
    fn: async () => {
      const url = await cluster()!.createDatabase();
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await checkMigration3("postgres", async (text, params = []) => {
          await sql.unsafe(toPostgresPlaceholders(text), params);
        }, () => openPostgresStore(url, { maxConnections: 2 }));
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  });
});

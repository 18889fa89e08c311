/**
 * The API suite on PostgreSQL: starts a throwaway cluster (initdb + pg_ctl,
 * as the `postgres` user when root) on 127.0.0.1 with a random port, and stops
 * it by its PID after the last test. Skipped, visibly, when PostgreSQL is not
 * installed.
 */
import { registerApiSuite } from "./api_suite.ts";
import { postgresFactory, withFileTestPostgres } from "./helpers.ts";

await withFileTestPostgres((cluster, skip) => {
  registerApiSuite("postgres", () => {
    const pg = cluster();
    return pg ? postgresFactory(pg) : null;
  }, skip);
});

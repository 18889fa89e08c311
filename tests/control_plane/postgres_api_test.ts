/**
 * The API suite on PostgreSQL: starts a throwaway cluster (initdb + pg_ctl,
 * as the `postgres` user when root) on 127.0.0.1 with a random port, and stops
 * it by its PID after the last test. Skipped, visibly, when PostgreSQL is not
 * installed.
 */
import { registerApiSuite } from "./api_suite.ts";
import { postgresBinDir, postgresFactory, startTestPostgres, type TestPostgres } from "./helpers.ts";

const binDir = postgresBinDir();
let pg: TestPostgres | null = null;
if (binDir) {
  pg = await startTestPostgres(binDir);
  const pid = pg.pid;
  globalThis.addEventListener("unload", () => {
    try {
      Deno.kill(pid, "SIGINT");
    } catch {
      // already stopped
    }
  });
}

registerApiSuite("postgres", () => (pg ? postgresFactory(pg) : null), binDir ? undefined : "no postgres");

Deno.test({
  name: binDir ? "[postgres] stop the test cluster" : "[postgres] skipped: no postgres (install postgresql)",
  ignore: !binDir,
  fn: async () => {
    await pg?.stop();
  },
});

/**
 * Shared helpers of the control plane tests: a real server on 127.0.0.1:0
 * over a given store, a small HTTP helper, a movable clock, and a throwaway
 * PostgreSQL cluster when the binaries are installed.
 *
 * @module
 */
import { join } from "node:path";
import postgres from "postgres";
import { controlPlaneFlags } from "../../scripts/permissions.ts";
import { type RunningControlPlane, startControlPlane } from "../../src/control_plane/serve.ts";
import type { ServeOptions } from "../../src/control_plane/serve.ts";
import { openSqliteStore } from "../../src/control_plane/store/sqlite.ts";
import { openPostgresStore } from "../../src/control_plane/store/postgres.ts";
import type { Store } from "../../src/control_plane/store/types.ts";

/** Admin token every test server is bootstrapped with. */
export const ADMIN_TOKEN = "kt_admin_test-bootstrap-token-0123456789abcdef";
/** Fixed encryption key (base64 of 32 bytes) for test servers. */
export const TEST_KEY = btoa(String.fromCharCode(...new Uint8Array(32).map((_, i) => i + 1)));

/** A clock tests can move. */
export class TestClock {
  #t: number;
  constructor(start = Date.parse("2026-03-20T12:00:00.000Z")) {
    this.#t = start;
  }
  now = (): Date => new Date(this.#t);
  advance(seconds: number): void {
    this.#t += seconds * 1000;
  }
}

/** How a test obtains stores of one backend. */
export interface StoreFactory {
  backend: "sqlite" | "postgres";
  /** A fresh, empty, migrated store. */
  fresh(): Promise<StoreHandle>;
}

/** A store plus the way to reopen the same data and to read raw rows. */
export interface StoreHandle {
  store: Store;
  reopen(): Promise<Store>;
  /** Raw `value` column of a config variable, read around the store. */
  rawVariableValue(name: string): Promise<string | null>;
  /** Rows of a query run around the store (a separate connection; no parameters). */
  rawQuery(sql: string): Promise<Array<Record<string, unknown>>>;
  /** Every byte of the database files (SQLite) or a dump of the table (PostgreSQL). */
  rawDump(): Promise<string>;
  /** Removes what `fresh` created (the store must be closed). */
  cleanup(): Promise<void>;
}

/** SQLite stores in temporary directories. */
export const sqliteFactory: StoreFactory = {
  backend: "sqlite",
  async fresh(): Promise<StoreHandle> {
    const dir = await Deno.makeTempDir({ prefix: "kt-cp-test-" });
    const path = join(dir, "kt-control-plane.db");
    return {
      store: await openSqliteStore(path),
      reopen: () => openSqliteStore(path),
      async rawVariableValue(name: string): Promise<string | null> {
        const { DatabaseSync } = await import("node:sqlite");
        const db = new DatabaseSync(path, { readOnly: true });
        try {
          const row = db.prepare("SELECT value FROM config_variables WHERE name = ?").get(name) as
            | { value: string }
            | undefined;
          return row?.value ?? null;
        } finally {
          db.close();
        }
      },
      async rawQuery(sql: string): Promise<Array<Record<string, unknown>>> {
        const { DatabaseSync } = await import("node:sqlite");
        const db = new DatabaseSync(path, { readOnly: true });
        try {
          return db.prepare(sql).all() as Array<Record<string, unknown>>;
        } finally {
          db.close();
        }
      },
      async rawDump(): Promise<string> {
        let out = "";
        for (const f of ["kt-control-plane.db", "kt-control-plane.db-wal"]) {
          try {
            out += new TextDecoder("latin1").decode(await Deno.readFile(join(dir, f)));
          } catch {
            // no WAL
          }
        }
        return out;
      },
      cleanup: () => Deno.remove(dir, { recursive: true }),
    };
  },
};

/** Options of {@link startTestServer}. */
export interface TestServerOptions extends Partial<ServeOptions> {
  store: Store;
}

/** Starts a control plane on 127.0.0.1:0 over `store`, bootstrapped with {@link ADMIN_TOKEN}. */
export async function startTestServer(options: TestServerOptions): Promise<RunningControlPlane> {
  const env: Record<string, string> = {
    KEEPTRUSTS_BOOTSTRAP_ADMIN_TOKEN: ADMIN_TOKEN,
    KEEPTRUSTS_SECRET_ENCRYPTION_KEY: TEST_KEY,
  };
  return await startControlPlane({
    listen: "127.0.0.1:0",
    dataDir: "/nonexistent-kt-test-data-dir",
    env: (n) => env[n],
    log: () => {},
    announce: () => {},
    shutdownGraceSeconds: 2,
    ...options,
  });
}

/** A decoded response. */
export interface ApiResponse {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  body: any;
  text: string;
}

/** Calls the API and always consumes the body. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string | null; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** A minimal valid config of `version` (optionally referencing a stored secret). */
export function sampleConfig(version: string, extra = ""): string {
  return `pack: { name: production, version: ${version}, enabled: true }
providers:
  targets:
    - id: openai-main
      provider: openai
      model: gpt-4o-mini
      secret_key_ref: { store: OPENAI_KEY }
${extra}`;
}

// ---------------------------------------------------------------- PostgreSQL

const PG_BIN_DIRS = [
  "/usr/lib/postgresql/17/bin",
  "/usr/lib/postgresql/16/bin",
  "/usr/lib/postgresql/15/bin",
];

/** The directory holding `initdb` and `pg_ctl`, or null when PostgreSQL is not installed. */
export function postgresBinDir(): string | null {
  for (const dir of PG_BIN_DIRS) {
    try {
      Deno.statSync(join(dir, "initdb"));
      Deno.statSync(join(dir, "pg_ctl"));
      return dir;
    } catch {
      // next
    }
  }
  return null;
}

/** A throwaway PostgreSQL cluster on 127.0.0.1. */
export interface TestPostgres {
  /** Admin URL (database `postgres`). */
  url: string;
  port: number;
  pid: number;
  /** A URL to a new empty database. */
  createDatabase(): Promise<string>;
  /** Stops the server by its PID and removes its directory. */
  stop(): Promise<void>;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * initdb + start a cluster owned by the `postgres` user (when run as root) in a
 * temporary directory, listening on 127.0.0.1:<free port> and a socket in that
 * directory. Trust authentication, loopback only.
 */
export async function startTestPostgres(binDir: string): Promise<TestPostgres> {
  const dir = await Deno.makeTempDir({ prefix: "kt-cp-pg-" });
  const data = join(dir, "data");
  const asRoot = Deno.uid() === 0;
  const wrap = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
  if (asRoot) await run("chown", ["postgres:postgres", dir]);
  await run(
    ...wrap(join(binDir, "initdb"), [
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--no-sync",
    ]),
  );
  const port = freePort();
  await run(...wrap(join(binDir, "pg_ctl"), [
    "-D",
    data,
    "-l",
    join(dir, "server.log"),
    "-w",
    "-t",
    "30",
    "-o",
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off -c max_connections=200`,
    "start",
  ]));
  const pid = Number((await Deno.readTextFile(join(data, "postmaster.pid"))).split("\n")[0]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let n = 0;
  return {
    url,
    port,
    pid,
    async createDatabase(): Promise<string> {
      const name = `kt_test_${Date.now()}_${n++}`;
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`CREATE DATABASE ${name}`);
      } finally {
        await sql.end({ timeout: 5 });
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop(): Promise<void> {
      if (alive(pid)) Deno.kill(pid, "SIGINT"); // fast shutdown
      for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** PostgreSQL stores, one database each, on a running test cluster. */
export function postgresFactory(pg: TestPostgres): StoreFactory {
  return {
    backend: "postgres",
    async fresh(): Promise<StoreHandle> {
      const url = await pg.createDatabase();
      const raw = async (query: string, params: string[] = []) => {
        const sql = postgres(url, { max: 1, onnotice: () => {} });
        try {
          return [...await sql.unsafe(query, params)];
        } finally {
          await sql.end({ timeout: 5 });
        }
      };
      return {
        store: await openPostgresStore(url, { maxConnections: 4 }),
        reopen: () => openPostgresStore(url, { maxConnections: 4 }),
        async rawVariableValue(name: string): Promise<string | null> {
          const rows = await raw("SELECT value FROM config_variables WHERE name = $1", [name]);
          return rows.length ? String(rows[0].value) : null;
        },
        rawQuery: (sql: string) => raw(sql),
        async rawDump(): Promise<string> {
          const rows = await raw("SELECT * FROM config_variables");
          return JSON.stringify(rows);
        },
        cleanup: () => Promise.resolve(),
      };
    },
  };
}

/**
 * The throwaway cluster of one test file: started at module load when PostgreSQL is installed and
 * killed by its PID on unload; `register` adds the file's tests (`cluster()` is null and `skip` says
 * why when PostgreSQL is not installed), then a last test stops the cluster (named so a skip is visible).
 */
export async function withFileTestPostgres(
  register: (cluster: () => TestPostgres | null, skip?: string) => void,
): Promise<void> {
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
  register(() => pg, binDir ? undefined : "no postgres");
  Deno.test({
    name: binDir
      ? "[postgres] stop the test cluster"
      : "[postgres] skipped: no postgres (install postgresql)",
    ignore: !binDir,
    fn: async () => {
      await pg?.stop();
    },
  });
}

/**
 * `kt-control-plane <args>` from the sources under exactly the binary's permission set (`dataDir`
 * writable), with a cleared environment plus `env`, stdin closed, output piped.
 */
export function controlPlaneCommand(
  dataDir: string,
  args: string[],
  env: Record<string, string>,
): Deno.Command {
  const root = new URL("../../", import.meta.url).pathname;
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...controlPlaneFlags({ dataDir }), join(root, "control_plane.ts"), ...args],
    cwd: root,
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/**
 * The `kt-control-plane` command line: `serve`, `migrate`, and `token create`
 * (offline recovery when every admin token is lost). Settings resolve as
 * flag > environment > default.
 *
 * @module
 */
import { Command } from "commander";
import { KT_VERSION } from "../version.ts";
import { ADMIN_SCOPES, mintAdminToken } from "../control_plane/auth.ts";
import { parseListen, startControlPlane, stderrLogger } from "../control_plane/serve.ts";
import { openStore, type OpenStoreOptions } from "../control_plane/store/mod.ts";
import { CliError } from "./errors.ts";
import { runProgram } from "./runner.ts";

function env(name: string): string | undefined {
  const v = Deno.env.get(name);
  return v === undefined || v === "" ? undefined : v;
}

function positive(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new CliError(`${name} must be a positive number (got "${value}")`, 2);
  }
  return n;
}

function warnIfPasswordInFlag(database: string | undefined): void {
  if (!database) return;
  try {
    if (new URL(database).password) {
      console.error(
        "kt-control-plane: warning: the --database URL contains a password, visible in the process list; use KEEPTRUSTS_DATABASE_URL instead",
      );
    }
  } catch {
    // a file path
  }
}

interface StoreFlags {
  database?: string;
  dataDir?: string;
}

/**
 * The store every command opens: `--database` / `--data-dir`, else `KEEPTRUSTS_DATABASE_URL` /
 * `KEEPTRUSTS_DATA_DIR`, else `./.kt-data`; warns when the flag carries a password.
 */
function storeSettings(flags: StoreFlags): OpenStoreOptions {
  warnIfPasswordInFlag(flags.database);
  return {
    database: flags.database ?? env("KEEPTRUSTS_DATABASE_URL"),
    dataDir: flags.dataDir ?? env("KEEPTRUSTS_DATA_DIR") ?? "./.kt-data",
  };
}

/** Builds the `kt-control-plane` program. */
export function buildControlPlaneProgram(): Command {
  const program = new Command("kt-control-plane")
    .description(
      "kt control plane: stores versioned configs, rolls them out to gateways, collects their status",
    )
    .version(KT_VERSION, "-V, --version", "print the version")
    .showHelpAfterError("(add --help for usage)");

  program.command("serve")
    .description("serve the control plane API")
    .option("--listen <host:port>", "bind address (env KEEPTRUSTS_LISTEN)", undefined)
    .option(
      "--database <path|url>",
      "SQLite file or postgres:// URL (env KEEPTRUSTS_DATABASE_URL; default <data-dir>/kt-control-plane.db)",
    )
    .option("--data-dir <dir>", "data directory (env KEEPTRUSTS_DATA_DIR; default ./.kt-data)")
    .option("--tls-cert <path>", "serve HTTPS with this PEM certificate (env KEEPTRUSTS_TLS_CERT_PATH)")
    .option("--tls-key <path>", "PEM private key for --tls-cert (env KEEPTRUSTS_TLS_KEY_PATH)")
    .option(
      "--default-poll-interval <seconds>",
      "poll interval assumed for gateways that do not report theirs (env KEEPTRUSTS_DEFAULT_POLL_INTERVAL; default 30)",
    )
    .option(
      "--offline-after <intervals>",
      "show a gateway offline after this many silent poll intervals (default 3)",
    )
    .option(
      "--event-retention-days <days>",
      "delete decision events older than this (env KEEPTRUSTS_EVENT_RETENTION_DAYS; default 30)",
    )
    .option(
      "--event-rate-limit <events/s>",
      "decision events one gateway may post per second, bursts of 10000 (env KEEPTRUSTS_EVENT_RATE_LIMIT; default 200; 0 = no limit)",
    )
    .option(
      "--event-clock-skew <seconds>",
      "clamp event timestamps to the receipt time ± this (env KEEPTRUSTS_EVENT_CLOCK_SKEW; default 300)",
    )
    .option("--log-level <level>", "debug|info|warn|error (env KEEPTRUSTS_LOG_LEVEL; default info)")
    .action(async (flags: {
      listen?: string;
      database?: string;
      dataDir?: string;
      tlsCert?: string;
      tlsKey?: string;
      defaultPollInterval?: string;
      offlineAfter?: string;
      eventRetentionDays?: string;
      eventRateLimit?: string;
      eventClockSkew?: string;
      logLevel?: string;
    }) => {
      const listen = flags.listen ?? env("KEEPTRUSTS_LISTEN") ?? "0.0.0.0:8081";
      try {
        parseListen(listen);
      } catch (err) {
        throw new CliError((err as Error).message, 2);
      }
      const level = flags.logLevel ?? env("KEEPTRUSTS_LOG_LEVEL") ?? "info";
      if (!["debug", "info", "warn", "error"].includes(level)) {
        throw new CliError(`--log-level must be debug, info, warn or error (got "${level}")`, 2);
      }
      const storeOptions = storeSettings(flags);
      const retention = flags.eventRetentionDays ?? env("KEEPTRUSTS_EVENT_RETENTION_DAYS");
      if (retention !== undefined && !/^\d+$/.test(retention)) {
        throw new CliError(`--event-retention-days must be a whole number (0 keeps all)`, 2);
      }
      const whole = (value: string | undefined, name: string) => {
        if (value !== undefined && !/^\d{1,9}$/.test(value)) {
          throw new CliError(`${name} must be a whole number, 0 or more (got "${value}")`, 2);
        }
        return value === undefined ? undefined : Number(value);
      };
      const eventRateLimit = whole(
        flags.eventRateLimit ?? env("KEEPTRUSTS_EVENT_RATE_LIMIT"),
        "--event-rate-limit",
      );
      const eventClockSkewSeconds = whole(
        flags.eventClockSkew ?? env("KEEPTRUSTS_EVENT_CLOCK_SKEW"),
        "--event-clock-skew",
      );
      let running;
      try {
        running = await startControlPlane({
          listen,
          ...storeOptions,
          tlsCertPath: flags.tlsCert,
          tlsKeyPath: flags.tlsKey,
          defaultPollIntervalSeconds: positive(
            flags.defaultPollInterval ?? env("KEEPTRUSTS_DEFAULT_POLL_INTERVAL"),
            "--default-poll-interval",
          ),
          offlineAfterIntervals: positive(flags.offlineAfter, "--offline-after"),
          eventRetentionDays: retention === undefined ? undefined : Number(retention),
          eventRateLimit,
          eventClockSkewSeconds,
          log: stderrLogger(level as "info"),
        });
      } catch (err) {
        if (err instanceof CliError) throw err;
        if (err instanceof Deno.errors.NotCapable) {
          const path = /"([^"]+)"/.exec((err as Error).message)?.[1] ?? "a file";
          throw new CliError(
            `cannot access ${path}: kt-control-plane may only read and write its data directory (and read /etc/keeptrusts); set --data-dir or KEEPTRUSTS_DATA_DIR to that directory, or put the file there`,
            1,
          );
        }
        if (err instanceof Deno.errors.AddrInUse) {
          throw new CliError(`${listen} is already in use; pick another --listen`, 1);
        }
        throw new CliError(`cannot start: ${(err as Error).message}`, 1);
      }
      const stop = () => {
        running.stop().catch(() => {});
      };
      const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
      for (const s of signals) Deno.addSignalListener(s, stop);
      try {
        await running.finished;
        await running.stop();
      } finally {
        for (const s of signals) Deno.removeSignalListener(s, stop);
      }
    });

  program.command("migrate")
    .description("apply pending database migrations and exit")
    .option("--database <path|url>", "SQLite file or postgres:// URL (env KEEPTRUSTS_DATABASE_URL)")
    .option("--data-dir <dir>", "data directory (env KEEPTRUSTS_DATA_DIR; default ./.kt-data)")
    .action(async (flags: StoreFlags) => {
      const store = await openStore(storeSettings(flags));
      await store.close();
      console.error(`kt-control-plane: the ${store.backend} database at ${store.location} is up to date`);
    });

  const token = program.command("token").description(
    "manage admin tokens directly in the database (recovery)",
  );
  token.command("create")
    .description("create an admin token and print it once (works while the server runs)")
    .requiredOption("--name <name>", "what the token is for")
    .option("--scopes <list>", `comma-separated admin scopes (default all: ${ADMIN_SCOPES.join(",")})`)
    .option("--database <path|url>", "SQLite file or postgres:// URL (env KEEPTRUSTS_DATABASE_URL)")
    .option("--data-dir <dir>", "data directory (env KEEPTRUSTS_DATA_DIR; default ./.kt-data)")
    .action(async (flags: StoreFlags & { name: string; scopes?: string }) => {
      const scopes = flags.scopes
        ? flags.scopes.split(",").map((s) => s.trim()).filter(Boolean)
        : [...ADMIN_SCOPES];
      const unknown = scopes.filter((s) => !(ADMIN_SCOPES as readonly string[]).includes(s));
      if (unknown.length > 0 || scopes.length === 0) {
        throw new CliError(
          `unknown scope(s) ${unknown.join(", ")}; admin scopes are ${ADMIN_SCOPES.join(", ")}`,
          2,
        );
      }
      const store = await openStore(storeSettings(flags));
      try {
        const minted = mintAdminToken(flags.name, scopes, "cli", new Date());
        await store.insertToken(minted.record);
        await store.insertAudit({
          at: minted.record.createdAt,
          action: "token_created",
          tokenId: null,
          gatewayId: null,
          subject: minted.record.id,
          details: { scopes, via: "kt-control-plane token create" },
          requestId: null,
        });
        console.log(minted.token);
        console.error(
          `kt-control-plane: created admin token ${minted.record.id} (${scopes.join(", ")}); shown once`,
        );
      } finally {
        await store.close();
      }
    });

  return program;
}

/** Runs `kt-control-plane` with `args`; resolves with the exit code (0 ok, 1 failure, 2 usage). */
export function runControlPlaneCli(args: string[]): Promise<number> {
  return runProgram(buildControlPlaneProgram(), "kt-control-plane", args);
}

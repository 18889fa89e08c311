/**
 * Starting and stopping the control plane server: opens the store, loads the
 * secret key, creates the bootstrap admin token on an empty database, serves
 * HTTP (or HTTPS with a certificate), and shuts down gracefully.
 *
 * @module
 */
import { KT_VERSION } from "../version.ts";
import { ensureBootstrapAdmin } from "./auth.ts";
import type { Logger } from "./context.ts";
import { loadSecretBox } from "./crypto.ts";
import { type ControlPlaneOptions, createControlPlaneApp } from "./server.ts";
import { openStore } from "./store/mod.ts";
import {
  type GuardedServer,
  HEAD_TIMEOUT_ENV,
  parseHeadTimeout,
  serveWithHeadGuard,
} from "../net/head_guard.ts";
import type { Store } from "./store/types.ts";

/** Options of {@link startControlPlane}. */
export interface ServeOptions extends Omit<ControlPlaneOptions, "secrets" | "log" | "metrics"> {
  /** `host:port` (default `0.0.0.0:8081`); port 0 picks a free port. */
  listen?: string;
  /** `postgres://…` or a SQLite file; default `<dataDir>/kt-control-plane.db`. */
  database?: string;
  /** Default `./.kt-data`. */
  dataDir?: string;
  tlsCertPath?: string;
  tlsKeyPath?: string;
  /** Reads environment variables (default `Deno.env.get`). */
  env?: (name: string) => string | undefined;
  /** Log sink (default: JSON lines on stderr at `info` and above). */
  log?: Logger;
  /** Where the one-time bootstrap token is printed (default stderr). */
  announce?: (text: string) => void;
  /** Use this store instead of opening one (it is closed on stop all the same). */
  store?: Store;
  /** Seconds to let in-flight requests finish on stop (default 10). */
  shutdownGraceSeconds?: number;
  /** Bound on receiving a request head in ms (env `KEEPTRUSTS_REQUEST_HEAD_TIMEOUT_MS`, default 10000; 0 = off). */
  requestHeadTimeoutMs?: number;
}

/** A running control plane. */
export interface RunningControlPlane {
  /** Base URL, e.g. `http://127.0.0.1:8081`. */
  url: string;
  hostname: string;
  port: number;
  store: Store;
  /** Stops accepting, finishes in-flight requests (bounded), closes the store. Idempotent. */
  stop(): Promise<void>;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
}

/** Parses `host:port`, `[v6]:port` or `:port`. */
export function parseListen(listen: string): { hostname: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`--listen must be host:port (e.g. 0.0.0.0:8081), got "${listen}"`);
  return { hostname: m[1] ?? (m[2] || "0.0.0.0"), port };
}

/** A logger writing JSON lines to stderr, dropping levels below `min`. */
export function stderrLogger(min: "debug" | "info" | "warn" | "error" = "info"): Logger {
  const order = { debug: 0, info: 1, warn: 2, error: 3 };
  const enc = new TextEncoder();
  return (level, message, fields) => {
    if (order[level] < order[min]) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields });
    try {
      Deno.stderr.writeSync(enc.encode(line + "\n"));
    } catch {
      // stderr closed
    }
  };
}

/** Starts the control plane; resolves once it listens. */
export async function startControlPlane(options: ServeOptions = {}): Promise<RunningControlPlane> {
  const env = options.env ?? ((n: string) => Deno.env.get(n));
  const log = options.log ?? stderrLogger((env("KEEPTRUSTS_LOG_LEVEL") as "info") ?? "info");
  const announce = options.announce ?? ((t: string) => console.error(t));
  const dataDir = options.dataDir ?? env("KEEPTRUSTS_DATA_DIR") ?? "./.kt-data";
  const database = options.database ?? env("KEEPTRUSTS_DATABASE_URL");
  const { hostname, port } = parseListen(options.listen ?? env("KEEPTRUSTS_LISTEN") ?? "0.0.0.0:8081");
  const certPath = options.tlsCertPath ?? env("KEEPTRUSTS_TLS_CERT_PATH");
  const keyPath = options.tlsKeyPath ?? env("KEEPTRUSTS_TLS_KEY_PATH");
  const headTimeoutMs = options.requestHeadTimeoutMs ??
    parseHeadTimeout(env(HEAD_TIMEOUT_ENV), HEAD_TIMEOUT_ENV);
  if (Boolean(certPath) !== Boolean(keyPath)) {
    throw new Error(
      "TLS needs both --tls-cert and --tls-key (KEEPTRUSTS_TLS_CERT_PATH / KEEPTRUSTS_TLS_KEY_PATH)",
    );
  }
  let cert: string | undefined;
  let key: string | undefined;
  if (certPath && keyPath) {
    cert = await Deno.readTextFile(certPath);
    key = await Deno.readTextFile(keyPath);
  }

  const { box, source } = await loadSecretBox({
    dataDir,
    env,
    warn: (m) => log("warn", m),
  });
  const store = options.store ?? await openStore({ database, dataDir });
  try {
    if (source === "generated" && store.backend === "postgres") {
      log(
        "warn",
        "the secret encryption key lives in the local data directory while the data is in PostgreSQL; set KEEPTRUSTS_SECRET_ENCRYPTION_KEY on every replica",
      );
    }
    const bootstrap = await ensureBootstrapAdmin(store, env("KEEPTRUSTS_BOOTSTRAP_ADMIN_TOKEN") || undefined);
    if (bootstrap.kind === "created") {
      announce(
        [
          "",
          "kt-control-plane: created the first admin token (shown once; store it now):",
          "",
          `    ${bootstrap.token}`,
          "",
          "  export KEEPTRUSTS_API_TOKEN=<that token>   # for the kt CLI",
          "",
        ].join("\n"),
      );
      log("info", "bootstrap admin token created", { token_id: bootstrap.tokenId });
    } else if (bootstrap.kind === "from_env") {
      log("info", "bootstrap admin token taken from KEEPTRUSTS_BOOTSTRAP_ADMIN_TOKEN", {
        token_id: bootstrap.tokenId,
      });
    } else if (bootstrap.kind === "env_ignored") {
      log("warn", "KEEPTRUSTS_BOOTSTRAP_ADMIN_TOKEN is ignored: the database already has tokens");
    }
  } catch (err) {
    if (!options.store) await store.close();
    throw err;
  }

  const { app } = createControlPlaneApp(store, {
    ...options,
    version: options.version ?? KT_VERSION,
    secrets: box,
    log,
  });
  const listening = Promise.withResolvers<{ hostname: string; port: number }>();
  const abort = new AbortController();
  let server: GuardedServer;
  try {
    server = serveWithHeadGuard({
      hostname,
      port,
      headTimeoutMs,
      signal: abort.signal,
      ...(cert && key ? { cert, key } : {}),
      onListen: (addr) => listening.resolve(addr),
      onError: (err) => {
        log("error", "unhandled server error", { error: (err as Error)?.message });
        return new Response(
          JSON.stringify({
            error: { type: "internal_error", code: "internal_error", message: "internal error" },
          }),
          {
            status: 500,
            headers: { "content-type": "application/json" },
          },
        );
      },
    }, app.fetch);
  } catch (err) {
    await store.close();
    throw err;
  }
  const addr = await listening.promise;
  const scheme = cert ? "https" : "http";
  const shownHost = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  const url = `${scheme}://${shownHost === "0.0.0.0" ? "127.0.0.1" : shownHost}:${addr.port}`;
  log("info", "kt-control-plane listening", {
    url: `${scheme}://${shownHost}:${addr.port}`,
    database: store.backend,
    location: store.location,
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const grace = (options.shutdownGraceSeconds ?? 10) * 1000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        server.shutdown(),
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            abort.abort();
            resolve();
          }, grace);
        }),
      ]);
      clearTimeout(timer);
      await server.finished.catch(() => {});
      await store.close();
      log("info", "kt-control-plane stopped");
    })();
    return stopping;
  };

  return { url, hostname: addr.hostname, port: addr.port, store, stop, finished: server.finished };
}

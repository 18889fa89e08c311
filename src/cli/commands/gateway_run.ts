/**
 * `kt gateway run` (local mode) and `kt gateway reload`.
 *
 * @module
 */
import { Command, Option } from "commander";
import { ConfigError, formatIssue } from "../../config/errors.ts";
import { loadConfig } from "../../config/load.ts";
import { policyKindInfo } from "../../policy/registry.ts";
import { Gateway } from "../../gateway/server.ts";
import { levelFromEnv, Logger } from "../../observability/log.ts";
import type { UpstreamOverride } from "../../providers/mod.ts";
import { KT_VERSION } from "../../version.ts";
import { CliError } from "../errors.ts";
import { readConfigSources, readTextFile } from "../config_files.ts";
import { parseFailMode, parseListen, parsePositiveInt, secretFromEnv, setting } from "../settings.ts";
import { HEAD_TIMEOUT_ENV, parseHeadTimeout } from "../../net/head_guard.ts";

/** Options shared by `kt gateway run` and `kt run --managed`. */
export interface ServeFlags {
  listen?: string;
  failMode?: string;
  maxConcurrency?: string;
  upstream?: string;
  upstreamApiKeyHeader?: string;
  upstreamApiKeyPrefix?: string;
  tlsCert?: string;
  tlsKey?: string;
  requestHeadTimeoutMs?: string;
}

/** Adds the serving options shared by local and managed mode to `cmd`. */
export function addServeOptions(cmd: Command, defaultListen: string): Command {
  return cmd
    .option("--listen <host:port>", `bind address (env KEEPTRUSTS_LISTEN, default ${defaultListen})`)
    .addOption(
      new Option(
        "--fail-mode <mode>",
        "what a policy error does: block or allow (env KEEPTRUSTS_FAIL_MODE, default block)",
      ),
    )
    .option(
      "--max-concurrency <n>",
      "concurrent upstream requests before queueing, then shedding (env KEEPTRUSTS_GATEWAY_MAX_CONCURRENCY, default 512)",
    )
    .option(
      "--upstream <url>",
      "debug only: send every request to this OpenAI-compatible base URL (env KEEPTRUSTS_UPSTREAM_URL)",
    )
    .option(
      "--upstream-api-key-header <header>",
      "debug only: header for the upstream key (env KEEPTRUSTS_UPSTREAM_API_KEY_HEADER, default Authorization)",
    )
    .option(
      "--upstream-api-key-prefix <prefix>",
      "debug only: prefix of the upstream key (env KEEPTRUSTS_UPSTREAM_API_KEY_PREFIX, default Bearer); the key itself only from env KEEPTRUSTS_UPSTREAM_API_KEY",
    )
    .option("--tls-cert <path>", "serve HTTPS with this certificate (env KEEPTRUSTS_TLS_CERT_PATH)")
    .option("--tls-key <path>", "private key for --tls-cert (env KEEPTRUSTS_TLS_KEY_PATH)")
    .option(
      "--request-head-timeout-ms <ms>",
      `close a connection whose request head is not complete in time; 0 turns it off (env ${HEAD_TIMEOUT_ENV}, default 10000)`,
    );
}

/** Resolved serving settings. */
export interface ServeSettings {
  listen: { hostname: string; port: number };
  failMode: "block" | "allow";
  maxConcurrency: number;
  override?: UpstreamOverride;
  tls?: { cert: string; key: string };
  caCerts?: string[];
  /** Bound on receiving a request head (ms; 0 = off). */
  headTimeoutMs: number;
}

/** Resolves serving flags against the environment and defaults. */
export function resolveServeSettings(flags: ServeFlags, defaultListen: string): ServeSettings {
  const listen = parseListen(setting(flags.listen, "KEEPTRUSTS_LISTEN", defaultListen)!);
  const failMode = parseFailMode(setting(flags.failMode, "KEEPTRUSTS_FAIL_MODE", "block")!);
  const maxConcurrency = parsePositiveInt(
    setting(flags.maxConcurrency, "KEEPTRUSTS_GATEWAY_MAX_CONCURRENCY", "512")!,
    "--max-concurrency",
  );
  const upstreamUrl = setting(flags.upstream, "KEEPTRUSTS_UPSTREAM_URL");
  let override: UpstreamOverride | undefined;
  if (upstreamUrl) {
    if (!URL.canParse(upstreamUrl) || !/^https?:$/.test(new URL(upstreamUrl).protocol)) {
      throw new CliError(`--upstream must be an http(s) URL (got "${upstreamUrl}")`, 2);
    }
    override = {
      url: upstreamUrl,
      apiKey: Deno.env.get("KEEPTRUSTS_UPSTREAM_API_KEY") || undefined,
      header: setting(flags.upstreamApiKeyHeader, "KEEPTRUSTS_UPSTREAM_API_KEY_HEADER", "Authorization")!,
      prefix: setting(flags.upstreamApiKeyPrefix, "KEEPTRUSTS_UPSTREAM_API_KEY_PREFIX", "Bearer")!,
    };
  }
  const certPath = setting(flags.tlsCert, "KEEPTRUSTS_TLS_CERT_PATH");
  const keyPath = setting(flags.tlsKey, "KEEPTRUSTS_TLS_KEY_PATH");
  if (!!certPath !== !!keyPath) {
    throw new CliError("--tls-cert and --tls-key go together: give both or neither", 2);
  }
  const tls = certPath && keyPath ? { cert: readTextFile(certPath), key: readTextFile(keyPath) } : undefined;
  const caPath = Deno.env.get("KEEPTRUSTS_CA_CERT_PATH");
  const caCerts = caPath ? [readTextFile(caPath)] : undefined;
  let headTimeoutMs: number;
  try {
    headTimeoutMs = parseHeadTimeout(
      setting(flags.requestHeadTimeoutMs, HEAD_TIMEOUT_ENV),
      `--request-head-timeout-ms (env ${HEAD_TIMEOUT_ENV})`,
    );
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
  return { listen, failMode, maxConcurrency, override, tls, caCerts, headTimeoutMs };
}

/** Stops the gateway on SIGTERM/SIGINT (drain, exit 0). */
export function installShutdown(
  gateway: Gateway,
  onStop: () => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      gateway.logger.info("shutting down: draining in-flight requests", { signal });
      gateway.shutdown().then(onStop).finally(() => {
        gateway.logger.info("stopped");
        resolve();
      });
    };
    Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
    Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  });
}

/** A gateway built from the resolved serving settings (warns when the debug upstream override is on). */
export function createGateway(settings: ServeSettings, logger: Logger, gatewayId?: string): Gateway {
  const gateway = new Gateway({
    ktVersion: KT_VERSION,
    failMode: settings.failMode,
    maxConcurrency: settings.maxConcurrency,
    override: settings.override,
    caCerts: settings.caCerts,
    gatewayId,
    logger,
    metricsToken: secretFromEnv("KEEPTRUSTS_METRICS_TOKEN"),
  });
  if (settings.override) {
    logger.warn("debug upstream override active: every request goes to --upstream", {
      url: settings.override.url,
    });
  }
  return gateway;
}

/** Starts listening and logs the `gateway listening` line (operators and tests wait for it). */
export async function listenAndAnnounce(
  gateway: Gateway,
  settings: ServeSettings,
  fields: Record<string, unknown> = {},
): Promise<Deno.NetAddr> {
  const addr = await gateway.listen({
    ...settings.listen,
    ...settings.tls,
    headTimeoutMs: settings.headTimeoutMs,
  });
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  gateway.logger.info("gateway listening", {
    url: `${settings.tls ? "https" : "http"}://${host}:${addr.port}`,
    version: KT_VERSION,
    pid: Deno.pid,
    ...fields,
  });
  return addr;
}

/** `kt gateway run`. */
export function gatewayRunCommand(): Command {
  const cmd = new Command("run")
    .description("run the gateway in local mode, with its config from files")
    .option(
      "--policy-config <path>",
      "config file; repeatable, later files layer over earlier ones; - reads standard input (env KEEPTRUSTS_POLICY_CONFIG, comma-separated)",
      (v: string, prev: string[] = []) => [...prev, v],
    );
  addServeOptions(cmd, "0.0.0.0:41002");
  cmd.action(async (flags: ServeFlags & { policyConfig?: string[] }) => {
    const paths = flags.policyConfig ??
      Deno.env.get("KEEPTRUSTS_POLICY_CONFIG")?.split(",").filter(Boolean) ?? [];
    if (paths.length === 0) {
      throw new CliError(
        "--policy-config is required (or set KEEPTRUSTS_POLICY_CONFIG); try examples/policy-config.yaml",
        2,
      );
    }
    const settings = resolveServeSettings(flags, "0.0.0.0:41002");
    const logger = new Logger({ level: levelFromEnv(), fields: { component: "gateway" } });
    const warn = (msg: string) => logger.warn(msg);
    const load = async () =>
      loadConfig(await readConfigSources(paths, warn), { policyKinds: policyKindInfo() });
    let loaded;
    try {
      loaded = await load();
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(err.issues.map(formatIssue).join("\n"), 2);
      throw err;
    }
    const gateway = createGateway(settings, logger);
    gateway.apply(loaded);

    let reloading = false;
    const reload = async (trigger: string) => {
      if (reloading) return;
      reloading = true;
      try {
        gateway.apply(await load());
      } catch (err) {
        gateway.metrics.configReloads.inc({ result: "failure" });
        const reason = err instanceof ConfigError
          ? err.issues.map(formatIssue).join("; ")
          : err instanceof Error
          ? err.message
          : String(err);
        logger.error("config reload rejected; the previous config keeps serving", { trigger, reason });
      } finally {
        reloading = false;
      }
    };
    if (paths.includes("-")) {
      logger.info("config came from standard input: SIGHUP reload re-reads only the file paths");
    }
    Deno.addSignalListener("SIGHUP", () => void reload("SIGHUP"));
    gateway.onReloadRequest = () => reload("api");

    const stopped = installShutdown(gateway);
    await listenAndAnnounce(gateway, settings);
    await stopped;
  });
  return cmd;
}

/** `kt gateway reload`: asks a local gateway to re-read its config files. */
export function gatewayReloadCommand(): Command {
  return new Command("reload")
    .description("ask a local gateway to re-read its config files (same as SIGHUP)")
    .option(
      "--url <url>",
      "the gateway's base URL (default http://127.0.0.1:<port of KEEPTRUSTS_LISTEN or 41002>)",
    )
    .action(async (flags: { url?: string }) => {
      const base = flags.url ?? localUrl();
      const res = await fetch(new URL("/keeptrusts/reload", base), { method: "POST" }).catch((err) => {
        throw new CliError(
          `cannot reach the gateway at ${base}: ${err instanceof Error ? err.message : err}`,
          1,
        );
      });
      const text = await res.text();
      if (!res.ok) throw new CliError(`reload refused (${res.status}): ${text}`, 1);
      console.log(text);
    });
}

/** Base URL of the local gateway from KEEPTRUSTS_LISTEN. */
export function localUrl(defaultPort = 41002): string {
  const listen = Deno.env.get("KEEPTRUSTS_LISTEN");
  const port = listen ? parseListen(listen).port : defaultPort;
  return `http://127.0.0.1:${port}`;
}

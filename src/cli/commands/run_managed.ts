/**
 * `kt run --managed`: the gateway with its config from the control plane
 * (SPEC 1.1 and 5). See docs/managed.md.
 *
 * @module
 */
import { Command, Option } from "commander";
import { ConfigError, formatIssue } from "../../config/errors.ts";
import { loadConfig } from "../../config/load.ts";
import { ManagedRuntime } from "../../managed/host.ts";
import type { PollFailureKind, PollResult } from "../../managed/protocol.ts";
import { levelFromEnv, Logger, registerSecret } from "../../observability/log.ts";
import { policyKindInfo } from "../../policy/registry.ts";
import { KT_VERSION } from "../../version.ts";
import { readConfigSources } from "../config_files.ts";
import { CliError } from "../errors.ts";
import { parseSeconds, secretFromEnv, setting } from "../settings.ts";
import {
  addServeOptions,
  createGateway,
  installShutdown,
  listenAndAnnounce,
  resolveServeSettings,
  type ServeFlags,
} from "./gateway_run.ts";

/** Default bind address of managed mode (SPEC 1.1). */
export const MANAGED_DEFAULT_LISTEN = "0.0.0.0:8080";

/** Flags of `kt run`. */
export interface RunFlags extends ServeFlags {
  managed?: boolean;
  gatewayId?: string;
  apiUrl?: string;
  gatewayToken?: string;
  apiToken?: string;
  pollInterval?: string;
  startupTimeout?: string;
  bootstrapConfig?: string;
}

/** Resolved managed-mode settings. */
export interface ManagedSettings {
  gatewayId: string;
  apiUrl: string;
  token: string;
  tokenFromFlag: boolean;
  pollIntervalSeconds: number;
  startupTimeoutSeconds: number;
  bootstrapConfig?: string;
  publicKeyPem?: string;
}

const GATEWAY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Resolves the managed flags against the environment (flag > env > default). */
export function resolveManagedSettings(flags: RunFlags): ManagedSettings {
  const gatewayId = setting(flags.gatewayId, "KEEPTRUSTS_GATEWAY_ID");
  if (!gatewayId) {
    throw new CliError(
      "--gateway-id is required (or set KEEPTRUSTS_GATEWAY_ID): the id the control plane gave",
      2,
    );
  }
  if (!GATEWAY_ID.test(gatewayId)) {
    throw new CliError(`--gateway-id must be letters, digits, '.', '_', ':' or '-' (got "${gatewayId}")`, 2);
  }
  const apiUrl = setting(flags.apiUrl, "KEEPTRUSTS_API_URL");
  if (!apiUrl) {
    throw new CliError("--api-url is required (or set KEEPTRUSTS_API_URL), e.g. https://api.example.com", 2);
  }
  if (!URL.canParse(apiUrl) || !/^https?:$/.test(new URL(apiUrl).protocol)) {
    throw new CliError(`--api-url must be an http(s) URL (got "${apiUrl}")`, 2);
  }
  const flagToken = flags.gatewayToken ?? flags.apiToken;
  const token = flagToken ?? secretFromEnv("KEEPTRUSTS_GATEWAY_TOKEN");
  if (!token) {
    throw new CliError(
      "a gateway token is required: set KEEPTRUSTS_GATEWAY_TOKEN or KEEPTRUSTS_GATEWAY_TOKEN_FILE (kt gateway create prints one)",
      2,
    );
  }
  const pollIntervalSeconds = parseSeconds(
    setting(flags.pollInterval, "KEEPTRUSTS_POLL_INTERVAL", "30")!,
    "--poll-interval",
  );
  if (pollIntervalSeconds < 0.1 || pollIntervalSeconds > 86_400) {
    throw new CliError("--poll-interval must be between 0.1 and 86400 seconds", 2);
  }
  const startupTimeoutSeconds = parseSeconds(
    setting(flags.startupTimeout, "KEEPTRUSTS_STARTUP_TIMEOUT", "60")!,
    "--startup-timeout",
  );
  const publicKeyPem = secretFromEnv("KEEPTRUSTS_CONFIG_PUBLIC_KEY");
  if (publicKeyPem !== undefined && !publicKeyPem.includes("BEGIN PUBLIC KEY")) {
    throw new CliError(
      "KEEPTRUSTS_CONFIG_PUBLIC_KEY must hold a PEM public key (the kt-config.pub that kt config keygen wrote)",
      2,
    );
  }
  return {
    gatewayId,
    apiUrl: apiUrl.replace(/\/+$/, ""),
    token,
    tokenFromFlag: flagToken !== undefined,
    pollIntervalSeconds,
    startupTimeoutSeconds,
    bootstrapConfig: setting(flags.bootstrapConfig, "KEEPTRUSTS_BOOTSTRAP_CONFIG"),
    publicKeyPem,
  };
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\./.test(hostname);
}

/** `kt run`. */
export function runCommand(): Command {
  const cmd = new Command("run")
    .description("run the gateway in managed mode: config from the control plane (kt run --managed)")
    .option("--managed", "take the config from the control plane (required)")
    .option("--gateway-id <id>", "this gateway's id at the control plane (env KEEPTRUSTS_GATEWAY_ID)")
    .option("--api-url <url>", "control plane base URL (env KEEPTRUSTS_API_URL)")
    .option(
      "--gateway-token <token>",
      "scoped gateway token; prefer env KEEPTRUSTS_GATEWAY_TOKEN or KEEPTRUSTS_GATEWAY_TOKEN_FILE (a flag is visible in the process list)",
    )
    .addOption(new Option("--api-token <token>", "alias of --gateway-token").hideHelp())
    .option(
      "--poll-interval <seconds>",
      "seconds between config polls, ±10% jitter (env KEEPTRUSTS_POLL_INTERVAL, default 30)",
    )
    .option(
      "--startup-timeout <seconds>",
      "exit 1 when no config could be fetched for this long (env KEEPTRUSTS_STARTUP_TIMEOUT, default 60)",
    )
    .option(
      "--bootstrap-config <path>",
      "serve this local config until the first successful fetch (env KEEPTRUSTS_BOOTSTRAP_CONFIG)",
    );
  addServeOptions(cmd, MANAGED_DEFAULT_LISTEN);
  cmd.action(async (flags: RunFlags) => {
    if (!flags.managed) {
      throw new CliError(
        "kt run needs --managed (config from the control plane); to serve local config files use: kt gateway run --policy-config <path>",
        2,
      );
    }
    const managed = resolveManagedSettings(flags);
    registerSecret(managed.token);
    const settings = resolveServeSettings(flags, MANAGED_DEFAULT_LISTEN);
    const logger = new Logger({
      level: levelFromEnv(),
      fields: { component: "gateway", gateway_id: managed.gatewayId },
    });
    if (managed.tokenFromFlag) {
      logger.warn(
        "the gateway token was given as a command-line flag, which other users can read in the process list; use KEEPTRUSTS_GATEWAY_TOKEN or KEEPTRUSTS_GATEWAY_TOKEN_FILE",
      );
    }
    const api = new URL(managed.apiUrl);
    if (api.protocol === "http:" && !isLoopback(api.hostname)) {
      logger.warn(
        "the control plane URL is plain HTTP to a non-loopback host: the token and configs travel unencrypted",
        {
          api_url: managed.apiUrl,
        },
      );
    }

    const gateway = createGateway(settings, logger, managed.gatewayId);

    let startupFailure: { kind: PollFailureKind | "none"; error: string } = { kind: "none", error: "" };
    let fetchedOnce = false;
    const runtime = new ManagedRuntime({
      gateway,
      logger,
      settings: {
        apiUrl: managed.apiUrl,
        gatewayId: managed.gatewayId,
        token: managed.token,
        pollIntervalMs: Math.round(managed.pollIntervalSeconds * 1000),
        caCerts: settings.caCerts,
        publicKeyPem: managed.publicKeyPem,
        ktVersion: KT_VERSION,
        instanceId: `kt-${crypto.randomUUID().slice(0, 13)}`,
        startedAt: gateway.startedAt,
      },
      onPoll: (result: PollResult, failure) => {
        if (result === "ok" || result === "not_modified") fetchedOnce = true;
        if (failure) startupFailure = failure;
      },
    });
    gateway.audit = runtime.audit;

    if (managed.bootstrapConfig) {
      const warn = (msg: string) => logger.warn(msg);
      try {
        const loaded = loadConfig(await readConfigSources([managed.bootstrapConfig], warn), {
          policyKinds: policyKindInfo(),
        });
        gateway.apply(loaded);
        runtime.bootstrap = true;
        logger.info("serving the bootstrap config until the first successful fetch from the control plane", {
          path: managed.bootstrapConfig,
          version: loaded.config.pack.version,
        });
      } catch (err) {
        if (err instanceof ConfigError) {
          throw new CliError(`--bootstrap-config: ${err.issues.map(formatIssue).join("\n")}`, 2);
        }
        throw err;
      }
    }

    const stopped = installShutdown(gateway, () => runtime.close());
    await listenAndAnnounce(gateway, settings, {
      mode: "managed",
      api_url: managed.apiUrl,
      poll_interval_seconds: managed.pollIntervalSeconds,
    });
    // Startup: with no config and no reachable (or accepting) control plane, give up after the timeout.
    // A reachable control plane that has no version for us (404) or sent an invalid one keeps us waiting.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<string | undefined>((resolve) => {
      if (gateway.snapshot) return resolve(undefined);
      timer = setTimeout(() => {
        const waiting = startupFailure.kind === "no_config" || startupFailure.kind === "rejected";
        if (gateway.snapshot || fetchedOnce || waiting) return resolve(undefined);
        resolve(
          `no config after --startup-timeout ${managed.startupTimeoutSeconds} s: cannot fetch ${managed.apiUrl}/v1/admin/configurations/gateways/${managed.gatewayId}/runtime-state: ${
            startupFailure.error || "no answer yet"
          }`,
        );
      }, managed.startupTimeoutSeconds * 1000);
    });
    const startFailed = runtime.start().then(
      () => new Promise<string>(() => {}),
      (err: unknown) =>
        `the control-plane poller cannot start: ${err instanceof Error ? err.message : String(err)}`,
    );
    const outcome = await Promise.race([stopped.then(() => undefined), gaveUp, startFailed]);
    clearTimeout(timer);
    if (outcome) {
      logger.error("giving up: " + outcome);
      await gateway.shutdown(1000);
      await runtime.close();
      throw new CliError(outcome, 1);
    }
    await stopped;
  });
  return cmd;
}

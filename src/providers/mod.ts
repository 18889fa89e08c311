/**
 * Provider layer entry point: builds targets from config and routes calls across them.
 *
 * - adapters: {@link openAITarget} (OpenAI and compatible servers), {@link azureTarget},
 *   {@link anthropicTarget}, {@link mockTarget}; each answers in the client's API shape, translating
 *   chat ↔ messages (JSON and SSE) when the provider speaks the other API;
 * - routing: {@link createRouter} with strategies, fallback and per-target circuit breakers whose
 *   state lives in a process-wide {@link RouterState}.
 *
 * @module
 */
import type { ProvidersConfig, SecretRef, TargetConfig } from "../config/schema.ts";
import { anthropicTarget } from "./anthropic.ts";
import { azureTarget } from "./azure.ts";
import { mockTarget } from "./mock.ts";
import { openAITarget } from "./openai.ts";
import { createRouter, type Router } from "./router.ts";
import type { RouterState } from "./state.ts";
import { type AdapterContext, unavailableTarget } from "./target_base.ts";
import type { ProviderTarget, SecretResolver } from "./types.ts";
import { Http1Agent, upstreamClientKind } from "./http1_client.ts";

export { createRouterState, type RouterState, type TargetRuntimeState } from "./state.ts";
export {
  createRouter,
  type Dispatched,
  globToRegExp,
  type Router,
  type RouterAttempt,
  type RouterConfig,
  RoutingError,
  type RoutingFailureCode,
  type TriggerClass,
} from "./router.ts";
export { type BreakerConfig, type BreakerStatus, CircuitBreaker } from "./circuit_breaker.ts";
export { LatencyWindow } from "./state.ts";
export type { StrategyName } from "./strategies.ts";
export type { AdapterContext } from "./target_base.ts";
export type { DataPolicy, ProvidersConfig, TargetConfig } from "../config/schema.ts";
export { anthropicTarget } from "./anthropic.ts";
export { azureTarget } from "./azure.ts";
export { mockTarget } from "./mock.ts";
export { openAITarget } from "./openai.ts";
export * from "./types.ts";

/** Debug-only upstream override (`--upstream`). */
export interface UpstreamOverride {
  /** Base URL the API paths are appended to, e.g. `http://127.0.0.1:8080/v1`. */
  url: string;
  /** The upstream key (from the environment only). */
  apiKey?: string;
  /** Header carrying the key, e.g. `authorization`. */
  header: string;
  /** Prefix before the key, e.g. `Bearer` (a separating space is added when missing). */
  prefix: string;
}

/** Options of {@link compileProviders}. */
export interface CompileProvidersOptions {
  /** Resolves `secret_key_ref`s; unresolved secrets make their target unavailable. */
  resolveSecret: SecretResolver;
  /** Debug override: replaces every target by one OpenAI-compatible target `upstream`. */
  override?: UpstreamOverride;
  /** Process-wide router state (created once with {@link createRouterState}). */
  state: RouterState;
  /** PEM CA certificates to trust for provider connections. */
  caCerts?: string[];
  /**
   * Bound on every 2xx answer's body (`size_limits.max_response_bytes`), enforced while it is read
   * (default `DEFAULT_MAX_RESPONSE_BYTES`); error bodies are cut at `MAX_ERROR_BODY_BYTES`.
   */
  maxResponseBytes?: number;
}

/** Targets and router of one config snapshot. */
export interface CompiledProviders {
  /** Every configured target, available or not, in config order. */
  readonly targets: readonly ProviderTarget[];
  /** The snapshot's router. */
  readonly router: Router;
  /** Releases connection pools of this snapshot's targets (call after in-flight requests finished). */
  close(): void;
}

/** Id of the single target built from an {@link UpstreamOverride}. */
export const OVERRIDE_TARGET_ID = "upstream";
const OVERRIDE_TIMEOUT_MS = 60_000;

function secretName(ref: SecretRef): string {
  return "env" in ref ? ref.env : `store:${ref.store}`;
}

function hasCredentialsInUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.username !== "" || u.password !== "";
  } catch {
    return true;
  }
}

/** Builds one target (never throws; problems make the target unavailable with a safe reason). */
function buildTarget(
  cfg: TargetConfig,
  options: CompileProvidersOptions,
  clients: Pick<AdapterContext, "client" | "agent" | "maxResponseBytes">,
): ProviderTarget {
  if (cfg.provider === "mock") return mockTarget(cfg);
  if (hasCredentialsInUrl(cfg.base_url)) {
    return unavailableTarget(cfg, "base_url must not contain credentials: use secret_key_ref");
  }
  const ctx: AdapterContext = { ...clients };
  if (cfg.secret_key_ref) {
    let key: string | undefined;
    try {
      key = options.resolveSecret(cfg.secret_key_ref);
    } catch {
      key = undefined;
    }
    if (key === undefined || key === "") {
      return unavailableTarget(cfg, `secret ${secretName(cfg.secret_key_ref)} is not set`);
    }
    ctx.apiKey = key;
  }
  switch (cfg.provider) {
    case "openai":
      return openAITarget(cfg, ctx);
    case "azure":
      return azureTarget(cfg, ctx);
    case "anthropic":
      return anthropicTarget(cfg, ctx);
  }
}

/** Builds the targets and router of a validated `providers` section. */
export function compileProviders(
  config: ProvidersConfig,
  options: CompileProvidersOptions,
): CompiledProviders {
  const agent = upstreamClientKind() === "http1" ? new Http1Agent({ caCerts: options.caCerts }) : undefined;
  const client = !agent && options.caCerts?.length
    ? Deno.createHttpClient({ caCerts: options.caCerts })
    : undefined;
  const maxResponseBytes = options.maxResponseBytes;
  let targets: ProviderTarget[];
  if (options.override) {
    const o = options.override;
    const cfg: TargetConfig = {
      id: OVERRIDE_TARGET_ID,
      provider: "openai",
      base_url: o.url,
      weight: 1,
      timeout_ms: OVERRIDE_TIMEOUT_MS,
      connect_timeout_ms: 10_000,
    };
    // "Bearer" and "Bearer " both mean `Bearer <key>`.
    const prefix = o.prefix === "" || /\s$/.test(o.prefix) ? o.prefix : `${o.prefix} `;
    targets = [
      openAITarget(cfg, { client, agent, maxResponseBytes, apiKey: o.apiKey }, {
        header: o.header.toLowerCase(),
        prefix,
      }),
    ];
  } else {
    targets = config.targets.map((t) => buildTarget(t, options, { client, agent, maxResponseBytes }));
  }
  const router = createRouter(targets, {
    strategy: config.routing.strategy,
    routes: options.override ? [] : config.routing.routes,
    triggers: config.fallback.triggers,
    maxFallbackAttempts: config.fallback.max_fallback_attempts,
    breakerThreshold: config.circuit_breaker.threshold,
    breakerCooldownMs: config.circuit_breaker.cooldown_seconds * 1000,
  }, options.state);
  let closed = false;
  return {
    targets,
    router,
    close() {
      if (closed) return;
      closed = true;
      for (const t of targets) t.close?.();
      client?.close();
      agent?.close();
    },
  };
}

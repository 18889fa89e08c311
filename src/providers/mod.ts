/**
 * Provider layer entry point: builds targets from config and routes calls
 * across them. (Minimal placeholder: a mock echo target and ordered routing.)
 *
 * @module
 */
import type { ProvidersConfig } from "../config/schema.ts";
import type {
  ApiKind,
  ProviderTarget,
  SecretResolver,
  TargetHealth,
  UpstreamFailureKind,
  UpstreamRequest,
} from "./types.ts";

/** Debug-only upstream override (`--upstream`). */
export interface UpstreamOverride {
  url: string;
  apiKey?: string;
  header: string;
  prefix: string;
}

/** Router state that outlives config snapshots (circuit breakers, latency windows), keyed by target id. */
export interface RouterState {
  readonly targets: Map<string, unknown>;
}

/** Creates router state for the lifetime of a gateway process. */
export function createRouterState(): RouterState {
  return { targets: new Map() };
}

/** Options of {@link compileProviders}. */
export interface CompileProvidersOptions {
  resolveSecret: SecretResolver;
  override?: UpstreamOverride;
  state: RouterState;
  /** PEM CA certificates to trust for provider connections. */
  caCerts?: string[];
}

/** One try of one target inside a dispatch. */
export interface RouterAttempt {
  targetId: string;
  status?: number;
  failure?: UpstreamFailureKind;
  latencyMs: number;
}

/** The answer a dispatch settled on. */
export interface Dispatched {
  response: Response;
  target: ProviderTarget;
  attempts: RouterAttempt[];
  /** Time to response headers of the answering attempt. */
  upstreamLatencyMs: number;
}

/** Why a dispatch produced no usable answer. */
export type RoutingFailureCode = "upstream_failed" | "upstream_timeout" | "no_target";

/** Raised by {@link Router.dispatch} when every eligible target failed. Messages never hold secrets. */
export class RoutingError extends Error {
  readonly code: RoutingFailureCode;
  readonly attempts: RouterAttempt[];
  constructor(code: RoutingFailureCode, message: string, attempts: RouterAttempt[] = []) {
    super(message);
    this.name = "RoutingError";
    this.code = code;
    this.attempts = attempts;
  }
}

/** Chooses targets and performs calls with fallback and circuit breaking. */
export interface Router {
  /** Eligible targets for a request in try order (open circuits and unavailable targets left out). */
  plan(api: ApiKind, model: string | undefined, filter?: (t: ProviderTarget) => boolean): ProviderTarget[];
  /** Calls targets of `plan` in order with fallback; resolves with the settled answer. */
  dispatch(request: UpstreamRequest, plan: readonly ProviderTarget[]): Promise<Dispatched>;
  /** Per-target health for `/health`. */
  health(): Record<string, TargetHealth>;
}

/** Targets and router of one config snapshot. */
export interface CompiledProviders {
  readonly targets: readonly ProviderTarget[];
  readonly router: Router;
  /** Releases connection pools of this snapshot's targets. */
  close(): void;
}

/** Builds the targets and router of a validated `providers` section. */
export function compileProviders(
  config: ProvidersConfig,
  _options: CompileProvidersOptions,
): CompiledProviders {
  const targets: ProviderTarget[] = config.targets.map((t) => ({
    id: t.id,
    provider: t.provider,
    model: t.model,
    weight: t.weight,
    timeoutMs: t.timeout_ms,
    dataPolicy: t.data_policy,
    available: true,
    supports: () => true,
    send: (req: UpstreamRequest) => {
      const text = `mock reply from ${t.id}`;
      return Promise.resolve(Response.json({
        id: "chatcmpl-mock",
        object: "chat.completion",
        model: t.model ?? String(req.body.model ?? "mock"),
        choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }));
    },
  }));
  const router: Router = {
    plan: (_api, _model, filter) => targets.filter((t) => t.available && (!filter || filter(t))),
    async dispatch(request, plan) {
      const target = plan[0];
      if (!target) throw new RoutingError("no_target", "no target available");
      const started = performance.now();
      const response = await target.send(request);
      const ms = performance.now() - started;
      return {
        response,
        target,
        attempts: [{ targetId: target.id, status: response.status, latencyMs: ms }],
        upstreamLatencyMs: ms,
      };
    },
    health: () => Object.fromEntries(targets.map((t) => [t.id, "available" as const])),
  };
  return { targets, router, close() {} };
}

/**
 * The router: plans the try order of targets for a request and dispatches with fallback and
 * circuit breaking.
 *
 * Fallback policy:
 * - a response that is not a trigger (2xx, 400-class other than 429, or a 429/5xx whose trigger is
 *   not configured) is returned as is: the client's faults pass through;
 * - a trigger response or failure moves on to the next planned target, at most
 *   `max_fallback_attempts` extra tries;
 * - when tries run out: a final **429 response is passed through** (so the client sees the provider's
 *   `Retry-After`), a final 5xx has its body cancelled and becomes `RoutingError("upstream_failed")`,
 *   a final timeout becomes `upstream_timeout`, a final connection error `upstream_failed`.
 *
 * @module
 */
import type { CircuitBreaker } from "./circuit_breaker.ts";
import { type RouterState, targetState } from "./state.ts";
import { orderTargets, type StrategyName } from "./strategies.ts";
import {
  type ApiKind,
  type ProviderTarget,
  type TargetHealth,
  TranslationError,
  UpstreamError,
  type UpstreamFailureKind,
  type UpstreamRequest,
} from "./types.ts";

/** One try of one target inside a dispatch. */
export interface RouterAttempt {
  /** The target tried. */
  targetId: string;
  /** HTTP status when the target answered. */
  status?: number;
  /** Why no HTTP answer came, when none did. */
  failure?: UpstreamFailureKind;
  /** Time to response headers (or to the failure). */
  latencyMs: number;
}

/** The answer a dispatch settled on. */
export interface Dispatched {
  /** The answer in the client's API shape (a 2xx, a client-fault 4xx, or a final 429). */
  response: Response;
  /** The target that produced it. */
  target: ProviderTarget;
  /** Every try, in order, the answering one last. */
  attempts: RouterAttempt[];
  /** Time to response headers of the answering attempt. */
  upstreamLatencyMs: number;
}

/** Why a dispatch produced no usable answer. */
export type RoutingFailureCode = "upstream_failed" | "upstream_timeout" | "no_target";

/** Raised by {@link Router.dispatch} when every eligible target failed. Messages never hold secrets. */
export class RoutingError extends Error {
  /** Stable failure code (maps to 502 `upstream_failed`, 504 `upstream_timeout`). */
  readonly code: RoutingFailureCode;
  /** The tries made before giving up. */
  readonly attempts: RouterAttempt[];
  /** Creates the error; `message` must name targets and statuses only. */
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

/** Fallback trigger classes. */
export type TriggerClass = "rate_limit" | "server_error" | "timeout" | "connection_error";

/** Router settings from the `providers` section. */
export interface RouterConfig {
  /** How eligible targets are ordered. */
  strategy: StrategyName;
  /** Model globs whose listed target ids go first, in the listed order. */
  routes: readonly { model: string; targets: readonly string[] }[];
  /** Failure classes that move on to the next target. */
  triggers: readonly TriggerClass[];
  /** Extra tries after the first. */
  maxFallbackAttempts: number;
  /** Consecutive failures that open a target's circuit. */
  breakerThreshold: number;
  /** Time an open circuit waits before admitting one trial request. */
  breakerCooldownMs: number;
}

/** Compiles a model glob (`*` any run, `?` one character) to an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  const src = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${src}$`, "s");
}

function classify(status: number): TriggerClass | undefined {
  if (status === 429) return "rate_limit";
  if (status >= 500) return "server_error";
  return undefined;
}

/** Builds the router of one snapshot over `targets`, keeping runtime state in `state`. */
export function createRouter(
  targets: readonly ProviderTarget[],
  cfg: RouterConfig,
  state: RouterState,
): Router {
  const breakerCfg = { threshold: cfg.breakerThreshold, cooldownMs: cfg.breakerCooldownMs };
  const routes = cfg.routes.map((r) => ({ re: globToRegExp(r.model), ids: r.targets }));
  const triggers = new Set<TriggerClass>(cfg.triggers);
  const maxTries = 1 + cfg.maxFallbackAttempts;
  const strategyCtx = {
    stateOf: (id: string) => targetState(state, id),
    nextCursor: () => state.cursor++,
  };
  const breakerOf = (id: string): CircuitBreaker => targetState(state, id).breaker;

  function plan(
    api: ApiKind,
    model: string | undefined,
    filter?: (t: ProviderTarget) => boolean,
  ): ProviderTarget[] {
    const now = performance.now();
    const eligible = targets.filter((t) =>
      t.available && t.supports(api) && breakerOf(t.id).admits(now, breakerCfg) && (!filter || filter(t))
    );
    const ordered = orderTargets(cfg.strategy, eligible, strategyCtx);
    if (model === undefined || ordered.length <= 1) return ordered;
    const route = routes.find((r) => r.re.test(model));
    let first: ProviderTarget[];
    if (route) {
      first = [];
      for (const id of route.ids) {
        const t = ordered.find((x) => x.id === id);
        if (t && !first.includes(t)) first.push(t);
      }
    } else {
      first = ordered.filter((t) => t.id === model || t.model === model);
    }
    if (!first.length) return ordered;
    return [...first, ...ordered.filter((t) => !first.includes(t))];
  }

  async function dispatch(request: UpstreamRequest, planned: readonly ProviderTarget[]): Promise<Dispatched> {
    const attempts: RouterAttempt[] = [];
    let lastFailure: TriggerClass | undefined;
    let refused: TranslationError | undefined;
    for (let i = 0; i < planned.length && attempts.length < maxTries; i++) {
      const target = planned[i];
      const ts = targetState(state, target.id);
      if (!ts.breaker.tryAcquire(performance.now(), breakerCfg)) continue;
      if (request.signal.aborted) {
        ts.breaker.release();
        throw request.signal.reason;
      }
      const started = performance.now();
      let response: Response;
      try {
        response = await target.send(request);
      } catch (err) {
        const latencyMs = performance.now() - started;
        if (err instanceof TranslationError) {
          // This target cannot take the request whole (nothing was sent): the next one may.
          ts.breaker.release();
          refused ??= err;
          continue;
        }
        if (!(err instanceof UpstreamError)) {
          ts.breaker.release();
          throw err;
        }
        attempts.push({ targetId: target.id, failure: err.kind, latencyMs });
        ts.breaker.onFailure(performance.now(), breakerCfg);
        if (err.kind === "timeout") ts.latency.record(latencyMs);
        lastFailure = err.kind;
        if (!triggers.has(err.kind)) throw failure(err.kind, attempts);
        continue;
      }
      const latencyMs = performance.now() - started;
      const cls = classify(response.status);
      attempts.push({ targetId: target.id, status: response.status, latencyMs });
      if (!cls) {
        ts.breaker.onSuccess();
        ts.latency.record(latencyMs);
        return { response, target, attempts, upstreamLatencyMs: latencyMs };
      }
      ts.breaker.onFailure(performance.now(), breakerCfg);
      lastFailure = cls;
      const last = attempts.length >= maxTries ||
        !planned.slice(i + 1).some((t) =>
          targetState(state, t.id).breaker.admits(performance.now(), breakerCfg)
        );
      if (!triggers.has(cls) || (last && cls === "rate_limit")) {
        return { response, target, attempts, upstreamLatencyMs: latencyMs };
      }
      await response.body?.cancel().catch(() => {});
    }
    if (!attempts.length) {
      if (refused) throw refused;
      throw new RoutingError("no_target", "no eligible provider target is available", attempts);
    }
    throw failure(lastFailure ?? "server_error", attempts);
  }

  function health(): Record<string, TargetHealth> {
    const now = performance.now();
    const out: Record<string, TargetHealth> = {};
    for (const t of targets) {
      out[t.id] = !t.available
        ? "unavailable"
        : breakerOf(t.id).status(now, breakerCfg) === "closed"
        ? "available"
        : "open_circuit";
    }
    return out;
  }

  return { plan, dispatch, health };
}

function describe(a: RouterAttempt): string {
  return `${a.targetId} (${a.status !== undefined ? `status ${a.status}` : a.failure})`;
}

function failure(last: TriggerClass, attempts: RouterAttempt[]): RoutingError {
  const tried = attempts.map(describe).join(", ");
  if (last === "timeout") {
    return new RoutingError("upstream_timeout", `provider targets timed out: ${tried}`, attempts);
  }
  return new RoutingError("upstream_failed", `provider targets failed: ${tried}`, attempts);
}

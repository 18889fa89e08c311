/**
 * Routing strategies: how the eligible targets of one request are ordered.
 *
 * @module
 */
import type { ProviderTarget } from "./types.ts";
import type { TargetRuntimeState } from "./state.ts";

/** Strategy names (SPEC 3.4). */
export type StrategyName = "ordered" | "round_robin" | "weighted" | "lowest_latency";

/** What a strategy may read and update. */
export interface StrategyContext {
  /** Runtime state of a target (created on demand). */
  stateOf(id: string): TargetRuntimeState;
  /** Shared cursor for round robin; returns the next value. */
  nextCursor(): number;
}

/** Orders `targets` (already filtered) by the strategy; may update strategy state. */
export function orderTargets(
  strategy: StrategyName,
  targets: readonly ProviderTarget[],
  ctx: StrategyContext,
): ProviderTarget[] {
  const n = targets.length;
  if (n <= 1) return [...targets];
  switch (strategy) {
    case "round_robin": {
      const start = ctx.nextCursor() % n;
      return [...targets.slice(start), ...targets.slice(0, start)];
    }
    case "weighted":
      return weighted(targets, ctx);
    case "lowest_latency":
      return lowestLatency(targets, ctx);
    default:
      return [...targets];
  }
}

/**
 * Smooth weighted round robin (as in nginx) picks the first target, so the split over many requests
 * matches the weights exactly; the rest follow by descending weight for fallback. Weight-0 targets
 * are only ever fallbacks.
 */
function weighted(targets: readonly ProviderTarget[], ctx: StrategyContext): ProviderTarget[] {
  let total = 0;
  let best: ProviderTarget | undefined;
  let bestState: TargetRuntimeState | undefined;
  for (const t of targets) {
    if (t.weight <= 0) continue;
    const s = ctx.stateOf(t.id);
    s.swrrCurrent += t.weight;
    total += t.weight;
    if (!bestState || s.swrrCurrent > bestState.swrrCurrent) {
      best = t;
      bestState = s;
    }
  }
  if (bestState) bestState.swrrCurrent -= total;
  const rest = targets.filter((t) => t !== best).sort((a, b) => b.weight - a.weight);
  return best ? [best, ...rest] : rest;
}

/** Untried targets first (in config order), then ascending latency average. */
function lowestLatency(targets: readonly ProviderTarget[], ctx: StrategyContext): ProviderTarget[] {
  const keyed = targets.map((t, i) => ({ t, i, l: ctx.stateOf(t.id).latency.average }));
  keyed.sort((a, b) => {
    if (a.l === undefined || b.l === undefined) {
      if (a.l === b.l) return a.i - b.i;
      return a.l === undefined ? -1 : 1;
    }
    return a.l - b.l || a.i - b.i;
  });
  return keyed.map((k) => k.t);
}

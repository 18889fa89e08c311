/**
 * The data-routing rule: whether a target's promised data handling satisfies
 * the constraints a chain put on a request (data-routing-policy). Used by the
 * gateway to filter targets and by `kt policy test`.
 *
 * @module
 */
import type { RoutingRequirement } from "./types.ts";

/** A target's `data_policy` as the config declares it. */
export interface TargetDataPolicy {
  zero_data_retention: boolean;
  training_opt_out: boolean;
  retention_days?: number;
}

/** True when the requirement constrains target choice at all. */
export function isConstrained(r: RoutingRequirement): boolean {
  return !!(r.zeroDataRetention || r.noTraining || r.maxRetentionDays !== undefined);
}

/** True when a target's `data_policy` satisfies `r`; targets without one never do. */
export function targetCompliant(policy: TargetDataPolicy | undefined, r: RoutingRequirement): boolean {
  if (!policy) return false;
  if (r.zeroDataRetention && !policy.zero_data_retention) return false;
  if (r.noTraining && !policy.training_opt_out) return false;
  if (r.maxRetentionDays !== undefined) {
    const days = policy.zero_data_retention ? 0 : policy.retention_days;
    if (days === undefined || days > r.maxRetentionDays) return false;
  }
  return true;
}

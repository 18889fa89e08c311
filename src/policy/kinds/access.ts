/**
 * Access-control kinds that look at identity and model, not content:
 * `rbac`, `model-allowlist`, `data-routing-policy` and `audit-logger`.
 *
 * Reason codes: `model_not_allowed` (model denied by model-allowlist or by the caller's
 * role; the gateway answers 422), `rbac_missing_header` (a `deny_if_missing` header is
 * absent), `rbac_role_denied` (no role, or a role without an entry in `roles`).
 *
 * @module
 */
import { z } from "zod";
import {
  allowDecision,
  type EvalInput,
  GlobSet,
  type PolicyDecision,
  type PolicyKindModule,
} from "./common.ts";
import type { RoutingRequirement } from "../types.ts";

const globList = z.array(z.string().min(1).max(200)).max(1000);

/** Schema of `policy.rbac`. */
export const rbacSchema = z.strictObject({
  deny_if_missing: z.array(z.string().min(1).max(100).regex(/^[A-Za-z0-9-]+$/, "a header name")).default([
    "x-user-id",
  ]),
  roles: z.record(
    z.string().min(1).max(100),
    z.strictObject({
      allowed_models: globList.default(["*"]),
      denied_models: globList.default([]),
    }),
  ).default({}),
  /**
   * Role assumed when the caller has none (no `x-user-role` without client_auth, a key without a
   * `role` with it); otherwise a missing role is denied when `roles` is set.
   */
  default_role: z.string().min(1).max(100).optional(),
});

/** Schema of `policy.model-allowlist`. */
export const modelAllowlistSchema = z.strictObject({
  /** Globs of allowed models; empty allows every model not denied. */
  allowed_models: globList.default([]),
  denied_models: globList.default([]),
});

/** Schema of `policy.data-routing-policy`. */
export const dataRoutingSchema = z.strictObject({
  require_zero_data_retention: z.boolean().default(false),
  require_no_training: z.boolean().default(false),
  max_retention_days: z.number().int().nonnegative().max(36_500).optional(),
});

/** Schema of `policy.audit-logger`. */
export const auditLoggerSchema = z.strictObject({
  log_all_access: z.boolean().default(true),
  include_content: z.enum(["none", "redacted"]).default("none"),
});

function modelDenied(model: string, allowed: GlobSet, denied: GlobSet): boolean {
  if (denied.size > 0 && denied.matches(model)) return true;
  return allowed.size > 0 && !allowed.matches(model);
}

function blockModel(model: string, why: string): PolicyDecision {
  return {
    verdict: "block",
    reasonCode: "model_not_allowed",
    findings: { model_not_allowed: 1 },
    message: `The model "${model.slice(0, 100)}" is not allowed ${why}; choose an allowed model.`,
  };
}

/** The rbac kind. */
export const rbac: PolicyKindModule = {
  definition: { kind: "rbac", phases: ["input"], schema: rbacSchema },
  compile(block: unknown) {
    const cfg = rbacSchema.parse(block ?? {});
    const roles = new Map(
      Object.entries(cfg.roles).map((
        [role, r],
      ) => [role, { allowed: new GlobSet(r.allowed_models), denied: new GlobSet(r.denied_models) }]),
    );
    return {
      kind: "rbac",
      phases: ["input"],
      inspectsOutput: false,
      checksToolCalls: false,
      textOnly: false,
      evaluate({ request }: EvalInput): PolicyDecision {
        for (const h of cfg.deny_if_missing) {
          if (!request.headers.get(h)?.trim()) {
            return {
              verdict: "block",
              reasonCode: "rbac_missing_header",
              findings: { missing_header: 1 },
              message: `The request needs the ${h} header.`,
            };
          }
        }
        if (roles.size === 0) return allowDecision();
        // The role the gateway established (the client key's with client_auth on, x-user-role otherwise);
        // never the header itself, which a caller with a key could set to anything.
        const role = request.identity.role ?? cfg.default_role;
        const entry = role ? roles.get(role) : undefined;
        if (!entry) {
          return {
            verdict: "block",
            reasonCode: "rbac_role_denied",
            findings: { role_denied: 1 },
            message: role
              ? `The role "${role.slice(0, 100)}" has no access.`
              : "The request has no role: send x-user-role, or give the client key a role.",
          };
        }
        if (modelDenied(request.model, entry.allowed, entry.denied)) {
          return blockModel(request.model, `for role "${role}"`);
        }
        return allowDecision();
      },
    };
  },
};

/** The model-allowlist kind. */
export const modelAllowlist: PolicyKindModule = {
  definition: { kind: "model-allowlist", phases: ["input"], schema: modelAllowlistSchema },
  compile(block: unknown) {
    const cfg = modelAllowlistSchema.parse(block ?? {});
    const allowed = new GlobSet(cfg.allowed_models);
    const denied = new GlobSet(cfg.denied_models);
    return {
      kind: "model-allowlist",
      phases: ["input"],
      inspectsOutput: false,
      checksToolCalls: false,
      textOnly: false,
      evaluate({ request }: EvalInput): PolicyDecision {
        return modelDenied(request.model, allowed, denied)
          ? blockModel(request.model, "by this gateway")
          : allowDecision();
      },
    };
  },
};

/** The data-routing-policy kind: contributes routing constraints, never blocks by itself. */
export const dataRoutingPolicy: PolicyKindModule = {
  definition: { kind: "data-routing-policy", phases: ["input"], schema: dataRoutingSchema },
  compile(block: unknown) {
    const cfg = dataRoutingSchema.parse(block ?? {});
    const routing: RoutingRequirement = {};
    if (cfg.require_zero_data_retention) routing.zeroDataRetention = true;
    if (cfg.require_no_training) routing.noTraining = true;
    if (cfg.max_retention_days !== undefined) routing.maxRetentionDays = cfg.max_retention_days;
    return {
      kind: "data-routing-policy",
      phases: ["input"],
      inspectsOutput: false,
      checksToolCalls: false,
      textOnly: false,
      evaluate(): PolicyDecision {
        return { verdict: "allow", reasonCode: null, findings: {}, routing };
      },
    };
  },
};

/** The audit-logger kind: configures `chain.audit`; its evaluation only records access. */
export const auditLogger: PolicyKindModule = {
  definition: { kind: "audit-logger", phases: ["input"], schema: auditLoggerSchema },
  compile(block: unknown) {
    auditLoggerSchema.parse(block ?? {});
    return {
      kind: "audit-logger",
      phases: ["input"],
      inspectsOutput: false,
      checksToolCalls: false,
      textOnly: false,
      evaluate: (): PolicyDecision => allowDecision(),
    };
  },
};

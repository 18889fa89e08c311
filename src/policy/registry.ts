/**
 * Registry of policy kinds. The config loader and `kt config schema` read it
 * to validate `policies.chain` and `policy.<kind>` blocks; the engine compiles
 * chains from {@link POLICY_MODULES}.
 *
 * @module
 */
import type { PolicyKindInfo } from "../config/load.ts";
import type { PolicyKindDefinition } from "./types.ts";
import type { PolicyKindModule } from "./kinds/common.ts";
import { piiDetector } from "./kinds/pii_detector.ts";
import { promptInjection } from "./kinds/prompt_injection.ts";
import { dlpFilter } from "./kinds/dlp_filter.ts";
import { secretsDetector } from "./kinds/secrets_detector.ts";
import { safetyFilter } from "./kinds/safety_filter.ts";
import { auditLogger, dataRoutingPolicy, modelAllowlist, rbac } from "./kinds/access.ts";
import { agentFirewall, toolValidation } from "./kinds/tools.ts";

/** Every kind module (definition + compiler) by name, in SPEC 3.3 order. */
export const POLICY_MODULES: ReadonlyMap<string, PolicyKindModule> = new Map(
  [
    piiDetector,
    promptInjection,
    secretsDetector,
    dlpFilter,
    safetyFilter,
    rbac,
    modelAllowlist,
    dataRoutingPolicy,
    toolValidation,
    agentFirewall,
    auditLogger,
  ].map((m) => [m.definition.kind, m]),
);

/** Every registered policy kind by name. */
export const POLICY_KINDS: ReadonlyMap<string, PolicyKindDefinition> = new Map(
  [...POLICY_MODULES].map(([k, m]) => [k, m.definition]),
);

/** The registry in the shape the config loader takes. */
export function policyKindInfo(): ReadonlyMap<string, PolicyKindInfo> {
  return new Map([...POLICY_KINDS].map(([k, d]) => [k, { schema: d.schema, check: d.check?.bind(d) }]));
}

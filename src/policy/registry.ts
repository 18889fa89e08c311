/**
 * Registry of policy kinds. The config loader and `kt config schema` read it
 * to validate `policies.chain` and `policy.<kind>` blocks.
 *
 * @module
 */
import type { PolicyKindInfo } from "../config/load.ts";
import type { PolicyKindDefinition } from "./types.ts";

/** Every registered policy kind by name. (Kinds are added by the policy engine.) */
export const POLICY_KINDS: ReadonlyMap<string, PolicyKindDefinition> = new Map();

/** The registry in the shape the config loader takes. */
export function policyKindInfo(): ReadonlyMap<string, PolicyKindInfo> {
  return new Map([...POLICY_KINDS].map(([k, d]) => [k, { schema: d.schema, check: d.check?.bind(d) }]));
}

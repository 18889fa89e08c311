/**
 * The policy chain engine (placeholder: allows everything until the kinds land).
 *
 * @module
 */
import type { KtConfig } from "../config/schema.ts";
import type {
  ChainOptions,
  ChainOutcome,
  CompiledChain,
  PolicyRequest,
  RequestPolicyState,
} from "./types.ts";

function allow(request: PolicyRequest): ChainOutcome {
  return {
    verdict: "allow",
    reasonCode: null,
    results: [],
    segments: request.segments,
    changed: false,
    routing: {},
  };
}

/** Compiles `policies.chain` of a validated config into a {@link CompiledChain}. */
export function compileChain(config: KtConfig, _options: ChainOptions): CompiledChain {
  return {
    kinds: config.policies.chain,
    enabled: config.pack.enabled,
    hasOutput: false,
    checksToolCalls: false,
    audit: { logAllAccess: true, includeContent: "none" },
    newState: (): RequestPolicyState => ({ restore: new Map() }),
    runInput: allow,
    runOutput: allow,
    streamGuard: (request) => ({
      push: (delta: string) => ({ emit: delta }),
      finish: () => ({ emit: "", outcome: allow(request) }),
    }),
  };
}

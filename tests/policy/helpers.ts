/**
 * Test helpers: build configs and chains from YAML, and requests from messages.
 *
 * @module
 */
import { lintConfig } from "../../src/config/load.ts";
import type { ConfigIssue } from "../../src/config/errors.ts";
import type { KtConfig } from "../../src/config/schema.ts";
import { compileChain } from "../../src/policy/engine.ts";
import { policyKindInfo } from "../../src/policy/registry.ts";
import type {
  CompiledChain,
  FailMode,
  Phase,
  PolicyRequest,
  TextSegment,
  ToolCall,
  ToolDefinition,
} from "../../src/policy/types.ts";

/** A minimal valid config document with the given chain and policy blocks (YAML text). */
export function configYaml(chain: string[], policy: Record<string, unknown>, extra = ""): string {
  return [
    "pack: { name: test, version: 1.0.0, enabled: true }",
    "providers:",
    "  targets:",
    "    - id: main",
    "      provider: openai",
    "      model: gpt-4o-mini",
    `policies: { chain: ${JSON.stringify(chain)} }`,
    `policy: ${JSON.stringify(policy)}`,
    extra,
  ].join("\n");
}

/** Lints a YAML text with the real registry. */
export function lint(text: string): { config?: KtConfig; issues: ConfigIssue[] } {
  return lintConfig([{ name: "test.yaml", text }], { policyKinds: policyKindInfo(), env: () => undefined });
}

/** Builds a compiled chain (throws on lint errors). */
export function chainOf(
  chain: string[],
  policy: Record<string, unknown>,
  opts: { failMode?: FailMode; enabled?: boolean } = {},
): CompiledChain {
  const r = lint(configYaml(chain, policy));
  const errors = r.issues.filter((i) => i.severity === "error");
  if (errors.length > 0 || !r.config) throw new Error(JSON.stringify(errors));
  const config = opts.enabled === false
    ? { ...r.config, pack: { ...r.config.pack, enabled: false } }
    : r.config;
  return compileChain(config, { failMode: opts.failMode ?? "block" });
}

/** A request from user texts (or full segments). */
export function req(
  texts: Array<string | TextSegment>,
  more: {
    phase?: Phase;
    model?: string;
    headers?: Record<string, string>;
    tools?: ToolDefinition[];
    toolCalls?: ToolCall[];
    role?: string;
  } = {},
): PolicyRequest {
  const headers = new Headers(more.headers ?? {});
  return {
    phase: more.phase ?? "input",
    api: "chat",
    model: more.model ?? "gpt-4o-mini",
    segments: texts.map((t, i) =>
      typeof t === "string" ? { key: `messages.${i}.content`, role: more.role ?? "user", text: t } : t
    ),
    tools: more.tools ?? [],
    toolCalls: more.toolCalls ?? [],
    identity: {
      userId: headers.get("x-user-id") ?? undefined,
      role: headers.get("x-user-role") ?? undefined,
    },
    headers,
  };
}

/**
 * Tool governance: `tool-validation` (declared tools, JSON Schema of arguments)
 * and `agent-firewall` (allowed/blocked tool-name globs).
 *
 * Reason codes: `tool_not_declared`, `tool_schema_mismatch` (a tool definition
 * contradicts the configured schema), `tool_arguments_invalid` (tool-call arguments
 * are not JSON or fail the schema), `tool_blocked` (agent-firewall).
 *
 * @module
 */
import { z } from "zod";
import {
  allowDecision,
  count,
  type EvalInput,
  GlobSet,
  type PolicyDecision,
  type PolicyKindModule,
} from "./common.ts";
import { schemaProblems, validateJson } from "../json_schema.ts";
import type { ToolCall } from "../types.ts";

const toolName = z.string().min(1).max(200);

/** Schema of `policy.tool-validation`. */
export const toolValidationSchema = z.strictObject({
  declared_tools: z.array(toolName).max(10_000).default([]),
  /** Tool name → JSON Schema of its arguments (tools named here count as declared). */
  schemas: z.record(toolName, z.record(z.string(), z.unknown())).default({}),
  allow_undeclared: z.boolean().default(false),
});

/** Schema of `policy.agent-firewall`. */
export const agentFirewallSchema = z.strictObject({
  /** Globs of tools that may be called; empty allows every tool not blocked. */
  allowed_tools: z.array(toolName).max(10_000).default([]),
  blocked_tools: z.array(toolName).max(10_000).default([]),
  /** Also block requests that merely declare a blocked tool. */
  check_definitions: z.boolean().default(false),
});

type ToolValidationConfig = z.infer<typeof toolValidationSchema>;

const MAX_ARGUMENT_CHARS = 1 << 20;

/** The block for a tool the config does not declare (definitions on input, calls on output). */
function undeclared(name: string, findings: Record<string, number>): PolicyDecision {
  count(findings, "tool_not_declared");
  return {
    verdict: "block",
    reasonCode: "tool_not_declared",
    findings,
    message: `The tool "${name.slice(0, 100)}" is not declared.`,
  };
}

function propertyTypes(schema: unknown): Map<string, unknown> {
  const props = (schema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties;
  return new Map(Object.entries(props ?? {}).map(([k, v]) => [k, v?.type]));
}

/** The tool-validation kind. */
export const toolValidation: PolicyKindModule = {
  definition: {
    kind: "tool-validation",
    phases: ["input", "output"],
    schema: toolValidationSchema,
    check(block: unknown) {
      const cfg = block as ToolValidationConfig;
      const issues: Array<{ path: string; message: string; code?: "E006" | "W003"; hint?: string }> = [];
      for (const [tool, schema] of Object.entries(cfg.schemas)) {
        for (const p of schemaProblems(schema)) issues.push({ ...p, path: `schemas.${tool}.${p.path}` });
      }
      return issues;
    },
  },
  compile(block: unknown) {
    const cfg = toolValidationSchema.parse(block ?? {});
    const declared = new Set([...cfg.declared_tools, ...Object.keys(cfg.schemas)]);
    const schemas = new Map(Object.entries(cfg.schemas));
    const checkCalls = (
      calls: readonly ToolCall[],
      findings: Record<string, number>,
    ): PolicyDecision | null => {
      for (const call of calls) {
        if (!declared.has(call.name)) {
          if (cfg.allow_undeclared) continue;
          return undeclared(call.name, findings);
        }
        const schema = schemas.get(call.name);
        if (!schema) continue;
        let args: unknown;
        try {
          if (call.arguments.length > MAX_ARGUMENT_CHARS) throw new Error("too large");
          args = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
        } catch {
          count(findings, "tool_arguments_invalid");
          return {
            verdict: "block",
            reasonCode: "tool_arguments_invalid",
            findings,
            message: `The arguments of tool "${call.name.slice(0, 100)}" are not valid JSON.`,
          };
        }
        const errors = validateJson(schema, args);
        if (errors.length > 0) {
          count(findings, "tool_arguments_invalid");
          return {
            verdict: "block",
            reasonCode: "tool_arguments_invalid",
            findings,
            message: `The arguments of tool "${call.name.slice(0, 100)}" fail its schema: ${errors[0].path} ${
              errors[0].message
            }.`,
          };
        }
      }
      return null;
    };
    return {
      kind: "tool-validation",
      phases: ["input", "output"],
      inspectsOutput: true,
      checksToolCalls: true,
      textOnly: false,
      evaluate({ request, phase }: EvalInput): PolicyDecision {
        const findings: Record<string, number> = {};
        if (phase === "input") {
          for (const def of request.tools) {
            if (!declared.has(def.name)) {
              if (cfg.allow_undeclared) continue;
              return undeclared(def.name, findings);
            }
            const configured = schemas.get(def.name);
            if (!configured || !def.parameters) continue;
            const want = propertyTypes(configured);
            const closed = (configured as { additionalProperties?: unknown }).additionalProperties === false;
            for (const [prop, type] of propertyTypes(def.parameters)) {
              const expected = want.get(prop);
              const mismatch = expected === undefined
                ? closed
                : type !== undefined && expected !== undefined &&
                  JSON.stringify(type) !== JSON.stringify(expected);
              if (mismatch) {
                count(findings, "tool_schema_mismatch");
                return {
                  verdict: "block",
                  reasonCode: "tool_schema_mismatch",
                  findings,
                  message:
                    `The definition of tool "${
                      def.name.slice(0, 100)
                    }" does not match its configured schema ` +
                    `(property "${prop.slice(0, 64)}").`,
                };
              }
            }
          }
        }
        return checkCalls(request.toolCalls, findings) ?? allowDecision(findings);
      },
    };
  },
};

/** The agent-firewall kind. */
export const agentFirewall: PolicyKindModule = {
  definition: { kind: "agent-firewall", phases: ["input", "output"], schema: agentFirewallSchema },
  compile(block: unknown) {
    const cfg = agentFirewallSchema.parse(block ?? {});
    const allowed = new GlobSet(cfg.allowed_tools);
    const blocked = new GlobSet(cfg.blocked_tools);
    const denied = (name: string) => blocked.matches(name) || (allowed.size > 0 && !allowed.matches(name));
    return {
      kind: "agent-firewall",
      phases: ["input", "output"],
      inspectsOutput: true,
      checksToolCalls: true,
      textOnly: false,
      evaluate({ request, phase }: EvalInput): PolicyDecision {
        const names = request.toolCalls.map((c) => c.name);
        if (cfg.check_definitions && phase === "input") names.push(...request.tools.map((t) => t.name));
        const hit = names.find(denied);
        if (hit === undefined) return allowDecision();
        return {
          verdict: "block",
          reasonCode: "tool_blocked",
          findings: { tool_blocked: names.filter(denied).length },
          message: `The agent firewall blocks the tool "${hit.slice(0, 100)}".`,
        };
      },
    };
  },
};

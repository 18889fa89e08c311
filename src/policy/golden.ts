/**
 * Golden cases (`kt policy test`, SPEC 1.2): run a case through the real chain
 * with no network. Input phase on `input.messages`; routing constraints are
 * checked against the config's targets (none compliant → `block` with
 * `no_compliant_target`); then the output phase on `input.upstream_response`
 * or, without it, on what the mock provider would answer (an echo of the last
 * user message as the provider received it, i.e. after input redaction).
 *
 * `expected.findings` (optional, a kt extension) also compares finding counts.
 *
 * @module
 */
import type { KtConfig } from "../config/schema.ts";
import { isConstrained, targetCompliant } from "./routing.ts";
import type {
  ChainOutcome,
  CompiledChain,
  ContentSource,
  PolicyRequest,
  TextSegment,
  ToolCall,
  ToolDefinition,
  Verdict,
} from "./types.ts";

/** Expected outcome of a case. */
export interface GoldenExpected {
  verdict: Verdict;
  reason_code?: string;
  findings?: Record<string, number>;
}

/** A parsed golden case. */
export interface GoldenCaseInput {
  name: string;
  input: {
    messages: unknown[];
    headers?: Record<string, string>;
    upstream_response?: unknown;
    model?: string;
    tools?: unknown[];
  };
  expected: GoldenExpected;
}

/** What the chain decided for a case. */
export interface GoldenActual {
  verdict: Verdict;
  reason_code: string | null;
  policy: string | null;
  findings: Record<string, number>;
}

/** One case's result in the `kt policy test --json` document. */
export interface GoldenResult {
  name: string;
  file: string;
  passed: boolean;
  expected: GoldenExpected;
  actual: GoldenActual;
  /** Why the case could not run (malformed case file). */
  error?: string;
}

function contentText(content: unknown): string[] {
  if (typeof content === "string") return [content];
  if (Array.isArray(content)) {
    return content.flatMap((p) => {
      if (typeof p === "string") return [p];
      const part = p as { type?: string; text?: unknown };
      return typeof part?.text === "string" ? [part.text] : [];
    });
  }
  return [];
}

function toolCallsOf(raw: unknown): ToolCall[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((c) => {
    const call = c as {
      id?: string;
      name?: string;
      arguments?: unknown;
      function?: { name?: string; arguments?: unknown };
    };
    const args = call.function?.arguments ?? call.arguments ?? "";
    return {
      id: call.id,
      name: String(call.function?.name ?? call.name ?? ""),
      arguments: typeof args === "string" ? args : JSON.stringify(args),
    };
  });
}

/** Content sources by message role, as the gateway sets them (other roles are `messages`). */
const ROLE_SOURCE: Record<string, ContentSource> = {
  system: "system",
  developer: "system",
  tool: "tool_results",
  function: "tool_results",
};

/** Every string inside a value (a tool's JSON Schema), depth-first, at most `max`. */
function strings(value: unknown, out: string[], max = 256): string[] {
  if (out.length >= max) return out;
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) { for (const v of value) strings(v, out, max); }
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out, max);
    }
  }
  return out;
}

/** The texts of tool definitions as segments (source `tools`, role `system`), as the gateway sends them. */
export function toolSegments(tools: readonly ToolDefinition[]): TextSegment[] {
  const out: TextSegment[] = [];
  tools.forEach((t, i) => {
    const texts = [t.name, ...(t.description ? [t.description] : []), ...strings(t.parameters, [])];
    texts.forEach((text, j) => out.push({ key: `tools.${i}.${j}`, role: "system", text, source: "tools" }));
  });
  return out;
}

/** Extracts segments and tool calls from OpenAI-style messages. */
export function messagesToRequest(
  messages: readonly unknown[],
): { segments: TextSegment[]; toolCalls: ToolCall[] } {
  const segments: TextSegment[] = [];
  const toolCalls: ToolCall[] = [];
  messages.forEach((m, i) => {
    const msg = m as { role?: string; content?: unknown; tool_calls?: unknown };
    const role = String(msg?.role ?? "user");
    const source = ROLE_SOURCE[role];
    contentText(msg?.content).forEach((text, j) =>
      segments.push(
        source
          ? { key: `messages.${i}.content.${j}`, role, text, source }
          : { key: `messages.${i}.content.${j}`, role, text },
      )
    );
    toolCalls.push(...toolCallsOf(msg?.tool_calls));
  });
  return { segments, toolCalls };
}

function responseOf(upstream: unknown): { text: string[]; toolCalls: ToolCall[] } {
  if (typeof upstream === "string") return { text: [upstream], toolCalls: [] };
  const u = upstream as {
    choices?: Array<{ message?: { content?: unknown; tool_calls?: unknown } }>;
    content?: unknown;
    tool_calls?: unknown;
  };
  const msg = u?.choices?.[0]?.message ?? u;
  return { text: contentText(msg?.content), toolCalls: toolCallsOf(msg?.tool_calls) };
}

function addFindings(into: Record<string, number>, outcome: ChainOutcome): void {
  for (const r of outcome.results) {
    for (const [k, v] of Object.entries(r.findings)) into[k] = (into[k] ?? 0) + v;
  }
}

/** Runs one case through `chain`. */
export function runGoldenCase(chain: CompiledChain, config: KtConfig, c: GoldenCaseInput): GoldenActual {
  const headers = new Headers(c.input.headers ?? {});
  const model = c.input.model ?? config.providers.targets[0]?.model ?? "mock-echo";
  const { segments, toolCalls } = messagesToRequest(c.input.messages ?? []);
  const tools: ToolDefinition[] = (c.input.tools ?? []).map((t) => {
    const tool = t as {
      name?: string;
      function?: { name?: string; description?: string; parameters?: unknown };
    };
    return {
      name: String(tool.function?.name ?? tool.name ?? ""),
      description: tool.function?.description,
      parameters: tool.function?.parameters,
    };
  });
  const identity = {
    userId: headers.get("x-user-id") ?? undefined,
    teamId: headers.get("x-team-id") ?? undefined,
    role: headers.get("x-user-role") ?? undefined,
    agentId: headers.get("x-keeptrusts-agent-id") ?? undefined,
  };
  const base = { api: "chat", model, tools, identity, headers };
  const state = chain.newState();
  const findings: Record<string, number> = {};
  const input = chain.runInput(
    { ...base, phase: "input", segments: [...segments, ...toolSegments(tools)], toolCalls } as PolicyRequest,
    state,
  );
  addFindings(findings, input);
  if (input.verdict === "block") {
    return { verdict: "block", reason_code: input.reasonCode, policy: input.policy ?? null, findings };
  }
  const r = input.routing;
  if (isConstrained(r)) {
    if (!config.providers.targets.some((t) => targetCompliant(t.data_policy, r))) {
      return {
        verdict: "block",
        reason_code: "no_compliant_target",
        policy: "data-routing-policy",
        findings,
      };
    }
  }
  let out: { text: string[]; toolCalls: ToolCall[] };
  if (c.input.upstream_response !== undefined) out = responseOf(c.input.upstream_response);
  else {
    const lastUser = [...input.segments].reverse().find((s) => s.role === "user");
    out = { text: lastUser ? [lastUser.text] : [], toolCalls: [] };
  }
  const output = chain.runOutput({
    ...base,
    phase: "output",
    segments: out.text.map((text, i) => ({ key: `choices.0.message.content.${i}`, role: "assistant", text })),
    tools: [],
    toolCalls: out.toolCalls,
  } as PolicyRequest, state);
  addFindings(findings, output);
  if (output.verdict === "block") {
    return { verdict: "block", reason_code: output.reasonCode, policy: output.policy ?? null, findings };
  }
  const decider = input.verdict === "redact" ? input : output.verdict === "redact" ? output : null;
  if (decider) {
    const policy = decider.results.find((x) => x.verdict === "redact")?.policy ?? null;
    return { verdict: "redact", reason_code: decider.reasonCode, policy, findings };
  }
  return { verdict: "allow", reason_code: input.reasonCode ?? output.reasonCode, policy: null, findings };
}

/** Compares an actual outcome with the expectation. */
export function goldenPassed(expected: GoldenExpected, actual: GoldenActual): boolean {
  if (expected.verdict !== actual.verdict) return false;
  if (expected.reason_code !== undefined && expected.reason_code !== actual.reason_code) return false;
  if (expected.findings) {
    for (const [k, v] of Object.entries(expected.findings)) if ((actual.findings[k] ?? 0) !== v) return false;
  }
  return true;
}

/** Validates the shape of a parsed case file; returns an error message or null. */
export function goldenShapeError(value: unknown): string | null {
  const c = value as GoldenCaseInput;
  if (!c || typeof c !== "object" || Array.isArray(c)) return "a case must be a JSON object";
  if (typeof c.name !== "string") return 'missing "name"';
  if (!c.input || !Array.isArray(c.input.messages)) return 'missing "input.messages" (a list)';
  if (!c.expected || !["allow", "redact", "block"].includes(c.expected.verdict)) {
    return '"expected.verdict" must be allow, redact or block';
  }
  return null;
}

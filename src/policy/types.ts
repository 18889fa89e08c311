/**
 * The contract between the gateway and the policy engine.
 *
 * The gateway extracts the governed content of a request or response into a
 * neutral {@link PolicyRequest} (text segments, tools, tool calls, identity);
 * the compiled chain returns a {@link ChainOutcome}; the gateway writes any
 * redactions back into the wire format. Policies never see providers.
 *
 * @module
 */
import type { z } from "zod";

/** Where in the request's life a policy runs. */
export type Phase = "input" | "output";

/** A policy's (or the chain's) decision. */
export type Verdict = "allow" | "redact" | "block";

/** What a policy error does (SPEC 1.1 `--fail-mode`). */
export type FailMode = "block" | "allow";

/**
 * Where a piece of governed text comes from (the coverage manifest's sources, docs/policies.md
 * "Content coverage"): request `messages` (every role's message text), `system` (system, developer and
 * instructions text), `tools` (tool definitions and their JSON-Schema texts, structured-output schemas),
 * `tool_results` (tool outputs and replayed tool-call arguments), `files` (decoded file and document
 * text), `stored` (fields a provider keeps but the model does not read: `user`, `metadata`); on the way
 * back `output_text` (content, refusal), `output_tools` (tool-call arguments) and `reasoning`.
 */
export type ContentSource =
  | "messages"
  | "system"
  | "tools"
  | "tool_results"
  | "files"
  | "stored"
  | "output_text"
  | "output_tools"
  | "reasoning";

/** Every {@link ContentSource}, in manifest order. */
export const CONTENT_SOURCES: readonly ContentSource[] = [
  "messages",
  "system",
  "tools",
  "tool_results",
  "files",
  "stored",
  "output_text",
  "output_tools",
  "reasoning",
];

/** One piece of governed text, e.g. a message's content. */
export interface TextSegment {
  /** Stable address of the text in the wire body, chosen by the gateway (e.g. `messages.2.content.0`). */
  readonly key: string;
  /** `system`, `user`, `assistant`, `tool`, or `prompt`/`input` for non-chat APIs. */
  readonly role: string;
  readonly text: string;
  /**
   * Where the text comes from; absent means `messages` on input and `output_text` on output. Redaction
   * keeps it (policies copy a segment with `{ ...segment, text }`).
   */
  readonly source?: ContentSource;
}

/** A tool the client declares. */
export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters?: unknown;
}

/** A tool call (made by the model in a response, or replayed by the client in history). */
export interface ToolCall {
  id?: string;
  name: string;
  /** The arguments as JSON text (as providers send them). */
  arguments: string;
}

/** Who is asking, from headers and client authentication. */
export interface RequestIdentity {
  userId?: string;
  teamId?: string;
  role?: string;
  agentId?: string;
  /** Id of the matched client API key, when client_auth is on. */
  clientKeyId?: string;
}

/** The governed content of one phase of one request. */
export interface PolicyRequest {
  phase: Phase;
  /** The client API (`chat`, `messages`, …). */
  api: string;
  /** The requested model (input) or the model that answered (output). */
  model: string;
  segments: readonly TextSegment[];
  tools: readonly ToolDefinition[];
  toolCalls: readonly ToolCall[];
  identity: RequestIdentity;
  /** Request headers (lower-case names). */
  headers: Headers;
}

/** Constraints a policy puts on target choice (data-routing-policy). */
export interface RoutingRequirement {
  zeroDataRetention?: boolean;
  noTraining?: boolean;
  maxRetentionDays?: number;
}

/** One policy's entry in a decision event (SPEC 3.7). */
export interface PolicyResult {
  policy: string;
  phase: Phase;
  verdict: Verdict;
  reason_code: string | null;
  latency_us: number;
  findings: Record<string, number>;
  /** Set when the policy threw; the verdict then follows the fail mode. */
  error?: string;
}

/** The chain's decision for one phase. */
export interface ChainOutcome {
  verdict: Verdict;
  /** Reason of the deciding policy (`pii_detected`, `prompt_injection`, `policy_error`, …), or null. */
  reasonCode: string | null;
  /** The blocking policy, when `verdict` is `block`. */
  policy?: string;
  /** A message for the client when blocked (never contains the blocked content). */
  message?: string;
  results: PolicyResult[];
  /** Segments after redaction; the same array as the request's when nothing changed. */
  segments: readonly TextSegment[];
  /** True when any segment text changed. */
  changed: boolean;
  /** Merged routing constraints of the input phase. */
  routing: RoutingRequirement;
}

/** Per-request state carried from the input phase to the output phase (e.g. restore maps). */
export interface RequestPolicyState {
  /** Placeholder → original value, for `redaction.restore`. */
  restore: Map<string, string>;
}

/** Incremental output checking of a streamed text channel. */
export interface StreamGuard {
  /**
   * Feeds the next text delta. Returns the text that is safe to send now (redacted where needed; the
   * tail that could still become part of a finding is held back), how many characters of the text
   * pushed so far it stands for (`released`: `emit` replaces exactly that much of the original, in
   * order), or a block.
   */
  push(delta: string): { emit: string; released: number; blocked?: ChainOutcome };
  /** Ends the stream: returns the held-back text (standing for all of it) and the channel's outcome. */
  finish(): { emit: string; released: number; blocked?: ChainOutcome; outcome: ChainOutcome };
}

/** A policy chain compiled once per config snapshot. */
export interface CompiledChain {
  /** Kinds in execution order. */
  readonly kinds: readonly string[];
  /** `pack.enabled`; when false every phase allows and only audits. */
  readonly enabled: boolean;
  /** True when some policy in the chain has an output phase (the gateway may skip response parsing otherwise). */
  readonly hasOutput: boolean;
  /**
   * True when an output policy reads text: the gateway then shows it every model-produced text (content,
   * refusal, reasoning, tool-call arguments), holding streamed tool calls until each is complete.
   */
  readonly readsOutputText: boolean;
  /** True when an input policy reads text (content kt cannot read, such as token ids, is then refused). */
  readonly readsInputText: boolean;
  /** True when an output policy inspects tool calls (the gateway then holds streamed tool calls to the end). */
  readonly checksToolCalls: boolean;
  /** audit-logger settings (defaults when the kind is not in the chain). */
  readonly audit: { logAllAccess: boolean; includeContent: "none" | "redacted" };
  /** Creates the per-request state. */
  newState(): RequestPolicyState;
  /** Runs the input phase. */
  runInput(request: PolicyRequest, state: RequestPolicyState): ChainOutcome;
  /** Runs the output phase on a complete response; applies restore for the caller. */
  runOutput(request: PolicyRequest, state: RequestPolicyState): ChainOutcome;
  /** Starts output checking of one streamed text channel (`request.segments` is empty; text comes via push). */
  streamGuard(request: PolicyRequest, state: RequestPolicyState): StreamGuard;
}

/** Options when compiling a chain. */
export interface ChainOptions {
  failMode: FailMode;
}

/** One policy kind as registered with the engine. */
export interface PolicyKindDefinition {
  readonly kind: string;
  readonly phases: readonly Phase[];
  /** Strict zod schema of the `policy.<kind>` block (defaults filled by parse). */
  readonly schema: z.ZodType;
  /** Extra validation (patterns that fail to compile → E006). */
  check?(
    block: unknown,
  ): Array<{ path: string; message: string; code?: "E006" | "E008" | "W003"; hint?: string }>;
}

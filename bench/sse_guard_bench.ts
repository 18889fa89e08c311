/**
 * The SSE guard's cost per streamed answer, in-process: a real 400-event chat answer (one event per
 * chunk, as providers send them) read through `guardSse` with the example chain
 * (examples/policy-config.yaml) and with pii-detector alone, against forwarding the same bytes
 * (`passThrough`). A variant streams a tool call whose arguments arrive in 120 deltas. Divide by 400
 * for the cost per event.
 *
 *   deno bench --allow-read --allow-env bench/sse_guard_bench.ts
 *
 * @module
 */
import { loadConfig } from "../src/config/load.ts";
import { policyKindInfo } from "../src/policy/registry.ts";
import { compileChain } from "../src/policy/engine.ts";
import type { CompiledChain, PolicyRequest } from "../src/policy/types.ts";
import { CLIENT_APIS } from "../src/gateway/apis/mod.ts";
import { guardSse } from "../src/gateway/sse_guard.ts";
import { passThrough } from "../src/gateway/stream.ts";

const WORDS = ("Thanks for the details. I checked the order history and the parcel left our warehouse on " +
  "Monday, but the carrier never scanned it at the depot, which usually means the label was damaged in " +
  "transit. I have asked the team to re-ship both pairs by express today, and you should see a new " +
  "tracking number within two hours. The original charge of 89.90 stays as it is; the duplicate one " +
  "will be reversed in three to five business days.").split(" ");

const enc = new TextEncoder();
const frame = (delta: Record<string, unknown>, finish: string | null = null) =>
  enc.encode(`data: ${
    JSON.stringify({
      id: "chatcmpl-bench",
      object: "chat.completion.chunk",
      created: 1735689600,
      model: "gpt-4o-mini",
      choices: [{ index: 0, delta, finish_reason: finish }],
    })
  }\n\n`);

/** A 400-event answer: a role chunk, 397 word deltas, a finish chunk and `[DONE]`. */
export function textAnswer(events = 400): Uint8Array[] {
  const out = [frame({ role: "assistant", content: "" })];
  for (let i = 0; i < events - 3; i++) out.push(frame({ content: (i ? " " : "") + WORDS[i % WORDS.length] }));
  out.push(frame({}, "stop"), enc.encode("data: [DONE]\n\n"));
  return out;
}

/** A tool call whose JSON arguments arrive in `deltas` pieces, plus a short text before it. */
export function toolAnswer(deltas = 120): Uint8Array[] {
  const args = JSON.stringify({
    summary: WORDS.join(" ").repeat(2),
    order_id: "A-10023",
    items: ["running shoes", "trail shoes"],
  });
  const size = Math.ceil(args.length / deltas);
  const out = [frame({ role: "assistant", content: "" })];
  out.push(
    frame({
      tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "reship", arguments: "" } }],
    }),
  );
  for (let i = 0; i < args.length; i += size) {
    out.push(frame({ tool_calls: [{ index: 0, function: { arguments: args.slice(i, i + size) } }] }));
  }
  out.push(frame({}, "tool_calls"), enc.encode("data: [DONE]\n\n"));
  return out;
}

function chainOf(policies: Record<string, unknown>): CompiledChain {
  const doc = {
    pack: { name: "bench", version: "1.0.0", enabled: true },
    providers: { targets: [{ id: "m", provider: "mock", model: "m" }] },
    ...policies,
  };
  const loaded = loadConfig([{ name: "bench.json", text: JSON.stringify(doc) }], {
    policyKinds: policyKindInfo(),
    env: () => undefined,
  });
  return compileChain(loaded.config, { failMode: "block" });
}

const example = (await import("../src/config/load.ts")).loadConfig(
  [{
    name: "example.yaml",
    text: Deno.readTextFileSync(new URL("../examples/policy-config.yaml", import.meta.url)),
  }],
  { policyKinds: policyKindInfo(), env: () => undefined },
).config;
const FULL = compileChain(example, { failMode: "block" });
const PII = chainOf({ policies: { chain: ["pii-detector"] }, policy: { "pii-detector": {} } });

const request: PolicyRequest = {
  phase: "output",
  api: "chat",
  model: "gpt-4o-mini",
  segments: [],
  tools: [],
  toolCalls: [],
  identity: {},
  headers: new Headers(),
};

function body(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]);
      else c.close();
    },
  });
}

async function drain(s: ReadableStream<Uint8Array>): Promise<void> {
  const r = s.getReader();
  while (!(await r.read()).done);
}

function guarded(chain: CompiledChain, chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return guardSse(body(chunks), {
    dialect: CLIENT_APIS.chat.stream!,
    chain,
    request,
    state: chain.newState(),
    maxBytes: 10_485_760,
    requestId: "bench",
    onDone: () => {},
  });
}

const NONE = chainOf({ policies: { chain: ["audit-logger"] }, policy: { "audit-logger": {} } });
const text = textAnswer();
const tool = toolAnswer();

Deno.bench("pass-through, 400 events", { group: "text", baseline: true }, async () => {
  await drain(passThrough(body(text), 10_485_760, () => {}));
});
Deno.bench("guard, no text policy (parse and forward only), 400 events", { group: "text" }, async () => {
  await drain(guarded(NONE, text));
});
Deno.bench("guard, pii-detector, 400 events", { group: "text" }, async () => {
  await drain(guarded(PII, text));
});
Deno.bench("guard, example chain, 400 events", { group: "text" }, async () => {
  await drain(guarded(FULL, text));
});
Deno.bench("pass-through, tool call in 120 deltas", { group: "tool", baseline: true }, async () => {
  await drain(passThrough(body(tool), 10_485_760, () => {}));
});
Deno.bench("guard, example chain, tool call in 120 deltas", { group: "tool" }, async () => {
  await drain(guarded(FULL, tool));
});

/**
 * The gateway's own cost per request, in-process and without a network: `Gateway.handle` on a
 * `new Request` carrying bench/prompt.json (2 KB), answered by the in-process `mock` provider with the
 * same canned reply as the load benchmark's nginx, the response body read to the end. Chains: "none"
 * (bench/kt-none.yaml) and "full" (bench/kt-full.yaml: pii-detector, prompt-injection, dlp-filter,
 * audit-logger), plain JSON and streaming (SSE). Decision events go through the real stdout sink
 * (serialized and encoded) into a write that discards them. The "floor" case is what the harness itself
 * costs (the same Request read whole, a mock-sized Response read back): subtract it to get kt's share.
 *
 *   deno bench --allow-read --allow-env bench/pipeline_bench.ts
 *
 * A/B in one run: with `KT_PIPELINE_BASE=<dir>` (another checkout of kt, e.g.
 * `git archive <commit> | tar -x -C /tmp/kt-base`) every case also runs against that tree's sources,
 * interleaved in the same process, as "… (base)".
 *
 * Steadier than the wrk load benchmark on a small shared machine (one process, no sockets); it leaves
 * out what the HTTP server and the upstream fetch cost.
 *
 * @module
 */
import type { Gateway } from "../src/gateway/server.ts";

/** The nginx mock's reply text (bench/nginx.conf). */
const REPLY =
  "Hi Maria, I am sorry about the wait. The label was created but the parcel was never scanned by " +
  "the carrier, so I have asked the warehouse to re-ship both pairs by express today; they should arrive " +
  "by the 19th. If they do not, reply here and I will cancel and refund the same card (3-5 business " +
  "days). I also see the duplicate charge and have flagged it for reversal, and your loyalty points for " +
  "the last three orders are being added now.";

const FULL_POLICIES = {
  policies: { chain: ["pii-detector", "prompt-injection", "dlp-filter", "audit-logger"] },
  policy: {
    "pii-detector": { action: "redact" },
    "prompt-injection": { response: { action: "block" } },
    "dlp-filter": { blocked_terms: ["project-falcon"], action: "block" },
    "audit-logger": { include_content: "none" },
  },
};

function config(full: boolean): Record<string, unknown> {
  return {
    pack: { name: full ? "bench-full" : "bench-none", version: "1.0.0", enabled: true },
    providers: {
      routing: { strategy: "ordered" },
      targets: [
        { id: "bench-json", provider: "mock", model: "gpt-4o-mini", mock_response: REPLY },
        { id: "bench-sse", provider: "mock", model: "gpt-4o-mini-stream", mock_response: REPLY },
      ],
    },
    ...(full ? FULL_POLICIES : { policies: { chain: [] }, policy: {} }),
    size_limits: { max_body_bytes: 1048576, max_response_bytes: 10485760 },
  };
}

let auditBytes = 0;

/** Builds the "none" and "full" gateways from the sources of the kt tree at `root` (a file URL). */
async function gateways(root: URL): Promise<{ none: Gateway; full: Gateway }> {
  const [{ StdoutAuditSink }, { loadConfig }, { Gateway }, { Logger }, { policyKindInfo }] = await Promise
    .all([
      import(new URL("src/audit/event.ts", root).href),
      import(new URL("src/config/load.ts", root).href),
      import(new URL("src/gateway/server.ts", root).href),
      import(new URL("src/observability/log.ts", root).href),
      import(new URL("src/policy/registry.ts", root).href),
    ]);
  const gateway = (full: boolean): Gateway => {
    const g = new Gateway({
      ktVersion: "bench",
      audit: new StdoutAuditSink({
        writeSync: (b: Uint8Array) => (auditBytes += b.byteLength, b.byteLength),
      }),
      logger: new Logger({ write: () => {}, level: "error" }),
    });
    g.apply(loadConfig([{ name: "bench.json", text: JSON.stringify(config(full)) }], {
      policyKinds: policyKindInfo(),
      env: () => undefined,
    }));
    return g;
  };
  return { none: gateway(false), full: gateway(true) };
}

// Bodies as bytes, as the HTTP server hands them over (a string body would add a UTF-8 encode per read).
const prompt = Deno.readFileSync(new URL("./prompt.json", import.meta.url));
const streamPrompt = new TextEncoder().encode(JSON.stringify({
  ...JSON.parse(new TextDecoder().decode(prompt)),
  model: "gpt-4o-mini-stream",
  stream: true,
}));
/** The same prompt with four tool definitions of the size agents send (descriptions, enums, nested objects). */
const toolsPrompt = new TextEncoder().encode(JSON.stringify({
  ...JSON.parse(new TextDecoder().decode(prompt)),
  tools: [
    ["lookup_order", "Look up an order by its number and return its status, items and shipping events."],
    ["create_refund", "Refund part or all of an order to the original payment method."],
    ["reship_items", "Ship replacement items for an order, choosing the carrier and speed."],
    ["add_loyalty_points", "Credit loyalty points to the customer's account for the given orders."],
  ].map(([name, description]) => ({
    type: "function",
    function: {
      name,
      description,
      parameters: {
        type: "object",
        properties: {
          order_id: { type: "string", description: "The order number, e.g. A-10023." },
          reason: { type: "string", enum: ["damaged", "lost", "late", "duplicate_charge", "other"] },
          amount: {
            type: "number",
            description: "Amount in the order's currency; omit for the full amount.",
          },
          options: {
            type: "object",
            properties: {
              speed: { type: "string", enum: ["standard", "express", "overnight"] },
              notify_customer: { type: "boolean", description: "Send the customer an e-mail." },
            },
          },
        },
        required: ["order_id"],
      },
    },
  })),
}));
/** Per request, like the server's: a shared never-settling `completed` would collect every request's handler. */
function info(): Deno.ServeHandlerInfo<Deno.NetAddr> {
  return {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 40000 },
    completed: new Promise<void>(() => {}),
  } as Deno.ServeHandlerInfo<Deno.NetAddr>;
}

function request(body: Uint8Array<ArrayBuffer>): Request {
  return new Request("http://127.0.0.1:8080/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": String(body.byteLength) },
    body,
  });
}

const trees: { label: string; none: Gateway; full: Gateway }[] = [
  { label: "", ...await gateways(new URL("../", import.meta.url)) },
];
const base = Deno.env.get("KT_PIPELINE_BASE");
if (base) {
  const root = new URL(`file://${Deno.realPathSync(base)}/`);
  trees.push({ label: " (base)", ...await gateways(root) });
}

async function once(g: Gateway, body: Uint8Array<ArrayBuffer>): Promise<void> {
  const res = await g.handle(request(body), info());
  if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
  await res.bytes();
}

// Fail fast (and warm up) before measuring.
for (const t of trees) {
  for (const g of [t.none, t.full]) {
    await once(g, prompt);
    await once(g, streamPrompt);
    await once(g, toolsPrompt);
  }
}

const replyJson = JSON.stringify({
  id: "chatcmpl-bench0001",
  object: "chat.completion",
  created: 1735689600,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: REPLY }, finish_reason: "stop" }],
  usage: { prompt_tokens: 512, completion_tokens: 96, total_tokens: 608 },
});

Deno.bench("floor: Request read + JSON.parse + Response read (harness)", { group: "json" }, async () => {
  const req = request(prompt);
  JSON.parse(new TextDecoder().decode(await req.bytes()));
  await new Response(replyJson, { headers: { "content-type": "application/json" } }).bytes();
});

for (const { label, none, full } of trees) {
  Deno.bench(`kt-none: chat, JSON${label}`, { group: "json", baseline: !label }, async () => {
    await once(none, prompt);
  });
  Deno.bench(`kt-full: chat, JSON${label}`, { group: "json" }, async () => {
    await once(full, prompt);
  });
  Deno.bench(`kt-none: chat, 4 tools, JSON${label}`, { group: "tools", baseline: !label }, async () => {
    await once(none, toolsPrompt);
  });
  Deno.bench(`kt-full: chat, 4 tools, JSON${label}`, { group: "tools" }, async () => {
    await once(full, toolsPrompt);
  });
  Deno.bench(`kt-none: chat, SSE${label}`, { group: "sse", baseline: !label }, async () => {
    await once(none, streamPrompt);
  });
  Deno.bench(`kt-full: chat, SSE${label}`, { group: "sse" }, async () => {
    await once(full, streamPrompt);
  });
}

globalThis.addEventListener("unload", () => {
  if (auditBytes === 0) throw new Error("no decision event was written");
});

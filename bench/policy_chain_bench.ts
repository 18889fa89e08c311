/**
 * Policy chain benchmarks: the example chain (secrets-detector, pii-detector,
 * prompt-injection, dlp-filter, audit-logger) over realistic 2 KB and 32 KB prompts
 * and a 32 KB `.env` paste, the content-scanning kinds on their own, and the stream
 * guard per chunk.
 *
 *   deno bench bench/policy_chain_bench.ts
 *
 * The prompts are built by concatenation and slicing (V8 cons/sliced strings); the gateway's
 * texts come from `JSON.parse` (flat strings), which scan faster: the "parsed" case shows that.
 *
 * @module
 */
import { configSchema } from "../src/config/schema.ts";
import { compileChain } from "../src/policy/engine.ts";
import { BUILTIN_RULES, RuleSet, scoreText } from "../src/policy/kinds/prompt_injection.ts";
import { PII_ENTITIES, scanPii } from "../src/policy/kinds/pii_scanner.ts";
import { SecretScanner } from "../src/policy/kinds/secrets_scanner.ts";
import { SECRET_KINDS } from "../src/policy/kinds/secret_rules.ts";
import type { PolicyRequest } from "../src/policy/types.ts";
import loadPrompt from "./prompt.json" with { type: "json" };

// Built as an object (no YAML parsing, so the bench needs no permissions).
const config = configSchema.parse({
  pack: { name: "bench", version: "1.0.0", enabled: true },
  providers: { targets: [{ id: "main", provider: "openai", model: "gpt-4o-mini" }] },
  policies: { chain: ["secrets-detector", "pii-detector", "prompt-injection", "dlp-filter", "audit-logger"] },
  policy: {
    "secrets-detector": { action: "redact" },
    "pii-detector": { action: "redact" },
    "prompt-injection": {},
    "dlp-filter": {
      action: "redact",
      blocked_terms: ["project falcon", "acme confidential", "internal only"],
    },
    "audit-logger": {},
  },
});
const chain = compileChain(config, { failMode: "block" });

const PARAGRAPH =
  "Please review the attached quarterly summary and suggest three improvements to the onboarding flow. " +
  "Our previous release reduced churn, but support tickets about the system settings page went up. " +
  "Keep the tone friendly, ignore minor typos, and write the instructions for the team as a short checklist. ";
const WITH_PII = "Contact jane.doe@example.com or +1 415 555 0132 if anything is unclear. ";

function prompt(size: number): string {
  let s = "";
  while (s.length < size) s += PARAGRAPH + (s.length % 3 === 0 ? WITH_PII : "");
  return s.slice(0, size);
}

function request(text: string): PolicyRequest {
  return {
    phase: "input",
    api: "chat",
    model: "gpt-4o-mini",
    segments: [
      { key: "messages.0.content", role: "system", text: "You are a helpful assistant." },
      { key: "messages.1.content", role: "user", text },
    ],
    tools: [],
    toolCalls: [],
    identity: {},
    headers: new Headers(),
  };
}

const r2k = request(prompt(2048));
const r32k = request(prompt(32 * 1024));
const clean2k = request(PARAGRAPH.repeat(8).slice(0, 2048));
const parsed2k = request(JSON.parse(JSON.stringify(prompt(2048))));

Deno.bench("chain input, 2 KB prompt (with PII)", { group: "chain" }, () => {
  chain.runInput(r2k, chain.newState());
});
Deno.bench("chain input, 2 KB prompt (clean)", { group: "chain", baseline: true }, () => {
  chain.runInput(clean2k, chain.newState());
});
Deno.bench("chain input, 2 KB prompt (with PII, parsed from JSON)", { group: "chain" }, () => {
  chain.runInput(parsed2k, chain.newState());
});
// The load benchmark's request (bench/prompt.json): a support chat with PII, dates and order numbers.
const loadRequest: PolicyRequest = {
  ...request(""),
  segments: loadPrompt.messages.map((m, i) => ({
    key: `messages.${i}.content`,
    role: m.role,
    text: m.content,
  })),
};
Deno.bench("chain input, bench/prompt.json (load benchmark chat)", { group: "chain" }, () => {
  chain.runInput(loadRequest, chain.newState());
});
// An engineering prompt: letter+digit tokens (gpt4o, k8s, mp3, 1080p) that are not leetspeak.
const TECH =
  "Move the gpt4o batch jobs from ec2 to k8s, keep the mp3 and h264 assets on s3, render at 1080p. ";
const tech2k = request((PARAGRAPH + TECH).repeat(6).slice(0, 2048));
Deno.bench("chain input, 2 KB prompt (technical tokens: gpt4o, k8s, 1080p)", { group: "chain" }, () => {
  chain.runInput(tech2k, chain.newState());
});
// Other shapes of 2 KB prompts, each repeated to 2 KB: the scanners' costs differ by content.
const fill = (s: string) => s.repeat(Math.ceil(2048 / s.length)).slice(0, 2048);
const SHAPES: Record<string, string> = {
  code: fill(
    "Refactor src/gateway/pipeline_handler.ts: `const requestHandler = async (req: Request) => { const body = " +
      "await req.json(); return fetch(UPSTREAM_BASE_URL + '/v1/chat/completions', { method: 'POST' }); }` and see " +
      "https://github.com/denoland/deno/blob/main/runtime/js/99_main.js#L120 for context. ",
  ),
  logs: fill(
    "2026-11-23T10:42:17.123Z INFO 10.0.3.17 GET /api/v2/orders/88231?limit=50 200 12.5ms ua=Mozilla/5.0 " +
      "trace=4bf92f3577b34da6a3ce929d0e0e4736\n",
  ),
  csv: fill("order_id,customer_id,amount,currency,created_at\n100231,55012,129.99,EUR,2026-10-01\n"),
  german: fill(
    "Bitte fassen Sie den Bericht über die Lieferverzögerungen zusammen und schlagen Sie nächste Schritte für " +
      "das Kundenservice-Team vor. ",
  ),
  chinese: fill("请总结这份关于交付延迟的报告，并为客服团队提出下一步建议。我们需要在周五之前完成。"),
};
for (const [shape, text] of Object.entries(SHAPES)) {
  const r = request(text);
  Deno.bench(`chain input, 2 KB ${shape} prompt`, { group: "shapes" }, () => {
    chain.runInput(r, chain.newState());
  });
}
Deno.bench("chain input, 32 KB prompt (with PII)", { group: "chain" }, () => {
  chain.runInput(r32k, chain.newState());
});
// A pasted .env file: hundreds of NAME=value lines, a few of them credentials.
const ENV_LINES = [
  "APP_ENV=production",
  "LOG_LEVEL=info",
  "FEATURE_NEW_CHECKOUT=true",
  "SERVICE_URL=https://orders.internal.example.com:8443/v2",
  "CACHE_TTL_SECONDS=3600",
  "DATABASE_URL=postgres://orders:Qz7-rT1pLm@db.internal:5432/orders",
  "SMTP_PASSWORD=Tr4vel-mX9q2!",
  "MAX_TOKENS=4096",
  "API_BASE_URL=https://api.example.com",
  "SENTRY_ENVIRONMENT=prod",
  ["STRIPE_SECRET_KEY=sk", "live", "51Hq8bKf3xTz9LmW2pQv7RcY4nJd"].join("_"),
  "S3_BUCKET=orders-exports-eu-west-1",
];
let env = "";
for (let i = 0; env.length < 32 * 1024; i++) {
  env += ENV_LINES[i % ENV_LINES.length].replace("=", `_${i}=`) + "\n";
}
const env32k = request(env.slice(0, 32 * 1024));
Deno.bench("chain input, 32 KB .env paste", { group: "chain" }, () => {
  chain.runInput(env32k, chain.newState());
});
Deno.bench("chain output, 2 KB completion", { group: "chain" }, () => {
  chain.runOutput({ ...r2k, phase: "output" }, chain.newState());
});

// The scanning kinds on their own (same options as the chain's defaults).
const secrets = new SecretScanner({ kinds: new Set<string>(SECRET_KINDS) });
const injectionRules = new RuleSet(BUILTIN_RULES);
const injectionOpts = { unicode: true, homoglyphs: true, base64: true };
const piiOpts = { entities: new Set<string>(PII_ENTITIES), healthcare: false };
for (const [size, r] of [["2 KB", r2k], ["32 KB", r32k]] as const) {
  const text = r.segments[1].text;
  Deno.bench(`prompt-injection scoreText, ${size}`, { group: `kinds ${size}` }, () => {
    scoreText(text, injectionRules, injectionOpts);
  });
  Deno.bench(`pii-detector scanPii, ${size}`, { group: `kinds ${size}` }, () => {
    scanPii(text, piiOpts);
  });
  Deno.bench(`secrets-detector scan, ${size}`, { group: `kinds ${size}` }, () => {
    secrets.scan(text);
  });
}

const reply = prompt(8192);
const CHUNK = 16;
Deno.bench(`stream guard, per ${CHUNK}-char chunk (8 KB reply)`, { group: "stream", n: 200 }, (b) => {
  const g = chain.streamGuard({ ...r2k, phase: "output", segments: [] }, chain.newState());
  const chunks = Math.ceil(reply.length / CHUNK);
  b.start();
  for (let i = 0; i < reply.length; i += CHUNK) g.push(reply.slice(i, i + CHUNK));
  g.finish();
  b.end();
  void chunks;
});

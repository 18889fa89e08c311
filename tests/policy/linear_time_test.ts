/**
 * Hostile 1 MB inputs through every kind (input and output phases and the stream
 * guard) must finish quickly: no pattern may backtrack super-linearly.
 */
import assert from "node:assert/strict";
import { chainOf, req } from "./helpers.ts";
import { checkUserPattern } from "../../src/policy/safe_regex.ts";

const MB = 1 << 20;
const fill = (unit: string) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);

const ADVERSARIAL: Record<string, string> = {
  digits: fill("1"),
  digit_groups: fill("1 "),
  dashed_digits: fill("12-"),
  at_signs: fill("a@"),
  email_like: fill("a.b@c."),
  long_local: "x".repeat(MB - 20) + "@example.com",
  iban_like: fill("DE89 "),
  hex_colons: fill("a:"),
  ipv4_like: fill("1.2."),
  base64: fill("QUJD"),
  base64_words: fill("aWdub3Jl "),
  injection_words: fill("ignore all previous the your system instructions prompt "),
  boundaries: fill("<|im_start|> ### system: [INST] "),
  homoglyphs: fill("Іgnоrе аll рrеviоus "),
  zero_width: fill("a\u200b"),
  whitespace: fill(" \n\t"),
  brackets: fill("[EMAIL_"),
  words: fill("falcon falcn projec "),
  parens: fill("(1"),
  plus_digits: fill("+1 "),
  mrn: fill("MRN "),
  pem_headers: fill("-----BEGIN RSA PRIVATE KEY-----\n"),
  pem_body: "-----BEGIN PRIVATE KEY-----\n" + fill("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n"),
  token_prefixes: fill("ghp_ sk-ant- AKIA eyJ xoxb- "),
  long_token: "sk-proj-" + fill("aB3"),
  named_values: fill("password=x token: api_key="),
  quoted_values: fill('"secret": "'),
  url_userinfo: fill("postgres://a:"),
  scheme_runs: fill("://"),
  authorization: fill("Authorization: Basic "),
  jwt_like: fill("eyJhbGciOi."),
};

const POLICIES = {
  "rbac": { deny_if_missing: [] },
  "model-allowlist": { allowed_models: ["gpt-*"] },
  "data-routing-policy": { require_no_training: true },
  "prompt-injection": { detection: { attack_patterns: ["\\bopen sesame\\b"] } },
  "pii-detector": {
    healthcare_mode: true,
    redaction: { restore: true },
    detect_patterns: [{ name: "employee_id", pattern: "\\bEMP-\\d{6}\\b" }, "\\bsk-[A-Za-z0-9]{20,64}"],
  },
  "secrets-detector": {
    detect_patterns: [{ name: "acme_key", pattern: "\\bacme_[a-z0-9]{16}\\b" }],
    allow_patterns: ["^sk_test_"],
  },
  "dlp-filter": {
    action: "redact",
    blocked_terms: ["project falcon", "confidential"],
    fuzzy_matching: { enabled: true, max_distance: 2 },
    detect_patterns: ["\\b[A-Z]{3}-\\d{4,8}\\b"],
  },
  "safety-filter": { action: "log" },
  "tool-validation": { allow_undeclared: true },
  "agent-firewall": { blocked_tools: ["shell_*"] },
  "audit-logger": {},
};

Deno.test("linear time: 1 MB adversarial inputs through every kind stay under 1 s each", () => {
  const chain = chainOf(Object.keys(POLICIES), POLICIES);
  const timings: string[] = [];
  let worst = 0;
  for (const [name, text] of Object.entries(ADVERSARIAL)) {
    const started = performance.now();
    const st = chain.newState();
    chain.runInput(req([text]), st);
    chain.runOutput(req([text], { phase: "output", role: "assistant" }), st);
    const ms = performance.now() - started;
    worst = Math.max(worst, ms);
    timings.push(`${name}=${ms.toFixed(0)}ms`);
    assert.ok(ms < 1000, `${name} took ${ms.toFixed(0)} ms`);
  }
  console.log(
    `1 MB adversarial (input + output phases): worst ${worst.toFixed(0)} ms\n  ${timings.join(" ")}`,
  );
});

Deno.test("linear time: stream guard over 1 MB in 64-character chunks", () => {
  const chain = chainOf(["secrets-detector", "pii-detector", "dlp-filter", "safety-filter"], {
    "secrets-detector": POLICIES["secrets-detector"],
    "pii-detector": POLICIES["pii-detector"],
    "dlp-filter": POLICIES["dlp-filter"],
    "safety-filter": { action: "log" },
  });
  for (
    const name of [
      "digit_groups",
      "email_like",
      "words",
      "brackets",
      "pem_body",
      "long_token",
      "named_values",
    ]
  ) {
    const text = ADVERSARIAL[name];
    const g = chain.streamGuard(req([], { phase: "output" }), chain.newState());
    const started = performance.now();
    let out = 0;
    for (let i = 0; i < text.length; i += 64) out += g.push(text.slice(i, i + 64)).emit.length;
    out += g.finish().emit.length;
    const ms = performance.now() - started;
    console.log(`stream ${name}: ${ms.toFixed(0)} ms`);
    assert.ok(out > 0);
    assert.ok(ms < 2000, `${name} took ${ms.toFixed(0)} ms`);
  }
});

Deno.test("linear time: dangerous user patterns are rejected", () => {
  for (const p of ["(a+)+$", "(a|aa)*b", "(\\w+\\s?)*$", "(\\d)\\1", "(?=a+)a", "\\d+x", ".*a.*b"]) {
    assert.ok(checkUserPattern(p), p);
  }
  for (
    const p of [
      "\\bEMP-\\d{6}\\b",
      "\\bsk-[A-Za-z0-9]{20,64}",
      "(?:\\d{3}-){2}\\d{4}",
      "\\b[\\w.+-]{1,64}@example\\.com\\b",
    ]
  ) {
    assert.equal(checkUserPattern(p), null, p);
  }
});

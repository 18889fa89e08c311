/**
 * secrets-detector: one golden case per rule (the redaction replaces exactly the secret), the negatives
 * the issue names (documented placeholders, masked keys, public keys, key names, UUIDs, SHAs, digests,
 * ordinary base64), evasions through the normalised view, block mode, allow/detect patterns, lint, the
 * output phase and streams split at every chunk size.
 */
import assert from "node:assert/strict";
import { chainOf, lint, req } from "./helpers.ts";
import { fakes } from "./secret_fixtures.ts";
import { tokenChecksumValid } from "../../src/policy/kinds/secret_checks.ts";
import { SECRET_KINDS, TOKEN_RULES } from "../../src/policy/kinds/secret_rules.ts";

const F = fakes();
const chain = chainOf(["secrets-detector"], { "secrets-detector": {} });

function run(text: string) {
  const out = chain.runInput(req([text]), chain.newState());
  return { out, text: out.segments[0].text, findings: out.results[0].findings };
}

/** [rule, text, secret substring, kind]. */
const POSITIVE: Array<[string, string, string, string]> = [
  ["aws access key id", `aws_access_key_id = ${F.aws_access_key}`, F.aws_access_key, "aws_access_key"],
  [
    "aws secret in .aws/credentials",
    `aws_secret_access_key = ${F.aws_secret_key}`,
    F.aws_secret_key,
    "aws_secret_key",
  ],
  ["aws secret in JSON", `{"SecretAccessKey": "${F.aws_secret_key}"}`, F.aws_secret_key, "aws_secret_key"],
  [
    "github classic token",
    `git clone https://x:${F.github_token}@github.com/o/r`,
    F.github_token,
    "github_token",
  ],
  ["github token in env", `GITHUB_TOKEN=${F.github_token}`, F.github_token, "github_token"],
  ["github fine-grained", `token: ${F.github_fine_grained}`, F.github_fine_grained, "github_token"],
  [
    "gitlab token",
    `curl --header "PRIVATE-TOKEN: ${F.gitlab_token}" https://gitlab.example.com/api/v4/projects`,
    F.gitlab_token,
    "gitlab_token",
  ],
  ["slack bot token", `SLACK_BOT_TOKEN=${F.slack_token}`, F.slack_token, "slack_token"],
  ["slack webhook", `post to ${F.slack_webhook} when done`, F.slack_webhook, "slack_webhook"],
  ["stripe live key", `Stripe.api_key = "${F.stripe_key}"`, F.stripe_key, "stripe_key"],
  ["openai project key", `OPENAI_API_KEY=${F.openai_key}`, F.openai_key, "openai_key"],
  ["openai legacy key", `client = OpenAI(api_key="${F.openai_legacy}")`, F.openai_legacy, "openai_key"],
  ["anthropic key", `x-api-key: ${F.anthropic_key}`, F.anthropic_key, "anthropic_key"],
  [
    "google api key",
    `https://maps.googleapis.com/maps/api/js?key=${F.google_api_key}`,
    F.google_api_key,
    "google_api_key",
  ],
  ["twilio api key sid", `Twilio key ${F.twilio_sid}`, F.twilio_sid, "twilio"],
  [
    "twilio auth token",
    `TWILIO_ACCOUNT_SID=AC${
      "3".repeat(2)
    }f1e9a0c4b7d2e8f6a1b3c5d7e9f0a2b\nTWILIO_AUTH_TOKEN=${F.twilio_auth}`,
    F.twilio_auth,
    "twilio",
  ],
  ["sendgrid", `SENDGRID_API_KEY='${F.sendgrid}'`, F.sendgrid, "sendgrid"],
  ["npm token", `//registry.npmjs.org/:_authToken=${F.npm_token}`, F.npm_token, "npm_token"],
  ["jwt", `Cookie: session=${F.jwt}`, F.jwt, "jwt"],
  [
    "rsa private key",
    `key:\n-----BEGIN RSA PRIVATE KEY-----\n${F.private_key_body}\n-----END RSA PRIVATE KEY-----\nthanks`,
    `-----BEGIN RSA PRIVATE KEY-----\n${F.private_key_body}\n-----END RSA PRIVATE KEY-----`,
    "private_key",
  ],
  [
    "openssh private key",
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${F.private_key_body}\n-----END OPENSSH PRIVATE KEY-----`,
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${F.private_key_body}\n-----END OPENSSH PRIVATE KEY-----`,
    "private_key",
  ],
  [
    "truncated private key",
    `-----BEGIN PRIVATE KEY-----\n${F.private_key_body}\n\nwhat is wrong with it?`,
    `-----BEGIN PRIVATE KEY-----\n${F.private_key_body}`,
    "private_key",
  ],
  [
    "postgres url",
    `DATABASE_URL=postgres://app:Qz7-rT1pLm@db.internal:5432/app`,
    "Qz7-rT1pLm",
    "database_url",
  ],
  [
    "mongodb+srv url",
    `mongodb+srv://admin:hX9vPq2LwE@cluster0.ab1cd.mongodb.net/test`,
    "hX9vPq2LwE",
    "database_url",
  ],
  ["redis url without user", `REDIS_URL=redis://:k8Fq2nVxZ3@cache:6379/0`, "k8Fq2nVxZ3", "database_url"],
  [
    "ADO.NET connection string",
    `Server=tcp:sql.example.net,1433;Initial Catalog=shop;User ID=shop_app;Password=Wint3r!Sun;Encrypt=True;`,
    "Wint3r!Sun",
    "database_url",
  ],
  [
    "azure storage connection string",
    `DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey=${F.azure_key};EndpointSuffix=core.windows.net`,
    F.azure_key,
    "azure_storage",
  ],
  ["generic password in YAML", `db:\n  password: ${F.password}\n`, F.password, "generic"],
  ["generic password in .env", `SMTP_PASSWORD="${F.password}"`, F.password, "generic"],
  ["generic client secret JSON", `{"client_id": "web", "client_secret": "${F.token}"}`, F.token, "generic"],
  [
    "generic bearer",
    `curl -H "Authorization: Bearer ${F.token}" https://api.example.com`,
    F.token,
    "generic",
  ],
  [
    "generic basic auth",
    `Authorization: Basic ${btoa("deploy:Pa55w0rd-x")}`,
    btoa("deploy:Pa55w0rd-x"),
    "generic",
  ],
  ["generic https userinfo", `https://deploy:Pa55w0rd-x@git.example.com/repo.git`, "Pa55w0rd-x", "generic"],
  ["generic password prose", `my password is Summer2024! can you check it`, "Summer2024!", "generic"],
  ["generic xml", `<password>Gr33n-Tea!</password>`, "Gr33n-Tea!", "generic"],
  ["generic api key header", `X-API-Key: ${F.token}`, F.token, "generic"],
];

Deno.test("secrets: every rule finds its secret and redacts exactly it", () => {
  for (const [name, text, secret, kind] of POSITIVE) {
    const { out, text: redacted, findings } = run(text);
    assert.equal(out.verdict, "redact", name);
    assert.equal(findings[kind], 1, `${name}: ${JSON.stringify(findings)}`);
    assert.equal(redacted, text.replace(secret, `[SECRET:${kind}]`), name);
  }
});

Deno.test("secrets: every token rule and kind has a golden case", () => {
  const kinds = new Set(POSITIVE.map((p) => p[3]));
  for (const k of SECRET_KINDS) assert.ok(kinds.has(k), k);
  for (const rule of TOKEN_RULES) assert.ok(rule.source.startsWith("https://"), rule.id);
});

const NEGATIVE: Array<[string, string]> = [
  ["AWS documented example key", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"],
  ["AWS documented example secret", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
  [
    "jwt.io sample",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
  ],
  ["Stripe docs test key", "Stripe.api_key = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'"],
  [
    "Azurite dev key",
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
  ],
  ["masked openai key", "my key sk-...a1B2 stopped working"],
  ["masked key with stars", "OPENAI_API_KEY=sk-proj-************************************"],
  ["masked stripe", "sk_live_••••••••••••4242"],
  ["placeholder api key", "OPENAI_API_KEY=your-api-key-here"],
  ["placeholder in angle brackets", "Authorization: Bearer <your token>"],
  ["env reference", "Authorization: Bearer $GITHUB_TOKEN"],
  ["template reference", "password: ${DB_PASSWORD}"],
  ["mustache reference", "api_key: {{ secrets.API_KEY }}"],
  ["code reference", 'api_key = os.environ["OPENAI_API_KEY"]'],
  ["dotted reference", "const token = process.env.SLACK_TOKEN;"],
  ["constant name", "password = DB_PASSWORD"],
  ["key name without value", "Set OPENAI_API_KEY and ANTHROPIC_API_KEY in your shell first."],
  ["key names in prose", "Rotate the aws_secret_access_key and the GitHub token every 90 days."],
  ["public key", `-----BEGIN PUBLIC KEY-----\n${F.private_key_body}\n-----END PUBLIC KEY-----`],
  ["certificate", `-----BEGIN CERTIFICATE-----\n${F.private_key_body}\n-----END CERTIFICATE-----`],
  [
    "ssh public key",
    `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG7k3Ee1XxYzQ0p9mQb2Vq3sLr4TnW8uJc5dKf6gHhZa user@laptop`,
  ],
  ["stripe publishable key", "pk_live_51HqY2bC3dE4fG5hI6jK7lM8nO9pQ"],
  ["private key placeholder", "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----"],
  ["UUID", "request id 123e4567-e89b-12d3-a456-426614174000 failed"],
  ["git SHA", "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 fixed it"],
  ["sha256 digest", "image@sha256:3e9a2f1c5b7d4e6f8a0b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f2a4b6c8d0e2f"],
  [
    "integrity hash",
    'integrity="sha512-7uvcWI3hWshSADBu4JpnyYbTVc7YlhF5GDW/oPD5AxIxl34k4wXR3WDkPnzLxkN32LiTCTKMQLtKVZiwki3zGg=="',
  ],
  [
    "image base64",
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  ],
  ["base64 text", "decode this: SGVsbG8gd29ybGQsIHRoaXMgaXMganVzdCBhIHRlc3QgbWVzc2FnZQ=="],
  ["github token with a bad checksum", `the token ${F.github_bad_checksum} is fake`],
  ["password field spec", "password (string, required): the user's password; min length 12"],
  ["password prose", "Your password must be at least eight characters."],
  ["token counts", "max_tokens: 4096, token_limit=128000, tokens: 512"],
  ["token type", '{"token_type": "Bearer", "expires_in": 3600}'],
  ["public key id", "key_id = 8f14e45fceea167a5a36dedd4bea2543"],
  ["password hash", "password_hash: $2b$12$KIXQJf8n3Ue9mR0wH5pYTe"],
  ["keyboard shortcut", "Press the secret key combo Ctrl+Shift+K to open it."],
  ["db url without password", "postgres://app@db.internal:5432/app"],
  ["db url placeholder", "postgres://user:password@localhost:5432/mydb"],
  ["db url variable", "mysql://root:${MYSQL_ROOT_PASSWORD}@db/app"],
  ["author field", "author: Jane Doe, authority: internal"],
  ["AWS account id", "arn:aws:iam::123456789012:role/deploy"],
  ["hex color and ids", "color #a1b2c3, order 88231, sku AB-1234-XY"],
];

Deno.test("secrets: placeholders, masked keys, public keys, key names, UUIDs, SHAs, digests, base64 are not findings", () => {
  for (const [name, text] of NEGATIVE) {
    const { out, findings } = run(text);
    assert.equal(out.verdict, "allow", `${name}: ${JSON.stringify(findings)}`);
  }
});

Deno.test("secrets: GitHub and npm checksums", () => {
  assert.ok(tokenChecksumValid(F.github_token.slice(4)));
  assert.ok(!tokenChecksumValid(F.github_bad_checksum.slice(4)));
  assert.ok(tokenChecksumValid(F.npm_token.slice(4)));
  // A checksum-failing token assigned to a secret-sounding name is still redacted, as a generic secret.
  const { findings } = run(`GITHUB_TOKEN=${F.github_bad_checksum}`);
  assert.deepEqual(findings, { generic: 1 });
});

Deno.test("secrets: evasions through the normalised view are redacted over the original span", () => {
  const key = F.github_token;
  const cases: Array<[string, string]> = [
    ["zero-width inside", key.slice(0, 10) + "\u200b" + key.slice(10)],
    ["soft hyphen inside", key.slice(0, 20) + "\u00ad" + key.slice(20)],
    ["fullwidth prefix", "ｇｈｐ＿" + key.slice(4)],
    ["word joiners", key.slice(0, 4) + "\u2060" + key.slice(4, 30) + "\u2060" + key.slice(30)],
  ];
  for (const [name, value] of cases) {
    const { out, text } = run(`token ${value} here`);
    assert.equal(out.verdict, "redact", name);
    assert.equal(text, "token [SECRET:github_token] here", name);
  }
  const aws = "AKIA" + "\u200b" + F.aws_access_key.slice(4);
  assert.equal(run(`id=${aws};`).text, "id=[SECRET:aws_access_key];");
});

Deno.test("secrets: a 32 KB .env paste is redacted line by line", () => {
  const lines: string[] = [];
  let keys = 0;
  for (let i = 0; lines.join("\n").length < 32 * 1024; i++) {
    lines.push(`FEATURE_FLAG_${i}=true`, `SERVICE_${i}_URL=https://svc${i}.internal.example.com`);
    if (i % 20 === 0) {
      lines.push(`SERVICE_${i}_API_KEY=${F.token}`);
      keys++;
    }
  }
  lines.push(`STRIPE_SECRET_KEY=${F.stripe_key}`, `DATABASE_URL=postgres://app:Qz7-rT1pLm@db:5432/app`);
  const { findings, text } = run(lines.join("\n"));
  assert.equal(findings.stripe_key, 1);
  assert.equal(findings.database_url, 1);
  assert.equal(findings.generic, keys, JSON.stringify(findings));
  assert.ok(!text.includes(F.token) && !text.includes(F.stripe_key) && !text.includes("Qz7-rT1pLm"));
  assert.ok(text.includes("FEATURE_FLAG_3=true"));
});

Deno.test("secrets: action block, kinds, allow_patterns and detect_patterns", () => {
  const block = chainOf(["secrets-detector"], { "secrets-detector": { action: "block" } });
  const b = block.runInput(req([`key ${F.stripe_key}`]), block.newState());
  assert.equal(b.verdict, "block");
  assert.equal(b.reasonCode, "secret_detected");
  assert.ok(!b.message!.includes(F.stripe_key));

  const only = chainOf(["secrets-detector"], { "secrets-detector": { kinds: ["stripe_key"] } });
  const o = only.runInput(req([`${F.stripe_key} ${F.github_token}`]), only.newState());
  assert.deepEqual(o.results[0].findings, { stripe_key: 1 });

  const allow = chainOf(["secrets-detector"], {
    "secrets-detector": { allow_patterns: ["^sk_live_" + F.stripe_key.slice(8, 14)] },
  });
  const a = allow.runInput(req([`${F.stripe_key} and ${F.github_token}`]), allow.newState());
  assert.deepEqual(a.results[0].findings, { github_token: 1 });
  assert.ok(a.segments[0].text.startsWith(F.stripe_key));

  const custom = chainOf(["secrets-detector"], {
    "secrets-detector": { detect_patterns: [{ name: "acme_key", pattern: "\\bacme_[a-z0-9]{16}\\b" }] },
  });
  const c = custom.runInput(req(["use acme_0123abcd4567efgh now"]), custom.newState());
  assert.equal(c.segments[0].text, "use [SECRET:acme_key] now");
  assert.deepEqual(c.results[0].findings, { acme_key: 1 });
});

Deno.test("secrets: lint rejects unknown keys, unknown kinds and unsafe allow patterns", () => {
  const bad = (block: unknown) =>
    lint(
      `pack: { name: t, version: 1.0.0, enabled: true }\nproviders: { targets: [{ id: m, provider: mock, model: m }] }\npolicies: { chain: [secrets-detector] }\npolicy: { secrets-detector: ${
        JSON.stringify(block)
      } }`,
    ).issues.filter((i) => i.severity === "error").map((i) => i.code);
  assert.deepEqual(bad({ actions: "redact" }), ["E002"]);
  assert.ok(bad({ kinds: ["github"] }).length > 0);
  assert.deepEqual(bad({ allow_patterns: ["(a+)+$"] }), ["E006"]);
  assert.deepEqual(bad({ action: "redact", allow_patterns: ["^sk_test_"] }), []);
});

Deno.test("secrets: output phase redacts credentials the model writes", () => {
  const out = chain.runOutput(
    req([`Here is your config: OPENAI_API_KEY=${F.openai_key}`], { phase: "output", role: "assistant" }),
    chain.newState(),
  );
  assert.equal(out.segments[0].text, "Here is your config: OPENAI_API_KEY=[SECRET:openai_key]");
});

function streamed(text: string, size: number): { emitted: string; findings: Record<string, number> } {
  const g = chain.streamGuard(req([], { phase: "output" }), chain.newState());
  let emitted = "";
  for (let i = 0; i < text.length; i += size) {
    const r = g.push(text.slice(i, i + size));
    assert.equal(r.blocked, undefined);
    emitted += r.emit;
  }
  const f = g.finish();
  emitted += f.emit;
  return { emitted, findings: f.outcome.results[0]?.findings ?? {} };
}

Deno.test("secrets: streams never emit a secret, whatever the chunk size", () => {
  const texts: Array<[string, string, string]> = [
    ["openai key", `Set it like this: OPENAI_API_KEY=${F.openai_key} and restart.`, F.openai_key],
    ["password", `The admin password: ${F.password} (rotate it).`, F.password],
    ["postgres", `Use postgres://app:Qz7-rT1pLm@db:5432/app in production.`, "Qz7-rT1pLm"],
    ["jwt", `${"x ".repeat(90)}Bearer token ${F.jwt} done`, F.jwt],
  ];
  for (const [name, text, secret] of texts) {
    for (const size of [1, 3, 7, 16, 64, 200]) {
      const { emitted } = streamed(text, size);
      assert.ok(!emitted.includes(secret), `${name} at ${size}: ${emitted}`);
      for (const part of [secret.slice(0, 12), secret.slice(-12)]) {
        assert.ok(!emitted.includes(part), `${name} at ${size} leaks ${part}`);
      }
      assert.ok(emitted.includes("[SECRET:"), `${name} at ${size}`);
    }
  }
});

Deno.test("secrets: a private key longer than the hold limit is dropped piece by piece in a stream", () => {
  const body = Array.from({ length: 40 }, (_, i) => F.private_key_body.split("\n")[i % 12]).join("\n");
  const block = `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`;
  const text = `Here is the key:\n${block}\nKeep it safe.`;
  for (const size of [5, 16, 64, 300]) {
    const { emitted, findings } = streamed(text, size);
    for (const line of body.split("\n")) assert.ok(!emitted.includes(line), `size ${size} leaks a body line`);
    assert.ok(
      emitted.startsWith("Here is the key:\n[SECRET:private_key]"),
      `size ${size}: ${emitted.slice(0, 80)}`,
    );
    assert.ok(emitted.endsWith("Keep it safe."), `size ${size}`);
    assert.equal(findings.private_key, 1, `size ${size}`);
  }
});

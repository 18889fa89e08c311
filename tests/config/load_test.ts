import assert from "node:assert/strict";
import { lintConfig, loadConfig } from "../../src/config/load.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { policyKindInfo } from "../../src/policy/registry.ts";

const base = `pack: { name: t, version: 1.2.3, enabled: true }
providers:
  targets:
    - id: a
      provider: openai
      base_url: \${BASE:-https://api.example.com/v1}
      secret_key_ref: { env: OPENAI_API_KEY }
`;

const noEnv = () => undefined;

Deno.test("config: a minimal document validates and defaults are filled", () => {
  const { config, digest } = loadConfig([{ name: "a.yaml", text: base }], { env: noEnv });
  assert.equal(config.pack.version, "1.2.3");
  assert.equal(config.providers.routing.strategy, "ordered");
  assert.equal(config.providers.targets[0].timeout_ms, 60_000);
  assert.equal(config.providers.targets[0].base_url, "https://api.example.com/v1");
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  assert.ok(Object.isFrozen(config.providers.targets[0]), "the validated config is immutable");
});

Deno.test("config: ${VAR} resolves from the environment; unset without default is E007 with its line", () => {
  const text = base.replace("${BASE:-https://api.example.com/v1}", "${BASE_URL}");
  const ok = loadConfig([{ name: "a.yaml", text }], {
    env: (n) => (n === "BASE_URL" ? "https://x.test/v1" : undefined),
  });
  assert.equal(ok.config.providers.targets[0].base_url, "https://x.test/v1");
  assert.equal(
    JSON.stringify(ok.document).includes("x.test"),
    false,
    "the public document keeps the placeholder",
  );
  const r = lintConfig([{ name: "a.yaml", text }], { env: noEnv });
  const e = r.issues.find((i) => i.code === "E007");
  assert.ok(e, JSON.stringify(r.issues));
  assert.equal(e.line, 6);
  assert.match(e.message, /BASE_URL/);
});

Deno.test("config: unknown keys are E002 with a did-you-mean hint, line and column", () => {
  const text = base + "size_limit: { max_body_bytes: 10 }\n";
  const r = lintConfig([{ name: "a.yaml", text }], { env: noEnv });
  const e = r.issues.find((i) => i.code === "E002");
  assert.ok(e);
  assert.equal(e.path, "size_limit");
  assert.match(e.hint ?? "", /size_limits/);
  assert.equal(e.line, 8);
  assert.equal(e.column, 1);
  assert.equal(e.file, "a.yaml");
});

Deno.test("config: type and range errors are E008 naming the path", () => {
  const text = base.replace(
    "provider: openai",
    "provider: openai\n      timeout_ms: -5\n      weight: heavy",
  );
  const r = lintConfig([{ name: "a.yaml", text }], { env: noEnv });
  const paths = r.issues.filter((i) => i.code === "E008").map((i) => i.path).sort();
  assert.deepEqual(paths, ["providers.targets[0].timeout_ms", "providers.targets[0].weight"]);
});

Deno.test("config: enum typos suggest the right value", () => {
  const text = base.replace("provider: openai", "provider: opneai");
  const r = lintConfig([{ name: "a.yaml", text }], { env: noEnv });
  assert.match(r.issues[0].hint ?? "", /openai/);
});

Deno.test("config: YAML syntax errors carry line and column", () => {
  const r = lintConfig([{ name: "bad.yaml", text: "pack: { name: x\nproviders: [" }], { env: noEnv });
  assert.equal(r.issues[0].code, "E000");
  assert.ok(r.issues[0].line);
});

Deno.test("config: duplicate target ids (E004) and unknown route targets (E005)", () => {
  const text = base + `    - { id: a, provider: mock }\n`;
  const r = lintConfig([{
    name: "a.yaml",
    text: text.replace(
      "providers:\n",
      "providers:\n  routing: { routes: [{ model: 'gpt-*', targets: [b] }] }\n",
    ),
  }], { env: noEnv });
  const codes = r.issues.map((i) => i.code);
  assert.ok(codes.includes("E004"), JSON.stringify(r.issues));
  assert.ok(codes.includes("E005"));
  assert.ok(codes.includes("W002"));
});

Deno.test("config: layering merges objects key by key and replaces arrays and scalars", () => {
  const over = `pack: { version: 2.0.0 }
providers:
  targets: [{ id: b, provider: mock }]
global_rate_limit: { max_requests: 5, window_seconds: 1 }
`;
  const { config, sources } = loadConfig([{ name: "a.yaml", text: base }, { name: "b.yaml", text: over }], {
    env: noEnv,
  });
  assert.equal(config.pack.name, "t");
  assert.equal(config.pack.version, "2.0.0");
  assert.deepEqual(config.providers.targets.map((t) => t.id), ["b"]);
  assert.equal(config.global_rate_limit?.max_requests, 5);
  assert.deepEqual(sources, ["a.yaml", "b.yaml"]);
});

Deno.test("config: errors in a later layer point at that file", () => {
  const r = lintConfig([{ name: "a.yaml", text: base }, {
    name: "b.yaml",
    text: "pack:\n  enabled: maybe\n",
  }], { env: noEnv });
  assert.equal(r.issues[0].file, "b.yaml");
  assert.equal(r.issues[0].line, 2);
});

Deno.test("config: chain kinds are checked against the registry (E001 unknown, E003 missing block)", () => {
  const kinds = policyKindInfo();
  const known = [...kinds.keys()][0] ?? "pii-detector";
  const text = base + `policies: { chain: [${known}, no-such-kind] }\n`;
  const r = lintConfig([{ name: "a.yaml", text }], { env: noEnv, policyKinds: kinds });
  const codes = r.issues.map((i) => i.code);
  assert.ok(codes.includes("E001"));
  if (kinds.size > 0) assert.ok(codes.includes("E003"));
});

Deno.test("config: loadConfig throws a ConfigError listing every error", () => {
  assert.throws(
    () => loadConfig([{ name: "a.yaml", text: "pack: {}\n" }], { env: noEnv }),
    (err: unknown) => err instanceof ConfigError && err.issues.length >= 3 && err.code === "config_invalid",
  );
});

Deno.test("config: JSON documents are accepted", () => {
  const doc = {
    pack: { name: "j", version: "0.1.0", enabled: false },
    providers: { targets: [{ id: "m", provider: "mock" }] },
  };
  const { config } = loadConfig([{ name: "c.json", text: JSON.stringify(doc) }], { env: noEnv });
  assert.equal(config.pack.enabled, false);
});

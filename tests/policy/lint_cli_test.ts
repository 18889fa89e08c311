import assert from "node:assert/strict";
import { runPolicyLint, runPolicyTest } from "../../src/cli/commands/policy.ts";
import { initCommand, runInit } from "../../src/cli/commands/init.ts";
import { policyCommand } from "../../src/cli/commands/policy.ts";
import { POLICY_TEMPLATES } from "../../src/policy/templates/mod.ts";

const BAD = `pack: { name: demo, version: 1.0.0, enabled: true }
providers:
  targets:
    - { id: a, provider: openai, model: "\${MODEL}" }
    - { id: a, provider: mock }
  routing:
    routes:
      - { model: "gpt-*", targets: [b] }
policies:
  chain: [pii-detector, prompt-injektion, dlp-filter, rbac]
policy:
  pii-detector:
    detect_patterns: ["(a+)+"]
  dlp-filter:
    acton: redact
    fuzzy_matching: { max_distance: 9 }
  safety-filter: {}
`;

function lintText(text: string, json = false, env: Record<string, string> = {}) {
  return runPolicyLint({
    file: "policy-config.yaml",
    json,
    readFile: () => Promise.resolve(text),
    env: (n) => env[n],
  });
}

Deno.test("lint: every code with line and column", async () => {
  const r = await lintText(BAD, true);
  assert.equal(r.code, 2);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.valid, false);
  const byCode = new Map<string, { path: string; line: number; column: number; suggestion: string | null }>();
  for (const e of doc.errors) byCode.set(e.code, e);
  // E007 short-circuits schema validation, so check it on its own.
  assert.deepEqual([...byCode.keys()], ["E007"]);
  assert.equal(byCode.get("E007")!.line, 4);

  const r2 = await lintText(BAD, true, { MODEL: "gpt-4o" });
  const doc2 = JSON.parse(r2.stdout);
  const codes = doc2.errors.map((e: { code: string }) => e.code).sort();
  assert.deepEqual([...new Set(codes)], ["E001", "E002", "E003", "E004", "E005", "E006", "E008"]);
  const find = (code: string) => doc2.errors.find((e: { code: string }) => e.code === code);
  assert.equal(find("E001").path, "policies.chain[1]");
  assert.equal(find("E001").suggestion, 'did you mean "prompt-injection"?');
  assert.equal(find("E001").line, 10);
  assert.equal(find("E002").path, "policy.dlp-filter.acton");
  assert.equal(find("E002").line, 15);
  assert.equal(find("E003").path, "policies.chain[3]");
  assert.equal(find("E002").column, 5);
  assert.equal(find("E004").line, 5);
  assert.equal(find("E005").line, 8);
  assert.equal(find("E006").path, "policy.pii-detector.detect_patterns[0]");
  assert.equal(find("E006").line, 13);
  assert.match(find("E006").suggestion, /\[\\w\.\]\+/);
  assert.equal(find("E008").path, "policy.dlp-filter.fuzzy_matching.max_distance");
  const warnings = doc2.warnings.map((w: { code: string }) => w.code).sort();
  assert.deepEqual(warnings, ["W001", "W002"]);
});

Deno.test("lint: human output is one line per problem plus a summary", async () => {
  const r = await lintText(BAD, false, { MODEL: "m" });
  assert.equal(r.code, 2);
  const lines = r.stdout.trim().split("\n");
  assert.match(lines[0], /^policy-config\.yaml:\d+:\d+: \S+: .+ \[E\d{3}\]/);
  assert.match(lines.at(-1)!, /invalid — \d+ errors, 2 warnings$/);
  assert.ok(lines.some((l) => l.includes('(did you mean "prompt-injection"?)')));
});

Deno.test("lint: valid config JSON document", async () => {
  const text = POLICY_TEMPLATES.get("default")!.config;
  const r = await lintText(text, true);
  assert.equal(r.code, 0);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(doc), ["valid", "file", "pack", "chain", "policy_count", "warnings"]);
  assert.deepEqual(doc.pack, { name: "starter", version: "0.1.0" });
  assert.equal(doc.policy_count, 4);
  assert.equal(doc.warnings[0].code, "W002");
  const human = await lintText(text);
  assert.match(human.stdout, /valid — pack starter 0\.1\.0, chain \[.+\], 4 policies, 1 warning/);
});

Deno.test("lint: unreadable file is a clear error with exit 2", async () => {
  const r = await runPolicyLint({ file: "/nonexistent/x.yaml" });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no such file/);
  const denied = await runPolicyLint({
    file: "/root/x.yaml",
    readFile: () => Promise.reject(new Deno.errors.NotCapable("Requires read access")),
  });
  assert.match(denied.stderr, /may not read .* --file - </);
});

Deno.test("init + policy test: every template's golden cases pass", async () => {
  for (const name of POLICY_TEMPLATES.keys()) {
    const dir = await Deno.makeTempDir();
    try {
      const r = await runInit({ template: name, dir });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.written.includes("policy-config.yaml"));
      const lint = await runPolicyLint({ file: `${dir}/policy-config.yaml`, env: () => undefined });
      assert.equal(lint.code, 0, lint.stdout);
      const t = await runPolicyTest({ packDir: dir, json: true });
      const doc = JSON.parse(t.stdout);
      assert.equal(t.code, 0, t.stdout);
      assert.equal(doc.failed, 0);
      assert.ok(doc.passed >= 2);
      const first = doc.results[0];
      assert.deepEqual(Object.keys(first.actual), ["verdict", "reason_code", "policy", "findings"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("init: refuses to overwrite without --force; --stdout; unknown template", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal((await runInit({ dir })).code, 0);
    const again = await runInit({ dir });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists.*--force/);
    assert.equal((await runInit({ dir, force: true })).code, 0);
    const out = await runInit({ template: "pii-redaction", stdout: true });
    assert.match(out.stdout, /pii-detector/);
    const unknown = await runInit({ template: "nope" });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /choose one of: default, pii-redaction/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init: without write permission the error is one sentence suggesting --stdout", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `import { runInit } from "${
      new URL("../../src/cli/commands/init.ts", import.meta.url).href
    }";
const r = await runInit({ dir: ${JSON.stringify(dir)} });
console.log(JSON.stringify(r));`;
    const root = new URL("../..", import.meta.url).pathname;
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--config",
        `${root}deno.json`,
        "--no-prompt",
        "--allow-read",
        "--allow-env",
        `data:application/typescript;base64,${btoa(script)}`,
      ],
      stdout: "piped",
      stderr: "piped",
      cwd: root,
    });
    const { stdout, stderr } = await cmd.output();
    const r = JSON.parse(new TextDecoder().decode(stdout).trim().split("\n").at(-1) ?? "{}");
    assert.equal(r.code, 1, new TextDecoder().decode(stderr));
    assert.match(r.stderr, /^kt: this kt binary may not write files in .*--stdout/);
    assert.equal(r.stderr.trim().split("\n").length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("policy test: failing case exits 1 and explains", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await runInit({ template: "prompt-injection", dir });
    await Deno.writeTextFile(
      `${dir}/tests/wrong.json`,
      JSON.stringify({
        name: "wrong expectation",
        input: { messages: [{ role: "user", content: "hello there" }] },
        expected: { verdict: "block" },
      }),
    );
    await Deno.writeTextFile(`${dir}/tests/broken.json`, "{not json");
    const r = await runPolicyTest({ packDir: dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL {2}tests\/wrong\.json/);
    assert.match(r.stdout, /expected block, got allow/);
    assert.match(r.stdout, /FAIL {2}tests\/broken\.json/);
    assert.match(r.stdout, /\d+ passed, 2 failed/);
    const missing = await runPolicyTest({ packDir: `${dir}/nothing` });
    assert.equal(missing.code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("commands: commander trees", () => {
  const p = policyCommand();
  assert.deepEqual(p.commands.map((c) => c.name()), ["lint", "test"]);
  assert.equal(initCommand().name(), "init");
});

/**
 * `kt` as a real process under exactly the compiled permission flags
 * (scripts/permissions.ts): config from stdin, files outside /etc/keeptrusts,
 * SIGHUP reload, `kt gateway reload`, SIGTERM exit.
 */
import assert from "node:assert/strict";
import { gatewayFlags } from "../../scripts/permissions.ts";
import { ROOT, spawnKt } from "../helpers/gateway.ts";

const v = (version: string) =>
  JSON.stringify({
    pack: { name: "proc", version, enabled: true },
    providers: { targets: [{ id: "mock-a", provider: "mock", model: "mock-gpt" }] },
  });

function assertPermissionClean(lines: string[]) {
  const bad = lines.filter((l) => /NotCapable|PermissionDenied|Requires .* access/i.test(l));
  assert.deepEqual(bad, [], "no permission error under the compiled flags");
}

Deno.test("process: kt gateway run reads its config from stdin under the compiled flags and serves", async () => {
  await using kt = await spawnKt(["gateway", "run", "--policy-config", "-", "--listen", "127.0.0.1:0"], {
    stdin: v("1.0.0"),
  });
  const res = await fetch(`${kt.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "hello" }] }),
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const status = await kt.stop("SIGTERM");
  assert.equal(status.code, 0, "SIGTERM drains and exits 0");
  assertPermissionClean(kt.stderr);
  assert.ok(kt.stderr.some((l) => l.includes('"config loaded"') && l.includes('"version":"1.0.0"')));
  const event = JSON.parse(kt.stdout.find((l) => l.startsWith("{"))!);
  assert.equal(event.verdict, "allow");
  assert.equal(event.status, 200);
});

Deno.test("process: a config outside /etc/keeptrusts gets one clear sentence and exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/c.json`, v("1.0.0"));
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...gatewayFlags(),
        `${ROOT}main.ts`,
        "gateway",
        "run",
        "--policy-config",
        `${dir}/c.json`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2);
    const err = new TextDecoder().decode(out.stderr).trim();
    assert.match(
      err,
      /^kt: kt may only read files under \/etc\/keeptrusts: move .* there, or pass the config on standard input with --policy-config -/,
    );
    assert.equal(err.split("\n").length, 1, "one sentence, no stack trace");
    assert.doesNotMatch(err, /NotCapable|Requires read access/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("process: an invalid config fails startup with exit 2 and file:line:col messages", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...gatewayFlags(), `${ROOT}main.ts`, "gateway", "run", "--policy-config", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = out.stdin.getWriter();
  await w.write(
    new TextEncoder().encode("pack: { name: x, version: one, enabled: true }\nproviders: { targets: [] }\n"),
  );
  await w.close();
  const r = await out.output();
  assert.equal(r.code, 2);
  const err = new TextDecoder().decode(r.stderr);
  assert.match(err, /<stdin>:1:\d+: pack\.version: a semantic version/);
  assert.match(err, /providers\.targets: at least one target/);
});

Deno.test("process: SIGHUP and kt gateway reload re-read the files; a bad file keeps the old config", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/policy-config.json`;
  await Deno.writeTextFile(file, v("1.0.0"), { mode: 0o600 });
  const flags = gatewayFlags({ extraRead: [dir] });
  await using kt = await spawnKt(["gateway", "run", "--policy-config", file, "--listen", "127.0.0.1:0"], {
    flags,
  });
  try {
    const version = async () => (await (await fetch(`${kt.url}/readyz`)).json()).config_version;
    assert.equal(await version(), "1.0.0");

    await Deno.writeTextFile(file, v("1.1.0"));
    Deno.kill(kt.pid, "SIGHUP");
    await kt.waitFor(/"config loaded".*"version":"1\.1\.0"/);
    assert.equal(await version(), "1.1.0");

    await Deno.writeTextFile(file, "pack: [broken");
    Deno.kill(kt.pid, "SIGHUP");
    await kt.waitFor(/config reload rejected/);
    assert.equal(await version(), "1.1.0", "the previous config keeps serving");

    await Deno.writeTextFile(file, v("1.2.0"));
    const cli = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...gatewayFlags(), `${ROOT}main.ts`, "gateway", "reload", "--url", kt.url],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(cli.code, 0, new TextDecoder().decode(cli.stderr));
    assert.match(new TextDecoder().decode(cli.stdout), /"config_version":"1\.2\.0"/);
    assert.equal(await version(), "1.2.0");
    assert.equal((await kt.stop()).code, 0);
    assertPermissionClean(kt.stderr);
    assert.ok(!kt.stderr.some((l) => /readable by group or others/.test(l)), "a 0600 file does not warn");
  } finally {
    await kt.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("process: a group-readable config file triggers a warning", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/c.json`;
  await Deno.writeTextFile(file, v("1.0.0"), { mode: 0o644 });
  await Deno.chmod(file, 0o644);
  await using kt = await spawnKt(["gateway", "run", "--policy-config", file, "--listen", "127.0.0.1:0"], {
    flags: gatewayFlags({ extraRead: [dir] }),
  });
  try {
    assert.ok(kt.stderr.some((l) => /readable by group or others.*chmod 600/.test(l)));
  } finally {
    await kt.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("process: kt healthcheck exits 0 against a ready gateway and 1 when nothing listens", async () => {
  await using kt = await spawnKt(["gateway", "run", "--policy-config", "-", "--listen", "127.0.0.1:0"], {
    stdin: v("1.0.0"),
  });
  const ok = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...gatewayFlags(), `${ROOT}main.ts`, "healthcheck", "--url", `${kt.url}/readyz`],
    stdout: "null",
    stderr: "null",
  }).output();
  assert.equal(ok.code, 0);
  await kt.stop();
  const bad = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...gatewayFlags(),
      `${ROOT}main.ts`,
      "healthcheck",
      "--url",
      `${kt.url}/readyz`,
      "--timeout",
      "1",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(bad.code, 1);
  assert.match(new TextDecoder().decode(bad.stderr), /not ready/);
});

Deno.test("process: usage errors exit 2; --version and --help exit 0", async () => {
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", ...gatewayFlags(), `${ROOT}main.ts`, ...args],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
  assert.equal((await run(["gateway", "run", "--no-such-flag"])).code, 2);
  assert.equal((await run(["gateway", "run", "--policy-config", "-", "--listen", "nonsense"])).code, 2);
  assert.equal((await run(["gateway", "run", "--policy-config", "-", "--fail-mode", "maybe"])).code, 2);
  const version = await run(["--version"]);
  assert.equal(version.code, 0);
  assert.match(new TextDecoder().decode(version.stdout), /^\d+\.\d+\.\d+/);
  for (
    const args of [["--help"], ["gateway", "run", "--help"], ["healthcheck", "--help"], [
      "config",
      "schema",
      "--help",
    ]]
  ) {
    const r = await run(args);
    assert.equal(r.code, 0, args.join(" "));
    assert.match(new TextDecoder().decode(r.stdout), /Usage: kt/);
  }
});

Deno.test("process: SIGTERM lets an in-flight request finish, refuses new ones, then exits 0", async () => {
  const { startMockUpstream } = await import("../helpers/mock_upstream.ts");
  await using up = startMockUpstream();
  up.delayNext(700, 1);
  const cfg = JSON.stringify({
    pack: { name: "drain", version: "1.0.0", enabled: true },
    providers: {
      targets: [{
        id: "a",
        provider: "openai",
        base_url: up.baseUrl,
        secret_key_ref: { env: "KT_T_DRAIN_KEY" },
      }],
    },
  });
  await using kt = await spawnKt(["gateway", "run", "--policy-config", "-", "--listen", "127.0.0.1:0"], {
    stdin: cfg,
    env: { KT_T_DRAIN_KEY: "sk-drain-test-key" },
  });
  const inflight = fetch(`${kt.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "slow one" }] }),
  });
  while (up.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
  const stopped = kt.stop("SIGTERM");
  const res = await inflight;
  assert.equal(res.status, 200, "the in-flight request completes during the drain");
  assert.match((await res.json()).choices[0].message.content, /slow one/);
  assert.equal((await stopped).code, 0);
  assert.ok(kt.stderr.some((l) => l.includes("draining")));
});

Deno.test("process: kt config schema prints a JSON Schema with every section and policy kind", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...gatewayFlags(), `${ROOT}main.ts`, "config", "schema"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const schema = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.match(schema.$schema, /json-schema/);
  for (
    const k of ["pack", "providers", "policies", "policy", "size_limits", "global_rate_limit", "client_auth"]
  ) {
    assert.ok(schema.properties[k], k);
  }
  assert.equal(schema.additionalProperties, false, "strict: unknown keys are refused by editors too");
  for (const kind of ["pii-detector", "prompt-injection", "dlp-filter", "audit-logger"]) {
    assert.ok(schema.properties.policy.properties[kind], kind);
  }
});

Deno.test("process: KEEPTRUSTS_ALLOW_GROUP_READABLE_CONFIG accepts 0640 but still warns about world-readable files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const [mode, warns] of [[0o640, false], [0o644, true]] as const) {
      const file = `${dir}/c${mode.toString(8)}.json`;
      await Deno.writeTextFile(file, v("1.0.0"));
      await Deno.chmod(file, mode);
      await using kt = await spawnKt(["gateway", "run", "--policy-config", file, "--listen", "127.0.0.1:0"], {
        flags: gatewayFlags({ extraRead: [dir] }),
        env: { KEEPTRUSTS_ALLOW_GROUP_READABLE_CONFIG: "true" },
      });
      assert.equal(kt.stderr.some((l) => /readable by group or others/.test(l)), warns, mode.toString(8));
      await kt.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

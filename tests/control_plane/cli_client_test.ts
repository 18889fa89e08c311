/**
 * The `kt gateway …`, `kt config push` and `kt events tail` client commands,
 * run in process against a real control plane on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Command } from "commander";
import {
  type ClientIo,
  configPushCommand,
  gatewayAdminCommands,
  runClientCommand,
  unifiedDiff,
} from "../../src/cli/commands/control_plane_client.ts";
import { openSqliteStore } from "../../src/control_plane/store/sqlite.ts";
import { ADMIN_TOKEN, call, sampleConfig, startTestServer } from "./helpers.ts";

interface Captured {
  io: ClientIo;
  out: () => string;
  err: () => string;
}

function capture(env: Record<string, string>, extra: Partial<ClientIo> = {}): Captured {
  let out = "";
  let err = "";
  return {
    io: {
      stdout: (t) => void (out += t),
      stderr: (t) => void (err += t),
      env: (n) => env[n],
      readFile: (p) => Deno.readTextFile(p),
      ...extra,
    },
    out: () => out,
    err: () => err,
  };
}

Deno.test("unifiedDiff: hunks with context, additions, deletions, identical input", () => {
  assert.equal(unifiedDiff("a\nb\n", "a\nb\n", "x", "y"), "");
  const a = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join("\n") + "\n";
  const b = a.replace("line 3\n", "line three\n").replace("line 18\n", "").concat("line 21\n");
  assert.equal(
    unifiedDiff(a, b, "desired", "local"),
    [
      "--- desired",
      "+++ local",
      "@@ -1,6 +1,6 @@",
      " line 1",
      " line 2",
      "-line 3",
      "+line three",
      " line 4",
      " line 5",
      " line 6",
      "@@ -15,6 +15,6 @@",
      " line 15",
      " line 16",
      " line 17",
      "-line 18",
      " line 19",
      " line 20",
      "+line 21",
      "",
    ].join("\n"),
  );
  assert.equal(unifiedDiff("", "new\n", "a", "b"), "--- a\n+++ b\n@@ -0,0 +1,1 @@\n+new\n");
});

Deno.test("builders attach subcommands and make --version reach them", () => {
  const program = new Command("kt").version("1.0.0", "-V, --version");
  const gateway = new Command("gateway");
  program.addCommand(gateway);
  gatewayAdminCommands(gateway);
  const config = new Command("config");
  program.addCommand(config);
  configPushCommand(config);
  assert.deepEqual(gateway.commands.map((c) => c.name()).sort(), [
    "config",
    "create",
    "diff",
    "inspect",
    "list",
    "revert",
    "rollout",
  ]);
  assert.deepEqual(config.commands.map((c) => c.name()), ["push"]);
});

Deno.test("--version after a subcommand reaches it, whatever the order of building and attaching", async () => {
  for (const attachFirst of [true, false]) {
    const program = new Command("kt").version("9.9.9", "-V, --version").exitOverride();
    const gateway = new Command("gateway").exitOverride();
    const c = capture({});
    if (attachFirst) program.addCommand(gateway);
    gatewayAdminCommands(gateway, c.io);
    if (!attachFirst) program.addCommand(gateway);
    gateway.commands.forEach((sub) => sub.exitOverride());
    await assert.rejects(
      program.parseAsync(["gateway", "rollout", "--version", "1.0.0", "--id", "a"], { from: "user" }),
      /no control plane URL/,
      "the rollout action ran (it needs an API URL) instead of printing kt's version",
    );
    await assert.rejects(program.parseAsync(["--version"], { from: "user" }), /9\.9\.9/);
  }
});

Deno.test("kt gateway/config/events client commands against a real control plane", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kt-cp-cli-" });
  const server = await startTestServer({ store: await openSqliteStore(join(dir, "cp.db")) });
  try {
    const env = { KEEPTRUSTS_API_URL: server.url, KEEPTRUSTS_API_TOKEN: ADMIN_TOKEN };
    const run = async (args: string[], e: Record<string, string> = env, extra: Partial<ClientIo> = {}) => {
      const c = capture(e, extra);
      const code = await runClientCommand(args, c.io);
      return { code, out: c.out(), err: c.err() };
    };

    // Settings and credentials.
    const noUrl = await run(["gateway", "list"], {});
    assert.equal(noUrl.code, 2);
    assert.match(noUrl.err, /KEEPTRUSTS_API_URL/);
    const badToken = await run(["gateway", "list"], { ...env, KEEPTRUSTS_API_TOKEN: "kt_admin_wrong" });
    assert.equal(badToken.code, 1);
    assert.match(badToken.err, /not valid/);
    const flagToken = await run(["gateway", "list", "--api-url", server.url, "--api-token", ADMIN_TOKEN], {});
    assert.equal(flagToken.code, 0, flagToken.err);
    assert.match(flagToken.err, /visible in the process list/);
    const tokenFile = join(dir, "token");
    await Deno.writeTextFile(tokenFile, ADMIN_TOKEN + "\n");
    const fromFile = await run(["gateway", "list"], {
      KEEPTRUSTS_API_URL: server.url,
      KEEPTRUSTS_API_TOKEN_FILE: tokenFile,
    });
    assert.equal(fromFile.code, 0, fromFile.err);
    assert.match(fromFile.out, /no gateways registered/);
    const unreachable = await run(["gateway", "list"], { ...env, KEEPTRUSTS_API_URL: "http://127.0.0.1:9" });
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.err, /cannot reach the control plane at http:\/\/127\.0\.0\.1:9/);

    // create
    const created = await run(["gateway", "create", "--name", "edge-eu", "--description", "EU edge"]);
    assert.equal(created.code, 0, created.err);
    const id = /gateway (gw_[a-z0-9]+) created/.exec(created.out)![1];
    const gwToken = /(kt_gw_[A-Za-z0-9_-]+)/.exec(created.out)![1];
    const createdJson = await run(["gateway", "create", "--name", "edge-us", "--id", "edge-us", "--json"]);
    assert.equal(JSON.parse(createdJson.out).id, "edge-us");

    // push
    const v1 = sampleConfig("1.0.0");
    const v2 = sampleConfig("1.1.0").replace("gpt-4o-mini", "gpt-4o");
    await Deno.writeTextFile(join(dir, "v1.yaml"), v1);
    await Deno.writeTextFile(join(dir, "v2.yaml"), v2);
    const pushed = await run(["config", "push", "--file", join(dir, "v1.yaml")]);
    assert.equal(pushed.code, 0, pushed.err);
    assert.match(pushed.out, /stored production 1\.0\.0 \(sha256:[0-9a-f]{64}/);
    const again = await run(["config", "push", "--file", join(dir, "v1.yaml")]);
    assert.match(again.out, /already stored with the same content/);
    assert.equal((await run(["config", "push", "--file", join(dir, "v2.yaml"), "--json"])).code, 0);
    // A variable only the gateway can set: stored, with a warning in lint format on stderr.
    await Deno.writeTextFile(join(dir, "var.yaml"), sampleConfig("1.2.0").replace("gpt-4o-mini", "${MODEL}"));
    const withVar = await run(["config", "push", "--file", join(dir, "var.yaml")]);
    assert.equal(withVar.code, 0, withVar.err);
    assert.match(
      withVar.err,
      /^warning: line 6:14: providers\.targets\[0\]\.model: variable \$\{MODEL\} is not set here; every gateway that runs this config must set it \[E007\] \(export MODEL=/m,
    );
    await Deno.writeTextFile(join(dir, "bad.yaml"), v1.replace("model:", "modle:").replace("1.0.0", "1.0.9"));
    const bad = await run(["config", "push", "--file", join(dir, "bad.yaml")]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.err,
      /line 6:7: providers\.targets\[0\]\.modle: unknown key "modle" \[E002\] \(allowed keys: id, provider, model/,
    );
    await Deno.writeTextFile(join(dir, "conflict.yaml"), v1 + "# changed\n");
    const conflict = await run(["config", "push", "--file", join(dir, "conflict.yaml")]);
    assert.equal(conflict.code, 2);
    assert.match(conflict.err, /immutable/);
    const missingFile = await run(["config", "push", "--file", join(dir, "nope.yaml")]);
    assert.equal(missingFile.code, 2);

    // rollout (SPEC form: --version then --id, with the root program's --version present)
    const rolled = await run(["gateway", "rollout", "--version", "1.0.0", "--id", id, "edge-us"]);
    assert.equal(rolled.code, 0, rolled.err);
    assert.match(rolled.out, /rolled out 1\.0\.0/);
    assert.match(rolled.out, new RegExp(`${id}\\s+-\\s+1\\.0\\.0`));
    const unknown = await run(["gateway", "rollout", "--version", "7.0.0", "--id", id]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /no stored config version "7\.0\.0"/);

    // list / inspect
    const listed = await run(["gateway", "list"]);
    assert.match(listed.out, /^ID\s+NAME\s+STATUS\s+RUNNING\s+DESIRED\s+LAST SEEN$/m);
    assert.match(listed.out, new RegExp(`${id}\\s+edge-eu\\s+offline\\s+-\\s+1\\.0\\.0\\s+never`));
    const listedJson = JSON.parse((await run(["gateway", "list", "--json"])).out);
    assert.equal(listedJson.items.length, 2);
    const status = await call(server.url, "POST", `/v1/admin/configurations/gateways/${id}/status`, {
      token: gwToken,
      json: {
        status: "healthy",
        running_version: "1.0.0",
        requests: { total: 5, blocked: 1, redacted: 0, errors: 0 },
      },
    });
    assert.equal(status.status, 200);
    const inspected = await run(["gateway", "inspect", "--id", id]);
    assert.equal(inspected.code, 0, inspected.err);
    assert.match(inspected.out, /status:\s+healthy/);
    assert.match(inspected.out, /running version:\s+1\.0\.0/);
    assert.match(inspected.out, /requests:\s+5 total, 1 blocked/);
    assert.match(inspected.out, /rollout\s+1\.0\.0/);
    const missing = await run(["gateway", "inspect", "--id", "nope"]);
    assert.equal(missing.code, 2);

    // config / diff
    const shown = await run(["gateway", "config", "--id", id]);
    assert.equal(shown.out, v1);
    assert.equal(
      JSON.parse((await run(["gateway", "config", "--id", id, "--json"])).out).desired_version,
      "1.0.0",
    );
    const same = await run(["gateway", "diff", "--id", id, "--file", join(dir, "v1.yaml")]);
    assert.match(same.out, /no differences/);
    const diff = await run(["gateway", "diff", "--id", id, "--file", join(dir, "v2.yaml")]);
    assert.equal(diff.code, 0);
    assert.match(diff.out, /^--- .*desired 1\.0\.0/m);
    assert.match(diff.out, /^-pack: \{ name: production, version: 1\.0\.0, enabled: true \}$/m);
    assert.match(diff.out, /^\+ {6}model: gpt-4o$/m);
    const diffExit = await run([
      "gateway",
      "diff",
      "--id",
      id,
      "--file",
      join(dir, "v2.yaml"),
      "--exit-code",
    ]);
    assert.equal(diffExit.code, 1);

    // revert
    assert.equal((await run(["gateway", "rollout", "--version", "1.1.0", "--id", id])).code, 0);
    const reverted = await run(["gateway", "revert", "--id", id, "--version", "1.0.0"]);
    assert.equal(reverted.code, 0, reverted.err);
    assert.match(reverted.out, new RegExp(`reverted ${id}: 1\\.1\\.0 -> 1\\.0\\.0`));
    const revertedDefault = await run(["gateway", "revert", "--id", id, "--json"]);
    assert.equal(JSON.parse(revertedDefault.out).version, "1.1.0");

    // events tail
    const now = Date.now();
    const ev = (i: number, verdict: string, extra: Record<string, unknown> = {}) => ({
      id: `ev-${i}`,
      timestamp: new Date(now - (10 - i) * 1000).toISOString(),
      verdict,
      model: "gpt-4o-mini",
      status: verdict === "block" ? 409 : 200,
      latency_ms: 12,
      ...extra,
    });
    const posted = await call(server.url, "POST", "/v1/events", {
      token: gwToken,
      json: {
        events: [
          ev(1, "allow"),
          ev(2, "block", {
            policy: "prompt-injection",
            reason_code: "input_blocked",
            coverage: { scanned: { messages: 2, tools: 1 }, media: 1, refused: null },
          }),
          ev(3, "redact", { policy_results: [{ policy: "pii-detector", verdict: "redact" }] }),
        ],
      },
    });
    assert.equal(posted.status, 202);
    const tail = await run(["events", "tail", "--since", "5m"]);
    assert.equal(tail.code, 0, tail.err);
    const rows = tail.out.trim().split("\n");
    assert.match(
      rows[0],
      /^TIME\s+GATEWAY\s+VERDICT\s+POLICY\s+REASON\s+MODEL\s+STATUS\s+LATENCY\s+COVERAGE$/,
    );
    assert.deepEqual(
      rows.slice(1).map((r) => r.split(/\s+/)[2]),
      ["allow", "block", "redact"],
      "oldest first",
    );
    assert.match(
      rows[2],
      /prompt-injection\s+input_blocked\s+gpt-4o-mini\s+409\s+12ms\s+messages 2, tools 1; media 1$/,
    );
    assert.match(rows[3], /pii-detector/);
    const blocked = await run(["events", "tail", "--verdict", "block", "--json"]);
    const lines = blocked.out.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((e) => e.id), ["ev-2"]);
    assert.equal(lines[0].gateway_id, id);
    assert.equal((await run(["events", "tail", "--verdict", "maybe"])).code, 2);
    assert.equal((await run(["events", "tail", "--limit", "0"])).code, 2);
    assert.equal((await run(["events", "tail", "--limit", "1"])).out.trim().split("\n").length, 2);

    // --follow picks up new events and stops on abort.
    const abort = new AbortController();
    const c = capture(env, { signal: abort.signal, followIntervalMs: 20 });
    const following = runClientCommand(["events", "tail", "--follow", "--json", "--since", "5m"], c.io);
    await new Promise((r) => setTimeout(r, 60));
    await call(server.url, "POST", "/v1/events", { token: gwToken, json: { events: [ev(9, "allow")] } });
    for (let i = 0; i < 100 && !c.out().includes("ev-9"); i++) await new Promise((r) => setTimeout(r, 20));
    abort.abort();
    assert.equal(await following, 0);
    const followed = c.out().trim().split("\n").map((l) => JSON.parse(l).id);
    assert.deepEqual(followed, ["ev-1", "ev-2", "ev-3", "ev-9"], "each event once, in order");

    const help = await run(["gateway", "rollout", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.out, /--version <version>/);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

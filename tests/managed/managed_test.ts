/**
 * `kt run --managed` as a real process against the real control plane
 * (`kt-control-plane serve` on SQLite), both on loopback under their compiled
 * permission flags.
 *
 * @module
 */
import { join } from "node:path";
import { generateConfigKeyPair, signConfig } from "../../src/config/signature.ts";
import { gatewayFlags } from "../../scripts/permissions.ts";
import { spawnKt } from "../helpers/gateway.ts";
import { closedPort } from "../helpers/mock_upstream.ts";
import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertMatch,
  assertStringIncludes,
  chatOnce,
  freePort,
  gatewayInfo,
  logLines,
  managedConfig,
  managedFlags,
  pushConfig,
  registerGateway,
  rollout,
  sleep,
  startControlPlane,
  waitUntil,
} from "./helpers.ts";

const managedArgs = (id: string, apiUrl: string, ...extra: string[]) => [
  "run",
  "--managed",
  "--gateway-id",
  id,
  "--api-url",
  apiUrl,
  "--listen",
  "127.0.0.1:0",
  "--poll-interval",
  "1",
  ...extra,
];

async function metric(url: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

async function readyVersion(url: string): Promise<string | null> {
  const res = await fetch(`${url}/readyz`);
  const body = await res.json();
  return res.status === 200 ? body.config_version : null;
}

Deno.test("managed: startup fetch, 304s when unchanged, rollout within one poll interval, status and events reach the control plane", async () => {
  await using cp = await startControlPlane();
  const token = await registerGateway(cp, "gw-main");
  await pushConfig(cp, managedConfig("1.0.0"));
  await rollout(cp, ["gw-main"], "1.0.0");
  await using kt = await spawnKt(managedArgs("gw-main", cp.url), {
    flags: managedFlags(),
    env: { KEEPTRUSTS_GATEWAY_TOKEN: token },
  });
  await kt.waitFor(/"msg":"config loaded".*"version":"1.0.0"/);
  const started = logLines(kt.stderr, "control-plane poller started")[0];
  assertEquals(started.mode, "worker", "the poller runs in its sandboxed worker");
  assertEquals(started.worker_net, `127.0.0.1:${cp.port}`);
  assertEquals(await readyVersion(kt.url), "1.0.0");

  const allowed = await chatOnce(kt.url, "hello there");
  const redacted = await chatOnce(kt.url, "mail me at bob@example.com");
  const blocked = await chatOnce(kt.url, "tell me about project-falcon");
  assertEquals([allowed.status, redacted.status, blocked.status], [200, 200, 409]);
  assertEquals([allowed.decision, redacted.decision, blocked.decision], ["allow", "redact", "block"]);
  assertEquals(allowed.version, "1.0.0");

  // Unchanged: polls are 304s.
  await waitUntil(
    "two 304 polls",
    async () =>
      await metric(kt.url, "keeptrusts_gateway_control_plane_polls_total", 'result="not_modified"') >= 2,
  );
  assertEquals(await metric(kt.url, "keeptrusts_gateway_control_plane_polls_total", 'result="ok"'), 1);

  // A rollout is live within one poll interval (1 s ± 10%) plus the swap.
  await pushConfig(cp, managedConfig("1.1.0"));
  const t0 = Date.now();
  await rollout(cp, ["gw-main"], "1.1.0");
  await waitUntil(
    "version 1.1.0 served",
    async () => (await chatOnce(kt.url, "hi")).version === "1.1.0",
    5000,
    20,
  );
  const elapsed = Date.now() - t0;
  assert(elapsed < 1500, `rollout took ${elapsed} ms with --poll-interval 1`);
  await sleep(1200);
  assertEquals(logLines(kt.stderr, "config loaded").map((l) => l.version), ["1.0.0", "1.1.0"]);

  // Status reports: running version, counters, identity; never the token.
  const info = await waitUntil("a healthy report of 1.1.0", async () => {
    const g = await gatewayInfo(cp, "gw-main");
    return g.running_version === "1.1.0" && g.status === "healthy" ? g : undefined;
  });
  const report = info.last_report;
  assertEquals(report.desired_version, "1.1.0");
  assertEquals(report.status, "healthy");
  assertEquals(report.last_error, null);
  assertGreaterOrEqual(report.requests.total, 4);
  assertGreaterOrEqual(report.requests.blocked, 1);
  assertGreaterOrEqual(report.requests.redacted, 1);
  assertEquals(report.poll_interval_seconds, 1);
  assertMatch(report.instance_id, /^kt-/);
  assert(!JSON.stringify(info).includes(token), "the token never appears in a status report");

  // Decision events arrive in the control plane (uploaded from the worker's buffer).
  const events = await waitUntil("events in the control plane", async () => {
    const r = await cp.admin("GET", "/v1/events?gateway_id=gw-main&limit=100");
    return r.body.items?.length >= 4 ? r.body.items : undefined;
  });
  // deno-lint-ignore no-explicit-any
  const verdicts = new Set(events.map((e: any) => e.verdict));
  assertEquals([...verdicts].sort(), ["allow", "block", "redact"]);
  assert(!JSON.stringify(events).includes("bob@example.com"), "events carry no raw prompt");

  const status = await kt.stop();
  assertEquals(status.code, 0);
  assert(!kt.stderr.join("\n").includes(token), "the token never appears in the logs");
});

Deno.test("managed: an invalid config is rejected and reported once while the previous one keeps serving", async () => {
  await using cp = await startControlPlane();
  const token = await registerGateway(cp, "gw-rej");
  await pushConfig(cp, managedConfig("1.0.0"));
  // Valid for the control plane (variables are the gateway's business), unset in this gateway's environment.
  await pushConfig(
    cp,
    managedConfig("2.0.0", {
      providers: { targets: [{ id: "mock-a", provider: "mock", model: "${KT_MANAGED_TEST_UNSET}" }] },
    }),
  );
  await rollout(cp, ["gw-rej"], "1.0.0");
  await using kt = await spawnKt(managedArgs("gw-rej", cp.url), {
    flags: managedFlags(),
    env: { KEEPTRUSTS_GATEWAY_TOKEN: token },
  });
  await kt.waitFor(/"msg":"config loaded".*"version":"1.0.0"/);
  await rollout(cp, ["gw-rej"], "2.0.0");
  const line = JSON.parse(await kt.waitFor(/config rejected/, 5000));
  assertEquals(line.version, "2.0.0");
  assertStringIncludes(line.reason, "KT_MANAGED_TEST_UNSET");

  const info = await waitUntil("config_rejected reported", async () => {
    const g = await gatewayInfo(cp, "gw-rej");
    return g.last_report?.status === "config_rejected" ? g : undefined;
  });
  assertEquals(info.running_version, "1.0.0");
  assertEquals(info.desired_version, "2.0.0");
  assertStringIncludes(info.last_error, "KT_MANAGED_TEST_UNSET");
  for (let i = 0; i < 3; i++) {
    const r = await chatOnce(kt.url, "still serving?");
    assertEquals([r.status, r.version], [200, "1.0.0"]);
  }
  // The rejected version is not fetched and rejected again on every poll: it answers 304 from now on.
  await sleep(2300);
  assertEquals(logLines(kt.stderr, /config rejected/).length, 1);
  assertEquals(await metric(kt.url, "keeptrusts_gateway_control_plane_polls_total", 'result="rejected"'), 1);
  assertGreaterOrEqual(
    await metric(kt.url, "keeptrusts_gateway_control_plane_polls_total", 'result="not_modified"'),
    2,
  );

  // Rolling back to the running version clears the rejection without a reload.
  await rollout(cp, ["gw-rej"], "1.0.0");
  await waitUntil(
    "healthy again",
    async () => (await gatewayInfo(cp, "gw-rej")).last_report?.status === "healthy",
  );
  assertEquals(logLines(kt.stderr, "config loaded").length, 1);
});

Deno.test("managed: with KEEPTRUSTS_CONFIG_PUBLIC_KEY only configs signed by that key are applied", async () => {
  const keys = await generateConfigKeyPair();
  const other = await generateConfigKeyPair();
  await using cp = await startControlPlane();
  const token = await registerGateway(cp, "gw-sig");
  const v1 = managedConfig("1.0.0");
  const v2 = managedConfig("1.1.0");
  const v3 = managedConfig("1.2.0");
  await pushConfig(cp, v1, await signConfig(keys.privateKeyPem, v1));
  await pushConfig(cp, v2);
  await pushConfig(cp, v3, await signConfig(other.privateKeyPem, v3));
  await rollout(cp, ["gw-sig"], "1.0.0");
  await using kt = await spawnKt(managedArgs("gw-sig", cp.url), {
    flags: managedFlags(),
    env: { KEEPTRUSTS_GATEWAY_TOKEN: token, KEEPTRUSTS_CONFIG_PUBLIC_KEY: keys.publicKeyPem },
  });
  await kt.waitFor(/"msg":"config loaded".*"version":"1.0.0"/);
  await rollout(cp, ["gw-sig"], "1.1.0");
  assertEquals(JSON.parse(await kt.waitFor(/config rejected.*1\.1\.0/, 5000)).code, "missing_signature");
  await rollout(cp, ["gw-sig"], "1.2.0");
  assertEquals(JSON.parse(await kt.waitFor(/config rejected.*1\.2\.0/, 5000)).code, "invalid_signature");
  assertEquals((await chatOnce(kt.url, "hi")).version, "1.0.0");
  assertEquals(logLines(kt.stderr, "config loaded").length, 1);
});

Deno.test("managed: control plane killed mid-run: requests keep succeeding, status resumes when it returns", async () => {
  const port = freePort();
  const first = await startControlPlane({ port });
  const dataDir = first.dataDir;
  const token = await registerGateway(first, "gw-out");
  await pushConfig(first, managedConfig("1.0.0"));
  await rollout(first, ["gw-out"], "1.0.0");
  await using kt = await spawnKt(managedArgs("gw-out", first.url), {
    flags: managedFlags(),
    env: { KEEPTRUSTS_GATEWAY_TOKEN: token },
  });
  await kt.waitFor(/"msg":"config loaded"/);

  let stop = false;
  const results: number[] = [];
  const traffic = Promise.all(Array.from({ length: 4 }, async () => {
    while (!stop) {
      try {
        results.push((await chatOnce(kt.url, "during the outage")).status);
      } catch {
        results.push(-1);
      }
    }
  }));
  let second: Awaited<ReturnType<typeof startControlPlane>> | undefined;
  try {
    await sleep(500);
    await first.kill();
    await kt.waitFor(/control plane unreachable/, 5000);
    await sleep(3000); // several failed polls with backoff
    assertEquals(logLines(kt.stderr, /control plane unreachable/).length, 1, "logged once per state change");
    const restartedAt = new Date().toISOString();
    second = await startControlPlane({ port, dataDir });
    // Backoff is capped at 4 × the poll interval (4 s), plus jitter.
    await kt.waitFor(/control plane reachable again/, 8000);
    const info = await waitUntil("a status report after the outage", async () => {
      const g = await gatewayInfo(second!, "gw-out");
      return g.last_seen_at > restartedAt ? g : undefined;
    });
    assertEquals(info.running_version, "1.0.0");
    assertEquals(info.last_report.status, "healthy");
  } finally {
    stop = true;
    await traffic;
    await second?.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
  assertGreaterOrEqual(results.length, 20);
  assertEquals(results.filter((s) => s !== 200), [], "no request failed because the control plane was down");
  assertGreaterOrEqual(
    await metric(kt.url, "keeptrusts_gateway_control_plane_polls_total", 'result="error"'),
    2,
  );
});

Deno.test("managed: no control plane at startup: /readyz 503, then exit 1 after --startup-timeout naming the URL", async () => {
  const apiUrl = `http://127.0.0.1:${closedPort()}`;
  await using kt = await spawnKt([...managedArgs("gw-none", apiUrl), "--startup-timeout", "2"], {
    flags: managedFlags(),
    env: { KEEPTRUSTS_GATEWAY_TOKEN: "kt_gw_not-a-real-token-0123456789" },
  });
  const res = await fetch(`${kt.url}/readyz`);
  assertEquals(res.status, 503);
  await res.body?.cancel();
  const chat = await chatOnce(kt.url, "too early");
  assertEquals(chat.status, 503);
  const t0 = Date.now();
  const status = await kt.child.status;
  await kt.stop();
  assertEquals(status.code, 1);
  assert(Date.now() - t0 < 4000);
  const text = kt.stderr.join("\n");
  assertStringIncludes(text, "--startup-timeout 2");
  assertStringIncludes(text, `${apiUrl}/v1/admin/configurations/gateways/gw-none/runtime-state`);
  assertMatch(text, /refused|connect/i);
  assertEquals(logLines(kt.stderr, /control plane unreachable/).length, 1);
});

Deno.test("managed: a refused token is logged clearly; the bootstrap config keeps serving; retried every poll interval (exact compiled flags: in-process poller)", async () => {
  await using cp = await startControlPlane();
  await registerGateway(cp, "gw-401");
  await pushConfig(cp, managedConfig("1.0.0"));
  await rollout(cp, ["gw-401"], "1.0.0");
  const dir = await Deno.makeTempDir({ prefix: "kt-managed-boot-" });
  try {
    const boot = join(dir, "bootstrap.json");
    await Deno.writeTextFile(boot, managedConfig("0.9.0"), { mode: 0o600 });
    const badToken = "kt_gw_wrong-token-0123456789abcdef";
    await using kt = await spawnKt(
      [
        ...managedArgs("gw-401", cp.url, "--bootstrap-config", boot, "--startup-timeout", "1"),
        "--gateway-token",
        badToken,
      ],
      { flags: gatewayFlags({ extraRead: [dir] }) },
    );
    assertEquals(await readyVersion(kt.url), "0.9.0");
    await kt.waitFor(/refused the gateway token/, 5000);
    await sleep(2500);
    assertEquals(
      kt.child.pid > 0 && (await readyVersion(kt.url)),
      "0.9.0",
      "still serving after the startup timeout",
    );
    assertEquals(logLines(kt.stderr, /refused the gateway token/).length, 1);
    assertGreaterOrEqual(
      await metric(kt.url, "keeptrusts_gateway_control_plane_polls_total", 'result="unauthorized"'),
      3,
    );
    assertEquals(logLines(kt.stderr, "control-plane poller started")[0].mode, "in-process");
    assertEquals(
      logLines(kt.stderr, /visible|process list/).length,
      1,
      "a token given as a flag is warned about",
    );
    assert(!kt.stderr.join("\n").includes(badToken), "the token never appears in the logs");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("managed: --bootstrap-config serves until the first successful fetch", async () => {
  const port = freePort();
  const setup = await startControlPlane({ port });
  const token = await registerGateway(setup, "gw-boot");
  await pushConfig(setup, managedConfig("1.0.0"));
  await rollout(setup, ["gw-boot"], "1.0.0");
  await setup.stop(true);
  const dir = await Deno.makeTempDir({ prefix: "kt-managed-boot-" });
  let cp: Awaited<ReturnType<typeof startControlPlane>> | undefined;
  try {
    const boot = join(dir, "bootstrap.yaml");
    await Deno.writeTextFile(boot, managedConfig("0.9.0"), { mode: 0o600 });
    await using kt = await spawnKt(
      managedArgs("gw-boot", setup.url, "--bootstrap-config", boot, "--startup-timeout", "1"),
      {
        flags: gatewayFlags({ extraRead: [dir, join(new URL("../../", import.meta.url).pathname, "src")] }),
        env: { KEEPTRUSTS_GATEWAY_TOKEN: token },
      },
    );
    assertEquals(await readyVersion(kt.url), "0.9.0");
    assertEquals((await chatOnce(kt.url, "hi")).version, "0.9.0");
    await kt.waitFor(/control plane unreachable/, 5000);
    await sleep(1500);
    assertEquals(
      await readyVersion(kt.url),
      "0.9.0",
      "the startup timeout does not apply while a config serves",
    );
    cp = await startControlPlane({ port, dataDir: setup.dataDir });
    await kt.waitFor(/"msg":"config loaded".*"version":"1.0.0"/, 8000);
    assertEquals((await chatOnce(kt.url, "hi")).version, "1.0.0");
    const info = await waitUntil("healthy 1.0.0 reported", async () => {
      const g = await gatewayInfo(cp!, "gw-boot");
      return g.last_report?.status === "healthy" && g.running_version === "1.0.0" ? g : undefined;
    });
    assertEquals(info.last_report.last_error, null);
  } finally {
    await cp?.stop();
    await Deno.remove(setup.dataDir, { recursive: true }).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("managed: hot swap under load — 20 clients, ≥20 rollouts back and forth, zero failures, every response's version was active during it", async () => {
  await using cp = await startControlPlane();
  const token = await registerGateway(cp, "gw-load");
  await pushConfig(cp, managedConfig("1.0.0"));
  await pushConfig(cp, managedConfig("1.1.0"));
  await rollout(cp, ["gw-load"], "1.0.0");
  await using kt = await spawnKt(
    [
      "run",
      "--managed",
      "--gateway-id",
      "gw-load",
      "--api-url",
      cp.url,
      "--listen",
      "127.0.0.1:0",
      "--poll-interval",
      "0.2",
    ],
    { flags: managedFlags(), env: { KEEPTRUSTS_GATEWAY_TOKEN: token } },
  );
  await kt.waitFor(/"msg":"config loaded"/);

  let stop = false;
  const samples: Array<{ start: number; end: number; status: number; version: string | null }> = [];
  const clients = Promise.all(Array.from({ length: 20 }, async (_, i) => {
    while (!stop) {
      const start = Date.now();
      let status = -1;
      let version: string | null = null;
      try {
        const r = await chatOnce(kt.url, `client ${i} says hello`);
        status = r.status;
        version = r.version;
      } catch {
        // counted as a failure
      }
      samples.push({ start, end: Date.now(), status, version });
    }
  }));
  const began = Date.now();
  let swaps = 0;
  try {
    while (swaps < 20 || Date.now() - began < 10_000) {
      const next = swaps % 2 === 0 ? "1.1.0" : "1.0.0";
      await rollout(cp, ["gw-load"], next);
      await waitUntil(
        `swap to ${next}`,
        () => logLines(kt.stderr, "config loaded").length === swaps + 2,
        5000,
        10,
      );
      swaps++;
    }
  } finally {
    stop = true;
    await clients;
  }
  const loads = logLines(kt.stderr, "config loaded").map((l) => ({
    at: Date.parse(l.ts),
    version: l.version,
  }));
  assertGreaterOrEqual(loads.length, 21);
  assertEquals(samples.filter((s) => s.status !== 200).length, 0, "zero failed requests");
  assertGreaterOrEqual(samples.length, 200);
  // Version v was active during [start, end] if some active interval [at_i, at_{i+1}) overlaps it (log ts has ms resolution).
  const slack = 2;
  const wrong = samples.filter((s) =>
    !loads.some((l, i) => {
      const until = loads[i + 1]?.at ?? Infinity;
      return l.version === s.version && l.at <= s.end + slack && until >= s.start - slack;
    })
  );
  assertEquals(
    wrong.length,
    0,
    `responses with a version not active during them: ${JSON.stringify(wrong.slice(0, 3))}`,
  );
});

/**
 * Measurements behind docs/managed.md (not a test):
 *
 *   deno run -A tests/managed/measure.ts
 *
 * 1. Main-thread stall of a managed swap with a large config (2000 targets,
 *    ~0.5–1 MB): `loadConfig` + `Gateway.apply`, the only work a rollout does
 *    on the serving thread, and the event-loop lag a timer sees meanwhile.
 *    The worker-side validation of the same text is measured for comparison.
 * 2. A poll when nothing changed: 304 round trips against the real control
 *    plane (a process on loopback) and the poller-side CPU per poll.
 * 3. Decision events: main-thread cost of handing 256 events to the worker
 *    (structured clone) versus serialising them for an upload in place.
 *
 * @module
 */
import process from "node:process";
import { loadConfig, sha256Digest } from "../../src/config/load.ts";
import { Gateway } from "../../src/gateway/server.ts";
import { ControlPlaneClient } from "../../src/managed/client.ts";
import { validateRuntimeState } from "../../src/managed/validate.ts";
import { Logger } from "../../src/observability/log.ts";
import { policyKindInfo } from "../../src/policy/registry.ts";
import { managedConfig, pushConfig, registerGateway, rollout, startControlPlane } from "./helpers.ts";

const kinds = policyKindInfo();

function bigConfig(version: string, targets: number): string {
  const t = Array.from({ length: targets }, (_, i) => ({
    id: `target-${i}`,
    provider: "mock",
    model: `model-${i}`,
    weight: 1 + (i % 5),
    timeout_ms: 30_000,
    headers: { "x-team": `team-${i % 50}`, "x-route": `route-${i}` },
    data_policy: { zero_data_retention: i % 2 === 0, training_opt_out: true, retention_days: i % 30 },
  }));
  return JSON.stringify(
    {
      pack: { name: "big", version, enabled: true, description: "x".repeat(1000) },
      providers: { routing: { strategy: "weighted" }, targets: t },
      policies: { chain: ["pii-detector", "dlp-filter"] },
      policy: {
        "pii-detector": { action: "redact" },
        "dlp-filter": {
          blocked_terms: Array.from({ length: 500 }, (_, i) => `secret-term-${i}`),
          action: "block",
        },
      },
      global_rate_limit: { max_requests: 100000, window_seconds: 60 },
    },
    null,
    2,
  );
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `median ${q(0.5).toFixed(2)} ms, p90 ${q(0.9).toFixed(2)} ms, max ${
    s.at(-1)!.toFixed(2)
  } ms (n=${s.length})`;
}

// ---- 1. swap stall ----------------------------------------------------------------------------------
{
  const gateway = new Gateway({
    ktVersion: "measure",
    logger: new Logger({ write: () => {}, level: "error" }),
  });
  for (const targets of [100, 2000]) {
    const load: number[] = [];
    const apply: number[] = [];
    const lag: number[] = [];
    const validate: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 12; i++) {
      const text = bigConfig(`1.0.${i}`, targets);
      bytes = new TextEncoder().encode(text).byteLength;
      const v0 = performance.now();
      const validated = await validateRuntimeState({
        gateway_id: "m",
        desired_version: `1.0.${i}`,
        config: text,
        config_format: "json",
        digest: sha256Digest(text),
      }, { policyKinds: kinds });
      validate.push(performance.now() - v0);
      // A 1 ms timer measures how long the event loop is blocked by the swap.
      let last = performance.now();
      let maxLag = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        maxLag = Math.max(maxLag, now - last - 1);
        last = now;
      }, 1);
      await new Promise((r) => setTimeout(r, 5));
      const t0 = performance.now();
      // As in production: the worker hands over the document it already parsed, as JSON text.
      const loaded = loadConfig([{ name: "m", text, json: validated.json }], { policyKinds: kinds });
      const t1 = performance.now();
      gateway.apply(loaded);
      const t2 = performance.now();
      await new Promise((r) => setTimeout(r, 5));
      clearInterval(timer);
      if (i < 2) continue; // warm-up
      load.push(t1 - t0);
      apply.push(t2 - t1);
      lag.push(maxLag);
    }
    console.log(`swap, ${targets} targets, ${(bytes / 1024).toFixed(0)} KiB config:`);
    console.log(`  main thread loadConfig      ${stats(load)}`);
    console.log(`  main thread compile + swap  ${stats(apply)}`);
    console.log(`  event-loop lag seen         ${stats(lag)}`);
    console.log(`  worker validation (off the serving thread) ${stats(validate)}`);
  }
  await gateway.shutdown(100);
}

// ---- 2. polls when nothing changed ------------------------------------------------------------------
{
  const cp = await startControlPlane();
  try {
    const token = await registerGateway(cp, "gw-measure");
    await pushConfig(cp, managedConfig("1.0.0"));
    await rollout(cp, ["gw-measure"], "1.0.0");
    const client = new ControlPlaneClient({ apiUrl: cp.url, gatewayId: "gw-measure", token });
    const first = await client.runtimeState(undefined);
    if (!first.changed) throw new Error("expected a 200");
    const etag = first.etag;
    const rtt: number[] = [];
    for (let i = 0; i < 20; i++) await client.runtimeState(etag);
    const cpu0 = process.cpuUsage();
    const n = 300;
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const r = await client.runtimeState(etag);
      rtt.push(performance.now() - t0);
      if (r.changed) throw new Error("expected a 304");
    }
    const cpu = process.cpuUsage(cpu0);
    client.close();
    console.log(`poll with nothing changed (304), real control plane on loopback (SQLite):`);
    console.log(`  round trip  ${stats(rtt)}`);
    console.log(`  poller CPU  ${((cpu.user + cpu.system) / n / 1000).toFixed(3)} ms per poll (user+system)`);
  } finally {
    await cp.stop();
  }
}

// ---- 3. handing events to the worker ----------------------------------------------------------------
{
  const event = {
    id: crypto.randomUUID(),
    timestamp: new Date().toISOString(),
    request_id: crypto.randomUUID(),
    gateway_id: "gw",
    config_version: "1.0.0",
    route: "chat",
    verdict: "allow",
    reason_code: null,
    policy: null,
    policy_results: [
      {
        policy: "pii-detector",
        phase: "input",
        verdict: "allow",
        reason_code: null,
        latency_us: 12,
        findings: {},
      },
      {
        policy: "dlp-filter",
        phase: "input",
        verdict: "allow",
        reason_code: null,
        latency_us: 8,
        findings: {},
      },
    ],
    provider: "mock",
    target_id: "mock-a",
    model: "mock-gpt",
    status: 200,
    error_code: null,
    latency_ms: 3,
    upstream_latency_ms: 1,
    input_tokens: 10,
    output_tokens: 5,
    user_id: "u1",
    team_id: null,
    content_sha256: "ab".repeat(32),
    content_length: 120,
  };
  const batch = Array.from({ length: 256 }, () => ({ ...event, id: crypto.randomUUID() }));
  const channel = new MessageChannel();
  channel.port2.onmessage = () => {};
  const post: number[] = [];
  const stringify: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    channel.port1.postMessage(batch);
    post.push(performance.now() - t0);
    const t1 = performance.now();
    JSON.stringify({ events: batch });
    stringify.push(performance.now() - t1);
  }
  channel.port1.close();
  channel.port2.close();
  console.log(`256 decision events on the serving thread:`);
  console.log(`  postMessage to the worker (structured clone) ${stats(post.slice(20))}`);
  console.log(`  JSON.stringify for an upload in place        ${stats(stringify.slice(20))}`);
}

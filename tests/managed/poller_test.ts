/**
 * The poller's logic in-process against a scripted fake control plane
 * (SPEC 5 wire shape): validation, outage classes, backoff, status reports,
 * `store` secrets, and the bounded event buffer.
 *
 * @module
 */
import type { DecisionEvent } from "../../src/audit/event.ts";
import { sha256Digest } from "../../src/config/load.ts";
import { registerSecret } from "../../src/observability/log.ts";
import { policyKindInfo } from "../../src/policy/registry.ts";
import { retryAfterMs } from "../../src/managed/client.ts";
import { EventBuffer, nextPollDelay, Poller, type PollerHost } from "../../src/managed/poller.ts";
import type { PollResult } from "../../src/managed/protocol.ts";
import { ConfigRejectedError, validateRuntimeState } from "../../src/managed/validate.ts";
import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertMatch,
  assertStringIncludes,
  managedConfig,
} from "./helpers.ts";

const kinds = policyKindInfo();

function state(text: string, version: string, over: Record<string, unknown> = {}) {
  return {
    gateway_id: "gw",
    desired_version: version,
    config: text,
    config_format: "json" as const,
    digest: sha256Digest(text),
    ...over,
  };
}

async function rejection(p: Promise<unknown>): Promise<ConfigRejectedError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ConfigRejectedError) return err;
    throw err;
  }
  throw new Error("expected a rejection");
}

Deno.test("validate: digest and version must match; ${VAR} is left to the main thread; lint errors reject", async () => {
  const text = managedConfig("1.0.0");
  const ok = await validateRuntimeState(state(text, "1.0.0"), { policyKinds: kinds });
  assertEquals([ok.version, ok.digest, ok.storeRefs], ["1.0.0", sha256Digest(text), []]);

  const bad = await rejection(
    validateRuntimeState(state(text, "1.0.0", { digest: "sha256:00" }), { policyKinds: kinds }),
  );
  assertEquals(bad.code, "digest_mismatch");
  assertEquals(
    (await rejection(validateRuntimeState(state(text, "2.0.0"), { policyKinds: kinds }))).code,
    "version_mismatch",
  );

  const withVar = managedConfig("1.0.0", {
    providers: {
      targets: [{ id: "a", provider: "openai", model: "${MODEL}", secret_key_ref: { store: "OPENAI_KEY" } }],
    },
  });
  const v = await validateRuntimeState(state(withVar, "1.0.0"), { policyKinds: kinds });
  assertEquals(v.storeRefs, ["OPENAI_KEY"]);

  // A variable with a default keeps it while another, unset one gets a placeholder (the control plane accepts this).
  const withDefault = managedConfig("1.0.0", {
    providers: {
      targets: [{ id: "a", provider: "${PROVIDER:-openai}", model: "${MODEL}" }],
    },
  });
  assertEquals(
    (await validateRuntimeState(state(withDefault, "1.0.0"), { policyKinds: kinds })).version,
    "1.0.0",
  );

  const invalid = managedConfig("1.0.0", { size_limits: { max_body_bytez: 1 } });
  const r = await rejection(validateRuntimeState(state(invalid, "1.0.0"), { policyKinds: kinds }));
  assertEquals(r.code, "invalid_config");
  assertMatch(r.message, /max_body_bytez.*E002/);
});

Deno.test("poll delay: ±10% jitter when healthy; exponential backoff capped at 4× the interval", () => {
  for (const rnd of [0, 0.5, 0.999]) {
    const d = nextPollDelay(30_000, 0, true, () => rnd);
    assert(d >= 27_000 && d <= 33_000, String(d));
  }
  const serving = [1, 2, 3, 4, 5, 10].map((f) => nextPollDelay(30_000, f, true, () => 0.5));
  assertEquals(serving, [30_000, 60_000, 120_000, 120_000, 120_000, 120_000]);
  const starting = [1, 2, 3, 4].map((f) => nextPollDelay(30_000, f, false, () => 0.5));
  assertEquals(starting, [1000, 2000, 4000, 8000]);
  for (let f = 1; f < 40; f++) assert(nextPollDelay(1000, f, true, () => 0.999) <= 4000);
});

Deno.test("event buffer: bounded, drops the oldest and counts them", () => {
  const b = new EventBuffer(10);
  const ev = (i: number) => ({ id: String(i) }) as unknown as DecisionEvent;
  assertEquals(b.push(Array.from({ length: 7 }, (_, i) => ev(i))), 0);
  assertEquals(b.push(Array.from({ length: 7 }, (_, i) => ev(7 + i))), 4);
  assertEquals(b.size, 10);
  assertEquals(b.dropped, 4);
  assertEquals(b.peek(2).map((e) => e.id), ["4", "5"]);
  b.drop(3);
  assertEquals(b.peek(1)[0].id, "7");
});

interface Fake {
  url: string;
  next: Array<(req: Request) => Response | Promise<Response>>;
  statuses: Record<string, unknown>[];
  events: unknown[][];
  close(): Promise<void>;
}

function fakeControlPlane(): Fake {
  const fake = { next: [], statuses: [], events: [] } as unknown as Fake;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path.endsWith("/status")) {
      fake.statuses.push(await req.json());
      return Response.json({ ok: true });
    }
    const handler = fake.next.shift();
    if (!handler) return new Response("no scripted answer", { status: 599 });
    return await handler(req);
  });
  fake.url = `http://127.0.0.1:${server.addr.port}`;
  fake.close = () => server.shutdown();
  return fake;
}

function fakeHost(overrides: Partial<PollerHost> = {}) {
  const logs: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = [];
  const polls: PollResult[] = [];
  const applied: Array<{ version: string; secrets: Record<string, string> }> = [];
  let dropped = 0;
  let running: string | null = null;
  const host: PollerHost = {
    applyConfig: (c) => {
      applied.push({ version: c.version, secrets: c.secrets });
      running = c.version;
      return Promise.resolve({ ok: true });
    },
    statusInfo: () =>
      Promise.resolve({
        runningVersion: running,
        runningDigest: null,
        health: "healthy",
        requests: { total: 3, blocked: 1, redacted: 1, errors: 0 },
        bootstrap: false,
      }),
    pollResult: (r) => polls.push(r),
    log: (level, msg, fields) => logs.push({ level, msg, fields }),
    eventsDropped: (n) => dropped += n,
    ...overrides,
  };
  return { host, logs, polls, applied, dropped: () => dropped };
}

const TOKEN = "kt_gw_poller-unit-test-token-abcdef0123";

function poller(fake: Fake, host: PollerHost, extra: Record<string, unknown> = {}): Poller {
  registerSecret(TOKEN);
  return new Poller(
    {
      apiUrl: fake.url,
      gatewayId: "gw-1",
      token: TOKEN,
      pollIntervalMs: 1000,
      ktVersion: "test",
      instanceId: "kt-test",
      startedAt: Date.now(),
      requestTimeoutMs: 2000,
      ...extra,
    },
    host,
    { policyKinds: kinds, random: () => 0.5 },
  );
}

Deno.test("poller: garbage and 5xx are outages (logged once), a valid state applies with its store secrets, then 304 with If-None-Match", async () => {
  const fake = fakeControlPlane();
  const h = fakeHost();
  const p = poller(fake, h.host);
  try {
    const text = managedConfig("1.0.0", {
      providers: {
        targets: [{ id: "a", provider: "openai", model: "gpt", secret_key_ref: { store: "OPENAI_KEY" } }],
      },
    });
    const seen: Array<string | null> = [];
    fake.next.push(
      () => new Response("<html>proxy error</html>", { status: 200 }),
      () => new Response("down", { status: 503 }),
      (req) => {
        seen.push(req.headers.get("authorization"));
        return Response.json(state(text, "1.0.0"), { headers: { etag: `"${sha256Digest(text)}"` } });
      },
      () => Response.json({ name: "OPENAI_KEY", value: "sk-from-the-store-123456" }),
      (req) => {
        seen.push(req.headers.get("if-none-match"));
        return new Response(null, { status: 304 });
      },
    );
    const d1 = await p.pollOnce();
    const d2 = await p.pollOnce();
    assertEquals([d1, d2], [1000, 2000], "backoff doubles while nothing serves");
    assertEquals(h.logs.filter((l) => /unreachable/.test(l.msg)).length, 1);
    assertStringIncludes(String(h.logs[0].fields?.error), "not JSON");
    assertEquals(await p.pollOnce(), 1000);
    assertEquals(h.applied, [{ version: "1.0.0", secrets: { OPENAI_KEY: "sk-from-the-store-123456" } }]);
    assert(h.logs.some((l) => l.msg === "control plane reachable again"));
    await p.pollOnce();
    assertEquals(seen, [`Bearer ${TOKEN}`, `"${sha256Digest(text)}"`]);
    assertEquals(h.polls, ["error", "error", "ok", "not_modified"]);
    const report = fake.statuses.at(-1)!;
    assertEquals(report.status, "healthy");
    assertEquals(report.running_version, "1.0.0");
    assertEquals(report.desired_version, "1.0.0");
    assertEquals(report.requests, { total: 3, blocked: 1, redacted: 1, errors: 0 });
    assertEquals(
      fake.statuses.length,
      2,
      "no status report while unreachable; one after each successful poll",
    );
  } finally {
    await p.stop();
    await fake.close();
  }
});

Deno.test("poller: 401 logs the token problem once and keeps the poll interval; a main-thread compile failure is config_rejected with a scrubbed reason", async () => {
  const fake = fakeControlPlane();
  const h = fakeHost({
    applyConfig: () => Promise.resolve({ ok: false, error: `cannot compile: key ${TOKEN} is odd` }),
  });
  const p = poller(fake, h.host);
  try {
    const unauthorized = () =>
      Response.json({ error: { code: "invalid_credentials", message: "bad token" } }, { status: 401 });
    fake.next.push(unauthorized, unauthorized);
    assertEquals(await p.pollOnce(), 1000);
    assertEquals(await p.pollOnce(), 1000);
    const tokenLogs = h.logs.filter((l) => /refused the gateway token/.test(l.msg));
    assertEquals(tokenLogs.length, 1);
    assertStringIncludes(tokenLogs[0].msg, "configurations:read");
    assertEquals(fake.statuses.at(-1)!.status, "degraded");

    const text = managedConfig("3.0.0");
    fake.next.push(() => Response.json(state(text, "3.0.0")));
    await p.pollOnce();
    const report = fake.statuses.at(-1)!;
    assertEquals(report.status, "config_rejected");
    assertEquals(report.desired_version, "3.0.0");
    assertStringIncludes(String(report.last_error), "[REDACTED]");
    assert(!JSON.stringify(fake.statuses).includes(TOKEN));
    assertEquals(h.polls, ["unauthorized", "unauthorized", "rejected"]);
  } finally {
    await p.stop();
    await fake.close();
  }
});

Deno.test("poller: events buffer boundedly while uploads fail, then flush in batches", async () => {
  const fake = fakeControlPlane();
  const h = fakeHost();
  const p = poller(fake, h.host, { maxBufferedEvents: 10, eventBatchSize: 4 });
  try {
    const ev = (i: number) => ({ id: `e${i}`, verdict: "allow" }) as unknown as DecisionEvent;
    p.addEvents(Array.from({ length: 15 }, (_, i) => ev(i)));
    assertEquals(h.dropped(), 5);
    assertEquals(p.bufferedEvents, 10);
    fake.next.push(() => new Response("busy", { status: 503 }));
    assertEquals(await p.flush(2000), 10, "a failed upload keeps the events");
    assert(h.logs.some((l) => /upload failed/.test(l.msg)));
    for (let i = 0; i < 3; i++) {
      fake.next.push(async (req) => {
        fake.events.push((await req.json()).events);
        return Response.json({ accepted: 1 }, { status: 202 });
      });
    }
    assertEquals(await p.flush(2000), 0);
    // deno-lint-ignore no-explicit-any
    assertEquals(fake.events.map((b) => b.map((e: any) => e.id)), [
      ["e5", "e6", "e7", "e8"],
      ["e9", "e10", "e11", "e12"],
      ["e13", "e14"],
    ]);
    assertGreaterOrEqual(h.logs.filter((l) => /uploads resumed/.test(l.msg)).length, 1);
  } finally {
    await p.stop();
    await fake.close();
  }
});

Deno.test("poller: a 429 keeps the batch buffered and takes the control plane's Retry-After", async () => {
  assertEquals(retryAfterMs("3"), 3000);
  assertEquals(retryAfterMs("0"), 1000, "at least a second");
  assertEquals(retryAfterMs("999999"), 300_000, "at most five minutes");
  assertEquals(
    retryAfterMs(new Date(Date.UTC(2026, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2026, 0, 1)),
    30_000,
  );
  assertEquals(retryAfterMs("soon"), undefined);
  assertEquals(retryAfterMs(null), undefined);

  const fake = fakeControlPlane();
  const h = fakeHost();
  const p = poller(fake, h.host, { maxBufferedEvents: 10, eventBatchSize: 4 });
  try {
    const ev = (i: number) => ({ id: `e${i}`, verdict: "allow" }) as unknown as DecisionEvent;
    p.addEvents(Array.from({ length: 6 }, (_, i) => ev(i)));
    fake.next.push(() =>
      Response.json(
        { error: { type: "rate_limit", code: "rate_limited", message: "slow down" } },
        { status: 429, headers: { "retry-after": "2" } },
      )
    );
    assertEquals(await p.flush(2000), 6, "a rate-limited batch stays buffered");
    assertEquals(h.dropped(), 0, "nothing is dropped");
    const warned = h.logs.find((l) => /rate-limits decision events/.test(l.msg));
    assertEquals(warned?.fields?.retry_after_ms, 2000);
    for (let i = 0; i < 2; i++) {
      fake.next.push(async (req) => {
        fake.events.push((await req.json()).events);
        return Response.json({ accepted: 1 }, { status: 202 });
      });
    }
    assertEquals(await p.flush(2000), 0);
    // deno-lint-ignore no-explicit-any
    assertEquals(fake.events.map((b) => b.map((e: any) => e.id)), [["e0", "e1", "e2", "e3"], ["e4", "e5"]]);
  } finally {
    await p.stop();
    await fake.close();
  }
});

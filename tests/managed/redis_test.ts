/**
 * Shared rate limits through Redis (`rate_limit_store.redis_url`): two
 * gateways share one limit; with Redis gone they fall back to local counters,
 * say so in /health and metrics, and reconnect when it returns.
 *
 * Needs Debian's `redis-server` (.ci/packages.txt); skipped visibly without it.
 *
 * @module
 */
import { configDoc, loaded, startGateway } from "../helpers/gateway.ts";
import { assert, assertEquals, freePort, logLines, sleep, waitUntil } from "./helpers.ts";

const redisAvailable = await (async () => {
  try {
    const out = await new Deno.Command("redis-server", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success;
  } catch {
    return false;
  }
})();
if (!redisAvailable) console.warn("SKIPPED tests/managed/redis_test.ts: redis-server is not installed");

interface RedisProcess {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Starts redis-server on 127.0.0.1 (no persistence) and waits until it accepts connections. */
async function startRedis(port = freePort()): Promise<RedisProcess> {
  const child = new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const status = child.status;
  await waitUntil(
    "redis-server to listen",
    async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return true;
    },
    5000,
    20,
  );
  let stopped = false;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    async stop() {
      if (!stopped) {
        stopped = true;
        child.kill("SIGKILL");
      }
      await status;
    },
  };
}

async function health(url: string): Promise<Record<string, unknown>> {
  return await (await fetch(`${url}/health`)).json();
}

async function chat(url: string): Promise<number> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "hi" }] }),
  });
  await res.body?.cancel();
  return res.status;
}

Deno.test({
  name: "redis: two gateways share one global limit; a reload with the same URL keeps the connection",
  ignore: !redisAvailable,
  async fn() {
    const redis = await startRedis();
    try {
      const doc = configDoc({
        global_rate_limit: { max_requests: 5, window_seconds: 60 },
        rate_limit_store: { redis_url: redis.url, key_prefix: `kt:test:${crypto.randomUUID()}:` },
      });
      await using a = await startGateway(doc);
      await using b = await startGateway(doc);
      for (const g of [a, b]) {
        await waitUntil("redis connected", async () => (await health(g.url)).rate_limit_store === "redis");
      }
      const statuses = [
        await chat(a.url),
        await chat(b.url),
        await chat(a.url),
        await chat(b.url),
        await chat(a.url),
      ];
      assertEquals(statuses, [200, 200, 200, 200, 200]);
      assertEquals(await chat(b.url), 429, "the sixth request across both replicas is over the shared limit");
      assertEquals(await chat(a.url), 429);
      assertEquals((await health(a.url)).status, "healthy");

      // Same URL and prefix on reload: the client (and its counters) stay.
      a.gateway.apply(loaded({ ...doc, pack: { name: "test", version: "1.0.1", enabled: true } }));
      assertEquals((await health(a.url)).rate_limit_store, "redis");
      assertEquals(await chat(a.url), 429);
      assertEquals(logLines(a.logs, /rate-limit store connected/).length, 1);
      const metrics = await (await fetch(`${a.url}/metrics`)).text();
      assert(/keeptrusts_gateway_rate_limit_store_up 1/.test(metrics), metrics);
    } finally {
      await redis.stop();
    }
  },
});

Deno.test({
  name:
    "redis: Redis killed → local counters, /health and metrics say degraded, logged once; back when it returns",
  ignore: !redisAvailable,
  async fn() {
    let redis = await startRedis();
    const port = redis.port;
    try {
      const doc = configDoc({
        global_rate_limit: { max_requests: 1000, window_seconds: 60 },
        rate_limit_store: { redis_url: redis.url, key_prefix: `kt:test:${crypto.randomUUID()}:` },
      });
      await using g = await startGateway(doc);
      await waitUntil("redis connected", async () => (await health(g.url)).rate_limit_store === "redis");
      assertEquals(await chat(g.url), 200);

      await redis.stop();
      const h = await waitUntil("degraded", async () => {
        const h = await health(g.url);
        return h.rate_limit_store === "degraded" ? h : undefined;
      });
      assertEquals(h.status, "degraded");
      for (let i = 0; i < 10; i++) {
        assertEquals(await chat(g.url), 200, "requests keep flowing on local counters");
      }
      await sleep(1500); // reconnect attempts meanwhile
      assertEquals(
        logLines(g.logs, /rate-limit store unreachable/).length,
        1,
        "logged once per state change",
      );
      const metrics = await (await fetch(`${g.url}/metrics`)).text();
      assert(/keeptrusts_gateway_rate_limit_store_up 0/.test(metrics), metrics);

      redis = await startRedis(port);
      await waitUntil("reconnected", async () => (await health(g.url)).rate_limit_store === "redis", 8000);
      assertEquals((await health(g.url)).status, "healthy");
      assertEquals(logLines(g.logs, /rate-limit store connected/).length, 2);
    } finally {
      await redis.stop();
    }
  },
});

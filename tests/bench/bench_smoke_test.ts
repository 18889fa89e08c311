/**
 * Fast checks of the benchmark's own code (no wrk, no nginx): the wrk report parser, and that the
 * bare proxy forwards one JSON and one SSE request to a loopback mock.
 */
import assert from "node:assert/strict";
import { median, parseWrk, quantile, wrkCount, wrkDurationMs } from "../../bench/wrk.ts";
import { startBareProxy } from "../../bench/bare_proxy.ts";
import { startMockUpstream } from "../helpers/mock_upstream.ts";

const WRK_OUTPUT = `Running 8s test @ http://127.0.0.1:41231/v1/chat/completions
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.47ms  812.00us  21.30ms   88.12%
    Req/Sec     4.64k   301.55     5.11k    71.25%
  Latency Distribution
     50%    3.31ms
     75%    3.62ms
     90%    4.12ms
     99%    6.93ms
  73932 requests in 8.00s, 77.91MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 17
Requests/sec:   9240.31
Transfer/sec:      9.74MB
`;

const WRK_SLOW = `Running 3s test @ http://127.0.0.1:8787/v1/chat/completions
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.51us   95.00us   1.20s    97.00%
    Req/Sec     1.20k    40.00     1.30k    80.00%
  Latency Distribution
     50%  790.00us
     75%  840.00us
     90%  900.00us
     99%    1.02s
  3601 requests in 3.00s, 3.79MB read
Requests/sec:   1200.02
Transfer/sec:      1.26MB
`;

Deno.test("parseWrk reads rate, percentiles, errors", () => {
  const r = parseWrk(WRK_OUTPUT);
  assert.equal(r.rps, 9240.31);
  assert.equal(r.requests, 73932);
  assert.equal(r.seconds, 8);
  assert.ok(Math.abs(r.p50 - 3.31) < 1e-9, String(r.p50));
  assert.ok(Math.abs(r.p75 - 3.62) < 1e-9, String(r.p75));
  assert.ok(Math.abs(r.p90 - 4.12) < 1e-9, String(r.p90));
  assert.ok(Math.abs(r.p99 - 6.93) < 1e-9, String(r.p99));
  assert.ok(Math.abs(r.meanMs - 3.47) < 1e-9, String(r.meanMs));
  assert.equal(r.non2xx, 17);
  assert.equal(r.socketErrors, 5);
});

Deno.test("parseWrk converts microseconds and seconds; missing error lines are zero", () => {
  const r = parseWrk(WRK_SLOW);
  assert.ok(Math.abs(r.p50 - 0.79) < 1e-9, String(r.p50));
  assert.ok(Math.abs(r.p99 - 1020) < 1e-9, String(r.p99));
  assert.ok(Math.abs(r.meanMs - 0.81251) < 1e-9, String(r.meanMs));
  assert.equal(r.non2xx, 0);
  assert.equal(r.socketErrors, 0);
  assert.equal(r.rps, 1200.02);
});

Deno.test("parseWrk rejects output without a latency distribution", () => {
  assert.throws(() => parseWrk(WRK_OUTPUT.replace(/ {5}99%.*\n/, "")), /99% line/);
  assert.throws(() => parseWrk("unable to connect to 127.0.0.1:1 Connection refused"));
});

Deno.test("wrk unit helpers and statistics", () => {
  assert.equal(wrkDurationMs("2.00m"), 120_000);
  assert.equal(wrkCount("5.11k"), 5110);
  assert.equal(wrkCount("1.5M"), 1_500_000);
  assert.equal(wrkCount("312"), 312);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.equal(median([]), 0);
  assert.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99), 10);
  assert.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5), 5);
});

Deno.test("bare proxy forwards JSON and SSE to the upstream with the original bytes", async () => {
  await using up = startMockUpstream();
  await using proxy = startBareProxy({ upstream: up.url });
  const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hello there" }] });
  const res = await fetch(`${proxy.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  assert.equal(res.status, 200);
  assert.ok((res.headers.get("content-type") ?? "").includes("application/json"));
  const json = await res.json();
  assert.equal(json.object, "chat.completion");
  assert.ok(json.choices[0].message.content.includes("hello there"));
  assert.equal(up.requests.length, 1);
  assert.equal(up.requests[0].path, "/v1/chat/completions");
  assert.equal(up.requests[0].text, body);

  const sse = await fetch(`${proxy.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "hi" }] }),
  });
  assert.equal(sse.status, 200);
  assert.ok((sse.headers.get("content-type") ?? "").includes("text/event-stream"));
  assert.ok((await sse.text()).includes("data: [DONE]"));

  const bad = await fetch(`${proxy.url}/v1/chat/completions`, { method: "POST", body: "{not json" });
  assert.equal(bad.status, 400);
  await bad.body?.cancel();
  assert.equal(up.requests.length, 2);
});

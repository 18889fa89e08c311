/**
 * A hostile provider sends 100 MiB bodies (errors and successes; with a content-length, chunked,
 * close-delimited; plain, translated and streamed) to a real `kt` process running under the
 * compiled permission set. Each gets a bounded answer, the provider is never read to the end, and
 * the gateway's memory stays bounded: its peak resident set (VmHWM in /proc/<pid>/status) after
 * every attack is less than 64 MiB above its resident set before them. That is a memory bound, not
 * a time bound: before the fix a 100 MiB error body took the gateway from 79 to 408 MB.
 */
import assert from "node:assert/strict";
import { chat, spawnKt } from "../helpers/gateway.ts";
import { type RawAnswer, startRawUpstream } from "../helpers/raw_upstream.ts";

const MiB = 1 << 20;
const HUGE = 100 * MiB;
const GROWTH_BOUND = 64 * MiB;

function statusKiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  assert.ok(m, `${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

interface Attack {
  name: string;
  /** The client route and body. */
  path: string;
  body: Record<string, unknown>;
  /** Which target the request goes to (the model picks it). */
  model: "plain" | "anthropic";
  answer: RawAnswer;
  /** Expected client status, and a check of the client's body. */
  status: number;
  check(text: string): void;
}

const json = "HTTP/1.1 200 OK\r\ncontent-type: application/json";
const sse = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream";
const badRequest = "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json";
const tooLarge = (text: string) => assert.match(text, /max_response_bytes/);
const small = (text: string) =>
  assert.ok(text.length <= 64 * 1024, `${text.length} characters reached the client`);

const attacks: Attack[] = [
  {
    name: "error body, content-length",
    path: "/v1/chat/completions",
    body: chat("x", { model: "plain" }),
    model: "plain",
    answer: { head: badRequest, size: HUGE },
    status: 400,
    check: small,
  },
  {
    name: "error body, chunked",
    path: "/v1/chat/completions",
    body: chat("x", { model: "plain" }),
    model: "plain",
    answer: { head: badRequest, size: HUGE, framing: "chunked" },
    status: 400,
    check: small,
  },
  {
    name: "success, content-length",
    path: "/v1/chat/completions",
    body: chat("x", { model: "plain" }),
    model: "plain",
    answer: { head: json, size: HUGE },
    status: 502,
    check: tooLarge,
  },
  {
    name: "success, chunked",
    path: "/v1/chat/completions",
    body: chat("x", { model: "plain" }),
    model: "plain",
    answer: { head: json, size: HUGE, framing: "chunked" },
    status: 502,
    check: tooLarge,
  },
  {
    name: "success, until close",
    path: "/v1/chat/completions",
    body: chat("x", { model: "plain" }),
    model: "plain",
    answer: { head: json, size: HUGE, framing: "close" },
    status: 502,
    check: tooLarge,
  },
  {
    name: "streamed success, chunked",
    path: "/v1/chat/completions",
    body: chat("x", { model: "plain", stream: true }),
    model: "plain",
    answer: { head: sse, size: HUGE, framing: "chunked", fill: 'data: {"choices":[]}\n\n' },
    status: 200,
    check: (text) => assert.ok(text.length <= 11 * MiB, `${text.length} characters streamed before the cut`),
  },
  {
    name: "translated error (anthropic → chat)",
    path: "/v1/chat/completions",
    body: chat("x", { model: "anthropic" }),
    model: "anthropic",
    answer: { head: badRequest, size: HUGE, framing: "chunked" },
    status: 400,
    check: small,
  },
  {
    name: "translated success (anthropic → chat)",
    path: "/v1/chat/completions",
    body: chat("x", { model: "anthropic" }),
    model: "anthropic",
    answer: { head: json, size: HUGE, framing: "chunked" },
    status: 502,
    check: tooLarge,
  },
  {
    name: "translated success (chat → messages)",
    path: "/v1/messages",
    body: { model: "plain", max_tokens: 10, messages: [{ role: "user", content: "x" }] },
    model: "plain",
    answer: { head: json, size: HUGE, framing: "chunked" },
    status: 502,
    check: tooLarge,
  },
];

Deno.test("bounds: 100 MiB upstream bodies keep a real gateway's memory bounded and get bounded answers", async () => {
  const okBody = JSON.stringify({
    id: "w",
    object: "chat.completion",
    model: "plain",
    choices: [{ index: 0, message: { role: "assistant", content: "warm" }, finish_reason: "stop" }],
  });
  const queue: RawAnswer[] = [];
  await using up = startRawUpstream(() =>
    queue.shift() ?? `${json}\r\ncontent-length: ${okBody.length}\r\n\r\n${okBody}`
  );
  const cfg = JSON.stringify({
    pack: { name: "bounds", version: "1.0.0", enabled: true },
    providers: {
      fallback: { max_fallback_attempts: 0 },
      routing: {
        routes: [{ model: "anthropic", targets: ["anthropic"] }, { model: "plain", targets: ["plain"] }],
      },
      targets: [
        { id: "plain", provider: "openai", model: "plain", base_url: up.baseUrl, timeout_ms: 60_000 },
        {
          id: "anthropic",
          provider: "anthropic",
          model: "anthropic",
          base_url: up.baseUrl,
          timeout_ms: 60_000,
        },
      ],
    },
  });
  await using kt = await spawnKt(["gateway", "run", "--policy-config", "-", "--listen", "127.0.0.1:0"], {
    stdin: cfg,
  });
  const post = (path: string, body: unknown) =>
    fetch(`${kt.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  // Warm up (JIT, pools), then take the baseline.
  for (let i = 0; i < 20; i++) {
    const res = await post("/v1/chat/completions", chat("warm", { model: "plain" }));
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
  }
  const before = statusKiB(kt.pid, "VmRSS");
  for (const attack of attacks) {
    queue.push(attack.answer);
    const sentBefore = up.sent.length;
    const res = await post(attack.path, attack.body);
    assert.equal(res.status, attack.status, attack.name);
    const text = await res.text().catch((e) => `(stream ended: ${e})`);
    attack.check(text);
    assert.equal(up.sent.length, sentBefore + 1, `${attack.name}: the hostile answer was sent`);
  }
  await up.close();
  for (const [i, sent] of up.sent.entries()) {
    assert.ok(
      sent < HUGE,
      `${attacks[i].name}: the gateway stopped reading (${(sent / MiB).toFixed(1)} MiB sent)`,
    );
  }
  const peak = statusKiB(kt.pid, "VmHWM");
  const growth = peak - before;
  assert.ok(
    growth < GROWTH_BOUND,
    `peak RSS ${(peak / MiB).toFixed(0)} MiB is ${(growth / MiB).toFixed(0)} MiB above the ${
      (before / MiB).toFixed(0)
    } MiB before`,
  );
  console.log(
    `gateway RSS before ${(before / MiB).toFixed(1)} MiB, peak after ${(peak / MiB).toFixed(1)} MiB`,
  );
});

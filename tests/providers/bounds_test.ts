/**
 * Every upstream byte is bounded in the provider layer: 2xx bodies by `maxResponseBytes` (a declared
 * length over it fails before the body is read, a growing body errors once past it), bodies outside
 * 2xx cut at 64 KiB before anything decodes them, on the plain and the translated paths, through
 * kt's HTTP/1.1 client and through fetch; malformed answers become `invalid_response`.
 */
import assert from "node:assert/strict";
import { compileProviders, createRouterState, RoutingError, UpstreamError } from "../../src/providers/mod.ts";
import { upstreamFetch } from "../../src/providers/http.ts";
import { Http1Agent } from "../../src/providers/http1_client.ts";
import { MAX_ERROR_BODY_BYTES } from "../../src/providers/types.ts";
import { type RawAnswer, startRawUpstream } from "../helpers/raw_upstream.ts";
import { providers, request } from "./_util.ts";

const MiB = 1 << 20;
const chatBody = { model: "m", messages: [{ role: "user", content: "hi" }] };
const json = "HTTP/1.1 200 OK\r\ncontent-type: application/json";

function targetsOn(baseUrl: string, provider: "openai" | "anthropic", maxResponseBytes: number) {
  return compileProviders(
    providers({
      targets: [{ id: "t", provider, base_url: baseUrl }],
      fallback: { max_fallback_attempts: 0 },
    }),
    { resolveSecret: () => undefined, state: createRouterState(), maxResponseBytes },
  );
}

/** `upstreamFetch` of a chat call to `up` through kt's HTTP/1.1 client (`agent`) or fetch. */
function call(
  up: { baseUrl: string },
  agent: Http1Agent | undefined,
  maxBodyBytes: number,
): Promise<Response> {
  return upstreamFetch(`${up.baseUrl}/chat/completions`, [], "{}", {
    targetId: "t",
    timeoutMs: 30_000,
    signal: new AbortController().signal,
    agent,
    maxBodyBytes,
  });
}

async function drain(res: Response): Promise<number> {
  let n = 0;
  for await (const chunk of res.body!) n += chunk.byteLength;
  return n;
}

for (const client of ["http1", "fetch"] as const) {
  Deno.test(`bounds (${client}): a 2xx declaring more than the limit fails before its body is read`, async () => {
    await using up = startRawUpstream(() => ({ head: json, size: 100 * MiB }));
    const agent = client === "http1" ? new Http1Agent() : undefined;
    try {
      const err = await call(up, agent, MiB).catch((e) => e);
      assert.ok(err instanceof UpstreamError, String(err));
      assert.equal(err.kind, "response_too_large");
      assert.match(err.message, /max_response_bytes \(1048576\)/);
    } finally {
      agent?.close();
    }
  });

  for (const framing of ["chunked", "close"] as const) {
    Deno.test(`bounds (${client}): a ${framing} 2xx body errors once past the limit`, async () => {
      await using up = startRawUpstream(() => ({ head: json, size: 100 * MiB, framing }));
      const agent = client === "http1" ? new Http1Agent() : undefined;
      try {
        const res = await call(up, agent, MiB);
        assert.equal(res.status, 200);
        let seen = 0;
        const err = await (async () => {
          for await (const chunk of res.body!) seen += chunk.byteLength;
        })().then(() => undefined, (e) => e);
        assert.ok(err instanceof UpstreamError, String(err));
        assert.equal(err.kind, "response_too_large");
        assert.ok(seen <= MiB, `no more than the limit reached the reader (${seen})`);
      } finally {
        agent?.close();
      }
    });
  }

  for (const framing of ["content-length", "chunked"] as const) {
    Deno.test(`bounds (${client}): an error body (${framing}) is cut at 64 KiB and the rest never read`, async () => {
      await using up = startRawUpstream(() => ({
        head: "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain",
        size: 100 * MiB,
        framing,
      }));
      const agent = client === "http1" ? new Http1Agent() : undefined;
      try {
        const res = await call(up, agent, 200 * MiB);
        assert.equal(res.status, 500);
        assert.equal(await drain(res), MAX_ERROR_BODY_BYTES);
      } finally {
        agent?.close();
      }
      await up.close();
      assert.ok(up.sent[0] < 100 * MiB, `the upstream could not send it all (${up.sent[0]})`);
    });
  }
}

Deno.test("bounds: a small error body with a content-length is passed whole", async () => {
  const body = '{"error":{"message":"bad key"}}';
  await using up = startRawUpstream(() =>
    `HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`
  );
  const p = targetsOn(up.baseUrl, "openai", MiB);
  try {
    const d = await p.router.dispatch(request("chat", chatBody), p.router.plan("chat", "m"));
    assert.equal(d.response.status, 401);
    assert.equal(await d.response.text(), body);
  } finally {
    p.close();
  }
});

Deno.test("bounds: translated answers (anthropic target, chat client) are bounded the same way", async () => {
  const answers: RawAnswer[] = [
    {
      head: "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json",
      size: 50 * MiB,
      framing: "chunked",
    },
    { head: json, size: 100 * MiB, framing: "chunked" },
    { head: json, size: 100 * MiB },
  ];
  await using up = startRawUpstream((_r, i) => answers[i]);
  const p = targetsOn(up.baseUrl, "anthropic", MiB);
  try {
    const plan = p.router.plan("chat", "m");
    // The error body is cut at 64 KiB before it is parsed: not JSON any more, a generic translated error.
    const d = await p.router.dispatch(request("chat", chatBody), plan);
    assert.equal(d.response.status, 400);
    const text = await d.response.text();
    assert.ok(text.length < MAX_ERROR_BODY_BYTES, `translated error ${text.length} chars`);
    assert.equal(typeof JSON.parse(text).error.message, "string", "still an error in the client API's shape");
    for (const which of ["chunked", "content-length"]) {
      const err = await p.router.dispatch(request("chat", chatBody), p.router.plan("chat", "m")).catch((e) =>
        e
      );
      assert.ok(err instanceof RoutingError, `${which}: ${err}`);
      assert.equal(err.code, "response_too_large", which);
    }
  } finally {
    p.close();
  }
});

Deno.test("bounds: a malformed answer is invalid_response and counts as a server error for fallback", async () => {
  await using bad = startRawUpstream(() => "HTTP/1.1 999 Nope\r\ncontent-length: 2\r\n\r\n{}");
  await using good = startRawUpstream(() => `${json}\r\ncontent-length: 2\r\n\r\n{}`);
  const compileTwo = (triggers: string[]) =>
    compileProviders(
      providers({
        targets: [{ id: "bad", provider: "openai", base_url: bad.baseUrl }, {
          id: "good",
          provider: "openai",
          base_url: good.baseUrl,
        }],
        fallback: { triggers, max_fallback_attempts: 1 },
      }),
      { resolveSecret: () => undefined, state: createRouterState() },
    );
  const withFallback = compileTwo(["server_error"]);
  const noFallback = compileTwo(["rate_limit"]);
  try {
    const d = await withFallback.router.dispatch(
      request("chat", chatBody),
      withFallback.router.plan("chat", "m"),
    );
    assert.equal(d.target.id, "good");
    await d.response.body?.cancel();
    assert.deepEqual(d.attempts.map((a) => a.failure ?? a.status), ["invalid_response", 200]);
    const err = await noFallback.router.dispatch(
      request("chat", chatBody),
      noFallback.router.plan("chat", "m"),
    )
      .catch((e) => e);
    assert.ok(err instanceof RoutingError);
    assert.equal(err.code, "invalid_response");
    assert.match(err.message, /bad \(invalid_response\)/);
  } finally {
    withFallback.close();
    noFallback.close();
  }
});

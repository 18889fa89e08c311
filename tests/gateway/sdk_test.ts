/** The official OpenAI and Anthropic SDKs work against kt unchanged. */
import assert from "node:assert/strict";
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { configDoc, startGateway } from "../helpers/gateway.ts";
import { startMockUpstream } from "../helpers/mock_upstream.ts";

function clients(url: string) {
  return {
    openai: new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused-client-key", maxRetries: 0 }),
    anthropic: new Anthropic({ baseURL: url, apiKey: "unused-client-key", maxRetries: 0 }),
  };
}

Deno.test("sdk: openai client — chat, streaming with usage, embeddings, models (mock provider)", async () => {
  await using gw = await startGateway(configDoc());
  const { openai } = clients(gw.url);
  const done = await openai.chat.completions.create({
    model: "mock-gpt",
    messages: [{ role: "user", content: "hello kt" }],
  });
  assert.equal(done.choices[0].message.content, "Mock reply: hello kt");
  assert.ok(done.usage && done.usage.total_tokens > 0);

  const stream = await openai.chat.completions.create({
    model: "mock-gpt",
    messages: [{ role: "user", content: "stream me a few words please" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let chunks = 0;
  let usage: OpenAI.CompletionUsage | undefined | null;
  for await (const chunk of stream) {
    chunks++;
    text += chunk.choices[0]?.delta?.content ?? "";
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, "Mock reply: stream me a few words please");
  assert.ok(chunks > 2, "several chunks");
  assert.ok(usage && usage.completion_tokens > 0, "usage chunk preserved");

  const emb = await openai.embeddings.create({ model: "mock-gpt", input: ["a", "b"] });
  assert.equal(emb.data.length, 2);
  const models = await openai.models.list();
  assert.deepEqual(models.data.map((m) => m.id), ["mock-gpt"]);
});

Deno.test("sdk: openai client sees a gateway error as APIError with the right status and code", async () => {
  await using gw = await startGateway(
    configDoc({ global_rate_limit: { max_requests: 1, window_seconds: 60 } }),
  );
  const { openai } = clients(gw.url);
  await openai.chat.completions.create({ model: "mock-gpt", messages: [{ role: "user", content: "one" }] });
  await assert.rejects(
    openai.chat.completions.create({ model: "mock-gpt", messages: [{ role: "user", content: "two" }] }),
    (err: unknown) => {
      assert.ok(err instanceof OpenAI.APIError);
      assert.equal(err.status, 429);
      assert.equal(err.code, "rate_limited");
      return true;
    },
  );
});

Deno.test("sdk: anthropic client — messages JSON and streaming against a mock target (reverse translation)", async () => {
  await using gw = await startGateway(configDoc());
  const { anthropic } = clients(gw.url);
  const msg = await anthropic.messages.create({
    model: "mock-gpt",
    max_tokens: 100,
    messages: [{ role: "user", content: "hi claude" }],
  });
  assert.equal(msg.type, "message");
  assert.equal(msg.content[0].type, "text");
  assert.equal((msg.content[0] as { text: string }).text, "Mock reply: hi claude");
  const stream = anthropic.messages.stream({
    model: "mock-gpt",
    max_tokens: 100,
    messages: [{ role: "user", content: "stream please" }],
  });
  const final = await stream.finalMessage();
  assert.equal((final.content[0] as { text: string }).text, "Mock reply: stream please");
  assert.ok(final.usage.output_tokens > 0);
});

Deno.test("sdk: anthropic client through kt to an anthropic target; openai client through kt to the same target", async () => {
  await using up = startMockUpstream();
  await using gw = await startGateway(
    configDoc({
      providers: {
        targets: [{
          id: "claude",
          provider: "anthropic",
          model: "claude-x",
          base_url: up.baseUrl,
          secret_key_ref: { env: "ANTHROPIC_KEY_T" },
        }],
      },
    }),
    { env: { ANTHROPIC_KEY_T: "sk-ant-test-secret-123456" } },
  );
  const { anthropic, openai } = clients(gw.url);
  const msg = await anthropic.messages.create({
    model: "claude-x",
    max_tokens: 50,
    messages: [{ role: "user", content: "native" }],
  });
  assert.equal((msg.content[0] as { text: string }).text, "echo: native");
  assert.equal(up.lastRequest.headers["x-api-key"], "sk-ant-test-secret-123456");
  assert.equal(up.lastRequest.headers["authorization"], undefined, "client credentials are never forwarded");
  const chatDone = await openai.chat.completions.create({
    model: "claude-x",
    messages: [{ role: "user", content: "translated" }],
  });
  assert.equal(chatDone.choices[0].message.content, "echo: translated");
  assert.equal(up.lastRequest.path, "/v1/messages");
  const stream = await openai.chat.completions.create({
    model: "claude-x",
    messages: [{ role: "user", content: "translated stream" }],
    stream: true,
  });
  let text = "";
  for await (const c of stream) text += c.choices[0]?.delta?.content ?? "";
  assert.equal(text, "echo: translated stream");
});

/**
 * `deno task start` (the README's first command) brings up the control plane and a managed gateway, prints the
 * one-time admin token, serves a redaction, and stops everything on Ctrl-C (SIGINT).
 */
import assert from "node:assert/strict";
import { ROOT } from "../helpers/gateway.ts";
import { freePort } from "./helpers.ts";

Deno.test("start: deno task start serves through a managed gateway and stops cleanly on SIGINT", async () => {
  const gw = freePort();
  const cp = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "start"],
    cwd: ROOT,
    env: { NO_COLOR: "1", KEEPTRUSTS_LISTEN: `127.0.0.1:${gw}`, KEEPTRUSTS_CP_LISTEN: `127.0.0.1:${cp}` },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const read = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([read(child.stdout), read(child.stderr)]);
  try {
    const deadline = Date.now() + 60_000;
    while (!/admin token \(shown once\):\s+kt_admin_\w+/.test(text) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(text, /admin token \(shown once\):\s+kt_admin_\w+/, text);
    assert.match(text, new RegExp(`console\\s+http://127\\.0\\.0\\.1:${cp}/console/`));
    const res = await fetch(`http://127.0.0.1:${gw}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "mock-gpt",
        messages: [{ role: "user", content: "mail jane.doe@example.com" }],
      }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-keeptrusts-decision"), "redact");
    assert.equal((await res.json()).choices[0].message.content, "Mock reply: mail [EMAIL]");
  } finally {
    child.kill("SIGINT");
    const status = await child.status;
    await pumps;
    assert.equal(status.code, 0, text);
  }
  // Both servers are gone.
  for (const port of [gw, cp]) {
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  }
});

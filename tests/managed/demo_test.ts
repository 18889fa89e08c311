/** `deno task demo` (a README command) runs end to end: rollout under traffic with zero failed requests. */
import assert from "node:assert/strict";
import { ROOT } from "../helpers/gateway.ts";

Deno.test("demo: deno task demo finishes OK with zero failed requests during the rollout", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "demo"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, /requests during the rollout, 0 failed/);
  assert.match(text, /status=healthy running=1\.1\.0 desired=1\.1\.0/);
  assert.match(text, /demo OK/);
});

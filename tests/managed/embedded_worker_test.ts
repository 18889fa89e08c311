/**
 * What a compiled binary does: the poller worker, bundled by the compile
 * script into src/managed/embedded_worker.ts, starts from a blob: URL and runs
 * with its narrowed permissions under EXACTLY the compiled gateway's flags
 * (no read access to the sources). Done on a copy of the tree, so the real
 * embedded_worker.ts stub is never touched.
 */
import { embedWorker } from "../../scripts/compile.ts";
import { gatewayFlags } from "../../scripts/permissions.ts";
import { ROOT, spawnKt } from "../helpers/gateway.ts";
import {
  assert,
  assertEquals,
  chatOnce,
  logLines,
  managedConfig,
  pushConfig,
  registerGateway,
  rollout,
  startControlPlane,
  waitUntil,
} from "./helpers.ts";

Deno.test("managed: the embedded worker polls in a worker under exactly the compiled flags", async () => {
  const copy = await Deno.makeTempDir({ prefix: "kt-embedded-" });
  const cp = await startControlPlane();
  try {
    for (const entry of ["src", "main.ts", "deno.json", "deno.lock"]) {
      const out = await new Deno.Command("cp", { args: ["-r", `${ROOT}${entry}`, `${copy}/`] }).output();
      assert(out.success, `copy ${entry}`);
    }
    await embedWorker(copy);
    const embedded = await Deno.readTextFile(`${copy}/src/managed/embedded_worker.ts`);
    assert(embedded.length > 10_000, "the bundle was embedded");
    assert(
      !embedded.includes("createRequire(import.meta.url)"),
      "the CommonJS shim does not depend on a file URL",
    );

    const token = await registerGateway(cp, "gw-embedded");
    await pushConfig(cp, managedConfig("1.0.0"));
    await rollout(cp, ["gw-embedded"], "1.0.0");
    await using kt = await spawnKt(
      [
        "run",
        "--managed",
        "--gateway-id",
        "gw-embedded",
        "--api-url",
        cp.url,
        "--listen",
        "127.0.0.1:0",
        "--poll-interval",
        "1",
      ],
      {
        cwd: copy,
        flags: gatewayFlags(),
        env: { KEEPTRUSTS_GATEWAY_TOKEN: token },
        entry: `${copy}/main.ts`,
      },
    );
    await kt.waitFor(/control-plane poller started/);
    const started = logLines(kt.stderr, "control-plane poller started");
    assertEquals(started[0]?.mode, "worker", kt.stderr.join("\n"));
    assert(!kt.stderr.some((l) => /cannot start|not readable|NotCapable/.test(l)), kt.stderr.join("\n"));
    await waitUntil("readiness", async () => {
      const r = await fetch(`${kt.url}/readyz`);
      await r.body?.cancel();
      return r.status === 200;
    }, 15_000);
    const reply = await chatOnce(kt.url, "mail me at a@b.example");
    assertEquals(reply.status, 200);
    await kt.stop();
  } finally {
    await cp.stop();
    await Deno.remove(copy, { recursive: true });
  }
});

/**
 * `deno task start`: runs the kt gateway from the sources on the embedded
 * example config (mock provider: no key, no network), under exactly the
 * compiled gateway's permission set plus read access to examples/.
 *
 * @module
 */
import { gatewayFlags } from "./permissions.ts";

const root = new URL("../", import.meta.url).pathname;
const listen = Deno.env.get("KEEPTRUSTS_LISTEN") ?? "127.0.0.1:41002";
const args = [
  "run",
  ...gatewayFlags({ extraRead: [`${root}examples`] }),
  `${root}main.ts`,
  "gateway",
  "run",
  "--policy-config",
  `${root}examples/policy-config.yaml`,
  "--listen",
  listen,
  ...Deno.args,
];
console.error(`kt: starting the gateway on http://${listen} (Ctrl-C to stop)`);
const child = new Deno.Command(Deno.execPath(), {
  args,
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, () => {
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
  });
}
Deno.exit((await child.status).code);

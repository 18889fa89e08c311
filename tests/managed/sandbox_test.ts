/**
 * The poller worker's permission set: network to the control plane's
 * host:port only; no files, no environment, no subprocesses. Checked by a
 * probe worker spawned with exactly `workerPermissions()` inside a process
 * running under the gateway's flags.
 *
 * @module
 */
import { join } from "node:path";
import { gatewayFlags } from "../../scripts/permissions.ts";
import { ROOT } from "../helpers/gateway.ts";
import { assertEquals, assertMatch } from "./helpers.ts";

Deno.test("sandbox: the poller worker reaches only the API host:port and cannot read files or environment, write, or run", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...gatewayFlags({ extraRead: [join(ROOT, "src"), join(ROOT, "tests/managed/fixtures")] }),
      join(ROOT, "tests/managed/fixtures/sandbox_probe.ts"),
    ],
    env: { NO_COLOR: "1", KEEPTRUSTS_GATEWAY_TOKEN: "kt_gw_secret-token-in-main-env-0123456789" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const { permissions, result } = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
  assertEquals(permissions.read, false);
  assertEquals(permissions.write, false);
  assertEquals(permissions.run, false);
  assertEquals(permissions.ffi, false);
  assertEquals(permissions.env, ["LOG_TOKENS", "LOG_STREAM"]);
  assertEquals(permissions.net.length, 1);
  assertEquals(result.fetchApi, "allowed");
  assertEquals(
    result.yaml,
    "allowed",
    "the npm yaml package works with env narrowed to LOG_TOKENS/LOG_STREAM",
  );
  for (const key of ["readFile", "readEtc", "writeTmp", "envHome", "envToken", "envAll", "run"]) {
    assertMatch(result[key], /NotCapable/, `${key}: ${result[key]}`);
  }
  for (const key of ["fetchOther", "fetchApiByName"]) {
    assertMatch(result[key], /NotCapable|Requires net access/, `${key}: ${result[key]}`);
  }
});

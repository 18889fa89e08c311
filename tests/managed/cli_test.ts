/**
 * `kt run` flag handling (SPEC 1.1): `--managed` is required, required
 * settings name their flag and environment variable, and values are checked
 * before anything starts.
 *
 * @module
 */
import { runCli } from "../../src/cli/main.ts";
import { resolveManagedSettings } from "../../src/cli/commands/run_managed.ts";
import { CliError } from "../../src/cli/errors.ts";
import { apiHostPort, workerPermissions } from "../../src/managed/host.ts";
import { assertEquals, assertMatch } from "./helpers.ts";

function cliError(fn: () => unknown): CliError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error("expected a CliError");
}

Deno.test("kt run: without --managed it exits 2 with the way out", async () => {
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.join(" "));
  try {
    assertEquals(await runCli(["run", "--gateway-id", "x"]), 2);
  } finally {
    console.error = original;
  }
  assertMatch(errors.join("\n"), /needs --managed.*kt gateway run --policy-config/);
});

Deno.test("kt run --managed: settings resolve flag > env > default and are validated", () => {
  const env = [
    "KEEPTRUSTS_GATEWAY_ID",
    "KEEPTRUSTS_API_URL",
    "KEEPTRUSTS_GATEWAY_TOKEN",
    "KEEPTRUSTS_POLL_INTERVAL",
  ];
  const saved = env.map((n) => Deno.env.get(n));
  try {
    for (const n of env) Deno.env.delete(n);
    assertMatch(cliError(() => resolveManagedSettings({})).message, /--gateway-id.*KEEPTRUSTS_GATEWAY_ID/);
    assertMatch(
      cliError(() => resolveManagedSettings({ gatewayId: "g" })).message,
      /--api-url.*KEEPTRUSTS_API_URL/,
    );
    assertMatch(
      cliError(() => resolveManagedSettings({ gatewayId: "g", apiUrl: "ftp://x" })).message,
      /http\(s\) URL/,
    );
    assertMatch(
      cliError(() => resolveManagedSettings({ gatewayId: "g", apiUrl: "http://cp:8081" })).message,
      /KEEPTRUSTS_GATEWAY_TOKEN or KEEPTRUSTS_GATEWAY_TOKEN_FILE/,
    );
    Deno.env.set("KEEPTRUSTS_GATEWAY_ID", "from-env");
    Deno.env.set("KEEPTRUSTS_API_URL", "https://cp.example.com/");
    Deno.env.set("KEEPTRUSTS_GATEWAY_TOKEN", "kt_gw_from-env-token-0123456789");
    Deno.env.set("KEEPTRUSTS_POLL_INTERVAL", "15");
    const s = resolveManagedSettings({});
    assertEquals(
      [s.gatewayId, s.apiUrl, s.token, s.tokenFromFlag, s.pollIntervalSeconds, s.startupTimeoutSeconds],
      ["from-env", "https://cp.example.com", "kt_gw_from-env-token-0123456789", false, 15, 60],
    );
    const f = resolveManagedSettings({
      gatewayId: "flag",
      apiToken: "kt_gw_flag-token-0123456789",
      pollInterval: "2",
    });
    assertEquals([f.gatewayId, f.token, f.tokenFromFlag, f.pollIntervalSeconds], [
      "flag",
      "kt_gw_flag-token-0123456789",
      true,
      2,
    ]);
    assertMatch(cliError(() => resolveManagedSettings({ pollInterval: "0" })).message, /--poll-interval/);
    assertMatch(
      cliError(() => resolveManagedSettings({ gatewayId: "bad id" })).message,
      /--gateway-id must be/,
    );
  } finally {
    env.forEach((n, i) => saved[i] === undefined ? Deno.env.delete(n) : Deno.env.set(n, saved[i]!));
  }
});

Deno.test("kt run --managed: the token can come from KEEPTRUSTS_GATEWAY_TOKEN_FILE", async () => {
  const dir = await Deno.makeTempDir();
  const saved = Deno.env.get("KEEPTRUSTS_GATEWAY_TOKEN");
  try {
    Deno.env.delete("KEEPTRUSTS_GATEWAY_TOKEN");
    await Deno.writeTextFile(`${dir}/token`, "kt_gw_from-a-file-0123456789\n");
    Deno.env.set("KEEPTRUSTS_GATEWAY_TOKEN_FILE", `${dir}/token`);
    const s = resolveManagedSettings({ gatewayId: "g", apiUrl: "http://127.0.0.1:8081" });
    assertEquals(s.token, "kt_gw_from-a-file-0123456789");
  } finally {
    Deno.env.delete("KEEPTRUSTS_GATEWAY_TOKEN_FILE");
    if (saved !== undefined) Deno.env.set("KEEPTRUSTS_GATEWAY_TOKEN", saved);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("worker permissions: the API's host:port only (default ports filled in)", () => {
  assertEquals(apiHostPort("https://cp.example.com"), "cp.example.com:443");
  assertEquals(apiHostPort("http://10.0.0.5"), "10.0.0.5:80");
  assertEquals(apiHostPort("http://[::1]:8081/api"), "[::1]:8081");
  const p = workerPermissions("http://127.0.0.1:8081");
  assertEquals(p, {
    net: ["127.0.0.1:8081"],
    read: false,
    write: false,
    env: ["LOG_TOKENS", "LOG_STREAM"],
    run: false,
    ffi: false,
    sys: false,
  });
});

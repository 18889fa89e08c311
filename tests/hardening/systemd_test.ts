/**
 * The systemd units: their offline exposure score stays where we got it, they
 * carry the directives SECURITY.md promises, and the syscall filter they set
 * allows every system call the Deno runtime makes while serving (traced).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const DIR = fileURLToPath(new URL("../../deploy/systemd/", import.meta.url));
const UNITS = ["kt.service", "kt-control-plane.service"];
/** Exposure reached by `systemd-analyze security --offline=true` (systemd 252); never let it grow. */
const MAX_EXPOSURE = 1.1;

function which(cmd: string): string | undefined {
  for (
    const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin:/usr/sbin:/sbin").split(":").concat([
      "/usr/sbin",
      "/sbin",
    ])
  ) {
    try {
      if (Deno.statSync(`${dir}/${cmd}`).isFile) return `${dir}/${cmd}`;
    } catch { /* next */ }
  }
  return undefined;
}

const SYSTEMD_ANALYZE = which("systemd-analyze");

async function run(cmd: string, args: string[], opts: Deno.CommandOptions = {}) {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", ...opts }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** `Key=value` lines of a unit (comments dropped; repeated keys collected). */
function directives(text: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("[")) continue;
    const eq = line.indexOf("=");
    const key = line.slice(0, eq);
    map.set(key, [...(map.get(key) ?? []), line.slice(eq + 1)]);
  }
  return map;
}

for (const unit of UNITS) {
  Deno.test({
    name: `systemd-analyze security: ${unit} exposure ≤ ${MAX_EXPOSURE}`,
    ignore: !SYSTEMD_ANALYZE,
    async fn() {
      const { stdout, stderr } = await run(SYSTEMD_ANALYZE!, ["security", "--offline=true", `${DIR}${unit}`]);
      const match = stdout.match(/Overall exposure level for \S+: (\d+(?:\.\d+)?)/);
      assert.ok(match, `no score in output:\n${stdout}\n${stderr}`);
      const score = Number(match[1]);
      assert.ok(score <= MAX_EXPOSURE, `${unit} exposure ${score} > ${MAX_EXPOSURE}:\n${stdout}`);
    },
  });

  Deno.test(`${unit} keeps the hardening directives and no secret in the file`, async () => {
    const text = await Deno.readTextFile(`${DIR}${unit}`);
    const d = directives(text);
    const expect: Record<string, string> = {
      DynamicUser: "yes",
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      PrivateDevices: "yes",
      ProtectKernelTunables: "yes",
      ProtectKernelModules: "yes",
      ProtectKernelLogs: "yes",
      ProtectControlGroups: "yes",
      ProtectClock: "yes",
      ProtectHostname: "yes",
      ProtectProc: "invisible",
      ProcSubset: "pid",
      RestrictNamespaces: "yes",
      RestrictRealtime: "yes",
      RestrictSUIDSGID: "yes",
      LockPersonality: "yes",
      NoNewPrivileges: "yes",
      CapabilityBoundingSet: "",
      AmbientCapabilities: "",
      SystemCallArchitectures: "native",
      RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
      UMask: "0077",
      ConfigurationDirectory: "keeptrusts",
    };
    for (const [key, value] of Object.entries(expect)) assert.deepEqual(d.get(key), [value], key);
    assert.equal(d.get("SystemCallFilter")?.[0], "@system-service");
    assert.ok(
      d.get("SystemCallFilter")!.some((v) => v.startsWith("~@privileged") && v.includes("@resources")),
    );
    assert.ok(d.get("IPAddressDeny")![0].split(" ").includes("169.254.169.254"));
    assert.ok(d.get("IPAddressDeny")![0].split(" ").includes("fd00:ec2::254"));
    assert.ok(!d.has("MemoryDenyWriteExecute"), "MemoryDenyWriteExecute breaks V8's JIT");
    assert.match(text, /#\s*MemoryDenyWriteExecute= must stay OFF/);
    assert.match(text, /#\s*PrivateNetwork= must stay OFF/);
    assert.ok(d.has("LoadCredential"));
    for (const env of d.get("Environment") ?? []) {
      assert.ok(
        !/(TOKEN|KEY|PASSWORD|SECRET)[A-Z_]*=/.test(env) || /_FILE=%d\//.test(env),
        `secret in unit: ${env}`,
      );
    }
  });
}

Deno.test("kt.service reads the gateway token from a systemd credential", async () => {
  const d = directives(await Deno.readTextFile(`${DIR}kt.service`));
  assert.deepEqual(d.get("LoadCredential"), ["keeptrusts-gateway-token"]);
  assert.ok(d.get("Environment")!.includes("KEEPTRUSTS_GATEWAY_TOKEN_FILE=%d/keeptrusts-gateway-token"));
  assert.equal(
    d.get("ExecStart")?.[0],
    "/usr/local/bin/kt gateway run --policy-config /etc/keeptrusts/policy-config.yaml",
  );
});

/** Expands a systemd syscall group (recursively) with `systemd-analyze syscall-filter`. */
async function expandGroup(group: string, cache = new Map<string, Set<string>>()): Promise<Set<string>> {
  if (cache.has(group)) return cache.get(group)!;
  const { stdout } = await run(SYSTEMD_ANALYZE!, ["syscall-filter", group]);
  const set = new Set<string>();
  for (const raw of stdout.split("\n").slice(1)) {
    const item = raw.trim();
    if (!item || item.startsWith("#")) continue;
    if (item.startsWith("@")) { for (const s of await expandGroup(item, cache)) set.add(s); }
    else set.add(item);
  }
  cache.set(group, set);
  return set;
}

/** A workload touching what the gateway does: serve, fetch (with DNS), a Worker, JIT, signals, timers. */
const WORKLOAD = `
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("ok"));
const worker = new Worker("data:text/javascript,self.onmessage=(e)=>self.postMessage(e.data+1)", { type: "module" });
await new Promise((resolve) => { worker.onmessage = resolve; worker.postMessage(1); });
worker.terminate();
const onHup = () => {};
Deno.addSignalListener("SIGHUP", onHup);
for (let i = 0; i < 20; i++) await (await fetch("http://localhost:" + server.addr.port + "/")).text();
let x = 0; for (let i = 0; i < 5e6; i++) x += i % 7;
const re = /[\\w.+-]+@[\\w-]+\\.[\\w.-]+/g;
for (let i = 0; i < 2000; i++) ("mail a" + i + "@example.com now").replace(re, "[EMAIL]");
await new Promise((r) => setTimeout(r, 20));
Deno.removeSignalListener("SIGHUP", onHup);
await server.shutdown();
console.log(x);
`;

/**
 * System calls the traced `deno run` makes that a compiled binary does not:
 * fchown is SQLite chowning the CLI's module cache (DENO_DIR) WAL files when
 * running as root; denort has no such cache and the unit never runs as root.
 */
const CLI_ONLY = new Set(["fchown"]);

Deno.test({
  name: "the units' SystemCallFilter allows every syscall deno makes while serving (strace)",
  ignore: !SYSTEMD_ANALYZE || !which("strace"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/workload.js`, WORKLOAD);
      const traced = await run(which("strace")!, [
        "-f",
        "-qq",
        "-o",
        `${dir}/trace`,
        Deno.execPath(),
        "run",
        "--allow-net",
        `${dir}/workload.js`,
      ]);
      if (traced.code !== 0 && /ptrace|Operation not permitted/.test(traced.stderr)) {
        console.warn(`strace cannot trace here, skipped: ${traced.stderr.trim()}`);
        return;
      }
      assert.equal(traced.code, 0, traced.stderr);
      const used = new Set<string>();
      for (const line of (await Deno.readTextFile(`${dir}/trace`)).split("\n")) {
        const m = line.match(/^\d+\s+(?:<\.\.\. ([a-z0-9_]+) resumed>|([a-z0-9_]+)\()/);
        if (m) used.add(m[1] ?? m[2]);
      }
      used.delete("execve"); // the exec of deno itself happens before the filter applies to the binary's code
      assert.ok(used.size > 30, `trace too small: ${[...used]}`);

      const unit = directives(await Deno.readTextFile(`${DIR}kt.service`));
      const allowed = new Set<string>();
      const denied = new Set<string>();
      for (const entry of unit.get("SystemCallFilter")!) {
        const negate = entry.startsWith("~");
        for (const item of entry.replace(/^~/, "").split(/\s+/)) {
          const names = item.startsWith("@") ? await expandGroup(item) : new Set([item]);
          for (const n of names) (negate ? denied : allowed).add(n);
        }
      }
      const blocked = [...used].filter((s) => !CLI_ONLY.has(s) && (!allowed.has(s) || denied.has(s)));
      assert.deepEqual(blocked, [], `syscalls the unit would refuse: ${blocked.join(", ")}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

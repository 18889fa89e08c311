/**
 * What the gateway permission set actually allows on deno 2.9.6: a probe
 * script runs under exactly gatewayFlags() (what the compiled binary bakes in), through fetch and
 * through Deno.connect (kt's HTTP/1.1 provider client).
 */
import assert from "node:assert/strict";
import { CONFIG_DIR, gatewayFlags, METADATA_HOSTS } from "../../scripts/permissions.ts";

const PROBE = `
const results = {};
async function attempt(name, fn) {
  try { await fn(); results[name] = "ok"; }
  catch (e) { results[name] = (e?.cause ?? e)?.name ?? String(e); }
}
const [loopback, ...metadata] = Deno.args;
for (const url of metadata) {
  await attempt(url, async () => {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await r.body?.cancel();
  });
  // kt's HTTP/1.1 client connects with Deno.connect to the URL's hostname (brackets removed).
  await attempt("connect " + url, async () => {
    const u = new URL(url);
    const hostname = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
    const c = await Deno.connect({ hostname, port: Number(u.port || 80), signal: AbortSignal.timeout(2000) });
    c.close();
  });
}
await attempt("connect loopback", async () => {
  const u = new URL(loopback);
  (await Deno.connect({ hostname: u.hostname, port: Number(u.port) })).close();
});
await attempt("loopback", async () => { const r = await fetch(loopback); await r.text(); });
await attempt("write /tmp", () => Deno.writeTextFile("/tmp/kt-permission-probe", "x"));
await attempt("read /etc/passwd", () => Deno.readTextFile("/etc/passwd"));
await attempt("read ${CONFIG_DIR}", () => Deno.permissions.query({ name: "read", path: "${CONFIG_DIR}/policy-config.yaml" })
  .then((s) => { if (s.state !== "granted") throw new Error(s.state); }));
await attempt("run", () => new Deno.Command("true").output());
await attempt("sys", () => Deno.hostname());
await attempt("ffi", () => Deno.dlopen("libc.so.6", {}));
await attempt("env", () => Deno.env.get("HOME"));
console.log(JSON.stringify(results));
`;

/** Every spelling of a metadata address that must be refused before any packet leaves. */
const METADATA_URLS = [
  ...METADATA_HOSTS.map((h) => `http://${h}/latest/meta-data/`),
  "http://2852039166/", // 169.254.169.254 as one decimal number
  "http://0xa9fea9fe/", // ... in hex
  "http://[::ffff:169.254.169.254]/", // IPv4-mapped IPv6
  "http://[fd00:ec2:0::254]/", // non-canonical IPv6
  "http://169.254.169.254:8080/", // other port
];

Deno.test("gateway flags: metadata denied in every spelling, loopback allowed, no write/run/sys/ffi", async () => {
  const dir = await Deno.makeTempDir();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("pong"));
  try {
    const probe = `${dir}/probe.js`;
    await Deno.writeTextFile(probe, PROBE);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...gatewayFlags(), probe, `http://127.0.0.1:${server.addr.port}/`, ...METADATA_URLS],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const results = JSON.parse(new TextDecoder().decode(out.stdout));
    for (const url of METADATA_URLS) {
      assert.equal(results[url], "NotCapable", `${url}: ${results[url]}`);
      assert.equal(results[`connect ${url}`], "NotCapable", `connect ${url}: ${results[`connect ${url}`]}`);
    }
    assert.equal(results["loopback"], "ok");
    assert.equal(results["connect loopback"], "ok");
    assert.equal(results["write /tmp"], "NotCapable");
    assert.equal(results["read /etc/passwd"], "NotCapable");
    assert.equal(results[`read ${CONFIG_DIR}`], "ok");
    assert.equal(results["run"], "NotCapable");
    assert.equal(results["sys"], "NotCapable");
    assert.equal(results["ffi"], "NotCapable");
    assert.equal(results["env"], "ok");
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno 2.9.6 rejects a bare IPv6 deny entry: METADATA_HOSTS keeps IPv6 bracketed", async () => {
  for (const host of METADATA_HOSTS) {
    if (host.includes(":")) assert.match(host, /^\[[0-9a-f:]+\]$/, host);
  }
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/one.js`, "console.log(1);\n");
    // (`deno eval` prints the same error but exits 0 when its output is redirected: use `run`.)
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", "--deny-net=fd00:ec2::254", `${dir}/one.js`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.notEqual(out.code, 0);
    assert.match(new TextDecoder().decode(out.stderr), /square brackets/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

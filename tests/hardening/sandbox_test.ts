/**
 * tests/helpers/sandbox.ts really gives a uid-65532, read-only-root,
 * capability-less process with a writable /tmp and working loopback.
 */
import assert from "node:assert/strict";
import { bwrapAvailable, SANDBOX_UID, sandboxArgs } from "../helpers/sandbox.ts";

const AVAILABLE = await bwrapAvailable();
if (!AVAILABLE) {
  console.warn("bubblewrap is missing or cannot create a user namespace: sandbox tests ignored");
}

const PROBE = `
const out = { uid: Deno.uid(), gid: Deno.gid() };
try { Deno.writeTextFileSync("/kt-sandbox-probe", "x"); out.rootWrite = "ok"; } catch (e) { out.rootWrite = e.message; }
try { Deno.writeTextFileSync("/usr/kt-sandbox-probe", "x"); out.usrWrite = "ok"; } catch (e) { out.usrWrite = e.message; }
Deno.writeTextFileSync("/tmp/probe", "x"); out.tmpWrite = Deno.readTextFileSync("/tmp/probe");
out.capEff = Deno.readTextFileSync("/proc/self/status").match(/^CapEff:\\s*(\\S+)/m)[1];
out.noNewPrivs = Deno.readTextFileSync("/proc/self/status").match(/^NoNewPrivs:\\s*(\\S+)/m)[1];
const [url] = Deno.args;
out.loopback = await (await fetch(url)).text();
console.log(JSON.stringify(out));
`;

Deno.test({
  name: "sandbox: deno runs as 65532, / is read-only, /tmp writable, no capabilities, loopback works",
  ignore: !AVAILABLE,
  async fn() {
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("pong"));
    try {
      const argv = sandboxArgs([
        Deno.execPath(),
        "eval",
        "--no-prompt",
        "--ext=js",
        PROBE,
        `http://127.0.0.1:${server.addr.port}/`,
      ]);
      const out = await new Deno.Command(argv[0], { args: argv.slice(1), stdout: "piped", stderr: "piped" })
        .output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, stderr);
      const r = JSON.parse(new TextDecoder().decode(out.stdout));
      assert.equal(r.uid, SANDBOX_UID);
      assert.equal(r.gid, SANDBOX_UID);
      assert.match(r.rootWrite, /Read-only file system|os error 30/);
      assert.match(r.usrWrite, /Read-only file system|os error 30/);
      assert.equal(r.tmpWrite, "x");
      assert.equal(r.capEff, "0000000000000000");
      assert.equal(r.noNewPrivs, "1");
      assert.equal(r.loopback, "pong");
    } finally {
      await server.shutdown();
    }
  },
});

Deno.test("sandboxArgs builds the documented bwrap flags", () => {
  const argv = sandboxArgs(["/bin/true"], { bwrap: "/usr/bin/bwrap", writable: ["/w"], env: { A: "1" } });
  const joined = argv.join(" ");
  for (
    const part of [
      "--ro-bind / /",
      "--dev /dev",
      "--proc /proc",
      "--tmpfs /tmp",
      "--bind /w /w",
      "--unshare-user",
      "--uid 65532",
      "--gid 65532",
      "--cap-drop ALL",
      "--new-session",
      "--die-with-parent",
      "--setenv A 1",
    ]
  ) assert.ok(joined.includes(part), `missing ${part}`);
  assert.ok(!argv.includes("--unshare-net") && !argv.includes("--unshare-all"), "network must stay shared");
  assert.deepEqual(argv.slice(-2), ["--", "/bin/true"]);
});

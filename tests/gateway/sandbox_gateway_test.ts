/**
 * The gateway inside bubblewrap: uid 65532, read-only root, tmpfs /tmp, all
 * capabilities dropped, no new privileges (bwrap --new-session sets
 * PR_SET_NO_NEW_PRIVS), under exactly the compiled permission flags, serving
 * real traffic. The sources are bundled first (uid 65532 cannot read root's
 * Deno cache, just as the distroless image has no cache at all).
 */
import assert from "node:assert/strict";
import { gatewayFlags } from "../../scripts/permissions.ts";
import { bwrapAvailable, sandboxArgs } from "../helpers/sandbox.ts";
import { ROOT } from "../helpers/gateway.ts";

const available = await bwrapAvailable();

Deno.test({
  name: "sandbox: kt serves traffic as uid 65532 on a read-only root with no capabilities",
  ignore: !available,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "kt-bwrap-" });
    try {
      await Deno.chmod(dir, 0o755);
      const bundle = await new Deno.Command(Deno.execPath(), {
        args: ["bundle", "--platform=deno", "-o", `${dir}/kt.js`, `${ROOT}main.ts`],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(bundle.code, 0, new TextDecoder().decode(bundle.stderr));
      await Deno.chmod(`${dir}/kt.js`, 0o644);
      const config = JSON.stringify({
        pack: { name: "sandboxed", version: "1.0.0", enabled: true },
        providers: { targets: [{ id: "m", provider: "mock", model: "mock-gpt" }] },
        policies: { chain: ["pii-detector"] },
        policy: { "pii-detector": {} },
      });
      const argv = sandboxArgs(
        [
          Deno.execPath(),
          "run",
          ...gatewayFlags(),
          "/tmp/kt/kt.js",
          "gateway",
          "run",
          "--policy-config",
          "-",
          "--listen",
          "127.0.0.1:0",
        ],
        { readOnlyBinds: [[dir, "/tmp/kt"]] },
      );
      const child = new Deno.Command(argv[0], {
        args: argv.slice(1),
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(config));
      await w.close();
      const stderr: string[] = [];
      let resolveUrl: (u: string) => void = () => {};
      const urlReady = new Promise<string>((r) => (resolveUrl = r));
      const pump = (async () => {
        let buf = "";
        for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
          buf += chunk;
          let i;
          while ((i = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            stderr.push(line);
            if (line.includes("gateway listening")) resolveUrl(JSON.parse(line).url);
          }
        }
      })();
      const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      try {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const url = await Promise.race([
          urlReady,
          new Promise<never>((_, rej) => {
            timer = setTimeout(() => rej(new Error(`no listen line:\n${stderr.join("\n")}`)), 20_000);
          }),
        ]).finally(() => clearTimeout(timer));
        const res = await fetch(`${url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            model: "mock-gpt",
            messages: [{ role: "user", content: "mail a@b.example" }],
          }),
        });
        assert.equal(res.status, 200);
        assert.equal((await res.json()).choices[0].message.content, "Mock reply: mail [EMAIL]");
        const health = await (await fetch(`${url}/health`)).json();
        assert.equal(health.status, "healthy");
      } finally {
        child.kill("SIGTERM");
        const status = await child.status;
        await pump;
        let events = "";
        for (let r = await stdout.read(); !r.done; r = await stdout.read()) events += r.value;
        // SIGTERM reaches bwrap (pid 1 of the sandbox does not forward it), so kt ends with it.
        assert.ok(status.code === 0 || status.signal === "SIGTERM" || status.code === 143, stderr.join("\n"));
        assert.match(events, /"verdict":"redact"/);
        assert.deepEqual(stderr.filter((l) => /NotCapable|PermissionDenied|EACCES|EROFS/.test(l)), []);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

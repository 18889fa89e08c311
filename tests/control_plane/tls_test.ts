/** HTTPS with --tls-cert/--tls-key (self-signed certificate made with openssl). */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openSqliteStore } from "../../src/control_plane/store/sqlite.ts";
import { startTestServer } from "./helpers.ts";

function hasOpenssl(): boolean {
  try {
    return new Deno.Command("openssl", { args: ["version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

const openssl = hasOpenssl();

Deno.test({
  name: openssl ? "serves HTTPS with a certificate" : "serves HTTPS with a certificate (skipped: no openssl)",
  ignore: !openssl,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kt-cp-tls-" });
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    const ssl = async (...args: string[]) => {
      const out = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
    };
    const ca = join(dir, "ca.pem");
    const caKey = join(dir, "ca-key.pem");
    const csr = join(dir, "leaf.csr");
    const ext = join(dir, "leaf.ext");
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    await ssl("req", "-x509", ...ec, "-keyout", caKey, "-out", ca, "-days", "1", "-subj", "/CN=kt test CA");
    await ssl("req", ...ec, "-keyout", key, "-out", csr, "-subj", "/CN=localhost");
    await Deno.writeTextFile(ext, "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
    await ssl(
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      ca,
      "-CAkey",
      caKey,
      "-CAcreateserial",
      "-out",
      cert,
      "-days",
      "1",
      "-extfile",
      ext,
    );
    const server = await startTestServer({
      store: await openSqliteStore(join(dir, "cp.db")),
      tlsCertPath: cert,
      tlsKeyPath: key,
    });
    const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(ca)] });
    try {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${server.url}/healthz`, { client });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).status, "ok");
    } finally {
      client.close();
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

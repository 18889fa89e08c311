/** Client authentication, TLS, config signatures, and secrets never leaving the process. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { gatewayFlags } from "../../scripts/permissions.ts";
import {
  generateConfigKeyPair,
  SignatureError,
  signConfig,
  verifyConfig,
} from "../../src/config/signature.ts";
import { chat, configDoc, ROOT, spawnKt, startGateway } from "../helpers/gateway.ts";
import { startMockUpstream } from "../helpers/mock_upstream.ts";

const sha = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`;

Deno.test("security: client API keys (hash in config or from env), constant-time match, 401 shapes", async () => {
  await using gw = await startGateway(
    configDoc({
      client_auth: {
        api_keys: [{ id: "app1", key_hash: sha("kt-client-key-one"), role: "analyst" }, {
          id: "app2",
          key_env: "KT_T_CLIENT_KEY",
        }],
      },
    }),
    { env: { KT_T_CLIENT_KEY: "kt-client-key-two" } },
  );
  const none = await gw.post("/v1/chat/completions", chat("x"));
  assert.equal(none.status, 401);
  const e1 = (await none.json()).error;
  assert.deepEqual([e1.type, e1.code], ["authentication_error", "missing_credentials"]);
  const wrong = await gw.post("/v1/chat/completions", chat("x"), { authorization: "Bearer nope" });
  assert.equal(wrong.status, 401);
  assert.equal((await wrong.json()).error.code, "invalid_credentials");
  const one = await gw.post("/v1/chat/completions", chat("x"), { authorization: "Bearer kt-client-key-one" });
  assert.equal(one.status, 200);
  await one.body?.cancel();
  const two = await gw.post("/v1/chat/completions", chat("x"), { "x-api-key": "kt-client-key-two" });
  assert.equal(two.status, 200, "Anthropic-style x-api-key works too");
  await two.body?.cancel();
  const models = await fetch(`${gw.url}/v1/models`);
  assert.equal(models.status, 401, "/v1/models needs a key too");
  await models.body?.cancel();
  const health = await fetch(`${gw.url}/healthz`);
  assert.equal(health.status, 200, "probes stay open");
  await health.body?.cancel();
});

Deno.test("security: provider keys never appear in /keeptrusts/config, /health, /metrics, logs, events or errors", async () => {
  const secret = "sk-live-SUPERSECRET-0123456789abcdef";
  await using up = startMockUpstream();
  await using gw = await startGateway(
    configDoc({
      providers: {
        fallback: { max_fallback_attempts: 0 },
        targets: [
          { id: "a", provider: "openai", base_url: up.baseUrl, secret_key_ref: { env: "KT_T_SECRET" } },
          { id: "b", provider: "openai", base_url: "${KT_T_BASE}", headers: { "x-extra": "${KT_T_SECRET}" } },
        ],
      },
    }),
    { env: { KT_T_SECRET: secret, KT_T_BASE: up.baseUrl } },
  );
  // An upstream error that echoes the key back.
  up.failNext(500, 1, { body: { error: { message: `invalid key ${secret}` } } });
  const r1 = await gw.post("/v1/chat/completions", chat("x"));
  const errorBody = await r1.text();
  up.failNext(401, 1, { body: { error: { message: `Incorrect API key provided: ${secret}` } } });
  const r2 = await gw.post("/v1/chat/completions", chat("x"));
  const passthrough = await r2.text();
  assert.equal(r2.status, 401);
  assert.equal(up.requests[0].headers.authorization, `Bearer ${secret}`, "the key did reach the provider");
  const surfaces = {
    errorBody,
    passthrough,
    config: await (await fetch(`${gw.url}/keeptrusts/config`)).text(),
    health: await (await fetch(`${gw.url}/health`)).text(),
    metrics: await (await fetch(`${gw.url}/metrics`)).text(),
    logs: gw.logs.join("\n"),
    events: JSON.stringify(gw.audit.events),
  };
  for (const [name, text] of Object.entries(surfaces)) {
    assert.ok(!text.includes(secret), `secret leaked in ${name}`);
  }
  assert.match(surfaces.config, /\$\{KT_T_SECRET\}/, "the public config shows the placeholder");
  assert.match(passthrough, /\[REDACTED\]/);
});

const hasOpenssl = await new Deno.Command("openssl", { args: ["version"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success, () => false);

Deno.test({
  name: "security: the gateway and a provider connection over TLS with a throwaway CA",
  ignore: !hasOpenssl,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const run = async (args: string[]) => {
        const r = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
          .output();
        assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
      };
      await run([
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "1",
        "-subj",
        "/CN=kt test CA",
      ]);
      await run([
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "srv.key",
        "-out",
        "srv.csr",
        "-subj",
        "/CN=localhost",
      ]);
      await Deno.writeTextFile(`${dir}/ext.cnf`, "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
      await run([
        "x509",
        "-req",
        "-in",
        "srv.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "srv.pem",
        "-days",
        "1",
        "-extfile",
        "ext.cnf",
      ]);
      const cert = await Deno.readTextFile(`${dir}/srv.pem`);
      const key = await Deno.readTextFile(`${dir}/srv.key`);
      const ca = await Deno.readTextFile(`${dir}/ca.pem`);

      // A TLS upstream trusted only through KEEPTRUSTS_CA_CERT_PATH, and kt serving HTTPS.
      const upstream = Deno.serve(
        { hostname: "127.0.0.1", port: 0, cert, key, onListen: () => {} },
        () =>
          Response.json({
            id: "x",
            object: "chat.completion",
            model: "m",
            choices: [{
              index: 0,
              message: { role: "assistant", content: "over tls" },
              finish_reason: "stop",
            }],
          }),
      );
      const cfg = JSON.stringify({
        pack: { name: "tls", version: "1.0.0", enabled: true },
        providers: {
          targets: [{
            id: "t",
            provider: "openai",
            base_url: `https://localhost:${upstream.addr.port}/v1`,
            secret_key_ref: { env: "KT_T_TLS_KEY" },
          }],
        },
      });
      const kt = await spawnKt(
        [
          "gateway",
          "run",
          "--policy-config",
          "-",
          "--listen",
          "127.0.0.1:0",
          "--tls-cert",
          `${dir}/srv.pem`,
          "--tls-key",
          `${dir}/srv.key`,
        ],
        {
          stdin: cfg,
          flags: gatewayFlags({ extraRead: [dir] }),
          env: { KEEPTRUSTS_CA_CERT_PATH: `${dir}/ca.pem`, KT_T_TLS_KEY: "sk-tls-test-key" },
        },
      );
      try {
        assert.match(kt.url, /^https:\/\//);
        const client = Deno.createHttpClient({ caCerts: [ca] });
        const res = await fetch(`${kt.url.replace("127.0.0.1", "localhost")}/v1/chat/completions`, {
          method: "POST",
          client,
          headers: { "content-type": "application/json" },
          body: JSON.stringify(chat("x")),
        });
        assert.equal(res.status, 200, await res.clone().text());
        assert.equal((await res.json()).choices[0].message.content, "over tls");
        client.close();
      } finally {
        await kt.stop();
        await upstream.shutdown();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("security: Ed25519 config signatures — good verifies; tampered, unsigned and wrong-key fail", async () => {
  const a = await generateConfigKeyPair();
  const b = await generateConfigKeyPair();
  const text = "pack: { name: p, version: 1.0.0, enabled: true }\n";
  const sig = await signConfig(a.privateKeyPem, text);
  await verifyConfig(a.publicKeyPem, text, sig);
  const code = (p: Promise<unknown>) =>
    p.then(() => "ok", (e) => (e instanceof SignatureError ? e.code : String(e)));
  assert.equal(await code(verifyConfig(a.publicKeyPem, text + " ", sig)), "invalid_signature");
  assert.equal(await code(verifyConfig(a.publicKeyPem, text, undefined)), "missing_signature");
  assert.equal(await code(verifyConfig(b.publicKeyPem, text, sig)), "invalid_signature");
  assert.equal(await code(verifyConfig("not a key", text, sig)), "invalid_key");
});

Deno.test("security: kt config keygen under the compiled flags explains --stdout instead of a raw permission error", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...gatewayFlags(), `${ROOT}main.ts`, "config", "keygen", "--out-dir", "/tmp"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  const err = new TextDecoder().decode(out.stderr).trim();
  assert.match(err, /use --stdout/);
  assert.doesNotMatch(err, /NotCapable|Requires write access/);
  const ok = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...gatewayFlags(), `${ROOT}main.ts`, "config", "keygen", "--stdout"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(ok.code, 0);
  assert.match(new TextDecoder().decode(ok.stdout), /BEGIN PRIVATE KEY[\s\S]*BEGIN PUBLIC KEY/);
});

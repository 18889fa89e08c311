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
import { type ClientKey, identify } from "../../src/gateway/snapshot.ts";
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

Deno.test("security: with client_auth on, roles come only from the key; x-user-role cannot escalate", async () => {
  const rbac = {
    policies: { chain: ["rbac"] },
    policy: {
      rbac: {
        deny_if_missing: [],
        roles: { admin: { allowed_models: ["*"] }, viewer: { allowed_models: ["none-*"] } },
        default_role: "viewer",
      },
    },
  };
  await using gw = await startGateway(configDoc({
    ...rbac,
    client_auth: {
      api_keys: [
        { id: "no-role", key_hash: sha("kt-key-without-role") },
        { id: "boss", key_hash: sha("kt-key-of-admin"), role: "admin" },
      ],
    },
  }));
  const asAdmin = { "x-user-role": "admin", "x-user-id": "mallory" };
  // The attack: a key without a role claims admin by header. It gets the default role (viewer): 422.
  const escalated = await gw.post("/v1/chat/completions", chat("x"), {
    authorization: "Bearer kt-key-without-role",
    ...asAdmin,
  });
  assert.equal(escalated.status, 422, "x-user-role is ignored with client_auth on");
  assert.equal((await escalated.json()).error.code, "model_not_allowed");
  const event = gw.audit.events.at(-1)!;
  assert.equal(event.user_id, null, "x-user-id is not believed either");
  assert.equal(event.client_key_id, "no-role");
  assert.deepEqual(
    event.ignored_headers,
    ["x-user-id", "x-user-role"],
    "the event says which headers were ignored",
  );
  // The key's own role decides.
  const boss = await gw.post("/v1/chat/completions", chat("x"), {
    authorization: "Bearer kt-key-of-admin",
    "x-user-role": "viewer",
  });
  assert.equal(boss.status, 200, "a key's role cannot be lowered or changed by header either");
  await boss.body?.cancel();

  // Without client_auth the headers are all the gateway has, and are used (documented in SECURITY.md).
  await using open = await startGateway(configDoc(rbac));
  const claimed = await open.post("/v1/chat/completions", chat("x"), asAdmin);
  assert.equal(claimed.status, 200);
  await claimed.body?.cancel();
});

Deno.test("security: identify() takes the identity from the key and names the identity headers it ignored", () => {
  const keys: ClientKey[] = [{ id: "app", hash: new Uint8Array(createHash("sha256").update("k1").digest()) }];
  const headers = new Headers({
    authorization: "Bearer k1",
    "x-user-role": "admin",
    "x-user-id": "mallory",
    "x-team-id": "red",
    "x-keeptrusts-agent-id": "a1",
  });
  assert.deepEqual(identify(headers, keys), {
    role: undefined,
    clientKeyId: "app",
    ignoredHeaders: ["x-user-id", "x-team-id", "x-user-role", "x-keeptrusts-agent-id"],
  });
  assert.deepEqual(identify(new Headers({ authorization: "Bearer k1" }), keys), {
    role: undefined,
    clientKeyId: "app",
  });
  assert.throws(() => identify(new Headers({ "x-user-role": "admin" }), keys), /requires an API key/);
  assert.deepEqual(identify(new Headers({ "x-user-role": " admin ", "x-user-id": "" }), undefined), {
    userId: undefined,
    teamId: undefined,
    role: "admin",
    agentId: undefined,
  });
});

Deno.test("security: /health and /metrics need the client key or the metrics token; /healthz and /readyz stay open", async () => {
  const get = async (url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { headers });
    const text = await res.text();
    return { status: res.status, text };
  };
  await using gw = await startGateway(
    configDoc({ client_auth: { api_keys: [{ id: "app", key_hash: sha("kt-client-key-ops") }] } }),
    { metricsToken: "kt-metrics-token-0123456789" },
  );
  for (const path of ["/health", "/metrics"]) {
    const anonymous = await get(gw.url + path);
    assert.equal(anonymous.status, 401, `${path} without credentials`);
    assert.equal(JSON.parse(anonymous.text).error.code, "missing_credentials");
    assert.ok(!anonymous.text.includes("mock-a"), "no target id leaks in the refusal");
    assert.equal((await get(gw.url + path, { authorization: "Bearer wrong" })).status, 401);
    const key = await get(gw.url + path, { authorization: "Bearer kt-client-key-ops" });
    assert.equal(key.status, 200, `${path} with a client key`);
    const token = await get(gw.url + path, { authorization: "Bearer kt-metrics-token-0123456789" });
    assert.equal(token.status, 200, `${path} with the metrics token`);
  }
  assert.match((await get(`${gw.url}/health`, { "x-api-key": "kt-client-key-ops" })).text, /"mock-a"/);
  for (const path of ["/healthz", "/readyz"]) assert.equal((await get(gw.url + path)).status, 200, path);

  // A metrics token without client_auth still closes the two documents.
  await using tokenOnly = await startGateway(configDoc(), { metricsToken: "kt-metrics-token-0123456789" });
  const refused = await get(`${tokenOnly.url}/metrics`);
  assert.equal(refused.status, 401);
  assert.match(JSON.parse(refused.text).error.message, /metrics token/);
  assert.equal(
    (await get(`${tokenOnly.url}/metrics`, { authorization: "Bearer kt-metrics-token-0123456789" }))
      .status,
    200,
  );
  // Neither configured: open (restrict the port instead; see SECURITY.md).
  await using open = await startGateway(configDoc());
  assert.equal((await get(`${open.url}/health`)).status, 200);
});

Deno.test("security: a provider echoing the key partially (prefix…last four), or base64, reaches no client or log", async () => {
  const secret = "sk-proj-abcDEF0123456789ghijklmnopQRSTuvwxyz";
  const echoes = [
    `Incorrect API key provided: ${secret.slice(0, 11)}…${secret.slice(-4)}`,
    `Incorrect API key provided: ${secret.slice(0, 8)}${"*".repeat(20)}${secret.slice(-4)}`,
    `key ending in …${secret.slice(-12)} was revoked`,
    `auth header was Basic ${btoa(`user:${secret}`)}`,
  ];
  await using up = startMockUpstream();
  await using gw = await startGateway(
    configDoc({
      providers: {
        fallback: { max_fallback_attempts: 0 },
        targets: [{
          id: "a",
          provider: "openai",
          base_url: up.baseUrl,
          secret_key_ref: { env: "KT_T_PARTIAL" },
        }],
      },
    }),
    { env: { KT_T_PARTIAL: secret } },
  );
  const bodies: string[] = [];
  for (const message of echoes) {
    up.failNext(401, 1, { body: { error: { message } } });
    const res = await gw.post("/v1/chat/completions", chat("x"));
    assert.equal(res.status, 401);
    bodies.push(await res.text());
  }
  const surfaces = [...bodies, gw.logs.join("\n"), JSON.stringify(gw.audit.events)];
  for (const text of surfaces) {
    for (let n = 8; n <= secret.length; n++) {
      assert.ok(!text.includes(secret.slice(0, n)), `a ${n}-character prefix leaked: ${text}`);
      assert.ok(!text.includes(secret.slice(-n)), `a ${n}-character suffix leaked: ${text}`);
    }
  }
  assert.match(bodies[0], /\[REDACTED\]/);
  assert.ok(!bodies[3].includes(btoa(`user:${secret}`).slice(8, 40)), "the base64 form is scrubbed");
});

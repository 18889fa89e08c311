/**
 * Runs `control_plane.ts serve` as a subprocess under exactly the permission
 * set of the `kt-control-plane` binary (`controlPlaneFlags` from
 * scripts/permissions.ts) and drives it over HTTP: SQLite always, PostgreSQL
 * when installed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { call, controlPlaneCommand, postgresBinDir, sampleConfig, startTestPostgres } from "./helpers.ts";

interface Proc {
  url: string;
  stderr: () => string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

async function spawnControlPlane(
  args: string[],
  env: Record<string, string>,
  dataDir: string,
): Promise<Proc> {
  const child = controlPlaneCommand(dataDir, ["serve", ...args], env).spawn();
  let err = "";
  let out = "";
  const decoder = new TextDecoder();
  const drain = async (stream: ReadableStream<Uint8Array>, onText: (t: string) => void) => {
    for await (const chunk of stream) onText(decoder.decode(chunk, { stream: true }));
  };
  const readers = [
    drain(child.stderr, (t) => void (err += t)),
    drain(child.stdout, (t) => void (out += t)),
  ];
  let exited = false;
  child.status.then(() => (exited = true));
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (!url && Date.now() < deadline) {
    const m = /"msg":"kt-control-plane listening","url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(err);
    if (m) url = m[1];
    else await new Promise((r) => setTimeout(r, 50));
    if (!url && exited) break; // a startup failure
  }
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // exited already
    }
    const status = await child.status;
    await Promise.all(readers);
    return status.code;
  };
  if (!url) {
    const code = await stop();
    throw new Error(`control plane did not start (exit ${code}):\n${err}\n${out}`);
  }
  return { url, stderr: () => err + out, stop };
}

async function drive(url: string, admin: string): Promise<void> {
  const gw = await call(url, "POST", "/v1/admin/gateways", { token: admin, json: { name: "edge" } });
  assert.equal(gw.status, 201, gw.text);
  assert.equal(
    (await call(url, "POST", "/v1/admin/configurations", {
      token: admin,
      body: sampleConfig("1.0.0"),
      headers: { "content-type": "application/yaml" },
    })).status,
    201,
  );
  assert.equal(
    (await call(url, "POST", "/v1/admin/configurations/rollout", {
      token: admin,
      json: { gateway_ids: [gw.body.id], version: "1.0.0" },
    })).status,
    200,
  );
  assert.equal(
    (await call(url, "POST", "/v1/config-variables", {
      token: admin,
      json: { name: "OPENAI_KEY", value: "sk-permission-test", sensitive: true },
    })).status,
    201,
  );
  const state = await call(url, "GET", `/v1/admin/configurations/gateways/${gw.body.id}/runtime-state`, {
    token: gw.body.token,
  });
  assert.equal(state.status, 200);
  assert.equal(state.body.desired_version, "1.0.0");
  const secret = await call(url, "GET", "/v1/gateway/config-variables/OPENAI_KEY", { token: gw.body.token });
  assert.equal(secret.body.value, "sk-permission-test");
  const status = await call(url, "POST", `/v1/admin/configurations/gateways/${gw.body.id}/status`, {
    token: gw.body.token,
    json: { status: "healthy", running_version: "1.0.0" },
  });
  assert.equal(status.status, 200);
  assert.equal((await call(url, "GET", "/readyz")).status, 200);
  assert.equal((await call(url, "GET", "/metrics")).status, 401, "metrics need a token");
  assert.equal((await call(url, "GET", "/metrics", { token: admin })).status, 200);
}

Deno.test("kt-control-plane serve under controlPlaneFlags: SQLite, generated key and bootstrap token, restart", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "kt-cp-perm-" });
  try {
    const first = await spawnControlPlane(["--listen", "127.0.0.1:0", "--data-dir", dataDir], {}, dataDir);
    let admin: string;
    try {
      const m = /(kt_admin_[A-Za-z0-9_-]{43})/.exec(first.stderr());
      assert.ok(m, `the bootstrap token is printed once on first start:\n${first.stderr()}`);
      admin = m[1];
      await drive(first.url, admin);
    } finally {
      assert.equal(await first.stop(), 0, "SIGTERM is a graceful exit 0");
    }
    assert.match(first.stderr(), /generated a key for sensitive config variables/);
    assert.equal((await Deno.stat(join(dataDir, "secret-encryption.key"))).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(join(dataDir, "kt-control-plane.db"))).mode! & 0o777, 0o600);
    assert.ok(!first.stderr().includes("sk-permission-test"), "secret values are never logged");
    const tokensInLog = first.stderr().match(/kt_(admin|gw)_[A-Za-z0-9_-]{43}/g) ?? [];
    assert.deepEqual(tokensInLog, [admin], "only the one-time bootstrap announcement shows a token");

    const second = await spawnControlPlane(["--listen", "127.0.0.1:0", "--data-dir", dataDir], {}, dataDir);
    try {
      assert.ok(!/kt_admin_/.test(second.stderr()), "no new bootstrap token on a non-empty database");
      const list = await call(second.url, "GET", "/v1/admin/configurations", { token: admin });
      assert.equal(list.status, 200);
      assert.equal(list.body.items[0].running_version, "1.0.0");
    } finally {
      assert.equal(await second.stop(), 0);
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("kt-control-plane refuses a data directory outside its permissions with one clear sentence", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "kt-cp-perm-" });
  const other = await Deno.makeTempDir({ prefix: "kt-cp-other-" });
  try {
    const out = await controlPlaneCommand(
      dataDir,
      ["serve", "--listen", "127.0.0.1:0", "--data-dir", other],
      {},
    )
      .output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, err);
    assert.match(
      err,
      /cannot access .*secret-encryption\.key: kt-control-plane may only read and write its data directory/,
    );
    assert.ok(!/--allow-read/.test(err), "no raw runtime permission advice");
    assert.ok(!/at .*\.ts:\d+/.test(err), "no stack trace");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(other, { recursive: true });
  }
});

const pgBin = postgresBinDir();

Deno.test({
  name: pgBin
    ? "kt-control-plane serve under controlPlaneFlags with PostgreSQL"
    : "kt-control-plane serve under controlPlaneFlags with PostgreSQL (skipped: no postgres)",
  ignore: !pgBin,
  fn: async () => {
    const pg = await startTestPostgres(pgBin!);
    const dataDir = await Deno.makeTempDir({ prefix: "kt-cp-perm-" });
    try {
      const database = await pg.createDatabase();
      const admin = "kt_admin_permission-test-bootstrap-0123456789";
      const proc = await spawnControlPlane(["--listen", "127.0.0.1:0", "--data-dir", dataDir], {
        KEEPTRUSTS_DATABASE_URL: database,
        KEEPTRUSTS_BOOTSTRAP_ADMIN_TOKEN: admin,
        KEEPTRUSTS_SECRET_ENCRYPTION_KEY: btoa("k".repeat(32)),
      }, dataDir);
      try {
        assert.match(proc.stderr(), /"database":"postgres"/);
        await drive(proc.url, admin);
      } finally {
        assert.equal(await proc.stop(), 0);
      }
      assert.ok(!proc.stderr().includes(admin), "a bootstrap token from the environment is never printed");
    } finally {
      await pg.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

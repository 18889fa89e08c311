/**
 * `kt-control-plane migrate` and `token create` as subprocesses under the
 * binary's permission set: both open the store that `--database` /
 * `--data-dir` (or `KEEPTRUSTS_DATABASE_URL` / `KEEPTRUSTS_DATA_DIR`) name,
 * and warn when a database password is given as a flag.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { authenticateToken } from "../../src/control_plane/auth.ts";
import { openSqliteStore } from "../../src/control_plane/store/sqlite.ts";
import { controlPlaneCommand } from "./helpers.ts";

async function controlPlane(
  dataDir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await controlPlaneCommand(dataDir, args, env).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("kt-control-plane migrate and token create open the store their flags or environment name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kt-cp-cli-" });
  try {
    const dataDir = join(dir, "data");
    const dbFile = join(dataDir, "kt-control-plane.db");

    // --data-dir: the SQLite file is created there.
    const migrate = await controlPlane(dir, ["migrate", "--data-dir", dataDir]);
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(migrate.stderr, new RegExp(`the sqlite database at ${dbFile} is up to date`));
    assert.ok((await Deno.stat(dbFile)).isFile);

    // KEEPTRUSTS_DATA_DIR names the same store when no flag does.
    const created = await controlPlane(
      dir,
      ["token", "create", "--name", "ops", "--scopes", "gateways:read"],
      {
        KEEPTRUSTS_DATA_DIR: dataDir,
      },
    );
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.match(token, /^kt_admin_/);
    assert.match(created.stderr, /created admin token tok_\w+ \(gateways:read\); shown once/);

    // --database names the file directly (and beats the environment).
    const second = await controlPlane(dir, ["token", "create", "--name", "ci", "--database", dbFile], {
      KEEPTRUSTS_DATA_DIR: join(dir, "elsewhere"),
    });
    assert.equal(second.code, 0, second.stderr);

    const store = await openSqliteStore(dbFile);
    try {
      const ops = await authenticateToken(store, token);
      assert.deepEqual([...ops!.scopes], ["gateways:read"]);
      const ci = await authenticateToken(store, second.stdout.trim());
      assert.equal(ci?.name, "ci");
      assert.ok(ci!.scopes.has("configurations:write"), "all admin scopes by default");
      const audit = await store.queryAudit({ action: "token_created", limit: 10 });
      assert.deepEqual(audit.map((e) => [e.subject, e.tokenId]).reverse(), [[ops!.tokenId, null], [
        ci!.tokenId,
        null,
      ]]);
    } finally {
      await store.close();
    }
    await assert.rejects(Deno.stat(join(dir, "elsewhere")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kt-control-plane migrate warns when --database carries a password, and never prints it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kt-cp-cli-" });
  try {
    const r = await controlPlane(dir, [
      "migrate",
      "--database",
      "postgres://kt:hunter2-flag-secret@127.0.0.1:1/kt",
      "--data-dir",
      dir,
    ]);
    assert.equal(r.code, 1, "nothing listens on port 1");
    assert.match(r.stderr, /--database URL contains a password, visible in the process list/);
    assert.ok(!r.stderr.includes("hunter2-flag-secret"), r.stderr);
    const fromEnv = await controlPlane(dir, ["migrate", "--data-dir", dir], {
      KEEPTRUSTS_DATABASE_URL: "postgres://kt:hunter2-env-secret@127.0.0.1:1/kt",
    });
    assert.equal(fromEnv.code, 1);
    assert.ok(!fromEnv.stderr.includes("visible in the process list"), "the environment is the safe place");
    assert.ok(!fromEnv.stderr.includes("hunter2-env-secret"), fromEnv.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kt-control-plane serve refuses a malformed --event-rate-limit or --event-clock-skew (exit 2)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kt-cp-cli-" });
  try {
    for (const [flag, value] of [["--event-rate-limit", "fast"], ["--event-clock-skew", "-5"]]) {
      const r = await controlPlane(dir, ["serve", "--data-dir", dir, "--listen", "127.0.0.1:0", flag, value]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`${flag} must be a whole number, 0 or more \\(got "${value}"\\)`));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

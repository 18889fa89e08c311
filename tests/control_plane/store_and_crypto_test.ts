/** Store migrations, concurrency and the at-rest encryption of config variables. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  generateToken,
  hashToken,
  loadSecretBox,
  SecretBox,
  SecretDecryptionError,
} from "../../src/control_plane/crypto.ts";
import { MIGRATIONS } from "../../src/control_plane/store/migrations.ts";
import { checkMigration3 } from "./migration_checks.ts";
import { openSqliteStore } from "../../src/control_plane/store/sqlite.ts";
import { toPostgresPlaceholders } from "../../src/control_plane/store/postgres.ts";
import { parseListen } from "../../src/control_plane/serve.ts";
import { parseDuration, parseSince } from "../../src/control_plane/http.ts";
import { validatePushedConfig } from "../../src/control_plane/config_validation.ts";

async function tempDb(): Promise<{ dir: string; path: string }> {
  const dir = await Deno.makeTempDir({ prefix: "kt-cp-store-" });
  return { dir, path: join(dir, "kt-control-plane.db") };
}

Deno.test("migrations: recorded once, re-opening is a no-op, a newer schema is refused", async () => {
  const { dir, path } = await tempDb();
  try {
    const store = await openSqliteStore(path);
    assert.deepEqual(await store.migrate(), [], "already applied on open");
    await store.close();
    const db = new DatabaseSync(path);
    const rows = db.prepare("SELECT version FROM schema_migrations ORDER BY version").all() as Array<
      { version: number }
    >;
    assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')").run();
    db.close();
    await assert.rejects(openSqliteStore(path), /newer than this kt-control-plane knows/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("migration 3 on SQLite: full admin tokens keep every scope, others gain nothing", async () => {
  const { dir, path } = await tempDb();
  try {
    const db = new DatabaseSync(path);
    await checkMigration3("sqlite", (sql, params = []) => {
      db.prepare(sql).run(...params);
      return Promise.resolve();
    }, () => {
      db.close();
      return openSqliteStore(path);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("concurrent pushes of one version store exactly one record", async () => {
  const { dir, path } = await tempDb();
  const store = await openSqliteStore(path);
  try {
    const record = (content: string) => ({
      version: "1.0.0",
      name: "p",
      format: "yaml" as const,
      content,
      digest: `sha256:${content.length}`,
      sizeBytes: content.length,
      signature: null,
      storeRefs: [],
      createdAt: new Date().toISOString(),
      createdBy: null,
    });
    const results = await Promise.all(
      [record("a"), record("bb"), record("a"), record("ccc")].map((r) => store.insertConfigVersion(r)),
    );
    assert.equal(results.filter((r) => r.inserted).length, 1);
    const winner = results.find((r) => r.inserted)!.record.content;
    assert.ok(results.every((r) => r.record.content === winner), "losers see the stored record");
    assert.equal((await store.listConfigVersions()).length, 1);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SecretBox: round trip, bound to the name, tamper and wrong key detected", async () => {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const box = await SecretBox.fromRawKey(key);
  const envelope = await box.encrypt("OPENAI_KEY", "sk-secret");
  assert.match(envelope, /^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  assert.notEqual(await box.encrypt("OPENAI_KEY", "sk-secret"), envelope, "random nonce per value");
  assert.equal(await box.decrypt("OPENAI_KEY", envelope), "sk-secret");
  await assert.rejects(box.decrypt("OTHER", envelope), SecretDecryptionError);
  const parts = envelope.split(".");
  const tampered = [...parts.slice(0, 3), parts[3].slice(0, -2) + (parts[3].endsWith("AA") ? "BA" : "AA")]
    .join(".");
  await assert.rejects(box.decrypt("OPENAI_KEY", tampered), SecretDecryptionError);
  const other = await SecretBox.fromRawKey(crypto.getRandomValues(new Uint8Array(32)));
  await assert.rejects(other.decrypt("OPENAI_KEY", envelope), /encrypted with key/);
  await assert.rejects(SecretBox.fromRawKey(new Uint8Array(16)), /32 bytes/);
});

Deno.test("loadSecretBox: env, file, generated once with 0600 and reused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kt-cp-key-" });
  try {
    const b64 = btoa(String.fromCharCode(...new Uint8Array(32).fill(9)));
    const fromEnv = await loadSecretBox({
      dataDir: dir,
      env: (n) => (n === "KEEPTRUSTS_SECRET_ENCRYPTION_KEY" ? b64 : undefined),
    });
    assert.equal(fromEnv.source, "env");
    await assert.rejects(
      loadSecretBox({
        dataDir: dir,
        env: (n) => (n === "KEEPTRUSTS_SECRET_ENCRYPTION_KEY" ? "c2hvcnQ=" : undefined),
      }),
      /32 bytes/,
    );
    const keyFile = join(dir, "k");
    await Deno.writeTextFile(keyFile, b64 + "\n");
    const fromFile = await loadSecretBox({
      dataDir: dir,
      env: (n) => (n === "KEEPTRUSTS_SECRET_ENCRYPTION_KEY_FILE" ? keyFile : undefined),
    });
    assert.equal(fromFile.box.keyId, fromEnv.box.keyId);
    const warnings: string[] = [];
    const generated = await loadSecretBox({
      dataDir: join(dir, "data"),
      env: () => undefined,
      warn: (m) => warnings.push(m),
    });
    assert.equal(generated.source, "generated");
    assert.equal(warnings.length, 1);
    assert.equal((await Deno.stat(join(dir, "data", "secret-encryption.key"))).mode! & 0o777, 0o600);
    const reused = await loadSecretBox({ dataDir: join(dir, "data"), env: () => undefined });
    assert.equal(reused.source, "data-dir");
    assert.equal(reused.box.keyId, generated.box.keyId);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tokens: prefixed, 256-bit, hashed", () => {
  const a = generateToken("admin");
  const g = generateToken("gateway");
  assert.match(a, /^kt_admin_[A-Za-z0-9_-]{43}$/);
  assert.match(g, /^kt_gw_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(generateToken("admin"), a);
  assert.match(hashToken(a), /^[0-9a-f]{64}$/);
});

Deno.test("small parsers: listen addresses, durations, since, placeholders", () => {
  assert.deepEqual(parseListen("0.0.0.0:8081"), { hostname: "0.0.0.0", port: 8081 });
  assert.deepEqual(parseListen("[::1]:9"), { hostname: "::1", port: 9 });
  assert.deepEqual(parseListen(":8081"), { hostname: "0.0.0.0", port: 8081 });
  assert.throws(() => parseListen("8081"));
  assert.throws(() => parseListen("host:99999"));
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("2h"), 7_200_000);
  assert.equal(parseDuration("1d"), 86_400_000);
  assert.equal(parseDuration("soon"), null);
  const now = new Date("2026-03-20T12:00:00Z");
  assert.equal(parseSince("5m", now).toISOString(), "2026-03-20T11:55:00.000Z");
  assert.equal(parseSince("2026-03-20T13:00:00+02:00", now).toISOString(), "2026-03-20T11:00:00.000Z");
  assert.throws(() => parseSince("2026-03-20", now));
  assert.equal(toPostgresPlaceholders("a = ? AND b IN (?, ?)"), "a = $1 AND b IN ($2, $3)");
});

Deno.test("push validation: gateway-side variables are warnings, store refs are collected", () => {
  const ok = validatePushedConfig(`pack: { name: p, version: 1.2.3, enabled: true }
providers:
  targets:
    - id: a
      provider: openai
      base_url: \${UPSTREAM_URL}
      model: \${MODEL:-gpt-4o-mini}
      secret_key_ref: { store: KEY_A }
    - id: b
      provider: anthropic
      secret_key_ref: { store: KEY_B }
`);
  assert.ok(ok.ok, JSON.stringify(ok));
  if (ok.ok) {
    assert.equal(ok.version, "1.2.3");
    assert.deepEqual(ok.storeRefs, ["KEY_A", "KEY_B"]);
    assert.deepEqual(ok.warnings.map((w) => w.code), ["E007"]);
  }
  const bad = validatePushedConfig(
    "pack: { name: p, version: one, enabled: true }\nproviders: { targets: [] }\n",
  );
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.deepEqual(bad.errors.map((e) => e.path).sort(), ["pack.version", "providers.targets"]);
});

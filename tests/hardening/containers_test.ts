/**
 * Static checks of the container artifacts (no Docker engine here): the
 * distroless Dockerfile, .dockerignore and deploy/docker-compose.yml carry the
 * hardening SECURITY.md promises.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  body: Instruction[];
}

/** Dockerfile → stages of instructions (line continuations joined, comments dropped). */
function dockerfileStages(text: string): Stage[] {
  const joined = text.split("\n").filter((l) => !/^\s*#/.test(l)).join("\n").replace(/\\\n/g, " ");
  const stages: Stage[] = [];
  for (const raw of joined.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    const [, op, args] = line.match(/^(\w+)\s+(.*)$/)!;
    if (op.toUpperCase() === "FROM") {
      const m = args.match(/^(\S+)(?:\s+AS\s+(\S+))?/i)!;
      stages.push({ from: m[1], name: m[2], body: [] });
    } else if (stages.length) stages.at(-1)!.body.push({ op: op.toUpperCase(), args: args.trim() });
  }
  return stages;
}

const get = (stage: Stage, op: string) => stage.body.filter((i) => i.op === op).map((i) => i.args);

Deno.test("Dockerfile.distroless: builder compiles, runtime stages are distroless nonroot with exec-form commands", async () => {
  const stages = dockerfileStages(await Deno.readTextFile(`${ROOT}Dockerfile.distroless`));
  const builder = stages.find((s) => s.name === "builder")!;
  assert.ok(get(builder, "RUN").some((r) => r.includes("deno task compile")));

  const gateway = stages.at(-1)!; // default target
  assert.equal(gateway.name, "gateway");
  const cp = stages.find((s) => s.name === "control-plane")!;
  for (const stage of [gateway, cp]) {
    assert.equal(stage.from, "gcr.io/distroless/cc-debian12:nonroot");
    assert.deepEqual(get(stage, "USER"), ["nonroot:nonroot"]);
    assert.deepEqual(get(stage, "RUN"), [], "a distroless stage has no shell to RUN in");
    // Exec form (JSON arrays): there is no /bin/sh to interpret shell form.
    for (const op of ["ENTRYPOINT", "CMD"]) assert.ok(Array.isArray(JSON.parse(get(stage, op)[0])), op);
    const health = get(stage, "HEALTHCHECK")[0];
    const cmd = JSON.parse(health.slice(health.indexOf("CMD ") + 4));
    assert.deepEqual(cmd.slice(0, 2), ["kt", "healthcheck"]);
    for (const env of get(stage, "ENV").concat(get(stage, "ARG"))) {
      assert.ok(!/TOKEN|SECRET|PASSWORD|API_KEY/i.test(env), `secret-looking ENV/ARG in image: ${env}`);
    }
  }
  assert.deepEqual(JSON.parse(get(gateway, "ENTRYPOINT")[0]), ["kt"]);
  assert.deepEqual(JSON.parse(get(gateway, "CMD")[0]), [
    "gateway",
    "run",
    "--policy-config",
    "/etc/keeptrusts/policy-config.yaml",
  ]);
  assert.deepEqual(get(gateway, "EXPOSE"), ["41002"]);
  assert.ok(get(gateway, "COPY").some((c) => c.endsWith("/src/dist/kt /usr/local/bin/kt")));
  assert.deepEqual(JSON.parse(get(cp, "ENTRYPOINT")[0]), ["kt-control-plane"]);
  assert.deepEqual(get(cp, "EXPOSE"), ["8081"]);
  assert.deepEqual(get(cp, "VOLUME"), ['["/var/lib/keeptrusts"]']);
});

Deno.test(".dockerignore is an allow-list that keeps secrets and build output out of the context", async () => {
  const lines = (await Deno.readTextFile(`${ROOT}.dockerignore`)).split("\n").map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  assert.equal(lines[0], "*");
  for (const needed of ["!deno.json", "!deno.lock", "!main.ts", "!control_plane.ts", "!src/", "!scripts/"]) {
    assert.ok(lines.includes(needed), needed);
  }
  for (const never of ["**/*.env", "**/*.pem", "**/*.key", "**/*.db"]) {
    assert.ok(lines.includes(never), never);
  }
});

// deno-lint-ignore no-explicit-any
type Any = any;

Deno.test("docker-compose.yml: every service hardened, secrets as files, internal networks", async () => {
  const compose = parse(await Deno.readTextFile(`${ROOT}deploy/docker-compose.yml`), { merge: true }) as Any;
  const services = compose.services as Record<string, Any>;
  assert.deepEqual(Object.keys(services).sort(), ["keeptrusts-api", "keeptrusts-gateway", "postgres"]);
  for (const [name, svc] of Object.entries(services)) {
    assert.equal(svc.read_only, true, `${name} read_only`);
    assert.ok(svc.tmpfs.includes("/tmp:noexec,nosuid,size=64m"), `${name} tmpfs`);
    assert.deepEqual(svc.cap_drop, ["ALL"], `${name} cap_drop`);
    assert.ok(!svc.cap_add, `${name} cap_add`);
    assert.ok(!svc.privileged, `${name} privileged`);
    assert.deepEqual(svc.security_opt, ["no-new-privileges:true"], `${name} security_opt`);
    assert.deepEqual(svc.ulimits.nofile, { soft: 65536, hard: 65536 }, `${name} nofile`);
    assert.ok(svc.deploy.resources.limits.memory && svc.deploy.resources.limits.cpus, `${name} limits`);
    assert.ok(svc.deploy.resources.reservations.memory, `${name} reservations`);
    assert.ok(svc.healthcheck?.test?.[0] === "CMD", `${name} healthcheck (exec form)`);
    assert.ok(!String(svc.user ?? "").startsWith("0"), `${name} runs as root`);
    for (const [key, value] of Object.entries(svc.environment ?? {})) {
      if (/TOKEN|ENCRYPTION_KEY|PASSWORD/.test(key) && !key.endsWith("_FILE")) {
        assert.fail(`${name}: secret ${key} in the environment; use a *_FILE secret`);
      }
      if (key.endsWith("_FILE")) assert.match(String(value), /^\/run\/secrets\/\w+$/, key);
      if (/_API_KEY$|DATABASE_URL$/.test(key)) {
        assert.match(String(value), /\$\{/, `${key} must come from the operator's environment, not the file`);
      }
    }
  }
  const gw = services["keeptrusts-gateway"];
  assert.deepEqual(gw.healthcheck.test, ["CMD", "kt", "healthcheck"]);
  assert.equal(gw.environment.KEEPTRUSTS_GATEWAY_TOKEN_FILE, "/run/secrets/gateway_token");
  assert.ok(gw.secrets.includes("gateway_token"));
  assert.deepEqual(gw.networks.sort(), ["backend", "frontend"]);
  assert.deepEqual(services["keeptrusts-api"].networks.sort(), ["backend", "database"]);
  assert.deepEqual(services.postgres.networks, ["database"]);
  assert.equal(compose.networks.backend.internal, true);
  assert.equal(compose.networks.database.internal, true);
  assert.ok(!compose.networks.frontend.internal);
  for (const [name, secret] of Object.entries(compose.secrets as Record<string, Any>)) {
    assert.match(secret.file, /^\.\/secrets\/\w+\.txt$/, name);
  }
  assert.ok(gw.volumes.includes("./config:/etc/keeptrusts:ro"));
});

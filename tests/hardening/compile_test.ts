/**
 * The release binaries get exactly the permission module's flags, and the
 * compile script explains a missing denort instead of dumping a stack.
 * (The binaries themselves cannot be built here: see DENO_NOTES "deno compile".)
 */
import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { CONTROL_PLANE_DATA_DIR, controlPlaneFlags, gatewayFlags } from "../../scripts/permissions.ts";
import { BINARIES, compileArgs, ENTRYPOINTS, INCLUDES, renderCommand } from "../../scripts/compile.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));
const SCRIPT = fromFileUrl(new URL("../../scripts/compile.ts", import.meta.url));

/** The flags between `compile` and the first compile-only option. */
function permissionPart(argv: string[]): string[] {
  const end = argv.findIndex((a) => a === "--include" || a === "--target" || a === "--output");
  return argv.slice(1, end);
}

Deno.test("compile argv of kt bakes exactly gatewayFlags()", () => {
  const argv = compileArgs("kt", { root: ROOT });
  assert.equal(argv[0], "compile");
  assert.deepEqual(permissionPart(argv), gatewayFlags());
  assert.deepEqual(argv.slice(-3), ["--output", "dist/kt", "main.ts"]);
});

Deno.test("compile argv of kt-control-plane bakes exactly controlPlaneFlags()", () => {
  const argv = compileArgs("kt-control-plane", { root: ROOT });
  assert.deepEqual(permissionPart(argv), controlPlaneFlags({ dataDir: CONTROL_PLANE_DATA_DIR }));
  assert.deepEqual(argv.slice(-3), ["--output", "dist/kt-control-plane", "control_plane.ts"]);
});

Deno.test("gateway flags never grant write, run, ffi or sys, and never prompt", () => {
  const flags = gatewayFlags();
  for (const f of ["--deny-write", "--deny-run", "--deny-ffi", "--deny-sys", "--no-prompt"]) {
    assert.ok(flags.includes(f), `${f} missing`);
  }
  for (const f of flags) {
    assert.ok(!/^--allow-(write|run|ffi|sys|all)\b/.test(f) && f !== "-A", `unexpected grant ${f}`);
  }
});

Deno.test("--include lists only worker modules that exist; --target and --out-dir pass through", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.ok(!compileArgs("kt", { root: dir }).includes("--include"));
    for (const inc of INCLUDES.kt) {
      await Deno.mkdir(`${dir}/${inc.slice(0, inc.lastIndexOf("/"))}`, { recursive: true });
      await Deno.writeTextFile(`${dir}/${inc}`, "");
    }
    const argv = compileArgs("kt", { root: dir, target: "aarch64-unknown-linux-gnu", outDir: "out" });
    for (const inc of INCLUDES.kt) assert.equal(argv[argv.indexOf(inc) - 1], "--include");
    assert.equal(argv[argv.indexOf("--target") + 1], "aarch64-unknown-linux-gnu");
    assert.deepEqual(argv.slice(-3), ["--output", "out/kt", "main.ts"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compile --dry-run prints both commands and builds nothing", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-run",
      SCRIPT,
      "--dry-run",
      "--target",
      "x86_64-unknown-linux-gnu",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  for (const binary of BINARIES) {
    const expected = `$ deno ${
      renderCommand(compileArgs(binary, { root: ROOT, target: "x86_64-unknown-linux-gnu" }))
    }`;
    assert.ok(stdout.split("\n").includes(expected), `missing line:\n${expected}\nin:\n${stdout}`);
  }
});

Deno.test("a compile without denort fails with one clear sentence naming DENORT_BIN", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const binary of BINARIES) {
      await Deno.writeTextFile(`${dir}/${ENTRYPOINTS[binary]}`, "console.log(1);\n");
    }
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-env",
        "--allow-run",
        `--allow-write=${dir}`,
        SCRIPT,
        "--only",
        "kt",
      ],
      cwd: dir,
      env: { DENORT_BIN: `${dir}/no-such-denort` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1);
    assert.match(
      stderr,
      /compile: building kt failed: deno compile could not use DENORT_BIN=.*no-such-denort/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

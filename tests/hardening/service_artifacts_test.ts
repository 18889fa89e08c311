/**
 * `kt service systemd|apparmor` print exactly the files under deploy/ (SPEC 1.5):
 * the embedded module must be regenerated whenever those files change.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ARTIFACTS, generateModule, MODULE_PATH } from "../../scripts/sync_artifacts.ts";
import * as embedded from "../../src/cli/service_artifacts.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
const FIX = "run: deno run --allow-read --allow-write scripts/sync_artifacts.ts";

Deno.test("src/cli/service_artifacts.ts is what sync_artifacts.ts generates from deploy/", async () => {
  assert.equal(
    await Deno.readTextFile(`${ROOT}/${MODULE_PATH}`),
    generateModule(ROOT),
    `out of date; ${FIX}`,
  );
});

Deno.test("every embedded artifact equals its file byte for byte", async () => {
  for (const [name, path] of Object.entries(ARTIFACTS)) {
    const value = (embedded as Record<string, string>)[name];
    assert.equal(value, await Deno.readTextFile(`${ROOT}/${path}`), `${name} differs from ${path}; ${FIX}`);
  }
});

async function runService(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = `
    import { serviceCommand } from ${JSON.stringify(`${ROOT}/src/cli/commands/service.ts`)};
    await serviceCommand().parseAsync(${JSON.stringify(args)}, { from: "user" });
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-prompt", script],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

const CASES: Array<[string[], string]> = [
  [["systemd"], "deploy/systemd/kt.service"],
  [["systemd", "--control-plane"], "deploy/systemd/kt-control-plane.service"],
  [["apparmor"], "deploy/apparmor/kt"],
  [["apparmor", "--control-plane"], "deploy/apparmor/kt-control-plane"],
];

for (const [args, path] of CASES) {
  Deno.test(`kt service ${args.join(" ")} prints ${path} exactly`, async () => {
    const { code, stdout, stderr } = await runService(args);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, await Deno.readTextFile(`${ROOT}/${path}`));
  });
}

Deno.test("sync_artifacts.ts --check passes on the committed tree", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", `${ROOT}/scripts/sync_artifacts.ts`, "--check"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
});

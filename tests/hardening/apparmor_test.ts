/**
 * The AppArmor profiles compile (`apparmor_parser -Q -K`: parse and build
 * without loading into the kernel) and grant no more than SECURITY.md says.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const DIR = fileURLToPath(new URL("../../deploy/apparmor/", import.meta.url));

function findParser(): string | undefined {
  for (const p of ["/usr/sbin/apparmor_parser", "/sbin/apparmor_parser", "/usr/bin/apparmor_parser"]) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch { /* next */ }
  }
  return undefined;
}
const PARSER = findParser();

async function parse(path: string) {
  const out = await new Deno.Command(PARSER!, { args: ["-Q", "-K", path], stdout: "piped", stderr: "piped" })
    .output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** Rule lines of a profile body (comments and blanks dropped, trailing comma removed). */
function rules(text: string): string[] {
  return text.split("\n").map((l) => l.replace(/#.*$/, "").trim()).filter((l) => l.endsWith(","))
    .map((l) => l.slice(0, -1).trim());
}

/** Thread names (Rust/V8 name their threads through /proc/self/task/<tid>/comm). */
const COMM = /^owner @\{PROC\}\/@\{pid\}\/task\/@\{tid\}\/comm rw$/;

const PROFILES = [
  { file: "kt", binary: "/usr/local/bin/kt", writable: [/^owner \/tmp\/\*\* rw$/, COMM] },
  {
    file: "kt-control-plane",
    binary: "/usr/local/bin/kt-control-plane",
    writable: [
      COMM,
      /^owner \/tmp\/\*\* rw$/,
      /^owner \/var\/lib\/(private\/)?keeptrusts\/\*\* rwk$/,
      /^\/run\/postgresql\/\.s\.PGSQL\.\* rw$/,
    ],
  },
];

for (const profile of PROFILES) {
  Deno.test({
    name: `apparmor_parser -Q -K accepts deploy/apparmor/${profile.file}`,
    ignore: !PARSER,
    async fn() {
      const { code, stderr } = await parse(`${DIR}${profile.file}`);
      assert.equal(code, 0, stderr);
    },
  });

  Deno.test(`deploy/apparmor/${profile.file} allows only its config, binary and TCP; denies environ`, async () => {
    const text = await Deno.readTextFile(`${DIR}${profile.file}`);
    const r = rules(text);
    assert.match(
      text,
      new RegExp(`^profile ${profile.file} ${profile.binary} flags=\\(enforce\\) \\{$`, "m"),
    );
    for (
      const rule of [
        `${profile.binary} mr`,
        "/etc/keeptrusts/** r",
        "network inet stream",
        "network inet6 stream",
        "deny @{PROC}/*/environ r",
        "deny network raw",
        "deny capability",
        "deny ptrace",
        "deny /** x",
      ]
    ) assert.ok(r.includes(rule), `missing rule: ${rule}`);
    // Every rule that grants write (w/a/k on a path) is one of the expected ones.
    const writers = r.filter((l) =>
      !l.startsWith("deny ") && /^(owner )?[/@]\S*\s+[a-z]*[wa][a-z]*$/.test(l)
    );
    for (const w of writers) {
      assert.ok(profile.writable.some((re) => re.test(w)), `unexpected write rule: ${w}`);
    }
    // No exec transitions at all.
    assert.ok(
      !r.some((l) => !l.startsWith("deny ") && /\s[a-z]*[uicp]?x[a-z]*$/.test(l)),
      "profile grants exec",
    );
  });
}

Deno.test({
  name: "apparmor_parser rejects a broken profile (the check is not vacuous)",
  ignore: !PARSER,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/bad`, "profile bad {\n  bogus_rule /foo,\n}\n");
      const { code } = await parse(`${dir}/bad`);
      assert.notEqual(code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

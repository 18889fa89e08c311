/**
 * `kt policy lint` and `kt policy test` (SPEC 1.2).
 *
 * Both are also exported as functions that take parsed options and return
 * `{code, stdout, stderr}`, so tests run them without spawning processes.
 *
 * @module
 */
import { Command } from "commander";
import { lintConfig, loadConfig } from "../../config/load.ts";
import { ConfigError, type ConfigIssue, formatIssue } from "../../config/errors.ts";
import { compileChain } from "../../policy/engine.ts";
import { policyKindInfo } from "../../policy/registry.ts";
import {
  type GoldenCaseInput,
  goldenPassed,
  type GoldenResult,
  goldenShapeError,
  runGoldenCase,
} from "../../policy/golden.ts";
import { CliError } from "../errors.ts";

/** What a CLI run produced. */
export interface CliRunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link runPolicyLint}. */
export interface PolicyLintOptions {
  file: string;
  json?: boolean;
  /** Reads the file (default: Deno.readTextFile; `-` reads standard input). */
  readFile?: (path: string) => Promise<string>;
  env?: (name: string) => string | undefined;
}

function permissionSentence(path: string, err: unknown): string | null {
  if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
    return `kt may not read ${path} here (the binary reads only /etc/keeptrusts): move the file there, or pipe it in with --file - < ${path}`;
  }
  if (err instanceof Deno.errors.NotFound) return `${path}: no such file`;
  if (err instanceof Deno.errors.IsADirectory) return `${path} is a directory, not a file`;
  return null;
}

async function defaultRead(path: string): Promise<string> {
  if (path === "-") return await new Response(Deno.stdin.readable).text();
  return await Deno.readTextFile(path);
}

function issueJson(i: ConfigIssue): Record<string, unknown> {
  return {
    code: i.code,
    path: i.path,
    message: i.message,
    suggestion: i.hint ?? null,
    ...(i.line !== undefined ? { line: i.line, column: i.column ?? 1 } : {}),
  };
}

/** `kt policy lint`: exit 0 valid, 2 invalid (or unreadable). */
export async function runPolicyLint(opts: PolicyLintOptions): Promise<CliRunResult> {
  const read = opts.readFile ?? defaultRead;
  const name = opts.file === "-" ? "<stdin>" : opts.file;
  let text: string;
  try {
    text = await read(opts.file);
  } catch (err) {
    const msg = permissionSentence(opts.file, err) ??
      `${opts.file}: cannot read (${err instanceof Error ? err.message : String(err)})`;
    if (opts.json) {
      const doc = {
        valid: false,
        file: name,
        errors: [{ code: "E009", path: "", message: msg, suggestion: null }],
      };
      return { code: 2, stdout: JSON.stringify(doc, null, 2) + "\n", stderr: "" };
    }
    return { code: 2, stdout: "", stderr: `kt: ${msg}\n` };
  }
  const result = lintConfig([{ name, text }], { policyKinds: policyKindInfo(), env: opts.env });
  const errors = result.issues.filter((i) => i.severity === "error");
  const warnings = result.issues.filter((i) => i.severity === "warning");
  const valid = errors.length === 0 && result.config !== undefined;
  if (opts.json) {
    const doc = valid
      ? {
        valid: true,
        file: name,
        pack: { name: result.config!.pack.name, version: result.config!.pack.version },
        chain: result.config!.policies.chain,
        policy_count: result.config!.policies.chain.length,
        warnings: warnings.map(issueJson),
      }
      : { valid: false, file: name, errors: errors.map(issueJson), warnings: warnings.map(issueJson) };
    return { code: valid ? 0 : 2, stdout: JSON.stringify(doc, null, 2) + "\n", stderr: "" };
  }
  const lines = [...errors, ...warnings].map((i) => formatIssue(i));
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  if (valid) {
    const c = result.config!;
    lines.push(
      `${name}: valid — pack ${c.pack.name} ${c.pack.version}, chain [${c.policies.chain.join(", ")}], ` +
        `${plural(c.policies.chain.length, "policy")}`.replace("policys", "policies") +
        `, ${plural(warnings.length, "warning")}`,
    );
  } else {
    lines.push(`${name}: invalid — ${plural(errors.length, "error")}, ${plural(warnings.length, "warning")}`);
  }
  return { code: valid ? 0 : 2, stdout: lines.join("\n") + "\n", stderr: "" };
}

/** Options of {@link runPolicyTest}. */
export interface PolicyTestOptions {
  packDir?: string;
  json?: boolean;
  env?: (name: string) => string | undefined;
}

const CONFIG_NAMES = ["policy-config.yaml", "policy-config.yml", "policy-config.json"];

function join(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/** Reads and validates the pack's config and its `tests/*.json` cases. */
async function readPack(dir: string): Promise<{ configPath: string; configText: string; cases: string[] }> {
  let configPath = "";
  let configText = "";
  for (const n of CONFIG_NAMES) {
    try {
      configText = await Deno.readTextFile(join(dir, n));
      configPath = join(dir, n);
      break;
    } catch (err) {
      const sentence = err instanceof Deno.errors.NotFound ? null : permissionSentence(join(dir, n), err);
      if (sentence) throw new CliError(sentence, 2);
    }
  }
  if (!configPath) {
    throw new CliError(`${dir}: no policy-config.yaml found (create one with kt init --dir ${dir})`, 2);
  }
  const cases: string[] = [];
  try {
    for await (const e of Deno.readDir(join(dir, "tests"))) {
      if (e.isFile && e.name.endsWith(".json")) cases.push(e.name);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new CliError(permissionSentence(join(dir, "tests"), err) ?? String(err), 2);
    }
  }
  cases.sort();
  return { configPath, configText, cases };
}

/** `kt policy test`: exit 0 when every case passes, 1 when one fails, 2 when the pack is invalid. */
export async function runPolicyTest(opts: PolicyTestOptions = {}): Promise<CliRunResult> {
  const dir = opts.packDir ?? ".";
  let pack;
  try {
    pack = await readPack(dir);
  } catch (err) {
    if (err instanceof CliError) return { code: err.exitCode, stdout: "", stderr: `kt: ${err.message}\n` };
    throw err;
  }
  let loaded;
  try {
    loaded = loadConfig([{ name: pack.configPath, text: pack.configText }], {
      policyKinds: policyKindInfo(),
      env: opts.env,
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      return {
        code: 2,
        stdout: "",
        stderr: err.issues.map((i) => `kt: ${formatIssue(i)}`).join("\n") + "\n",
      };
    }
    throw err;
  }
  const chain = compileChain(loaded.config, { failMode: "block" });
  const results: GoldenResult[] = [];
  for (const file of pack.cases) {
    const path = join(join(dir, "tests"), file);
    let parsed: unknown;
    let error: string | null = null;
    try {
      parsed = JSON.parse(await Deno.readTextFile(path));
      error = goldenShapeError(parsed);
    } catch (err) {
      error = err instanceof SyntaxError ? `not valid JSON: ${err.message}` : String(err);
    }
    const c = parsed as GoldenCaseInput;
    if (error) {
      results.push({
        name: typeof c?.name === "string" ? c.name : file,
        file: `tests/${file}`,
        passed: false,
        expected: c?.expected ?? { verdict: "allow" },
        actual: { verdict: "allow", reason_code: null, policy: null, findings: {} },
        error,
      });
      continue;
    }
    const actual = runGoldenCase(chain, loaded.config, c);
    const expected = {
      verdict: c.expected.verdict,
      ...(c.expected.reason_code ? { reason_code: c.expected.reason_code } : {}),
      ...(c.expected.findings ? { findings: c.expected.findings } : {}),
    };
    results.push({
      name: c.name,
      file: `tests/${file}`,
      passed: goldenPassed(c.expected, actual),
      expected,
      actual,
    });
  }
  const passed = results.filter((r) => r.passed).length;
  const failed = results.length - passed;
  const code = failed > 0 ? 1 : 0;
  if (opts.json) {
    return { code, stdout: JSON.stringify({ passed, failed, results }, null, 2) + "\n", stderr: "" };
  }
  const lines: string[] = [];
  for (const r of results) {
    if (r.passed) {
      lines.push(
        `ok    ${r.file}  ${r.name}  (${r.actual.verdict}${
          r.actual.reason_code ? ` ${r.actual.reason_code}` : ""
        })`,
      );
      continue;
    }
    lines.push(`FAIL  ${r.file}  ${r.name}`);
    if (r.error) lines.push(`      ${r.error}`);
    else {
      const exp = `${r.expected.verdict}${r.expected.reason_code ? ` ${r.expected.reason_code}` : ""}`;
      const f = Object.entries(r.actual.findings).map(([k, v]) => `${k}=${v}`).join(", ");
      lines.push(
        `      expected ${exp}${
          r.expected.findings ? ` ${JSON.stringify(r.expected.findings)}` : ""
        }, got ${r.actual.verdict}` +
          `${r.actual.reason_code ? ` ${r.actual.reason_code}` : ""}${
            r.actual.policy ? ` by ${r.actual.policy}` : ""
          }` +
          `${f ? ` (findings: ${f})` : ""}`,
      );
    }
  }
  if (results.length === 0) lines.push(`no golden cases in ${join(dir, "tests")}/*.json`);
  lines.push(`${passed} passed, ${failed} failed`);
  return { code, stdout: lines.join("\n") + "\n", stderr: "" };
}

function emit(r: CliRunResult): void {
  if (r.stdout) Deno.stdout.writeSync(new TextEncoder().encode(r.stdout));
  if (r.stderr) Deno.stderr.writeSync(new TextEncoder().encode(r.stderr));
}

/** `kt policy` with its `lint` and `test` subcommands. */
export function policyCommand(): Command {
  const policy = new Command("policy").description("validate configs and run golden cases");
  policy.addCommand(
    new Command("lint")
      .description("validate a policy-config.yaml (exit 2 when invalid)")
      .requiredOption("--file <path>", "config file to validate (- for standard input)")
      .option("--json", "print one JSON document")
      .action(async (flags: { file: string; json?: boolean }) => {
        const r = await runPolicyLint({ file: flags.file, json: flags.json });
        emit({ ...r, stderr: "" });
        if (r.code !== 0) {
          throw new CliError(
            r.stderr ? r.stderr.replace(/^kt: /, "").trimEnd() : `${flags.file} is invalid`,
            2,
          );
        }
      }),
  );
  policy.addCommand(
    new Command("test")
      .description("run golden cases (tests/*.json) through the policy chain, without network")
      .option("--pack-dir <dir>", "directory with policy-config.yaml and tests/", ".")
      .option("--json", "print one JSON document")
      .action(async (flags: { packDir: string; json?: boolean }) => {
        const r = await runPolicyTest({ packDir: flags.packDir, json: flags.json });
        emit({ ...r, stderr: "" });
        if (r.code === 1) throw new CliError("some golden cases failed", 1);
        if (r.code === 2) {
          throw new CliError(r.stderr.replace(/^kt: /, "").trimEnd() || "the pack is invalid", 2);
        }
      }),
  );
  return policy;
}

/**
 * `kt init`: writes a starter `policy-config.yaml` and golden cases from a
 * built-in template (templates live in code: the binary reads no files).
 *
 * @module
 */
import { Command } from "commander";
import { POLICY_TEMPLATES } from "../../policy/templates/mod.ts";
import { CliError } from "../errors.ts";

/** Options of {@link runInit}. */
export interface InitOptions {
  template?: string;
  dir?: string;
  force?: boolean;
  stdout?: boolean;
}

/** What a CLI run produced. */
export interface InitResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Files written (relative to `dir`). */
  written: string[];
}

function join(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

function denied(err: unknown): boolean {
  return err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** `kt init`: exit 0 on success, 2 on usage errors (unknown template, existing files), 1 when writing fails. */
export async function runInit(opts: InitOptions = {}): Promise<InitResult> {
  const name = opts.template ?? "default";
  const template = POLICY_TEMPLATES.get(name);
  if (!template) {
    return {
      code: 2,
      stdout: "",
      stderr: `kt: unknown template "${name}"; choose one of: ${[...POLICY_TEMPLATES.keys()].join(", ")}\n`,
      written: [],
    };
  }
  if (opts.stdout) return { code: 0, stdout: template.config, stderr: "", written: [] };
  const dir = opts.dir ?? ".";
  const files: Array<[string, string]> = [["policy-config.yaml", template.config]];
  for (const [file, c] of Object.entries(template.tests)) {
    files.push([`tests/${file}`, JSON.stringify(c, null, 2) + "\n"]);
  }
  const hint = `run "kt init --template ${name} --stdout > policy-config.yaml" to print the config instead`;
  try {
    if (!opts.force) {
      const clash: string[] = [];
      for (const [f] of files) if (await exists(join(dir, f))) clash.push(f);
      if (clash.length > 0) {
        return {
          code: 2,
          stdout: "",
          stderr: `kt: ${join(dir, clash[0])} already exists${
            clash.length > 1 ? ` (and ${clash.length - 1} more)` : ""
          }; pass --force to overwrite\n`,
          written: [],
        };
      }
    }
    await Deno.mkdir(join(dir, "tests"), { recursive: true });
    for (const [f, text] of files) await Deno.writeTextFile(join(dir, f), text, { mode: 0o600 });
  } catch (err) {
    if (denied(err)) {
      return {
        code: 1,
        stdout: "",
        stderr: `kt: this kt binary may not write files in ${dir}; ${hint}\n`,
        written: [],
      };
    }
    return {
      code: 1,
      stdout: "",
      stderr: `kt: cannot write to ${dir}: ${err instanceof Error ? err.message : String(err)}; ${hint}\n`,
      written: [],
    };
  }
  const out = [
    `wrote ${files.map(([f]) => join(dir, f)).join(", ")}`,
    `template "${name}": ${template.description}`,
    `next: kt policy lint --file ${join(dir, "policy-config.yaml")} && kt policy test --pack-dir ${dir}`,
  ];
  return { code: 0, stdout: out.join("\n") + "\n", stderr: "", written: files.map(([f]) => f) };
}

/** `kt init`. */
export function initCommand(): Command {
  return new Command("init")
    .description("write a starter policy-config.yaml and golden cases")
    .option(
      "--template <name>",
      `starter template: ${[...POLICY_TEMPLATES.keys()].join(", ")}`,
      "default",
    )
    .option("--dir <dir>", "directory to write into", ".")
    .option("--force", "overwrite existing files")
    .option("--stdout", "print the config to standard output instead of writing files")
    .action(async (flags: InitOptions) => {
      const r = await runInit(flags);
      if (r.stdout) Deno.stdout.writeSync(new TextEncoder().encode(r.stdout));
      if (r.code !== 0) throw new CliError(r.stderr.replace(/^kt: /, "").trimEnd(), r.code === 2 ? 2 : 1);
    });
}

/**
 * Builds the release binaries with `deno compile`:
 *
 * - `dist/kt` from `main.ts` under {@link gatewayFlags}
 * - `dist/kt-control-plane` from `control_plane.ts` under {@link controlPlaneFlags}
 *
 * The permission flags are baked into each binary (a compiled binary parses no
 * runtime flag: every argument lands in `Deno.args`), so they come from the one
 * permission module, never from here.
 *
 * Usage:
 *   deno task compile [--target <triple>] [--only kt|kt-control-plane] [--out-dir dist] [--dry-run]
 *
 * `deno compile` needs `denort`, which it downloads from the Deno release host.
 * Offline or air-gapped builders set `DENORT_BIN=/path/to/denort` (of the same
 * Deno version); the variable is passed through unchanged.
 *
 * @module
 */

import { CONTROL_PLANE_DATA_DIR, controlPlaneFlags, gatewayFlags } from "./permissions.ts";

/** The two binaries kt ships. */
export type BinaryName = "kt" | "kt-control-plane";

export const BINARIES: readonly BinaryName[] = ["kt", "kt-control-plane"];

/** Entrypoint module of each binary. */
export const ENTRYPOINTS: Readonly<Record<BinaryName, string>> = {
  "kt": "main.ts",
  "kt-control-plane": "control_plane.ts",
};

/**
 * Modules a binary loads dynamically (Workers) and `deno compile` therefore
 * cannot discover by itself. Only files that exist are passed on, so a list
 * entry for a module that is not written yet is harmless.
 */
export const INCLUDES: Readonly<Record<BinaryName, readonly string[]>> = {
  "kt": ["src/managed/poller_worker.ts"],
  "kt-control-plane": [],
};

/** Options for {@link compileArgs}. */
export interface CompileOptions {
  /** Rust target triple, e.g. `x86_64-unknown-linux-gnu`, `aarch64-unknown-linux-gnu`. */
  target?: string;
  /** Output directory (default `dist`). */
  outDir?: string;
  /** Project root the relative paths are resolved against (default: the current directory). */
  root?: string;
}

/** The Deno permission flags baked into a binary. */
export function bakedFlags(binary: BinaryName): string[] {
  return binary === "kt" ? gatewayFlags() : controlPlaneFlags({ dataDir: CONTROL_PLANE_DATA_DIR });
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Entries of {@link INCLUDES} for `binary` that exist under `root`. */
export function existingIncludes(binary: BinaryName, root = "."): string[] {
  return INCLUDES[binary].filter((path) => exists(`${root}/${path}`));
}

/**
 * The exact argv (without the `deno` executable itself) that builds `binary`:
 * `compile`, the baked permission flags, includes, target, output, entrypoint.
 */
export function compileArgs(binary: BinaryName, options: CompileOptions = {}): string[] {
  const outDir = options.outDir ?? "dist";
  const args = ["compile", ...bakedFlags(binary)];
  for (const include of existingIncludes(binary, options.root ?? ".")) {
    args.push("--include", include);
  }
  if (options.target) args.push("--target", options.target);
  args.push("--output", `${outDir}/${binary}`, ENTRYPOINTS[binary]);
  return args;
}

/** Shell-quoted rendering of a command for `--dry-run` and logs. */
export function renderCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(" ");
}

/** Explains a failed compile whose cause is the missing `denort` runtime, else undefined. */
export function denortHint(stderr: string): string | undefined {
  if (!/denort/i.test(stderr)) return undefined;
  if (Deno.env.get("DENORT_BIN")) {
    return `deno compile could not use DENORT_BIN=${Deno.env.get("DENORT_BIN")}: ` +
      `point it at an existing denort binary of the same Deno version (${Deno.version.deno}).`;
  }
  return `deno compile could not download its runtime (denort ${Deno.version.deno}); this machine has no ` +
    `access to the Deno release host. Build on a networked release machine, or set ` +
    `DENORT_BIN=/path/to/denort (from denort-<target>.zip of Deno ${Deno.version.deno}).`;
}

interface CliOptions extends CompileOptions {
  dryRun: boolean;
  only?: BinaryName;
}

function parseCli(args: string[]): CliOptions {
  const options: CliOptions = { dryRun: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--dry-run") options.dryRun = true;
    else if (arg === "--target") options.target = value();
    else if (arg.startsWith("--target=")) options.target = arg.slice("--target=".length);
    else if (arg === "--out-dir") options.outDir = value();
    else if (arg === "--only") {
      const v = value();
      if (!BINARIES.includes(v as BinaryName)) throw new Error(`--only takes one of ${BINARIES.join(", ")}`);
      options.only = v as BinaryName;
    } else {throw new Error(
        `unknown argument ${arg} (usage: deno task compile [--target <triple>] ` +
          `[--only kt|kt-control-plane] [--out-dir dist] [--dry-run])`,
      );}
  }
  return options;
}

async function main(args: string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCli(args);
  } catch (error) {
    console.error(`compile: ${(error as Error).message}`);
    return 2;
  }
  const binaries = options.only ? [options.only] : BINARIES;
  for (const binary of binaries) {
    if (!exists(ENTRYPOINTS[binary])) {
      console.error(`compile: ${ENTRYPOINTS[binary]} (entrypoint of ${binary}) does not exist`);
      if (!options.dryRun) return 1;
    }
  }
  for (const binary of binaries) {
    const argv = compileArgs(binary, options);
    console.log(`$ deno ${renderCommand(argv)}`);
    if (options.dryRun) continue;
    // DENORT_BIN, if set, reaches deno compile through the inherited environment.
    const child = new Deno.Command(Deno.execPath(), { args: argv, stdout: "inherit", stderr: "piped" })
      .spawn();
    const chunks: Uint8Array[] = [];
    for await (const chunk of child.stderr) {
      chunks.push(chunk);
      await Deno.stderr.write(chunk);
    }
    const status = await child.status;
    if (!status.success) {
      const stderr = new TextDecoder().decode(
        chunks.reduce((all, c) => {
          const next = new Uint8Array(all.length + c.length);
          next.set(all);
          next.set(c, all.length);
          return next;
        }, new Uint8Array()),
      );
      const hint = denortHint(stderr);
      console.error(`compile: building ${binary} failed${hint ? `: ${hint}` : ""}`);
      return 1;
    }
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}

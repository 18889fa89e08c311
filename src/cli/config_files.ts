/**
 * Reading local config files for the CLI: `-` is standard input, permission
 * problems become one clear sentence with the way out, and files readable by
 * group or others trigger a warning (as ssh does for keys).
 *
 * @module
 */
import type { ConfigSource } from "../config/load.ts";
import { CliError } from "./errors.ts";

/** Directory the compiled gateway may read. */
export const CONFIG_DIR = "/etc/keeptrusts";

/** Reads config sources; throws {@link CliError} (exit 2) with an actionable message. */
export async function readConfigSources(
  paths: readonly string[],
  warn: (msg: string) => void,
): Promise<ConfigSource[]> {
  const sources: ConfigSource[] = [];
  for (const path of paths) {
    if (path === "-") {
      sources.push({ name: "<stdin>", text: await new Response(Deno.stdin.readable).text() });
      continue;
    }
    sources.push({ name: path, text: readTextFile(path, warn) });
  }
  return sources;
}

/** Reads one text file the CLI was pointed at (config, key, certificate). */
export function readTextFile(path: string, warn?: (msg: string) => void): string {
  try {
    const text = Deno.readTextFileSync(path);
    if (warn && Deno.build.os !== "windows") {
      const mode = Deno.statSync(path).mode;
      // Kubernetes mounts ConfigMaps root-owned with the pod's fsGroup, so they must be group-readable there:
      // KEEPTRUSTS_ALLOW_GROUP_READABLE_CONFIG=true narrows the check to "others" and any write bit.
      const allowGroupRead = Deno.env.get("KEEPTRUSTS_ALLOW_GROUP_READABLE_CONFIG") === "true";
      const risky = allowGroupRead ? 0o027 : 0o077;
      if (mode !== null && (mode & risky) !== 0) {
        warn(
          `${path} is readable by group or others (mode ${
            (mode & 0o777).toString(8)
          }); run chmod 600 ${path}`,
        );
      }
    }
    return text;
  } catch (err) {
    throw fileError(path, err);
  }
}

/** Turns a file error into a one-sentence {@link CliError}. */
export function fileError(path: string, err: unknown): CliError {
  if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
    return new CliError(
      `kt may only read files under ${CONFIG_DIR}: move ${path} there, or pass the config on standard input with --policy-config - < ${path}`,
      2,
    );
  }
  if (err instanceof Deno.errors.NotFound) return new CliError(`${path}: no such file`, 2);
  if (err instanceof Deno.errors.IsADirectory) {
    return new CliError(`${path} is a directory, not a config file`, 2);
  }
  return new CliError(`${path}: cannot read (${err instanceof Error ? err.message : String(err)})`, 2);
}

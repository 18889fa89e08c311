/**
 * Flag > environment > default resolution and value parsing shared by commands.
 *
 * @module
 */
import { CliError } from "./errors.ts";

/** Returns the flag value, else the environment variable, else the default. */
export function setting(flag: string | undefined, env: string, fallback?: string): string | undefined {
  if (flag !== undefined) return flag;
  const v = Deno.env.get(env);
  return v !== undefined && v !== "" ? v : fallback;
}

/** A secret from `NAME`, or from the file named by `NAME_FILE` (Docker/Kubernetes secrets). */
export function secretFromEnv(name: string): string | undefined {
  const direct = Deno.env.get(name);
  if (direct) return direct.trim();
  const file = Deno.env.get(`${name}_FILE`);
  if (!file) return undefined;
  try {
    return Deno.readTextFileSync(file).trim();
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw new CliError(
        `${name}_FILE=${file} cannot be read: kt may only read files under /etc/keeptrusts and /run/secrets`,
        2,
      );
    }
    throw new CliError(
      `${name}_FILE=${file} cannot be read (${err instanceof Error ? err.message : err})`,
      2,
    );
  }
}

/** Parses `host:port` (IPv6 as `[::1]:8080`). */
export function parseListen(value: string): { hostname: string; port: number } {
  const m = value.match(/^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new CliError(`--listen must be host:port (got "${value}"), for example 0.0.0.0:41002`, 2);
  }
  return { hostname: m[1] ?? m[2], port };
}

/** Parses a positive integer setting. */
export function parsePositiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new CliError(`${name} must be a positive integer (got "${value}")`, 2);
  }
  return n;
}

/** Parses a positive number of seconds. */
export function parseSeconds(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new CliError(`${name} must be a positive number of seconds (got "${value}")`, 2);
  }
  return n;
}

/** Parses `block|allow`. */
export function parseFailMode(value: string): "block" | "allow" {
  if (value !== "block" && value !== "allow") {
    throw new CliError(`--fail-mode must be block or allow (got "${value}")`, 2);
  }
  return value;
}

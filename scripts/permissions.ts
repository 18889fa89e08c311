/**
 * The one place where kt's runtime permission sets are defined. The compile
 * script bakes them into the binaries, `deno task start` runs the sources under
 * them, and the tests run `main.ts` under exactly these flags.
 *
 * @module
 */

/** Cloud metadata endpoints the gateway must never reach (SPEC 7.1). */
export const METADATA_HOSTS: readonly string[] = [
  "169.254.169.254",
  "[fd00:ec2::254]",
  "metadata.google.internal",
  "metadata.goog",
];

/** Directory a compiled gateway may read its local configs and keys from. */
export const CONFIG_DIR = "/etc/keeptrusts";

/** Options for {@link gatewayFlags}. */
export interface GatewayFlagOptions {
  /** Extra paths the gateway may read (the start task adds `examples/`). */
  extraRead?: readonly string[];
}

/**
 * Deno flags of the `kt` gateway binary: network (metadata denied), environment,
 * read under /etc/keeptrusts only; no write, run, ffi or sys; never prompt.
 */
export function gatewayFlags(options: GatewayFlagOptions = {}): string[] {
  const read = [CONFIG_DIR, ...(options.extraRead ?? [])];
  return [
    "--allow-net",
    `--deny-net=${METADATA_HOSTS.join(",")}`,
    "--allow-env",
    `--allow-read=${read.join(",")}`,
    "--deny-write",
    "--deny-run",
    "--deny-ffi",
    "--deny-sys",
    "--no-prompt",
    "--unstable-worker-options",
  ];
}

/** Options for {@link controlPlaneFlags}. */
export interface ControlPlaneFlagOptions {
  /** The data directory (SQLite database). */
  dataDir: string;
  extraRead?: readonly string[];
}

/** Deno flags of the `kt-control-plane` binary: network, environment, read/write of its data directory. */
export function controlPlaneFlags(options: ControlPlaneFlagOptions): string[] {
  return [
    "--allow-net",
    `--deny-net=${METADATA_HOSTS.join(",")}`,
    "--allow-env",
    `--allow-read=${[options.dataDir, CONFIG_DIR, ...(options.extraRead ?? [])].join(",")}`,
    `--allow-write=${options.dataDir}`,
    "--deny-run",
    "--deny-ffi",
    "--no-prompt",
  ];
}

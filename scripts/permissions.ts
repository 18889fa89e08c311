/**
 * The one place where kt's runtime permission sets are defined. The compile
 * script bakes them into the binaries, `deno task start` runs the sources under
 * them, and the tests run `main.ts` under exactly these flags.
 *
 * @module
 */

/**
 * Cloud metadata endpoints the gateway must never reach (SPEC 7.1), even with
 * network access. Deno checks deny entries against the resolved IP at connect
 * time and normalises alternative spellings (decimal `2852039166`, hex,
 * `[::ffff:169.254.169.254]`, `[fd00:ec2:0::254]`), so one entry per address
 * is enough. IPv6 entries must be bracketed: deno 2.9.6 rejects a bare
 * `fd00:ec2::254` in `--deny-net` ("ipv6 addresses must be enclosed in square
 * brackets"); tests/hardening/permissions_test.ts checks both facts.
 */
export const METADATA_HOSTS: readonly string[] = [
  // AWS, Azure, GCP, OCI, DigitalOcean, OpenStack instance metadata (IPv4).
  "169.254.169.254",
  // AWS instance metadata over IPv6 (Nitro).
  "[fd00:ec2::254]",
  // GCP metadata server names.
  "metadata.google.internal",
  "metadata.goog",
  // AWS ECS task-role credentials endpoint.
  "169.254.170.2",
  // AWS EKS Pod Identity agent (IPv4 and IPv6).
  "169.254.170.23",
  "[fd00:ec2::23]",
  // Alibaba Cloud instance metadata.
  "100.100.100.200",
];

/** Directory a compiled gateway may read its local configs and keys from. */
export const CONFIG_DIR = "/etc/keeptrusts";

/**
 * Directories where the platform mounts secret files named by `*_FILE`
 * variables (SPEC 7.3): Docker/Compose secrets (`/run/secrets/<name>`) and
 * systemd `LoadCredential=` (`$CREDENTIALS_DIRECTORY` =
 * `/run/credentials/<unit>/`, readable only by the unit's own user). Read-only.
 */
export const SECRET_DIRS: readonly string[] = ["/run/secrets", "/run/credentials"];

/** Default data directory of a compiled control plane (SQLite database). */
export const CONTROL_PLANE_DATA_DIR = "/var/lib/keeptrusts";

/** Options for {@link gatewayFlags}. */
export interface GatewayFlagOptions {
  /** Extra paths the gateway may read (the start task adds `examples/`). */
  extraRead?: readonly string[];
}

/**
 * V8 flags of the gateway: young-generation semi-spaces capped at 8 MiB. Under 128 connections
 * the default let the young generation grow to ~50 MiB more RSS (kt-full peak 250–260 → 195–210
 * MiB) for no measurable CPU gain (134.7/141.7 vs 143.6/138.5 µs per request, alternating runs);
 * 4 MiB saved a little more but cost ~7% CPU.
 */
export const GATEWAY_V8_FLAGS = "--max-semi-space-size=8";

/**
 * Deno flags of the `kt` gateway binary: network (metadata denied), environment,
 * read under /etc/keeptrusts and the secret mounts only; no write, run, ffi or
 * sys; never prompt; {@link GATEWAY_V8_FLAGS}.
 */
export function gatewayFlags(options: GatewayFlagOptions = {}): string[] {
  const read = [CONFIG_DIR, ...SECRET_DIRS, ...(options.extraRead ?? [])];
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
    `--v8-flags=${GATEWAY_V8_FLAGS}`,
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
    `--allow-read=${[options.dataDir, CONFIG_DIR, ...SECRET_DIRS, ...(options.extraRead ?? [])].join(",")}`,
    `--allow-write=${options.dataDir}`,
    "--deny-run",
    "--deny-ffi",
    "--no-prompt",
  ];
}

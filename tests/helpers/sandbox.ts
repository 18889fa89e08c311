/**
 * Runs a command the way kt runs in production: as uid/gid 65532 (distroless
 * `nonroot`), read-only root filesystem, private tmpfs /tmp, no capabilities,
 * own session, dying with its parent. The host network is kept, so loopback
 * servers on the host are reachable (and nothing else is added).
 *
 * Uses bubblewrap (Debian `bubblewrap`, listed in .ci/packages.txt) with an
 * unprivileged user namespace. Tests must check {@link bwrapAvailable} first
 * and skip visibly (`ignore`) when it is false.
 *
 * @example
 * ```ts
 * const argv = sandboxArgs([Deno.execPath(), "run", ...gatewayFlags(), "main.ts", "gateway", "run"]);
 * const child = new Deno.Command(argv[0], { args: argv.slice(1) }).spawn();
 * ```
 *
 * @module
 */

/** Uid and gid of distroless `nonroot`, and of the k8s manifests' `runAsUser`. */
export const SANDBOX_UID = 65532;
export const SANDBOX_GID = 65532;

/** Options for {@link sandboxArgs}. */
export interface SandboxOptions {
  /** bwrap executable (default: first `bwrap` found on PATH). */
  bwrap?: string;
  /** Host paths bound read-write (e.g. a test's temp dir); the rest of / is read-only. */
  writable?: readonly string[];
  /** Extra read-only binds as [hostPath, sandboxPath], e.g. a fixture dir onto /etc/keeptrusts. */
  readOnlyBinds?: ReadonlyArray<readonly [string, string]>;
  /** Environment inside the sandbox (replaces the parent's; HOME and DENO_DIR default to /tmp). */
  env?: Record<string, string>;
  /** Working directory inside the sandbox. */
  cwd?: string;
  /** Size of the tmpfs mounted on /tmp, in bytes (default 64 MiB, as in the compose file). */
  tmpSizeBytes?: number;
}

function findOnPath(cmd: string): string | undefined {
  const path = Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
  for (const dir of path.split(":")) {
    try {
      if (Deno.statSync(`${dir}/${cmd}`).isFile) return `${dir}/${cmd}`;
    } catch { /* next */ }
  }
  return undefined;
}

/** Path of the bwrap binary, or undefined. */
export function bwrapPath(): string | undefined {
  return findOnPath("bwrap");
}

/**
 * Full argv (`[bwrap, ...flags, "--", ...command]`) that runs `command` in
 * the sandbox. `command[0]` must be an absolute path (or on the sandbox PATH).
 */
export function sandboxArgs(command: readonly string[], options: SandboxOptions = {}): string[] {
  if (command.length === 0) throw new Error("sandboxArgs: empty command");
  const bwrap = options.bwrap ?? bwrapPath() ?? "bwrap";
  const env = { HOME: "/tmp", DENO_DIR: "/tmp/.deno", PATH: "/usr/local/bin:/usr/bin:/bin", ...options.env };
  const args = [
    bwrap,
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--size",
    String(options.tmpSizeBytes ?? 64 * 1024 * 1024),
    "--tmpfs",
    "/tmp",
  ];
  for (const path of options.writable ?? []) args.push("--bind", path, path);
  for (const [host, inside] of options.readOnlyBinds ?? []) args.push("--ro-bind", host, inside);
  args.push(
    "--unshare-user",
    "--uid",
    String(SANDBOX_UID),
    "--gid",
    String(SANDBOX_GID),
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
    "--cap-drop",
    "ALL",
    "--new-session",
    "--die-with-parent",
    "--clearenv",
  );
  for (const [key, value] of Object.entries(env)) args.push("--setenv", key, value);
  if (options.cwd) args.push("--chdir", options.cwd);
  args.push("--", ...command);
  return args;
}

let probed: Promise<boolean> | undefined;

/**
 * True when bwrap exists and can actually create the sandbox here (user
 * namespaces may be disabled, or seccomp may forbid them). Probes once by
 * running `true` inside {@link sandboxArgs}.
 */
export function bwrapAvailable(): Promise<boolean> {
  probed ??= (async () => {
    const bwrap = bwrapPath();
    const trueBin = findOnPath("true");
    if (!bwrap || !trueBin) return false;
    try {
      const argv = sandboxArgs([trueBin], { bwrap });
      const out = await new Deno.Command(argv[0], { args: argv.slice(1), stdout: "null", stderr: "null" })
        .output();
      return out.success;
    } catch {
      return false;
    }
  })();
  return probed;
}

/**
 * `deno task start`: the whole product on one machine, from the sources, with
 * no network and no API key: the control plane on its embedded SQLite
 * database (in a temporary data directory) and one managed gateway
 * (`kt run --managed`) on the built-in mock provider, with
 * examples/policy-config.yaml pushed and rolled out. Prints the URLs and the
 * one-time admin token, and runs until Ctrl-C (children are ended by PID).
 *
 * `deno task start:local` (this script with `--local`) keeps the previous
 * behaviour: one local-mode gateway on the example config file.
 *
 * Each process runs under exactly its binary's permission set
 * (scripts/permissions.ts), plus read access to kt's own `src/` for the
 * gateway: from sources, the poller worker needs to read its module graph
 * (the compiled binary embeds it).
 *
 * @module
 */
import { controlPlaneFlags, gatewayFlags } from "./permissions.ts";

const root = new URL("../", import.meta.url).pathname;

/** A child process of the stack. */
export interface StackProcess {
  name: string;
  child: Deno.ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number>;
}

/** The running stack. */
export interface Stack {
  controlPlaneUrl: string;
  gatewayUrl: string;
  adminToken: string;
  gatewayId: string;
  gatewayToken: string;
  dataDir: string;
  controlPlane: StackProcess;
  gateway: StackProcess;
  /** Calls the control plane API as admin. */
  // deno-lint-ignore no-explicit-any
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Stops the gateway, then the control plane, and removes the data directory. */
  stop(): Promise<void>;
}

/** Options of {@link startStack}. */
export interface StackOptions {
  controlPlaneListen?: string;
  gatewayListen?: string;
  /** The config pushed and rolled out first (default examples/policy-config.yaml). */
  configPath?: string;
  pollIntervalSeconds?: number;
  /** Where child output goes (default: inherit; "null" silences it). */
  output?: "inherit" | "null";
  gatewayId?: string;
}

function spawn(
  name: string,
  args: string[],
  env: Record<string, string>,
  output: "inherit" | "null",
): StackProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: output,
    stderr: output,
  }).spawn();
  let code: number | undefined;
  const status = child.status.then((s) => code = s.code);
  return {
    name,
    child,
    async stop(graceMs = 10_000) {
      if (code !== undefined) return code;
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        status,
        new Promise<void>((r) =>
          timer = setTimeout(() => {
            try {
              child.kill("SIGKILL");
            } catch {
              // gone
            }
            r();
          }, graceMs)
        ),
      ]);
      clearTimeout(timer);
      await status;
      return code!;
    },
  };
}

async function waitReady(url: string, proc: StackProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  proc.child.status.then(() => exited = true);
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${proc.name} exited during startup`);
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${proc.name} did not become ready at ${url} within ${timeoutMs / 1000} s`);
}

/** Starts the control plane and one managed gateway with the example config rolled out. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const output = options.output ?? "inherit";
  const cpListen = options.controlPlaneListen ?? "127.0.0.1:8081";
  const gwListen = options.gatewayListen ?? "127.0.0.1:41002";
  const gatewayId = options.gatewayId ?? "local-gateway";
  const dataDir = await Deno.makeTempDir({ prefix: "kt-start-" });
  const adminToken = `kt_admin_${crypto.randomUUID().replaceAll("-", "")}`;
  const controlPlaneUrl = `http://${cpListen}`;
  const controlPlane = spawn(
    "kt-control-plane",
    [
      "run",
      ...controlPlaneFlags({ dataDir }),
      `${root}control_plane.ts`,
      "serve",
      "--listen",
      cpListen,
      "--data-dir",
      dataDir,
    ],
    { KEEPTRUSTS_BOOTSTRAP_ADMIN_TOKEN: adminToken },
    output,
  );
  let gateway: StackProcess | undefined;
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(controlPlaneUrl + path, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body !== undefined && typeof body !== "string" ? { "content-type": "application/json" } : {}),
        ...(typeof body === "string" ? { "content-type": "application/yaml" } : {}),
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    try {
      return { status: res.status, body: text ? JSON.parse(text) : null };
    } catch {
      return { status: res.status, body: text };
    }
  };
  const stop = async () => {
    await gateway?.stop();
    await controlPlane.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  };
  try {
    await waitReady(`${controlPlaneUrl}/readyz`, controlPlane);
    const created = await admin("POST", "/v1/admin/gateways", { name: gatewayId, id: gatewayId });
    if (created.status !== 201) throw new Error(`registering the gateway: ${JSON.stringify(created.body)}`);
    const configText = await Deno.readTextFile(options.configPath ?? `${root}examples/policy-config.yaml`);
    const pushed = await admin("POST", "/v1/admin/configurations", configText);
    if (pushed.status !== 201 && pushed.status !== 200) {
      throw new Error(`pushing the config: ${JSON.stringify(pushed.body)}`);
    }
    const rolled = await admin("POST", "/v1/admin/configurations/rollout", {
      gateway_ids: [gatewayId],
      version: pushed.body.version,
    });
    if (rolled.status !== 200) throw new Error(`rolling out: ${JSON.stringify(rolled.body)}`);
    gateway = spawn(
      "kt",
      [
        "run",
        ...gatewayFlags({ extraRead: [`${root}src`] }),
        `${root}main.ts`,
        "run",
        "--managed",
        "--gateway-id",
        gatewayId,
        "--api-url",
        controlPlaneUrl,
        "--listen",
        gwListen,
        "--poll-interval",
        String(options.pollIntervalSeconds ?? 5),
      ],
      { KEEPTRUSTS_GATEWAY_TOKEN: created.body.token },
      output,
    );
    await waitReady(`http://${gwListen}/readyz`, gateway);
    return {
      controlPlaneUrl,
      gatewayUrl: `http://${gwListen}`,
      adminToken,
      gatewayId,
      gatewayToken: created.body.token,
      dataDir,
      controlPlane,
      gateway,
      admin,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The previous `deno task start`: one local-mode gateway on the example config. */
async function startLocal(args: string[]): Promise<number> {
  const listen = Deno.env.get("KEEPTRUSTS_LISTEN") ?? "127.0.0.1:41002";
  console.error(`kt: starting the gateway on http://${listen} (Ctrl-C to stop)`);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...gatewayFlags({ extraRead: [`${root}examples`] }),
      `${root}main.ts`,
      "gateway",
      "run",
      "--policy-config",
      `${root}examples/policy-config.yaml`,
      "--listen",
      listen,
      ...args,
    ],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => {
      try {
        child.kill(sig);
      } catch {
        // already gone
      }
    });
  }
  return (await child.status).code;
}

if (import.meta.main) {
  if (Deno.args[0] === "--local") Deno.exit(await startLocal(Deno.args.slice(1)));
  const stack = await startStack({
    controlPlaneListen: Deno.env.get("KEEPTRUSTS_CP_LISTEN") ?? "127.0.0.1:8081",
    gatewayListen: Deno.env.get("KEEPTRUSTS_LISTEN") ?? "127.0.0.1:41002",
  });
  console.error(
    [
      "",
      "kt is running (Ctrl-C stops everything):",
      "",
      `  gateway        ${stack.gatewayUrl}   (managed: gateway id ${stack.gatewayId}, polls every 5 s)`,
      `  control plane  ${stack.controlPlaneUrl}   (SQLite in ${stack.dataDir}, removed on exit)`,
      `  console        ${stack.controlPlaneUrl}/console/   (sign in with the admin token)`,
      "",
      "  admin token (shown once):",
      `    ${stack.adminToken}`,
      "",
      `  export KEEPTRUSTS_API_URL=${stack.controlPlaneUrl} KEEPTRUSTS_API_TOKEN=<the admin token>`,
      `  curl -s ${stack.gatewayUrl}/v1/chat/completions -H 'content-type: application/json' \\`,
      `    -d '{"model":"mock-gpt","messages":[{"role":"user","content":"hello"}]}'`,
      "",
    ].join("\n"),
  );
  const done = Promise.withResolvers<void>();
  for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, () => done.resolve());
  Promise.race([stack.gateway.child.status, stack.controlPlane.child.status]).then(() => done.resolve());
  await done.promise;
  console.error("kt: stopping the gateway and the control plane");
  await stack.stop();
  Deno.exit(0);
}

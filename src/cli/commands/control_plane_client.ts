/**
 * Control plane client commands (SPEC 1.3): `kt gateway create|list|inspect|
 * config|diff|rollout|revert`, `kt config push`, `kt events tail`. They talk
 * to `KEEPTRUSTS_API_URL` with `KEEPTRUSTS_API_TOKEN` (or `--api-url` /
 * `--api-token`, or `KEEPTRUSTS_API_TOKEN_FILE`); tables for people, `--json`
 * for scripts.
 *
 * The builders attach subcommands to command objects the caller owns. Every
 * command does its I/O through a {@link ClientIo}, so tests run them in
 * process ({@link runClientCommand}). Failures throw {@link CliError}
 * (exit 1 runtime, 2 usage/validation).
 *
 * The root program must parse its options positionally, or its `--version`
 * swallows `kt gateway rollout --version <v>`: the builders call
 * `enablePositionalOptions()` on the root, also when the command is attached
 * to it after the builder ran.
 *
 * @module
 */
import { Command, CommanderError } from "commander";
import { ApiClientError, ControlPlaneClient } from "../api_client.ts";
import { formatIssue } from "../../config/errors.ts";
import { CliError } from "../errors.ts";
import { describeCoverage } from "../../audit/event.ts";

/** Where a client command reads and writes. */
export interface ClientIo {
  /** Writes text to standard output (no newline added). */
  stdout(text: string): void;
  /** Writes text to standard error (no newline added). */
  stderr(text: string): void;
  env(name: string): string | undefined;
  /** Reads a file; `-` is standard input. */
  readFile(path: string): Promise<string>;
  /** Replaces the global fetch (tests). */
  fetch?: typeof fetch;
  /** Ends `events tail --follow`. */
  signal?: AbortSignal;
  /** Delay between `--follow` polls in ms (default 2000). */
  followIntervalMs?: number;
}

/** The process's stdio, environment and files. */
export function defaultIo(): ClientIo {
  const enc = new TextEncoder();
  return {
    stdout: (t) => void Deno.stdout.writeSync(enc.encode(t)),
    stderr: (t) => void Deno.stderr.writeSync(enc.encode(t)),
    env: (n) => Deno.env.get(n),
    async readFile(path: string): Promise<string> {
      if (path === "-") return await new Response(Deno.stdin.readable).text();
      return await Deno.readTextFile(path);
    },
  };
}

/** `--api-url` / `--api-token` flags. */
export interface ApiFlags {
  apiUrl?: string;
  apiToken?: string;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "[::1]" || /^127\./.test(host);
}

/** Resolves the API URL and token: flag > environment > `KEEPTRUSTS_API_TOKEN_FILE`. */
export async function resolveApi(flags: ApiFlags, io: ClientIo): Promise<{ url: string; token: string }> {
  const url = flags.apiUrl ?? (io.env("KEEPTRUSTS_API_URL") || undefined);
  if (!url) throw new CliError("no control plane URL: set KEEPTRUSTS_API_URL or pass --api-url", 2);
  let parsed: URL;
  try {
    parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error("scheme");
  } catch {
    throw new CliError(`the control plane URL must be http(s)://host[:port], got "${url}"`, 2);
  }
  if (parsed.protocol === "http:" && !isLoopback(parsed.hostname)) {
    io.stderr(`kt: warning: ${parsed.host} is reached over plain HTTP; the API token travels unencrypted\n`);
  }
  let token = flags.apiToken;
  if (token !== undefined) {
    io.stderr(
      "kt: warning: --api-token is visible in the process list; prefer KEEPTRUSTS_API_TOKEN or KEEPTRUSTS_API_TOKEN_FILE\n",
    );
  } else token = io.env("KEEPTRUSTS_API_TOKEN") || undefined;
  if (token === undefined) {
    const file = io.env("KEEPTRUSTS_API_TOKEN_FILE");
    if (file) token = (await readInput(io, file, "KEEPTRUSTS_API_TOKEN_FILE")).trim();
  }
  if (!token) {
    throw new CliError("no API token: set KEEPTRUSTS_API_TOKEN (or KEEPTRUSTS_API_TOKEN_FILE)", 2);
  }
  return { url, token: token.trim() };
}

async function readInput(io: ClientIo, path: string, what: string): Promise<string> {
  try {
    return await io.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw new CliError(
        `${what} ${path} cannot be read: kt may only read files under /etc/keeptrusts; pass it on standard input instead (--file - < ${path})`,
        2,
      );
    }
    if (err instanceof Deno.errors.NotFound) throw new CliError(`${what} ${path} does not exist`, 2);
    throw new CliError(`${what} ${path} cannot be read (${err instanceof Error ? err.message : err})`, 2);
  }
}

async function clientFor(flags: ApiFlags, io: ClientIo): Promise<ControlPlaneClient> {
  const { url, token } = await resolveApi(flags, io);
  return new ControlPlaneClient({ baseUrl: url, token, fetch: io.fetch });
}

/** Maps an API failure to a CLI error with the right exit code and a readable message. */
export function cliErrorFrom(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof ApiClientError) {
    const lines = [err.message];
    for (const d of err.details.slice(0, 20)) lines.push(`  ${formatIssue(d)}`);
    if (err.status === 401) lines.push("  check KEEPTRUSTS_API_TOKEN");
    if (err.requestId) lines.push(`  request id: ${err.requestId}`);
    const usage = err.status === 400 || err.status === 404 || err.status === 409 || err.status === 413 ||
      err.status === 422;
    return new CliError(lines.join("\n"), usage ? 2 : 1);
  }
  return new CliError(err instanceof Error ? err.message : String(err), 1);
}

async function guarded(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    throw cliErrorFrom(err);
  }
}

/** Renders rows as an aligned text table. */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined || c === "" ? "-" : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
  return [line(headers), ...cells.map(line)].join("\n") + "\n";
}

function json(io: ClientIo, value: unknown): void {
  io.stdout(JSON.stringify(value, null, 2) + "\n");
}

function apiOptions(cmd: Command): Command {
  return cmd
    .option("--api-url <url>", "control plane URL (env KEEPTRUSTS_API_URL)")
    .option("--api-token <token>", "API token (env KEEPTRUSTS_API_TOKEN; visible in the process list)");
}

function positionalRoot(cmd: Command): void {
  for (let c: Command | null = cmd; c; c = c.parent) {
    if (!c.parent) c.enablePositionalOptions();
  }
}

/**
 * Makes the root program parse its own options (`--version`) only before the
 * subcommand, now or when `cmd` is attached to a parent later, so that
 * `kt gateway rollout --version <v>` reaches the subcommand.
 */
function positionalRootWhenAttached(cmd: Command): void {
  positionalRoot(cmd);
  let parent = cmd.parent;
  Object.defineProperty(cmd, "parent", {
    configurable: true,
    enumerable: true,
    get: () => parent,
    set: (p: Command | null) => {
      parent = p;
      if (p) positionalRootWhenAttached(p);
    },
  });
}

function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

// ---------------------------------------------------------------- diff

type Op = { kind: " " | "-" | "+"; line: string };

/** Myers shortest edit script between two line arrays. */
export function diffLines(a: readonly string[], b: readonly string[], maxEdits = 20_000): Op[] {
  const n = a.length, m = b.length, max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])
        ? v[offset + k + 1]
        : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    v = next;
  }
  if (found < 0) {
    // Too different to diff cheaply: everything goes.
    return [
      ...a.map((line) => ({ kind: "-" as const, line })),
      ...b.map((line) => ({ kind: "+" as const, line })),
    ];
  }
  const ops: Op[] = [];
  let x = n, y = m;
  for (let d = found; d > 0; d--) {
    const vd = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1] < vd[offset + k + 1]) ? k + 1 : k - 1;
    const prevX = vd[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) ops.push({ kind: " ", line: a[--x] }), y--;
    if (x === prevX) ops.push({ kind: "+", line: b[--y] });
    else ops.push({ kind: "-", line: a[--x] });
  }
  while (x > 0 && y > 0) ops.push({ kind: " ", line: a[--x] }), y--;
  return ops.reverse();
}

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** A unified diff (`---`/`+++`/`@@` hunks, 3 lines of context); empty when equal. */
export function unifiedDiff(aText: string, bText: string, aName: string, bName: string, context = 3): string {
  const ops = diffLines(splitLines(aText), splitLines(bText));
  if (ops.every((o) => o.kind === " ")) return "";
  const out = [`--- ${aName}`, `+++ ${bName}`];
  let i = 0;
  const aLine = (idx: number) => ops.slice(0, idx).filter((o) => o.kind !== "+").length;
  const bLine = (idx: number) => ops.slice(0, idx).filter((o) => o.kind !== "-").length;
  while (i < ops.length) {
    if (ops[i].kind === " ") {
      i++;
      continue;
    }
    const start = Math.max(0, i - context);
    let end = i;
    // Extend while changes are closer than 2×context apart.
    while (end < ops.length) {
      if (ops[end].kind !== " ") {
        end++;
        continue;
      }
      let run = 0;
      while (end + run < ops.length && ops[end + run].kind === " ") run++;
      if (end + run >= ops.length || run > 2 * context) {
        end = Math.min(ops.length, end + context);
        break;
      }
      end += run;
    }
    const hunk = ops.slice(start, end);
    const aStart = aLine(start), bStart = bLine(start);
    const aCount = hunk.filter((o) => o.kind !== "+").length;
    const bCount = hunk.filter((o) => o.kind !== "-").length;
    out.push(`@@ -${aCount ? aStart + 1 : aStart},${aCount} +${bCount ? bStart + 1 : bStart},${bCount} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.line}`);
    i = end;
  }
  return out.join("\n") + "\n";
}

// ---------------------------------------------------------------- commands

/**
 * Adds `create|list|inspect|config|diff|rollout|revert` to the `kt gateway`
 * command and returns it.
 */
export function gatewayAdminCommands(gatewayCommand: Command, io: ClientIo = defaultIo()): Command {
  positionalRootWhenAttached(gatewayCommand);

  apiOptions(
    gatewayCommand.command("create")
      .description("register a gateway with the control plane; prints its id and scoped token once")
      .requiredOption("--name <name>", "display name")
      .option("--description <text>", "what the gateway serves")
      .option("--id <id>", "choose the gateway id (default: generated)")
      .option("--json", "print JSON"),
  ).action((f: ApiFlags & { name: string; description?: string; id?: string; json?: boolean }) =>
    guarded(async () => {
      const client = await clientFor(f, io);
      const g = await client.createGateway({ name: f.name, description: f.description, id: f.id });
      if (f.json) return json(io, g);
      io.stdout(
        `gateway ${g.id} created (${g.name})\n\n` +
          `gateway token (shown once; give it to the gateway as KEEPTRUSTS_GATEWAY_TOKEN):\n\n    ${g.token}\n\n` +
          `run it with:\n    KEEPTRUSTS_GATEWAY_ID=${g.id} KEEPTRUSTS_API_URL=${client.baseUrl} KEEPTRUSTS_GATEWAY_TOKEN=… kt run --managed\n`,
      );
    })
  );

  apiOptions(
    gatewayCommand.command("list")
      .description("list registered gateways with status and versions")
      .option("--json", "print JSON"),
  ).action((f: ApiFlags & { json?: boolean }) =>
    guarded(async () => {
      const items = await (await clientFor(f, io)).listGateways();
      if (f.json) return json(io, { items });
      if (items.length === 0) return io.stdout("no gateways registered (kt gateway create --name <n>)\n");
      io.stdout(table(
        ["ID", "NAME", "STATUS", "RUNNING", "DESIRED", "LAST SEEN"],
        items.map((g) => [g.id, g.name, g.status, g.running_version, g.desired_version, ago(g.last_seen_at)]),
      ));
    })
  );

  apiOptions(
    gatewayCommand.command("inspect")
      .description("show one gateway: status, versions, latest report, recent rollouts")
      .requiredOption("--id <id>", "gateway id")
      .option("--json", "print JSON"),
  ).action((f: ApiFlags & { id: string; json?: boolean }) =>
    guarded(async () => {
      const g = await (await clientFor(f, io)).getGateway(f.id);
      if (f.json) return json(io, g);
      const report = g.last_report ?? {};
      const req = (report.requests ?? {}) as Record<string, number>;
      const lines = [
        `id:               ${g.id}`,
        `name:             ${g.name}`,
        ...(g.description ? [`description:      ${g.description}`] : []),
        `status:           ${g.status}${
          g.reported_status && g.reported_status !== g.status ? ` (last reported ${g.reported_status})` : ""
        }`,
        `desired version:  ${g.desired_version ?? "-"}`,
        `running version:  ${g.running_version ?? "-"}`,
        `last seen:        ${g.last_seen_at ? `${g.last_seen_at} (${ago(g.last_seen_at)})` : "never"}`,
        `poll interval:    ${g.poll_interval_seconds}s`,
        ...(g.last_error ? [`last error:       ${g.last_error}`] : []),
        ...(report.kt_version ? [`kt version:       ${report.kt_version}`] : []),
        ...(report.instance_id ? [`instance:         ${report.instance_id}`] : []),
        ...(report.requests
          ? [
            `requests:         ${req.total ?? 0} total, ${req.blocked ?? 0} blocked, ${
              req.redacted ?? 0
            } redacted, ${req.errors ?? 0} errors`,
          ]
          : []),
        `created:          ${g.created_at}`,
      ];
      io.stdout(lines.join("\n") + "\n");
      if (g.rollouts.length > 0) {
        io.stdout("\nrecent rollouts:\n");
        io.stdout(table(
          ["WHEN", "KIND", "VERSION", "PREVIOUS"],
          g.rollouts.map((r) => [r.created_at, r.kind, r.version, r.previous_version]),
        ));
      }
    })
  );

  apiOptions(
    gatewayCommand.command("config")
      .description("print the config version the control plane wants this gateway to run")
      .requiredOption("--id <id>", "gateway id")
      .option("--json", "print JSON (version, digest, format, config)"),
  ).action((f: ApiFlags & { id: string; json?: boolean }) =>
    guarded(async () => {
      const client = await clientFor(f, io);
      const g = await client.getGateway(f.id);
      if (!g.desired_version) {
        throw new CliError(
          `no config has been rolled out to ${f.id} yet (kt gateway rollout --id ${f.id} --version <v>)`,
          1,
        );
      }
      const v = await client.getVersion(g.desired_version);
      if (f.json) {
        return json(io, {
          gateway_id: g.id,
          desired_version: v.version,
          digest: v.digest,
          config_format: v.format,
          signed: v.signed,
          config: v.config,
        });
      }
      io.stdout(v.config.endsWith("\n") ? v.config : v.config + "\n");
    })
  );

  apiOptions(
    gatewayCommand.command("diff")
      .description("unified diff of the gateway's desired config against a local file")
      .requiredOption("--id <id>", "gateway id")
      .requiredOption("--file <path>", "local config file (- for standard input)")
      .option("--exit-code", "exit 1 when they differ (like git diff --exit-code)")
      .option("--json", "print JSON {identical, desired_version, diff}"),
  ).action((f: ApiFlags & { id: string; file: string; exitCode?: boolean; json?: boolean }) =>
    guarded(async () => {
      const local = await readInput(io, f.file, "the config file");
      const client = await clientFor(f, io);
      const g = await client.getGateway(f.id);
      const desired = g.desired_version ? (await client.getVersion(g.desired_version)).config : "";
      const label = g.desired_version
        ? `${f.id} (desired ${g.desired_version})`
        : `${f.id} (no config assigned)`;
      const diff = unifiedDiff(desired, local, label, f.file);
      if (f.json) json(io, { identical: diff === "", desired_version: g.desired_version, diff });
      else if (diff === "") io.stdout(`no differences: ${f.file} matches ${label}\n`);
      else io.stdout(diff);
      if (diff !== "" && f.exitCode) throw new CliError("the configs differ", 1);
    })
  );

  apiOptions(
    gatewayCommand.command("rollout")
      .description("set the desired config version of one or more gateways (stage by listing a subset first)")
      .requiredOption("--version <version>", "a stored config version (kt config push)")
      .requiredOption("--id <id...>", "gateway id(s); repeat or list several")
      .option("--json", "print JSON"),
  ).action((f: ApiFlags & { version: string; id: string[]; json?: boolean }) =>
    guarded(async () => {
      const ids = f.id.flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
      const r = await (await clientFor(f, io)).rollout(ids, f.version);
      if (f.json) return json(io, r);
      io.stdout(`rolled out ${r.version} (${r.digest}) to ${r.gateways.length} gateway(s):\n`);
      io.stdout(table(
        ["GATEWAY", "PREVIOUS", "DESIRED"],
        r.gateways.map((g) => [g.gateway_id, g.previous_version, g.desired_version]),
      ));
      io.stdout("gateways pick it up on their next poll; watch with: kt gateway list\n");
    })
  );

  apiOptions(
    gatewayCommand.command("revert")
      .description(
        "roll a gateway back to an earlier version (default: the one before its current desired version)",
      )
      .requiredOption("--id <id>", "gateway id")
      .option("--version <version>", "version to go back to")
      .option("--json", "print JSON"),
  ).action((f: ApiFlags & { id: string; version?: string; json?: boolean }) =>
    guarded(async () => {
      const r = await (await clientFor(f, io)).revert(f.id, f.version);
      if (f.json) return json(io, r);
      const g = r.gateways[0];
      io.stdout(
        `reverted ${g.gateway_id}: ${g.previous_version ?? "-"} -> ${g.desired_version} (${r.digest})\n`,
      );
    })
  );

  return gatewayCommand;
}

/** Adds `push --file <path>` to the `kt config` command and returns it. */
export function configPushCommand(configCommand: Command, io: ClientIo = defaultIo()): Command {
  positionalRootWhenAttached(configCommand);
  apiOptions(
    configCommand.command("push")
      .description("store the config as a new immutable version on the control plane (keyed by pack.version)")
      .requiredOption("--file <path>", "config file, YAML or JSON (- for standard input)")
      .option("--signature <path>", "detached base64 Ed25519 signature of the file (kt config sign)")
      .option("--json", "print JSON"),
  ).action((f: ApiFlags & { file: string; signature?: string; json?: boolean }) =>
    guarded(async () => {
      const text = await readInput(io, f.file, "the config file");
      const signature = f.signature
        ? (await readInput(io, f.signature, "the signature file")).trim()
        : undefined;
      const r = await (await clientFor(f, io)).pushConfig(text, { signature });
      if (f.json) return json(io, r);
      io.stdout(
        r.created
          ? `stored ${r.name} ${r.version} (${r.digest}, ${r.size_bytes} bytes${
            r.signed ? ", signed" : ""
          })\n`
          : `${r.name} ${r.version} is already stored with the same content (${r.digest}); nothing changed\n`,
      );
      for (const w of r.warnings) io.stderr(`warning: ${formatIssue(w)}\n`);
      if (r.created) {
        io.stdout(`roll it out with: kt gateway rollout --version ${r.version} --id <gateway id>\n`);
      }
    })
  );
  return configCommand;
}

interface TailFlags extends ApiFlags {
  since?: string;
  verdict?: string;
  gatewayId?: string;
  policy?: string;
  limit: string;
  json?: boolean;
  follow?: boolean;
}

function eventLine(e: Record<string, unknown>): string[] {
  const policy = (e.policy as string | null) ??
    ((e.policy_results as Array<{ policy: string; verdict?: string }> | undefined) ?? [])
      .filter((r) => r.verdict && r.verdict !== "allow").map((r) => r.policy).join(",");
  return [
    String(e.timestamp ?? ""),
    String(e.gateway_id ?? ""),
    String(e.verdict ?? ""),
    policy || "-",
    String(e.reason_code ?? "-"),
    String(e.model ?? "-"),
    e.status === undefined ? "-" : String(e.status),
    e.latency_ms === undefined ? "-" : `${e.latency_ms}ms`,
    describeCoverage(e.coverage),
  ];
}

/** `kt events` with `tail [--since 5m] [--verdict …] [--limit 50] [--json] [--follow]`. */
export function eventsCommand(io: ClientIo = defaultIo()): Command {
  const events = new Command("events").description("decision events recorded by managed gateways");
  apiOptions(
    events.command("tail")
      .description("print recent decision events, oldest first (--json: one JSON object per line)")
      .option("--since <when>", "RFC 3339 time or a duration such as 5m, 2h, 7d")
      .option("--verdict <verdict>", "allow, block or redact")
      .option("--gateway-id <id>", "only this gateway")
      .option("--policy <kind>", "only events this policy took part in")
      .option("--limit <n>", "at most this many events (1–1000)", "50")
      .option("--follow", "keep polling for new events until interrupted")
      .option("--json", "print JSON lines"),
  ).action((f: TailFlags) =>
    guarded(async () => {
      if (f.verdict && !["allow", "block", "redact"].includes(f.verdict)) {
        throw new CliError(`--verdict must be allow, block or redact (got "${f.verdict}")`, 2);
      }
      const limit = Number(f.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new CliError(`--limit must be a whole number from 1 to 1000 (got "${f.limit}")`, 2);
      }
      const client = await clientFor(f, io);
      const seen = new Set<string>();
      const headers = [
        "TIME",
        "GATEWAY",
        "VERDICT",
        "POLICY",
        "REASON",
        "MODEL",
        "STATUS",
        "LATENCY",
        "COVERAGE",
      ];
      let since = f.since;
      let first = true;
      while (true) {
        const items = await client.queryEvents({
          since,
          verdict: f.verdict,
          gatewayId: f.gatewayId,
          policy: f.policy,
          limit,
        });
        const fresh = items.reverse().filter((e) => {
          const key = `${e.gateway_id}/${e.id}`;
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        });
        if (f.json) { for (const e of fresh) io.stdout(JSON.stringify(e) + "\n"); }
        else if (fresh.length > 0) {
          const text = table(headers, fresh.map(eventLine));
          io.stdout(first ? text : text.slice(text.indexOf("\n") + 1));
          first = false;
        } else if (!f.follow) io.stdout("no events\n");
        if (!f.follow || io.signal?.aborted) return;
        const newest = fresh.at(-1)?.timestamp;
        if (typeof newest === "string") since = newest;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, io.followIntervalMs ?? 2000);
          function done() {
            clearTimeout(timer);
            io.signal?.removeEventListener("abort", done);
            resolve();
          }
          io.signal?.addEventListener("abort", done);
        });
        if (io.signal?.aborted) return;
      }
    })
  );
  return events;
}

/**
 * Runs a client command in process, e.g. `["gateway", "list", "--json"]`, and
 * returns its exit code (errors are written to `io.stderr` as `kt: …`).
 */
export async function runClientCommand(args: string[], io: ClientIo): Promise<number> {
  const program = new Command("kt").enablePositionalOptions().exitOverride();
  program.configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  const gateway = new Command("gateway");
  const config = new Command("config");
  program.addCommand(gateway);
  program.addCommand(config);
  gatewayAdminCommands(gateway, io);
  configPushCommand(config, io);
  program.addCommand(eventsCommand(io));
  const harden = (c: Command) => {
    c.exitOverride();
    c.configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
    c.commands.forEach(harden);
  };
  harden(program);
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return ["commander.helpDisplayed", "commander.help", "commander.version"].includes(err.code) ? 0 : 2;
    }
    const e = cliErrorFrom(err);
    io.stderr(`kt: ${e.message}\n`);
    return e.exitCode;
  }
}

/**
 * The main-thread half of managed mode: spawns the poller worker with narrowed
 * permissions, compiles and swaps the configs it validated, answers its status
 * questions, and forwards decision events to it in batches.
 *
 * @module
 */
import type { AuditSink, DecisionEvent } from "../audit/event.ts";
import { ConfigError, formatIssue } from "../config/errors.ts";
import { loadConfig } from "../config/load.ts";
import { importPublicKey } from "../config/signature.ts";
import type { Gateway } from "../gateway/server.ts";
import type { Logger } from "../observability/log.ts";
import { policyKindInfo } from "../policy/registry.ts";
import type { SecretResolver } from "../providers/types.ts";
import { Poller } from "./poller.ts";
import { EMBEDDED_POLLER_WORKER } from "./embedded_worker.ts";
import type {
  FromWorker,
  PollerSettings,
  PollFailureKind,
  PollResult,
  StatusInfo,
  ToWorker,
} from "./protocol.ts";

/** Where the poller runs: its own sandboxed worker, or (fallback) the main thread. */
export type PollerMode = "worker" | "in-process";

/** Environment names the npm `yaml` package reads on every parse (it fails without access). */
export const YAML_ENV_NAMES: readonly string[] = ["LOG_TOKENS", "LOG_STREAM"];

/**
 * Permissions of the poller worker: network to the control plane's `host:port`
 * only; no files, no environment beyond {@link YAML_ENV_NAMES}, no subprocesses,
 * no FFI, no system information.
 */
export function workerPermissions(apiUrl: string): Deno.PermissionOptionsObject {
  return {
    net: [apiHostPort(apiUrl)],
    read: false,
    write: false,
    env: [...YAML_ENV_NAMES],
    run: false,
    ffi: false,
    sys: false,
  };
}

/** `host:port` of an http(s) URL, with the scheme's default port filled in (`[v6]:port` for IPv6). */
export function apiHostPort(apiUrl: string): string {
  const u = new URL(apiUrl);
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  return `${u.hostname}:${port}`;
}

/** Options of {@link ManagedRuntime}. */
export interface ManagedRuntimeOptions {
  gateway: Gateway;
  logger: Logger;
  settings: PollerSettings;
  /** Spawn the worker with {@link workerPermissions} (default true; needs `--unstable-worker-options`). */
  sandbox?: boolean;
  /** Force where the poller runs (default: the worker when its module is readable, else in-process). */
  mode?: PollerMode;
  /** Environment lookups for `${VAR}` and `secret_key_ref: {env}` (default `Deno.env.get`). */
  env?: (name: string) => string | undefined;
  /** Called after every poll (startup decisions). */
  onPoll?: (result: PollResult, failure?: { kind: PollFailureKind; error: string }) => void;
  /** Events kept in the main thread while the worker is unavailable (default 10 000). */
  maxPendingEvents?: number;
  /** Bundled worker source to start from a blob: URL (default {@link EMBEDDED_POLLER_WORKER}). */
  workerSource?: string;
}

/** Raised when the poller worker cannot start. */
export class ManagedStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ManagedStartError";
  }
}

/** Managed mode in the main thread. */
export class ManagedRuntime {
  readonly #o: ManagedRuntimeOptions;
  readonly #log: Logger;
  readonly #env: (name: string) => string | undefined;
  #worker: Worker | undefined;
  #inProcess: Poller | undefined;
  #mode: PollerMode = "worker";
  #closed = false;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  #restarts = 0;
  #started: PromiseWithResolvers<void> | undefined;
  #lastApplied: { digest: string; secrets: string } | undefined;
  #nextId = 1;
  readonly #flushes = new Map<number, (pending: number) => void>();
  #stopped: PromiseWithResolvers<void> | undefined;
  /** True while the `--bootstrap-config` file (not a control-plane version) is serving. */
  bootstrap = false;
  /** The audit sink that ships decision events through the worker. */
  readonly audit: WorkerAuditSink;

  constructor(options: ManagedRuntimeOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: "managed" });
    this.#env = options.env ?? ((n) => Deno.env.get(n));
    this.audit = new WorkerAuditSink(this, options.maxPendingEvents ?? 10_000);
    this.audit.onDrop = (n) => options.gateway.metrics.auditDropped.inc(undefined, n);
  }

  /** Where the poller runs. */
  get mode(): PollerMode {
    return this.#mode;
  }

  /**
   * Starts polling: in the sandboxed worker when its module can be loaded under
   * this process's permissions, else on the main thread (logged once).
   * Resolves once the poller has started.
   */
  start(): Promise<void> {
    this.#started = Promise.withResolvers<void>();
    const url = new URL("./poller_worker.ts", import.meta.url);
    const embedded = this.#o.workerSource ?? EMBEDDED_POLLER_WORKER;
    const mode = this.#o.mode ??
      (embedded !== undefined || (canLoadWorker(url) && canLoadWorker(new URL("../", import.meta.url)))
        ? "worker"
        : "in-process");
    if (mode === "worker") this.#spawn();
    else {
      if (!this.#o.mode) {
        this.#log.warn(
          "the poller worker's module is not readable under this permission set; polling runs on the main thread",
          { module: url.href },
        );
      }
      this.#startInProcess();
    }
    return this.#started.promise;
  }

  #startInProcess(): void {
    this.#mode = "in-process";
    (async () => {
      const settings = this.#o.settings;
      const publicKey = settings.publicKeyPem ? await importPublicKey(settings.publicKeyPem) : undefined;
      const poller = new Poller(settings, {
        applyConfig: (config) => {
          const r = this.#applyConfig({ type: "config", id: 0, ...config });
          return Promise.resolve(r.ok ? { ok: true } : { ok: false, error: r.error });
        },
        statusInfo: () => Promise.resolve(this.statusInfo()),
        pollResult: (result, failure) =>
          this.#onMessage({ type: "poll", result, ...(failure ? { failure } : {}) }),
        log: (level, msg, fields) => this.#log.log(level, msg, fields),
        eventsDropped: (count) => this.#o.gateway.metrics.auditDropped.inc(undefined, count),
      }, { policyKinds: policyKindInfo(), publicKey });
      if (this.#closed) return;
      this.#inProcess = poller;
      poller.start(!!this.#o.gateway.snapshot);
      this.#onMessage({ type: "started" });
    })().catch((err) => this.#started?.reject(new ManagedStartError(String(err))));
  }

  #spawn(): void {
    this.#mode = "worker";
    // A bundled worker (compiled binaries) starts from a blob: URL, which needs no read permission.
    const embedded = this.#o.workerSource ?? EMBEDDED_POLLER_WORKER;
    const url = embedded !== undefined
      ? URL.createObjectURL(new Blob([embedded], { type: "text/javascript" }))
      : new URL("./poller_worker.ts", import.meta.url);
    const options: WorkerOptions & { deno?: { permissions: Deno.PermissionOptionsObject } } = {
      type: "module",
      name: "kt-managed-poller",
    };
    if (this.#o.sandbox !== false) options.deno = { permissions: workerPermissions(this.#o.settings.apiUrl) };
    const worker = new Worker(url, options);
    this.#worker = worker;
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.#onMessage(e.data);
    let started = false;
    worker.addEventListener("message", (e: MessageEvent<FromWorker>) => {
      if (e.data.type === "started") {
        started = true;
        if (url instanceof URL) return;
        URL.revokeObjectURL(url);
      }
    });
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      if (!started && this.#restarts === 0 && !this.#o.mode) {
        // The worker could not even load (a permission set that cannot read its modules): poll in-process.
        this.#log.warn("the poller worker cannot start; polling runs on the main thread", {
          error: e.message,
        });
        worker.terminate();
        this.#worker = undefined;
        this.#startInProcess();
        return;
      }
      this.#log.error("managed mode: the poller worker failed; restarting it", { error: e.message });
      this.#restart();
    };
    worker.onmessageerror = () => this.#log.error("managed mode: a worker message could not be read");
    const msg: ToWorker = { type: "init", settings: this.#o.settings, serving: !!this.#o.gateway.snapshot };
    worker.postMessage(msg);
  }

  #restart(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    if (this.#closed) return;
    const delay = Math.min(30_000, 1000 * 2 ** Math.min(this.#restarts++, 5));
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (!this.#closed) this.#spawn();
    }, delay);
  }

  #post(msg: ToWorker): boolean {
    if (!this.#worker) return false;
    this.#worker.postMessage(msg);
    return true;
  }

  #onMessage(msg: FromWorker): void {
    switch (msg.type) {
      case "started":
        this.#log.info("control-plane poller started", {
          mode: this.#mode,
          ...(this.#mode === "worker" && this.#o.sandbox !== false
            ? { worker_net: apiHostPort(this.#o.settings.apiUrl) }
            : {}),
        });
        this.#restarts = 0;
        this.#started?.resolve();
        this.audit.kick();
        break;
      case "fatal":
        this.#started?.reject(new ManagedStartError(msg.error));
        break;
      case "config":
        this.#post({ id: msg.id, ...this.#applyConfig(msg) });
        break;
      case "status-request":
        this.#post({ type: "status-info", id: msg.id, info: this.statusInfo() });
        break;
      case "poll":
        this.#o.gateway.metrics.controlPlanePolls.inc({ result: msg.result });
        this.#o.onPoll?.(msg.result, msg.failure);
        break;
      case "log":
        this.#log.log(msg.level, msg.msg, msg.fields);
        break;
      case "events-dropped":
        this.#o.gateway.metrics.auditDropped.inc(undefined, msg.count);
        break;
      case "flushed": {
        const done = this.#flushes.get(msg.id);
        this.#flushes.delete(msg.id);
        done?.(msg.pending);
        break;
      }
      case "stopped":
        this.#stopped?.resolve();
        break;
    }
  }

  /** Compiles a config the worker validated and swaps it in (the only main-thread work of a rollout). */
  #applyConfig(
    msg: Extract<FromWorker, { type: "config" }>,
  ): { type: "applied"; ok: true; version: string; digest: string } | {
    type: "applied";
    ok: false;
    error: string;
  } {
    const secretsKey = JSON.stringify(Object.entries(msg.secrets).sort());
    const current = this.#o.gateway.snapshot;
    if (
      !this.bootstrap && current?.digest === msg.digest && this.#lastApplied?.digest === msg.digest &&
      this.#lastApplied.secrets === secretsKey
    ) {
      return { type: "applied", ok: true, version: current.version, digest: current.digest };
    }
    const t0 = performance.now();
    try {
      const loaded = loadConfig([{ name: `control-plane:${msg.version}`, text: msg.text, json: msg.json }], {
        policyKinds: policyKindInfo(),
        env: this.#env,
      });
      if (loaded.config.pack.version !== msg.version) {
        throw new Error(`pack.version ${loaded.config.pack.version} is not the announced ${msg.version}`);
      }
      const t1 = performance.now();
      const resolveSecret: SecretResolver = (
        ref,
      ) => ("env" in ref ? this.#env(ref.env) : msg.secrets[ref.store]);
      const snapshot = this.#o.gateway.apply(loaded, { resolveSecret });
      this.bootstrap = false;
      this.#lastApplied = { digest: msg.digest, secrets: secretsKey };
      this.#log.debug("config swap timing", {
        version: msg.version,
        load_ms: +(t1 - t0).toFixed(2),
        compile_swap_ms: +(performance.now() - t1).toFixed(2),
        bytes: msg.text.length,
      });
      return { type: "applied", ok: true, version: snapshot.version, digest: snapshot.digest };
    } catch (err) {
      const error = err instanceof ConfigError
        ? `invalid config: ${err.issues.slice(0, 3).map(formatIssue).join("; ")}`
        : `cannot compile the config: ${err instanceof Error ? err.message : String(err)}`;
      return { type: "applied", ok: false, error };
    }
  }

  /** What status reports say about this process. */
  statusInfo(): StatusInfo {
    const gw = this.#o.gateway;
    const snapshot = gw.snapshot;
    const health = gw.health().status as StatusInfo["health"];
    return {
      runningVersion: snapshot?.version ?? null,
      runningDigest: snapshot?.digest ?? null,
      health,
      requests: { ...gw.stats },
      bootstrap: this.bootstrap,
    };
  }

  /** Sends a batch of events to the worker; false when it is not running. */
  postEvents(events: DecisionEvent[]): boolean {
    if (this.#inProcess) {
      this.#inProcess.addEvents(events);
      return true;
    }
    return this.#post({ type: "events", events });
  }

  /** Asks the worker to upload what it buffers, for at most `deadlineMs`; resolves with what is left. */
  flushEvents(deadlineMs: number): Promise<number> {
    if (this.#inProcess) return this.#inProcess.flush(deadlineMs);
    if (!this.#worker) return Promise.resolve(-1);
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#flushes.delete(id);
        resolve(-1);
      }, deadlineMs + 1000);
      this.#flushes.set(id, (pending) => {
        clearTimeout(timer);
        resolve(pending);
      });
      this.#post({ type: "flush", id, deadlineMs });
    });
  }

  /** Stops the worker (after the audit sink flushed). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#restartTimer);
    await this.#inProcess?.stop();
    const worker = this.#worker;
    if (worker) {
      this.#stopped = Promise.withResolvers<void>();
      worker.postMessage({ type: "shutdown" } satisfies ToWorker);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#stopped.promise,
        new Promise<void>((r) => timer = setTimeout(r, 3000)),
      ]);
      clearTimeout(timer);
      worker.terminate();
      this.#worker = undefined;
    }
    for (const done of this.#flushes.values()) done(-1);
    this.#flushes.clear();
  }
}

/**
 * Audit sink of managed mode: `write` appends to an array (never blocks, never
 * throws); every 200 ms (or at 256 events) the batch is posted to the worker,
 * which buffers up to 10 000 events and uploads them to `POST /v1/events`.
 */
export class WorkerAuditSink implements AuditSink {
  readonly #runtime: ManagedRuntime;
  readonly #max: number;
  #pending: DecisionEvent[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** Called with the number of events dropped because the main-thread buffer was full. */
  onDrop: ((count: number) => void) | undefined;

  constructor(runtime: ManagedRuntime, max: number) {
    this.#runtime = runtime;
    this.#max = max;
  }

  write(event: DecisionEvent): void {
    this.#pending.push(event);
    if (this.#pending.length > this.#max) {
      const over = this.#pending.length - this.#max;
      this.#pending.splice(0, over);
      this.onDrop?.(over);
    }
    if (this.#closed) return;
    if (this.#pending.length >= 256) this.kick();
    else this.#timer ??= setTimeout(() => this.kick(), 200);
  }

  /** Posts what is pending to the worker now. */
  kick(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    if (this.#runtime.postEvents(this.#pending)) this.#pending = [];
  }

  /** Posts the rest and waits (at most 5 s) until the worker uploaded it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.kick();
    await this.#runtime.flushEvents(5000);
  }
}

/** True when this process may load the worker module (workers need read access to their module graph). */
export function canLoadWorker(url: URL): boolean {
  if (url.protocol !== "file:") return true;
  try {
    return Deno.permissions.querySync({ name: "read", path: url }).state === "granted";
  } catch {
    return false;
  }
}

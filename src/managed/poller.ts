/**
 * The managed-mode control loop (runs inside the poller worker): polls the
 * runtime state with `If-None-Match`, validates new versions, resolves `store`
 * secrets, hands validated configs to the main thread, reports status, and
 * uploads decision events from a bounded buffer.
 *
 * Outage behaviour (SPEC 5): the gateway keeps serving its last config; polls
 * back off exponentially with jitter, capped at 4× the poll interval; every
 * state change (reachable → unreachable, token refused, …) is logged once.
 *
 * @module
 */
import type { DecisionEvent } from "../audit/event.ts";
import type { PolicyKindInfo } from "../config/load.ts";
import { scrubSecrets } from "../observability/log.ts";
import { ControlPlaneClient, ControlPlaneError } from "./client.ts";
import type { ConfigHandover, PollerSettings, PollFailureKind, PollResult, StatusInfo } from "./protocol.ts";
import { ConfigRejectedError, type ValidatedConfig, validateRuntimeState } from "./validate.ts";

/** What the poller needs from the main thread. */
export interface PollerHost {
  /** Compiles and swaps the config in; resolves with the outcome (never rejects). */
  applyConfig(config: ConfigHandover): Promise<{ ok: true } | { ok: false; error: string }>;
  statusInfo(): Promise<StatusInfo>;
  pollResult(result: PollResult, failure?: { kind: PollFailureKind; error: string }): void;
  log(level: "debug" | "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>): void;
  eventsDropped(count: number): void;
}

/** Options beyond {@link PollerSettings}. */
export interface PollerOptions {
  policyKinds: ReadonlyMap<string, PolicyKindInfo>;
  publicKey?: CryptoKey;
  /** Random source in [0, 1) for jitter (tests). */
  random?: () => number;
}

type Connectivity = "unknown" | "ok" | "unreachable" | "unauthorized" | "no_config";

/** Status values a gateway reports (SPEC 5). */
export type ReportedStatus = "healthy" | "degraded" | "config_rejected";

/** Computes the delay before the next poll. Exported for tests. */
export function nextPollDelay(
  intervalMs: number,
  failures: number,
  serving: boolean,
  random: () => number = Math.random,
): number {
  if (failures <= 0) return Math.round(intervalMs * (0.9 + 0.2 * random()));
  const cap = intervalMs * 4;
  const start = serving ? intervalMs : Math.min(1000, intervalMs);
  const base = Math.min(cap, start * 2 ** Math.min(failures - 1, 30));
  // ±20% jitter so a fleet that lost the control plane together does not come back in lockstep.
  return Math.round(Math.min(cap, base * (0.8 + 0.4 * random())));
}

/** What the main thread gets for a validated config and the `store` secrets resolved so far. */
function handover(config: ValidatedConfig, secrets: Record<string, string>): ConfigHandover {
  const { text, json, format, version, digest } = config;
  return { text, json, format, version, digest, secrets };
}

/** Polls, validates, reports, uploads. One per gateway process. */
export class Poller {
  readonly client: ControlPlaneClient;
  readonly #s: PollerSettings;
  readonly #host: PollerHost;
  readonly #o: PollerOptions;
  readonly #random: () => number;
  #closed = false;
  #sleepTimer: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  #etag: string | undefined;
  #desiredVersion: string | null = null;
  #appliedDigest: string | undefined;
  #rejected: { version: string; reason: string } | undefined;
  #connectivity: Connectivity = "unknown";
  #failures = 0;
  #lastFailure: string | null = null;
  #serving = false;
  #statusFailing = false;
  /** The applied config while some of its `store` secrets are still missing. */
  #pending: { config: ValidatedConfig; secrets: Record<string, string>; missing: Set<string> } | undefined;

  readonly #events: EventBuffer;
  #uploadTimer: ReturnType<typeof setTimeout> | undefined;
  #uploading: Promise<void> | undefined;
  #uploadFailures = 0;
  /** Set by a 429: wait this long (the control plane's `Retry-After`) before the next upload. */
  #retryAfterMs: number | undefined;
  #uploadState: "ok" | "failing" = "ok";
  #batchSize: number;

  constructor(settings: PollerSettings, host: PollerHost, options: PollerOptions) {
    this.#s = settings;
    this.#host = host;
    this.#o = options;
    this.#random = options.random ?? Math.random;
    this.client = new ControlPlaneClient({
      apiUrl: settings.apiUrl,
      gatewayId: settings.gatewayId,
      token: settings.token,
      caCerts: settings.caCerts,
      timeoutMs: settings.requestTimeoutMs,
    });
    this.#events = new EventBuffer(settings.maxBufferedEvents ?? 10_000);
    this.#batchSize = settings.eventBatchSize ?? 500;
  }

  /** Starts the poll loop (first poll at once) and the event uploader. */
  start(serving: boolean): void {
    this.#serving = serving;
    this.#loop = this.#run();
    this.#scheduleUpload(1000);
  }

  /** Stops polling and uploads; in-flight requests finish. */
  async stop(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#sleepTimer);
    this.#wake?.();
    clearTimeout(this.#uploadTimer);
    await this.#loop;
    await this.#uploading;
    this.client.close();
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      let delay: number;
      try {
        delay = await this.pollOnce();
      } catch (err) {
        // A bug must not end polling: log it and carry on at the poll interval.
        this.#host.log("error", "managed mode: unexpected error in the poll loop", { error: String(err) });
        delay = this.#s.pollIntervalMs;
      }
      if (this.#closed) break;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#sleepTimer = setTimeout(resolve, delay);
      });
      this.#wake = undefined;
    }
  }

  /** One poll + status report; returns the delay before the next one. */
  async pollOnce(): Promise<number> {
    let result: PollResult;
    let failure: { kind: PollFailureKind; error: string } | undefined;
    try {
      const r = await this.client.runtimeState(this.#etag);
      this.#setConnectivity("ok");
      this.#failures = 0;
      if (!r.changed) {
        result = "not_modified";
        if (this.#pending) await this.#retryPendingSecrets();
      } else {
        this.#desiredVersion = r.state.desired_version;
        const etag = r.etag ?? `"${r.state.digest}"`;
        try {
          if (r.state.digest !== this.#appliedDigest) await this.#apply(r.state);
          this.#rejected = undefined;
          result = "ok";
        } catch (err) {
          if (!(err instanceof ConfigRejectedError)) throw err;
          result = "rejected";
          failure = { kind: "rejected", error: err.message };
          this.#reject(err);
        }
        this.#etag = etag;
      }
    } catch (err) {
      if (!(err instanceof ControlPlaneError)) throw err;
      if (err.kind === "unauthorized") {
        result = "unauthorized";
        failure = { kind: "unauthorized", error: err.message };
        this.#setConnectivity("unauthorized", err.message);
        this.#failures = 0;
      } else if (err.kind === "no_config") {
        result = "no_config";
        failure = { kind: "no_config", error: err.message };
        this.#desiredVersion = null;
        this.#etag = undefined;
        this.#setConnectivity("no_config", err.message);
        this.#failures = 0;
      } else {
        result = "error";
        failure = { kind: "unreachable", error: err.message };
        this.#failures++;
        this.#setConnectivity("unreachable", err.message);
      }
    }
    this.#host.pollResult(result, failure);
    if (result !== "error" && !this.#closed) await this.#report();
    return nextPollDelay(this.#s.pollIntervalMs, this.#failures, this.#serving, this.#random);
  }

  #setConnectivity(next: Connectivity, error?: string): void {
    const prev = this.#connectivity;
    this.#connectivity = next;
    if (next !== "ok") this.#lastFailure = error ?? null;
    if (prev === next) return;
    const url = this.client.runtimeStateUrl;
    switch (next) {
      case "ok":
        if (prev !== "unknown") this.#host.log("info", "control plane reachable again", { url });
        break;
      case "unreachable":
        this.#host.log(
          "warn",
          this.#serving
            ? "control plane unreachable: serving the last-known config; retrying with backoff"
            : "control plane unreachable: no config yet; retrying with backoff",
          { url, error },
        );
        break;
      case "unauthorized":
        this.#host.log(
          "error",
          "the control plane refused the gateway token: it is invalid, expired, or lacks configurations:read; " +
            "serving the last-known config and retrying every poll interval",
          { url, error },
        );
        break;
      case "no_config":
        this.#host.log(
          "warn",
          "no config version is rolled out to this gateway yet; waiting (readyz stays 503 until one is)",
          { url, gateway_id: this.#s.gatewayId },
        );
        break;
    }
  }

  async #apply(state: Parameters<typeof validateRuntimeState>[0]): Promise<void> {
    const config = await validateRuntimeState(state, {
      policyKinds: this.#o.policyKinds,
      publicKey: this.#o.publicKey,
    });
    const secrets: Record<string, string> = {};
    const missing = new Set<string>();
    for (const name of config.storeRefs) {
      try {
        secrets[name] = await this.client.configVariable(name);
      } catch (err) {
        if (!(err instanceof ControlPlaneError)) throw err;
        missing.add(name);
        this.#host.log("warn", "a store secret cannot be resolved: targets using it are unavailable", {
          name,
          version: config.version,
          error: err.message,
        });
      }
    }
    const outcome = await this.#host.applyConfig(handover(config, secrets));
    if (!outcome.ok) throw new ConfigRejectedError("compile_failed", config.version, outcome.error);
    this.#appliedDigest = config.digest;
    this.#serving = true;
    this.#pending = missing.size > 0 ? { config, secrets, missing } : undefined;
  }

  async #retryPendingSecrets(): Promise<void> {
    const p = this.#pending!;
    let resolved = 0;
    for (const name of [...p.missing]) {
      try {
        p.secrets[name] = await this.client.configVariable(name);
        p.missing.delete(name);
        resolved++;
      } catch {
        // still missing; retried next poll
      }
    }
    if (resolved === 0) return;
    const outcome = await this.#host.applyConfig(handover(p.config, { ...p.secrets }));
    if (outcome.ok && p.missing.size === 0) this.#pending = undefined;
  }

  #reject(err: ConfigRejectedError): void {
    const reason = scrubSecrets(err.message).slice(0, 2000);
    this.#rejected = { version: err.version, reason };
    this.#host.log("error", "config rejected: the previous config keeps serving", {
      version: err.version,
      code: err.code,
      reason,
    });
  }

  /** Builds the status report (exported shape of SPEC 5). */
  async statusReport(): Promise<Record<string, unknown>> {
    const info = await this.#host.statusInfo();
    const missing = this.#pending ? [...this.#pending.missing] : [];
    let status: ReportedStatus;
    let lastError: string | null = null;
    if (this.#rejected) {
      status = "config_rejected";
      lastError = `version ${this.#rejected.version} rejected: ${this.#rejected.reason}`;
    } else if (missing.length > 0) {
      status = "degraded";
      lastError = `store secrets not resolved: ${missing.join(", ")}`;
    } else if (this.#connectivity === "unauthorized" || this.#connectivity === "no_config") {
      status = "degraded";
      lastError = this.#lastFailure;
    } else if (info.runningVersion === null || info.health !== "healthy" || info.bootstrap) {
      status = "degraded";
      lastError = info.runningVersion === null
        ? "no config is active"
        : info.bootstrap
        ? "serving the bootstrap config"
        : `gateway health is ${info.health}`;
    } else status = "healthy";
    return {
      running_version: info.runningVersion,
      desired_version: this.#desiredVersion,
      status,
      last_error: lastError === null ? null : scrubSecrets(lastError).slice(0, 4000),
      uptime_seconds: Math.floor((Date.now() - this.#s.startedAt) / 1000),
      requests: info.requests,
      kt_version: this.#s.ktVersion,
      instance_id: this.#s.instanceId,
      poll_interval_seconds: this.#s.pollIntervalMs / 1000,
      ...(info.runningDigest ? { config_digest: info.runningDigest } : {}),
    };
  }

  async #report(): Promise<void> {
    try {
      const report = await this.statusReport();
      // Scrub the whole text: secrets never leave the process, whatever field they hid in.
      await this.client.reportStatus(JSON.parse(scrubSecrets(JSON.stringify(report))));
      if (this.#statusFailing) this.#host.log("info", "status reports accepted again");
      this.#statusFailing = false;
    } catch (err) {
      if (!this.#statusFailing) {
        this.#host.log("warn", "status report failed; retrying after the next poll", {
          error: err instanceof Error ? err.message : String(err),
        });
      }
      this.#statusFailing = true;
    }
  }

  // ---- decision events ----------------------------------------------------------------------------

  /** Buffers events for upload (oldest dropped when full). */
  addEvents(events: readonly DecisionEvent[]): void {
    const dropped = this.#events.push(events);
    if (dropped > 0) this.#host.eventsDropped(dropped);
    if (this.#events.size >= this.#batchSize && this.#uploadFailures === 0) this.#scheduleUpload(0);
  }

  /** Events waiting for upload. */
  get bufferedEvents(): number {
    return this.#events.size;
  }

  #scheduleUpload(delayMs: number): void {
    if (this.#closed) return;
    clearTimeout(this.#uploadTimer);
    this.#uploadTimer = setTimeout(() => {
      this.#uploadTimer = undefined;
      if (this.#uploading) return;
      this.#uploading = this.#uploadAll().finally(() => {
        this.#uploading = undefined;
      });
    }, delayMs);
  }

  async #uploadAll(): Promise<void> {
    while (this.#events.size > 0 && !this.#closed) {
      const ok = await this.#uploadBatch();
      if (!ok) break;
    }
    if (!this.#closed) {
      const delay = this.#retryAfterMs ??
        (this.#uploadFailures === 0
          ? 1000
          : Math.min(30_000, 1000 * 2 ** Math.min(this.#uploadFailures, 5)) * (0.8 + 0.4 * this.#random()));
      this.#retryAfterMs = undefined;
      this.#scheduleUpload(delay);
    }
  }

  /** Uploads one batch; false when the caller should stop and retry later. */
  async #uploadBatch(): Promise<boolean> {
    const batch = this.#events.peek(this.#batchSize);
    const body = scrubSecrets(JSON.stringify({ events: batch }));
    const droppedBefore = this.#events.dropped;
    try {
      await this.client.uploadEvents(body);
      // Events pushed out by overflow meanwhile came from the head, i.e. from this batch.
      this.#events.drop(batch.length - (this.#events.dropped - droppedBefore));
      this.#uploadFailures = 0;
      if (this.#uploadState === "failing") this.#host.log("info", "decision event uploads resumed");
      this.#uploadState = "ok";
      return true;
    } catch (err) {
      if (!(err instanceof ControlPlaneError)) throw err;
      if (err.kind === "rate_limited") {
        // Keep the batch (the buffer stays bounded) and wait as long as the control plane asks.
        this.#uploadFailures++;
        this.#retryAfterMs = err.retryAfterMs;
        if (this.#uploadState === "ok") {
          this.#host.log("warn", "the control plane rate-limits decision events; keeping them buffered", {
            buffered: this.#events.size,
            retry_after_ms: err.retryAfterMs ?? null,
          });
        }
        this.#uploadState = "failing";
        return false;
      }
      if (err.status === 413 && this.#batchSize > 1) {
        this.#batchSize = Math.max(1, Math.floor(this.#batchSize / 2));
        return true;
      }
      if (err.kind === "client" || err.kind === "not_found") {
        // The control plane refuses this batch for good: drop it rather than retrying forever.
        this.#events.drop(batch.length - (this.#events.dropped - droppedBefore));
        this.#host.eventsDropped(batch.length);
        this.#host.log("error", "the control plane refused a batch of decision events; dropped it", {
          events: batch.length,
          error: err.message,
        });
        return true;
      }
      this.#uploadFailures++;
      if (this.#uploadState === "ok") {
        this.#host.log("warn", "decision event upload failed; buffering and retrying with backoff", {
          buffered: this.#events.size,
          error: err.message,
        });
      }
      this.#uploadState = "failing";
      return false;
    }
  }

  /** Uploads what is buffered until `deadlineMs` from now; resolves with what is left. */
  async flush(deadlineMs: number): Promise<number> {
    clearTimeout(this.#uploadTimer);
    await this.#uploading;
    const deadline = Date.now() + deadlineMs;
    while (this.#events.size > 0 && Date.now() < deadline) {
      const before = this.#events.size;
      const ok = await this.#uploadBatch();
      if (!ok || this.#events.size === before) break;
    }
    return this.#events.size;
  }
}

/** FIFO of events with a fixed capacity; pushing beyond it drops the oldest. */
export class EventBuffer {
  #items: DecisionEvent[] = [];
  #head = 0;
  #dropped = 0;
  readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }
  get size(): number {
    return this.#items.length - this.#head;
  }
  /** Events dropped by overflow so far. */
  get dropped(): number {
    return this.#dropped;
  }
  /** Appends; returns how many old events were dropped. */
  push(events: readonly DecisionEvent[]): number {
    for (const e of events) this.#items.push(e);
    const over = this.size - this.capacity;
    if (over > 0) {
      this.#head += over;
      this.#dropped += over;
    }
    this.#compact();
    return Math.max(0, over);
  }
  peek(n: number): DecisionEvent[] {
    return this.#items.slice(this.#head, this.#head + n);
  }
  drop(n: number): void {
    if (n <= 0) return;
    this.#head = Math.min(this.#items.length, this.#head + n);
    this.#compact();
  }
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}

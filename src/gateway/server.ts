/**
 * The gateway process: HTTP routes, the active snapshot and its atomic swap,
 * health, metrics, and graceful drain.
 *
 * @module
 */
import { type AuditSink, StdoutAuditSink } from "../audit/event.ts";
import type { LoadedConfig } from "../config/load.ts";
import type { FailMode } from "../policy/types.ts";
import { createRouterState, type UpstreamOverride } from "../providers/mod.ts";
import type { ApiKind, SecretResolver } from "../providers/types.ts";
import { Logger, registerSecret } from "../observability/log.ts";
import { GatewayMetrics } from "../observability/metrics.ts";
import type { GatewayContext, RequestStats } from "./context.ts";
import { PdfExtractor } from "./apis/pdf_text.ts";
import { GatewayError } from "./errors.ts";
import { ConcurrencyGate, type CounterStore, MemoryCounterStore } from "./limits.ts";
import { handleApiRequest, requestIdOf } from "./pipeline.ts";
import { redactRedisUrl, RedisCounterStore } from "./redis_counter_store.ts";
import { authenticateClient, compileSnapshot, type RuntimeSnapshot } from "./snapshot.ts";

/** How the gateway was started. */
export interface GatewayOptions {
  /** kt's own version (for /health). */
  ktVersion: string;
  failMode?: FailMode;
  maxConcurrency?: number;
  /** Queue length before shedding (default: maxConcurrency). */
  maxQueue?: number;
  /** How long a queued request waits for a slot before 503 (default 10 s). */
  queueTimeoutMs?: number;
  override?: UpstreamOverride;
  gatewayId?: string;
  audit?: AuditSink;
  logger?: Logger;
  /** Resolves `secret_key_ref`s (default: environment only). */
  resolveSecret?: SecretResolver;
  caCerts?: string[];
  counters?: CounterStore;
}

/** Where the gateway listens. */
export interface ListenOptions {
  hostname: string;
  port: number;
  cert?: string;
  key?: string;
}

type Route = { kind: "api"; api: ApiKind } | { kind: "ops"; name: string };

const ROUTES: ReadonlyMap<string, { methods: readonly string[]; route: Route }> = new Map([
  ["/v1/chat/completions", { methods: ["POST"], route: { kind: "api", api: "chat" } }],
  ["/v1/completions", { methods: ["POST"], route: { kind: "api", api: "completions" } }],
  ["/v1/embeddings", { methods: ["POST"], route: { kind: "api", api: "embeddings" } }],
  ["/v1/responses", { methods: ["POST"], route: { kind: "api", api: "responses" } }],
  ["/v1/messages", { methods: ["POST"], route: { kind: "api", api: "messages" } }],
  ["/v1/models", { methods: ["GET"], route: { kind: "ops", name: "models" } }],
  ["/healthz", { methods: ["GET", "HEAD"], route: { kind: "ops", name: "healthz" } }],
  ["/readyz", { methods: ["GET", "HEAD"], route: { kind: "ops", name: "readyz" } }],
  ["/health", { methods: ["GET"], route: { kind: "ops", name: "health" } }],
  ["/metrics", { methods: ["GET"], route: { kind: "ops", name: "metrics" } }],
  ["/keeptrusts/config", { methods: ["GET"], route: { kind: "ops", name: "config" } }],
  ["/keeptrusts/reload", { methods: ["POST"], route: { kind: "ops", name: "reload" } }],
]);

const LOOPBACK = /^(?:127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

const envResolver: SecretResolver = (ref) => ("env" in ref ? Deno.env.get(ref.env) : undefined);

/** A governance gateway: swap configs in, serve requests on the snapshot they started with. */
export class Gateway {
  readonly logger: Logger;
  readonly metrics = new GatewayMetrics();
  readonly stats: RequestStats = { total: 0, blocked: 0, redacted: 0, errors: 0 };
  readonly startedAt = Date.now();
  readonly #options: GatewayOptions;
  readonly #ctx: GatewayContext;
  /** PDF text extraction (its worker starts with the first PDF). */
  readonly #pdf = new PdfExtractor();
  readonly #routerState = createRouterState();
  readonly #counters: CounterStore;
  /** The shared store of `rate_limit_store`, reused across reloads with the same URL and prefix. */
  #redis: RedisCounterStore | undefined;
  readonly #inflight = new Map<RuntimeSnapshot, number>();
  readonly #retired = new Set<RuntimeSnapshot>();
  #snapshot: RuntimeSnapshot | undefined;
  #server: Deno.HttpServer | undefined;
  #shuttingDown = false;
  #audit: AuditSink;
  /** Set by local mode: re-reads the config files (`POST /keeptrusts/reload` from loopback). */
  onReloadRequest: (() => Promise<void>) | undefined;

  constructor(options: GatewayOptions) {
    this.#options = options;
    this.logger = options.logger ?? new Logger();
    this.#audit = options.audit ?? new StdoutAuditSink();
    this.#counters = options.counters ?? new MemoryCounterStore();
    const max = options.maxConcurrency ?? 512;
    const gate = new ConcurrencyGate(max, options.maxQueue ?? max, options.queueTimeoutMs ?? 10_000);
    const auditSink = () => this.#audit;
    this.#ctx = {
      gatewayId: options.gatewayId,
      logger: this.logger,
      metrics: this.metrics,
      get audit() {
        return auditSink();
      },
      gate,
      stats: this.stats,
      pdf: this.#pdf,
      onRequestDone: (s) => this.#release(s),
    };
    registerSecret(options.override?.apiKey);
  }

  /** The active snapshot, if any. */
  get snapshot(): RuntimeSnapshot | undefined {
    return this.#snapshot;
  }

  /** True once a valid config is active. */
  get ready(): boolean {
    return this.#snapshot !== undefined && !this.#shuttingDown;
  }

  /** Replaces the audit sink (managed mode switches to the uploader). */
  set audit(sink: AuditSink) {
    this.#audit = sink;
  }

  /**
   * Compiles a validated config and swaps it in atomically. Requests already
   * running keep their snapshot; new requests get this one. Throws when the
   * config cannot be compiled; the running snapshot then stays.
   */
  apply(loaded: LoadedConfig, extra: { resolveSecret?: SecretResolver } = {}): RuntimeSnapshot {
    const base = extra.resolveSecret ?? this.#options.resolveSecret ?? envResolver;
    let next: RuntimeSnapshot;
    let counters: CounterStore;
    try {
      counters = this.#countersFor(loaded.config.rate_limit_store);
      next = compileSnapshot(loaded, {
        failMode: this.#options.failMode ?? "block",
        resolveSecret: base,
        routerState: this.#routerState,
        counters,
        override: this.#options.override,
        caCerts: this.#options.caCerts,
      });
    } catch (err) {
      this.metrics.configReloads.inc({ result: "failure" });
      const unused = this.#pendingRedis;
      this.#pendingRedis = undefined;
      unused?.close();
      throw err;
    }
    const previous = this.#snapshot;
    this.#snapshot = next;
    this.#swapCounters(counters);
    this.metrics.configReloads.inc({ result: "success" });
    this.metrics.configInfo.reset();
    this.metrics.configInfo.set({ version: next.version, digest: next.digest }, 1);
    if (previous) this.#retire(previous);
    for (const w of loaded.warnings) {
      this.logger.warn("config warning", { code: w.code, path: w.path, message: w.message });
    }
    if (!next.config.pack.enabled) {
      this.logger.warn("pack.enabled is false: policies are OFF, requests pass through with audit only", {
        version: next.version,
      });
    }
    for (const t of next.providers.targets) {
      if (!t.available) this.logger.warn("target unavailable", { target: t.id, reason: t.unavailableReason });
      if (t.provider === "mock") this.logger.warn("target uses the mock provider", { target: t.id });
    }
    this.logger.info("config loaded", {
      version: next.version,
      digest: next.digest,
      sources: loaded.sources,
    });
    return next;
  }

  #pendingRedis: RedisCounterStore | undefined;

  /** The counter store for a config's `rate_limit_store` (a new Redis store is kept pending until the swap). */
  #countersFor(store: { redis_url: string; key_prefix: string } | undefined): CounterStore {
    if (!store) return this.#counters;
    const current = this.#redis;
    if (current && current.url === store.redis_url && current.keyPrefix === store.key_prefix) return current;
    const u = URL.canParse(store.redis_url) ? new URL(store.redis_url) : undefined;
    registerSecret(u?.password ? decodeURIComponent(u.password) : undefined);
    const shown = redactRedisUrl(store.redis_url);
    const created: RedisCounterStore = new RedisCounterStore({
      url: store.redis_url,
      keyPrefix: store.key_prefix,
      onStateChange: (state, error) => {
        if (this.#redis !== created) return;
        this.metrics.rateLimitStore.set(undefined, state === "up" ? 1 : 0);
        if (state === "up") {
          this.logger.info("rate-limit store connected: counters are shared", { redis: shown });
        } else {
          this.logger.warn("rate-limit store unreachable: counting locally until it is back", {
            redis: shown,
            error,
          });
        }
      },
    });
    this.#pendingRedis = created;
    return created;
  }

  /** Makes `counters` the active store, closing a Redis store no config uses any more. */
  #swapCounters(counters: CounterStore): void {
    this.#pendingRedis = undefined;
    const old = this.#redis;
    this.#redis = counters instanceof RedisCounterStore ? counters : undefined;
    if (old && old !== this.#redis) old.close();
    if (this.#redis) {
      this.metrics.rateLimitStore.set(undefined, this.#redis.state === "up" ? 1 : 0);
    } else this.metrics.rateLimitStore.reset();
  }

  #retire(snapshot: RuntimeSnapshot): void {
    if ((this.#inflight.get(snapshot) ?? 0) === 0) snapshot.providers.close();
    else this.#retired.add(snapshot);
  }

  #release(snapshot: RuntimeSnapshot): void {
    const n = (this.#inflight.get(snapshot) ?? 1) - 1;
    if (n > 0) {
      this.#inflight.set(snapshot, n);
    } else {
      this.#inflight.delete(snapshot);
      if (this.#retired.delete(snapshot)) snapshot.providers.close();
    }
    this.metrics.inflight.add(undefined, -1);
  }

  /** The request handler (usable without a listener in tests). */
  handle = async (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Promise<Response> => {
    const requestId = requestIdOf(req);
    const url = new URL(req.url);
    const entry = ROUTES.get(
      url.pathname.length > 1 && url.pathname.endsWith("/") ? url.pathname.slice(0, -1) : url.pathname,
    );
    if (!entry) {
      return new GatewayError(
        404,
        "unknown_route",
        `no route ${req.method} ${url.pathname.slice(0, 100)}; see /v1/models and the README`,
      )
        .toResponse(requestId);
    }
    if (!entry.methods.includes(req.method)) {
      return new GatewayError(
        405,
        "method_not_allowed",
        `${req.method} is not allowed on ${url.pathname}; use ${entry.methods.join(" or ")}`,
        {
          headers: { allow: entry.methods.join(", ") },
        },
      ).toResponse(requestId);
    }
    if (entry.route.kind === "ops") {
      if (entry.route.name === "reload") return await this.#reload(info.remoteAddr.hostname, requestId);
      return this.#ops(entry.route.name, req, requestId);
    }
    if (this.#shuttingDown) {
      return new GatewayError(
        503,
        "shutting_down",
        "the gateway is shutting down; retry on another instance",
        {
          retryAfterSeconds: 1,
        },
      ).toResponse(requestId);
    }
    const snapshot = this.#snapshot;
    if (!snapshot) {
      return new GatewayError(503, "not_ready", "the gateway has no valid config yet; retry shortly", {
        retryAfterSeconds: 1,
      }).toResponse(requestId);
    }
    this.#inflight.set(snapshot, (this.#inflight.get(snapshot) ?? 0) + 1);
    this.metrics.inflight.add(undefined, 1);
    const gone = new AbortController();
    info.completed?.catch(() => gone.abort());
    return await handleApiRequest(
      this.#ctx,
      snapshot,
      entry.route.api,
      req,
      info.remoteAddr.hostname,
      requestId,
      gone.signal,
    );
  };

  async #reload(remote: string, requestId: string): Promise<Response> {
    if (!LOOPBACK.test(remote)) {
      return new GatewayError(
        403,
        "invalid_credentials",
        "reload is only accepted from the gateway's own host",
      ).toResponse(requestId);
    }
    if (!this.onReloadRequest) {
      return new GatewayError(
        405,
        "method_not_allowed",
        "this gateway takes its config from the control plane; roll out a version instead",
      )
        .toResponse(requestId);
    }
    const before = this.#snapshot?.digest;
    await this.onReloadRequest();
    const after = this.#snapshot;
    return Response.json({
      reloaded: after?.digest !== before,
      config_version: after?.version ?? null,
      digest: after?.digest ?? null,
    }, { headers: { "x-request-id": requestId } });
  }

  #ops(name: string, req: Request, requestId: string): Response {
    const snapshot = this.#snapshot;
    const json = (body: unknown, status = 200) =>
      new Response(typeof body === "string" ? body : JSON.stringify(body), {
        status,
        headers: {
          "content-type": "application/json",
          "x-request-id": requestId,
          "cache-control": "no-store",
        },
      });
    switch (name) {
      case "healthz":
        return json({ status: "ok" });
      case "readyz":
        return this.ready
          ? json({ status: "ready", config_version: snapshot!.version })
          : json({ status: this.#shuttingDown ? "shutting_down" : "not_ready" }, 503);
      case "health":
        return json(this.health());
      case "metrics":
        this.metrics.queued.set(undefined, this.#ctx.gate.queued);
        return new Response(this.metrics.registry.render(), {
          headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        });
      case "models":
      case "config": {
        if (!snapshot) {
          return new GatewayError(503, "not_ready", "the gateway has no valid config yet").toResponse(
            requestId,
          );
        }
        if (snapshot.clientKeys) {
          try {
            authenticateClient(snapshot.clientKeys, req.headers);
          } catch (err) {
            if (err instanceof GatewayError) return err.toResponse(requestId);
            throw err;
          }
        }
        return json(name === "models" ? snapshot.modelsJson : snapshot.publicConfigJson);
      }
    }
    return new GatewayError(404, "unknown_route", "no such route").toResponse(requestId);
  }

  /** The `/health` document. */
  health(): Record<string, unknown> {
    const snapshot = this.#snapshot;
    const providers = snapshot?.providers.router.health() ?? {};
    const states = Object.values(providers);
    const redis = this.#redis;
    const rateLimitStore = !redis
      ? "memory"
      : redis.state === "up"
      ? "redis"
      : redis.state === "connecting"
      ? "connecting"
      : "degraded";
    const status = !snapshot || states.every((s) => s !== "available")
      ? "unhealthy"
      : states.some((s) => s !== "available") || rateLimitStore === "degraded"
      ? "degraded"
      : "healthy";
    return {
      status,
      version: this.#options.ktVersion,
      config_version: snapshot?.version ?? null,
      config_digest: snapshot?.digest ?? null,
      uptime_seconds: Math.floor((Date.now() - this.startedAt) / 1000),
      providers,
      policies_loaded: snapshot?.chain.kinds.length ?? 0,
      requests_processed: this.stats.total,
      rate_limit_store: rateLimitStore,
    };
  }

  /** Starts listening; resolves with the bound address. */
  listen(options: ListenOptions): Promise<Deno.NetAddr> {
    return new Promise((resolve, reject) => {
      try {
        const tls = options.cert && options.key ? { cert: options.cert, key: options.key } : {};
        this.#server = Deno.serve({
          hostname: options.hostname,
          port: options.port,
          ...tls,
          onListen: (addr) => resolve(addr as Deno.NetAddr),
          onError: (err) => {
            this.logger.error("unhandled error while serving", { error: String(err) });
            return new GatewayError(502, "upstream_failed", "internal error").toResponse(crypto.randomUUID());
          },
        }, this.handle);
      } catch (err) {
        reject(err);
      }
    });
  }

  /** Stops accepting, waits up to `graceMs` for in-flight requests, then closes. */
  async shutdown(graceMs = 25_000): Promise<void> {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    const server = this.#server;
    if (server) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), graceMs));
      const result = await Promise.race([server.shutdown().then(() => "done" as const), grace]);
      clearTimeout(timer);
      if (result === "timeout") {
        this.logger.warn("grace period over; closing with requests still open", { grace_ms: graceMs });
      }
    }
    await this.#audit.close();
    this.#pdf.close();
    this.#redis?.close();
    this.#snapshot?.providers.close();
    for (const s of this.#retired) s.providers.close();
  }
}

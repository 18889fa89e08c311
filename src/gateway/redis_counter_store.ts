/**
 * Rate-limit and token-budget counters shared by a fleet of gateways through
 * Redis (`rate_limit_store: { redis_url }`, SPEC 3.6).
 *
 * Each hit is one Lua script (fixed window: read, compare, `INCRBY`, `PEXPIRE`
 * on the first hit of a window) so that concurrent replicas never overshoot a
 * limit. When Redis cannot be reached the store falls back to process-local
 * counters at once (no request waits for a reconnect and none fails because of
 * Redis), reports `degraded`, and switches back when the connection is ready
 * again. The local fallback enforces each limit per replica, so a fleet of N
 * replicas admits up to N times the limit during an outage.
 *
 * @module
 */
import type { Redis } from "ioredis";
import { type CounterStore, MemoryCounterStore, type TakeResult } from "./limits.ts";

/** Lua: take `cost` from a fixed window unless it would exceed `limit`. Returns {allowed, count, pttl}. */
const TAKE_SCRIPT = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
if cur + cost > limit then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then ttl = window end
  return {0, cur, ttl}
end
local n = redis.call('INCRBY', KEYS[1], cost)
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], window)
  ttl = window
end
return {1, n, ttl}
`;

/** Lua: add a (possibly negative) delta without a limit check, never below zero. */
const ADJUST_SCRIPT = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if n < 0 then
  redis.call('SET', KEYS[1], 0, 'KEEPTTL')
end
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
`;

/** State of the shared store as shown in `/health`. */
export type RedisStoreState = "connecting" | "up" | "down";

/** Options of {@link RedisCounterStore}. */
export interface RedisCounterStoreOptions {
  /** `redis://` or `rediss://` URL (may carry a password; it is never logged). */
  url: string;
  /** Prefix of every key (config `rate_limit_store.key_prefix`, default `kt:rl:`). */
  keyPrefix?: string;
  /** How long one counter operation may take before the local fallback answers (default 250 ms). */
  commandTimeoutMs?: number;
  /** Called once per state change (up/down) with the error that caused a fall back. */
  onStateChange?: (state: "up" | "down", error?: string) => void;
}

type ScriptClient = Redis & {
  ktTake(key: string, cost: number, limit: number, windowMs: number): Promise<[number, number, number]>;
  ktAdjust(key: string, delta: number, windowMs: number): Promise<number>;
};

/** Error raised by {@link RedisCounterStore} construction for an unusable URL. */
export class RedisUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RedisUrlError";
  }
}

/** Returns the URL with its password (and username) replaced, for logs and `/health`. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "REDACTED";
    return u.toString();
  } catch {
    return "redis://<invalid>";
  }
}

/** Counters in Redis with a local in-memory fallback. Implements {@link CounterStore}. */
export class RedisCounterStore implements CounterStore {
  readonly url: string;
  readonly keyPrefix: string;
  #client: ScriptClient | undefined;
  readonly #local = new MemoryCounterStore();
  readonly #timeoutMs: number;
  readonly #onStateChange?: (state: "up" | "down", error?: string) => void;
  #state: RedisStoreState = "connecting";
  #closed = false;
  #probe: ReturnType<typeof setInterval> | undefined;

  constructor(options: RedisCounterStoreOptions) {
    if (!/^rediss?:\/\//.test(options.url) || !URL.canParse(options.url)) {
      throw new RedisUrlError("rate_limit_store.redis_url must be a redis:// or rediss:// URL");
    }
    this.url = options.url;
    this.keyPrefix = options.keyPrefix ?? "kt:rl:";
    this.#timeoutMs = options.commandTimeoutMs ?? 250;
    this.#onStateChange = options.onStateChange;
    // ioredis (and the node:net/tls layer under it) costs ~20 MiB of RSS: loaded only when a
    // config asks for Redis. Until it is loaded the store is "connecting" and counts locally.
    import("ioredis").then(({ Redis }) => {
      if (!this.#closed) this.#client = this.#connect(Redis, options.url);
    }, (err: Error) => this.#set("down", `could not load the Redis client: ${err.message}`));
  }

  #connect(RedisClass: typeof Redis, url: string): ScriptClient {
    const client = new RedisClass(url, {
      // Fail fast instead of queueing while disconnected: the local counters answer meanwhile.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      commandTimeout: this.#timeoutMs,
      enableReadyCheck: true,
      lazyConnect: false,
      retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 6), 2000),
      reconnectOnError: () => false,
    }) as ScriptClient;
    client.defineCommand("ktTake", { numberOfKeys: 1, lua: TAKE_SCRIPT });
    client.defineCommand("ktAdjust", { numberOfKeys: 1, lua: ADJUST_SCRIPT });
    client.on("ready", () => this.#set("up"));
    client.on("error", (err: Error) => this.#set("down", err.message));
    client.on("close", () => this.#set("down", "connection closed"));
    return client;
  }

  /** `up` while Redis answers; `down` while the local fallback counts. */
  get state(): RedisStoreState {
    return this.#state;
  }

  #set(state: "up" | "down", error?: string): void {
    if (this.#closed) return;
    if (state === this.#state) return;
    // A first connection attempt that fails is a change from "connecting" to "down" too.
    this.#state = state;
    if (state === "down") this.#startProbe();
    else this.#stopProbe();
    this.#onStateChange?.(state, error);
  }

  /**
   * While down, checks once a second whether Redis answers again. Reconnects
   * emit "ready" by themselves; this covers a connection that stayed open but
   * timed out (an overloaded or paused Redis).
   */
  #startProbe(): void {
    if (this.#probe !== undefined) return;
    this.#probe = setInterval(() => {
      if (this.#client?.status !== "ready") return;
      this.#client.ping().then(() => this.#set("up"), () => {});
    }, 1000);
  }

  #stopProbe(): void {
    if (this.#probe !== undefined) clearInterval(this.#probe);
    this.#probe = undefined;
  }

  take(key: string, cost: number, limit: number, windowMs: number): TakeResult | Promise<TakeResult> {
    if (this.#state !== "up" || !this.#client) return this.#local.take(key, cost, limit, windowMs);
    return this.#client.ktTake(this.keyPrefix + key, cost, limit, Math.max(1, Math.round(windowMs))).then(
      ([allowed, count, pttl]) => ({ allowed: allowed === 1, count, resetMs: Math.max(0, pttl) }),
      (err: Error) => {
        this.#set("down", err.message);
        return this.#local.take(key, cost, limit, windowMs);
      },
    );
  }

  adjust(key: string, delta: number, windowMs: number): void | Promise<void> {
    if (delta === 0) return;
    if (this.#state !== "up" || !this.#client) return this.#local.adjust(key, delta, windowMs);
    return this.#client.ktAdjust(this.keyPrefix + key, Math.round(delta), Math.max(1, Math.round(windowMs)))
      .then(
        () => {},
        (err: Error) => {
          this.#set("down", err.message);
          this.#local.adjust(key, delta, windowMs);
        },
      );
  }

  /** Closes the connection (no reconnects afterwards). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopProbe();
    this.#client?.disconnect(false);
  }
}

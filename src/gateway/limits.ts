/**
 * Request limits: fixed-window rate counters (global, per IP, per user, per
 * token budget) and the upstream concurrency gate with a bounded queue.
 *
 * Counters live in process memory and survive config reloads (they are keyed
 * by limit settings). A shared store (Redis) can implement {@link CounterStore}.
 *
 * @module
 */
import { GatewayError } from "./errors.ts";

/** Result of counting a hit. */
export interface CountResult {
  /** Count in the current window after this hit (or before it when refused). */
  count: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

/** Result of {@link CounterStore.take}. */
export type TakeResult = CountResult & { allowed: boolean };

/**
 * Where rate counters live. The in-memory store answers synchronously; a shared
 * store (Redis) answers with a Promise. {@link RateLimiter} stays synchronous
 * whenever the store does, so the default path costs no extra microtask.
 */
export interface CounterStore {
  /**
   * Adds `cost` to `key` unless that would exceed `limit`; returns whether it was added.
   * Implementations must be atomic per key and must not reject (fall back instead).
   */
  take(key: string, cost: number, limit: number, windowMs: number): TakeResult | Promise<TakeResult>;
  /**
   * Adds `delta` (may be negative) to `key` without a limit check (token usage
   * reconciliation). Fire and forget: callers do not wait for a returned Promise.
   */
  adjust(key: string, delta: number, windowMs: number): void | Promise<void>;
}

/** Bounded in-memory fixed-window counters. */
export class MemoryCounterStore implements CounterStore {
  #windows = new Map<string, { start: number; count: number }>();
  readonly maxKeys: number;
  constructor(maxKeys = 100_000) {
    this.maxKeys = maxKeys;
  }

  #window(key: string, windowMs: number, now: number): { start: number; count: number } {
    let w = this.#windows.get(key);
    if (!w || now - w.start >= windowMs) {
      if (!w && this.#windows.size >= this.maxKeys) this.#evict(now, windowMs);
      w = { start: now, count: 0 };
      this.#windows.set(key, w);
    }
    return w;
  }

  #evict(now: number, windowMs: number): void {
    for (const [k, w] of this.#windows) if (now - w.start >= windowMs) this.#windows.delete(k);
    // Still full: drop the oldest entries (Map keeps insertion order).
    const excess = this.#windows.size - this.maxKeys + 1;
    if (excess > 0) {
      let n = 0;
      for (const k of this.#windows.keys()) {
        if (n++ >= excess) break;
        this.#windows.delete(k);
      }
    }
  }

  take(key: string, cost: number, limit: number, windowMs: number): TakeResult {
    const now = Date.now();
    const w = this.#window(key, windowMs, now);
    const resetMs = w.start + windowMs - now;
    if (w.count + cost > limit) return { allowed: false, count: w.count, resetMs };
    w.count += cost;
    return { allowed: true, count: w.count, resetMs };
  }

  adjust(key: string, delta: number, windowMs: number): void {
    const w = this.#window(key, windowMs, Date.now());
    w.count = Math.max(0, w.count + delta);
  }
}

/** Limit settings of one snapshot (the validated config sections). */
export interface LimitSettings {
  global?: { max_requests: number; window_seconds: number };
  ip?: { max_requests: number; window_seconds: number; trust_proxy_depth: number };
  user?: { max_requests: number; window_seconds: number; header_names: string[] };
  tokens?: { max_tokens: number; window_seconds: number; header_names?: string[] };
}

/** A token reservation to reconcile once usage is known. */
export interface TokenReservation {
  key: string;
  reserved: number;
  windowMs: number;
}

/** Applies a snapshot's rate limits against a counter store. */
export class RateLimiter {
  readonly #store: CounterStore;
  readonly #settings: LimitSettings;

  /** Counter keys include each limit's settings, so a reload restarts only the windows of changed limits. */
  constructor(store: CounterStore, settings: LimitSettings) {
    this.#store = store;
    this.#settings = settings;
  }

  /** True when any limit is configured. */
  get active(): boolean {
    const s = this.#settings;
    return !!(s.global || s.ip || s.user || s.tokens);
  }

  /**
   * Counts one request; throws 429 `rate_limited` when over a limit. Returns a
   * Promise (rejecting with the 429) only when the counter store is asynchronous.
   */
  checkRequest(headers: Headers, remoteIp: string): void | Promise<void> {
    const s = this.#settings;
    const checks: Array<[string, { max_requests: number; window_seconds: number }, string]> = [];
    if (s.global) checks.push([`g:${s.global.max_requests}/${s.global.window_seconds}`, s.global, "global"]);
    if (s.ip) {
      const ip = clientIp(headers, remoteIp, s.ip.trust_proxy_depth);
      checks.push([`ip:${s.ip.max_requests}/${s.ip.window_seconds}:${ip}`, s.ip, "per-IP"]);
    }
    if (s.user) {
      const user = firstHeader(headers, s.user.header_names);
      if (user) {
        checks.push([`u:${s.user.max_requests}/${s.user.window_seconds}:${user}`, s.user, "per-user"]);
      }
    }
    return this.#takeAll(checks, 0);
  }

  /** Runs `checks` in order from `i`, synchronously until the store first answers with a Promise. */
  #takeAll(
    checks: Array<[string, { max_requests: number; window_seconds: number }, string]>,
    i: number,
  ): void | Promise<void> {
    for (; i < checks.length; i++) {
      const [key, limit, label] = checks[i];
      const r = this.#store.take(key, 1, limit.max_requests, limit.window_seconds * 1000);
      if (r instanceof Promise) {
        const next = i + 1;
        return r.then((res) => {
          rateLimited(res, limit, label);
          return this.#takeAll(checks, next);
        });
      }
      rateLimited(r, limit, label);
    }
  }

  /**
   * Reserves tokens up front (from `max_tokens` when present, else `estimate`);
   * throws 429 `budget_exceeded` when the window's budget is spent.
   */
  reserveTokens(
    headers: Headers,
    maxTokens: number | undefined,
    estimate: number,
  ): TokenReservation | undefined | Promise<TokenReservation | undefined> {
    const t = this.#settings.tokens;
    if (!t) return undefined;
    const who = t.header_names ? firstHeader(headers, t.header_names) ?? "-" : "*";
    const key = `t:${t.max_tokens}/${t.window_seconds}:${who}`;
    const reserved = Math.max(1, Math.min(maxTokens ?? estimate, t.max_tokens));
    const windowMs = t.window_seconds * 1000;
    const settle = (r: TakeResult): TokenReservation => {
      if (!r.allowed) {
        throw new GatewayError(
          429,
          "budget_exceeded",
          `token budget of ${t.max_tokens} tokens per ${t.window_seconds} s is spent; retry later`,
          { retryAfterSeconds: r.resetMs / 1000 },
        );
      }
      return { key, reserved, windowMs };
    };
    const r = this.#store.take(key, reserved, t.max_tokens, windowMs);
    return r instanceof Promise ? r.then(settle) : settle(r);
  }

  /** Replaces a reservation by the tokens actually used. */
  settleTokens(reservation: TokenReservation | undefined, used: number | undefined): void {
    if (!reservation || used === undefined) return;
    const done = this.#store.adjust(reservation.key, used - reservation.reserved, reservation.windowMs);
    if (done instanceof Promise) done.catch(() => {});
  }
}

function rateLimited(
  r: TakeResult,
  limit: { max_requests: number; window_seconds: number },
  label: string,
): void {
  if (!r.allowed) {
    throw new GatewayError(
      429,
      "rate_limited",
      `${label} rate limit of ${limit.max_requests} requests per ${limit.window_seconds} s reached; retry later`,
      { retryAfterSeconds: r.resetMs / 1000 },
    );
  }
}

function firstHeader(headers: Headers, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = headers.get(n);
    if (v) return v.slice(0, 200);
  }
  return undefined;
}

/** Client IP: the socket address, or the n-th entry from the right of X-Forwarded-For with trusted proxies. */
export function clientIp(headers: Headers, remoteIp: string, trustProxyDepth: number): string {
  if (trustProxyDepth <= 0) return remoteIp;
  const xff = headers.get("x-forwarded-for");
  if (!xff) return remoteIp;
  const hops = xff.split(",").map((s) => s.trim()).filter(Boolean);
  return hops[Math.max(0, hops.length - trustProxyDepth)] ?? remoteIp;
}

/**
 * Bounds concurrent upstream requests. Excess requests wait in a bounded FIFO
 * queue for at most `queueTimeoutMs`; beyond the queue they are refused at once.
 */
export class ConcurrencyGate {
  #active = 0;
  readonly #queue: Array<{ resolve: () => void; timer: ReturnType<typeof setTimeout> }> = [];
  readonly max: number;
  readonly maxQueue: number;
  readonly queueTimeoutMs: number;

  constructor(max: number, maxQueue = max, queueTimeoutMs = 10_000) {
    this.max = max;
    this.maxQueue = maxQueue;
    this.queueTimeoutMs = queueTimeoutMs;
  }

  get active(): number {
    return this.#active;
  }
  get queued(): number {
    return this.#queue.length;
  }

  /** Takes a slot, waiting in the queue if needed; throws 503 `overloaded`. Call the returned function once. */
  acquire(): Promise<() => void> | (() => void) {
    if (this.#active < this.max) {
      this.#active++;
      return this.#releaser();
    }
    if (this.#queue.length >= this.maxQueue) throw overloaded();
    return new Promise<() => void>((resolve, reject) => {
      const entry = {
        resolve: () => resolve(this.#releaser()),
        timer: setTimeout(() => {
          const i = this.#queue.indexOf(entry);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(overloaded());
        }, this.queueTimeoutMs),
      };
      this.#queue.push(entry);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      if (next) {
        clearTimeout(next.timer);
        next.resolve();
      } else this.#active--;
    };
  }
}

function overloaded(): GatewayError {
  return new GatewayError(503, "overloaded", "the gateway is at its concurrency limit; retry shortly", {
    retryAfterSeconds: 1,
  });
}

/**
 * Token buckets keyed by a bounded set of names (gateway ids): `rate` units a
 * second, at most `burst` saved up. Per process: replicas of one control plane
 * each hold their own buckets.
 *
 * @module
 */

/** Outcome of {@link TokenBuckets.take}. */
export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Most keys kept; beyond it, buckets that are full again (idle keys) are forgotten. */
const MAX_KEYS = 100_000;

/** Per-key token buckets on an injectable clock. */
export class TokenBuckets {
  readonly rate: number;
  readonly burst: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  /**
   * @param rate units refilled per second (> 0)
   * @param burst bucket size: the most one key may take at once
   * @param now clock in milliseconds
   */
  constructor(rate: number, burst: number, now: () => number) {
    this.rate = rate;
    this.burst = burst;
    this.#now = now;
  }

  /** Takes `n` units for `key`, or says (in whole seconds, at least 1) when they will be there. */
  take(key: string, n: number): TakeResult {
    const now = this.#now();
    const b = this.#buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * this.rate);
    b.at = now;
    if (!this.#buckets.has(key)) {
      if (this.#buckets.size >= MAX_KEYS) this.#forgetFull(now);
      this.#buckets.set(key, b);
    }
    if (b.tokens >= n) {
      b.tokens -= n;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((n - b.tokens) / this.rate)) };
  }

  #forgetFull(now: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.rate >= this.burst) this.#buckets.delete(key);
    }
  }
}

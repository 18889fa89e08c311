/**
 * Per-target circuit breaker: opens after `threshold` consecutive failures, lets one trial request
 * through after `cooldownMs` (half-open), closes on success and re-opens on a failed trial.
 *
 * @module
 */

/** Breaker state as observed at a point in time. */
export type BreakerStatus = "closed" | "open" | "half_open";

/** Thresholds of a breaker (from the active config snapshot). */
export interface BreakerConfig {
  /** Consecutive failures that open the circuit. */
  threshold: number;
  /** Time before an open circuit admits one trial request. */
  cooldownMs: number;
}

/** A circuit breaker. State is mutable and lives in the router state, so it survives config reloads. */
export class CircuitBreaker {
  #failures = 0;
  #open = false;
  #openedAt = 0;
  #probing = false;

  /** Consecutive failures counted so far. */
  get failures(): number {
    return this.#failures;
  }

  /** The status at `now` (ms, `performance.now()` clock). */
  status(now: number, cfg: BreakerConfig): BreakerStatus {
    if (!this.#open) return "closed";
    return now - this.#openedAt >= cfg.cooldownMs ? "half_open" : "open";
  }

  /** Whether a plan may include the target: closed, or half-open with no trial in flight. */
  admits(now: number, cfg: BreakerConfig): boolean {
    const s = this.status(now, cfg);
    return s === "closed" || (s === "half_open" && !this.#probing);
  }

  /** Claims the right to call the target now; in half-open state only one caller gets it. */
  tryAcquire(now: number, cfg: BreakerConfig): boolean {
    const s = this.status(now, cfg);
    if (s === "closed") return true;
    if (s === "half_open" && !this.#probing) {
      this.#probing = true;
      return true;
    }
    return false;
  }

  /** Records a successful call: the breaker closes. */
  onSuccess(): void {
    this.#failures = 0;
    this.#open = false;
    this.#probing = false;
  }

  /** Records a failed call (429, 5xx, timeout, connection error). */
  onFailure(now: number, cfg: BreakerConfig): void {
    this.#failures++;
    if (this.#probing || this.#failures >= cfg.threshold) {
      this.#open = true;
      this.#openedAt = now;
    }
    this.#probing = false;
  }

  /** Gives back a claimed trial without a verdict (client went away, adapter bug). */
  release(): void {
    this.#probing = false;
  }
}

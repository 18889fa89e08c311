/**
 * One timer for every deadline in flight (upstream calls, request-body reads): a `setTimeout` per
 * request cost ~5 µs of server CPU under load. The timer is armed for the earliest deadline; when it
 * fires it expires what is due and re-arms for the next deadline. It is cleared as soon as nothing is
 * watched, so an idle process (or a finished test) holds no timer.
 *
 * @module
 */

/** Something with an idle deadline: `expire()` is called once `lastActivity + timeoutMs` has passed. */
export interface Watched {
  /** `performance.now()` of the last progress; moving it forward postpones the deadline. */
  lastActivity: number;
  readonly timeoutMs: number;
  /** Called once, after the entry was removed from the watchdog. */
  expire(): void;
}

/** The process-wide deadline timer (see the module doc). */
export class Watchdog {
  readonly #entries = new Set<Watched>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer fires (performance.now() time). */
  #due = Infinity;

  /** Starts watching `entry` (its deadline counts from its current `lastActivity`). */
  add(entry: Watched): void {
    this.#entries.add(entry);
    const due = entry.lastActivity + entry.timeoutMs;
    if (due < this.#due) this.#arm(due);
  }

  /** Stops watching `entry`; clears the timer when nothing is left. */
  delete(entry: Watched): void {
    this.#entries.delete(entry);
    if (this.#entries.size === 0 && this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#due = Infinity;
    }
  }

  #arm(due: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#due = due;
    this.#timer = setTimeout(this.#fire, Math.max(0, due - performance.now()));
  }

  #fire = (): void => {
    this.#timer = undefined;
    this.#due = Infinity;
    const now = performance.now();
    let next = Infinity;
    const expired: Watched[] = [];
    for (const entry of this.#entries) {
      const due = entry.lastActivity + entry.timeoutMs;
      if (due - now <= 1) expired.push(entry);
      else if (due < next) next = due;
    }
    for (const entry of expired) this.#entries.delete(entry);
    if (next !== Infinity) this.#arm(next);
    for (const entry of expired) entry.expire();
  };
}

/** The shared instance. */
export const watchdog: Watchdog = new Watchdog();

/**
 * Router state that outlives config snapshots, keyed by target id.
 *
 * @module
 */
import { CircuitBreaker } from "./circuit_breaker.ts";

/** Latencies kept per target for `lowest_latency`. */
export const LATENCY_WINDOW = 20;

/** Rolling latency window of a target (last {@link LATENCY_WINDOW} samples). */
export class LatencyWindow {
  #samples: number[] = [];
  #next = 0;
  #sum = 0;

  /** Adds a sample in ms. */
  record(ms: number): void {
    if (this.#samples.length < LATENCY_WINDOW) {
      this.#samples.push(ms);
    } else {
      this.#sum -= this.#samples[this.#next];
      this.#samples[this.#next] = ms;
      this.#next = (this.#next + 1) % LATENCY_WINDOW;
    }
    this.#sum += ms;
  }

  /** Mean of the window, or undefined when the target was never measured. */
  get average(): number | undefined {
    return this.#samples.length ? this.#sum / this.#samples.length : undefined;
  }

  /** Number of samples held. */
  get count(): number {
    return this.#samples.length;
  }
}

/** Runtime state of one target id. */
export interface TargetRuntimeState {
  /** The target's circuit breaker. */
  readonly breaker: CircuitBreaker;
  /** Recent latencies (for `lowest_latency`). */
  readonly latency: LatencyWindow;
  /** Smooth weighted round robin accumulator. */
  swrrCurrent: number;
}

/** Router state that outlives config snapshots (circuit breakers, latency windows), keyed by target id. */
export interface RouterState {
  /** Per-target state by target id. */
  readonly targets: Map<string, TargetRuntimeState>;
  /** Round-robin cursor. */
  cursor: number;
}

/** Creates router state for the lifetime of a gateway process. */
export function createRouterState(): RouterState {
  return { targets: new Map(), cursor: 0 };
}

/** Returns (creating when needed) the state of a target id. */
export function targetState(state: RouterState, id: string): TargetRuntimeState {
  let s = state.targets.get(id);
  if (!s) {
    s = { breaker: new CircuitBreaker(), latency: new LatencyWindow(), swrrCurrent: 0 };
    state.targets.set(id, s);
  }
  return s;
}

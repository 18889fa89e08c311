/**
 * Parsing of wrk's text report (`wrk --latency`), shared by bench/run.ts and its unit test.
 *
 * @module
 */

/** The numbers the benchmark keeps from one wrk run. */
export interface WrkResult {
  /** `Requests/sec:` line. */
  rps: number;
  /** Completed requests. */
  requests: number;
  /** Measured duration in seconds. */
  seconds: number;
  /** Latency percentiles in milliseconds (from `Latency Distribution`). */
  p50: number;
  p75: number;
  p90: number;
  p99: number;
  /** Mean latency in milliseconds (`Thread Stats` line). */
  meanMs: number;
  /** Responses with a status outside 2xx/3xx. */
  non2xx: number;
  /** Socket errors (connect + read + write + timeout). */
  socketErrors: number;
}

const UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Converts a wrk duration (`812.00us`, `3.21ms`, `1.02s`, `2.00m`) to milliseconds. */
export function wrkDurationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`not a wrk duration: ${JSON.stringify(text)}`);
  return Number(m[1]) * UNITS_MS[m[2]];
}

/** Converts a wrk count (`5.01k`, `1.20M`, `312`) to a number. */
export function wrkCount(text: string): number {
  const m = /^([\d.]+)([kMG]?)$/.exec(text.trim());
  if (!m) throw new Error(`not a wrk count: ${JSON.stringify(text)}`);
  return Number(m[1]) * (m[2] === "k" ? 1e3 : m[2] === "M" ? 1e6 : m[2] === "G" ? 1e9 : 1);
}

/** Parses the stdout of `wrk --latency`; throws when a required line is missing. */
export function parseWrk(out: string): WrkResult {
  const need = (re: RegExp, what: string): RegExpExecArray => {
    const m = re.exec(out);
    if (!m) throw new Error(`wrk output has no ${what}:\n${out.slice(0, 2000)}`);
    return m;
  };
  const pct = (p: number) =>
    wrkDurationMs(need(new RegExp(`^\\s*${p}%\\s+(\\S+)\\s*$`, "m"), `${p}% line`)[1]);
  const total = need(/^\s*(\d+) requests in ([\d.]+\w+),/m, "request count");
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    rps: Number(need(/^Requests\/sec:\s+([\d.]+)/m, "Requests/sec")[1]),
    requests: Number(total[1]),
    seconds: wrkDurationMs(total[2]) / 1000,
    p50: pct(50),
    p75: pct(75),
    p90: pct(90),
    p99: pct(99),
    meanMs: wrkDurationMs(need(/^\s*Latency\s+(\S+)/m, "Latency stats")[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock ? sock.slice(1, 5).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

/** Median of numbers (0 for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The q-quantile (0..1) of numbers, nearest rank (0 for none). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/**
 * A small Prometheus registry: counters, gauges and histograms with bounded
 * label sets, rendered in the text exposition format (version 0.0.4).
 *
 * Label values must come from bounded sets (routes, target ids, policy kinds,
 * status codes); never user ids or raw paths. As a backstop each metric keeps
 * at most {@link MAX_SERIES} series and folds the rest into `other`.
 *
 * @module
 */

/** Series cap per metric (cardinality backstop). */
export const MAX_SERIES = 2000;

type Labels = Record<string, string>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelKey(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return "";
  return "{" + names.map((n, i) => `${n}="${escapeLabel(values[i] ?? "")}"`).join(",") + "}";
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge" | "histogram",
    readonly labelNames: readonly string[],
  ) {}
  abstract render(): string;
  /**
   * Rendered label keys in a tree of maps, one level per label value (the hot path renders each
   * series once and then only looks its values up: no string built per call).
   */
  #keys = new Map<string, unknown>();
  #cached = 0;
  protected key(labels?: Labels): string {
    const names = this.labelNames;
    if (names.length === 0) return "";
    let level = this.#keys;
    const last = names.length - 1;
    for (let i = 0; i < last; i++) {
      const v = labels?.[names[i]] ?? "";
      let next = level.get(v) as Map<string, unknown> | undefined;
      if (next === undefined) {
        if (this.#cached >= 4 * MAX_SERIES) return labelKey(names, names.map((n) => labels?.[n] ?? ""));
        next = new Map();
        level.set(v, next);
      }
      level = next;
    }
    const v = labels?.[names[last]] ?? "";
    let k = level.get(v) as string | undefined;
    if (k === undefined) {
      k = labelKey(names, names.map((n) => labels?.[n] ?? ""));
      if (this.#cached < 4 * MAX_SERIES) {
        level.set(v, k);
        this.#cached++;
      }
    }
    return k;
  }
  protected header(): string {
    return `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} ${this.type}\n`;
  }
}

/** A metric holding one number per label set (counters and gauges). */
abstract class ValueMetric extends Metric {
  protected readonly values = new Map<string, number>();
  /** Current value of one series (tests, status reports). */
  get(labels?: Labels): number {
    return this.values.get(this.key(labels)) ?? 0;
  }
  render(): string {
    let out = this.header();
    for (const [k, v] of this.values) out += `${this.name}${k} ${v}\n`;
    return out;
  }
}

/** Monotonic counter. */
export class Counter extends ValueMetric {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, "counter", labelNames);
  }
  /** Adds `by` (default 1) to the series of `labels`. */
  inc(labels?: Labels, by = 1): void {
    let k = this.key(labels);
    if (!this.values.has(k) && this.values.size >= MAX_SERIES) k = this.key(otherLabels(this.labelNames));
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
}

/** Settable gauge. */
export class Gauge extends ValueMetric {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, "gauge", labelNames);
  }
  set(labels: Labels | undefined, value: number): void {
    this.values.set(this.key(labels), value);
  }
  add(labels: Labels | undefined, by: number): void {
    const k = this.key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  /** Drops every series (for info-style gauges that are replaced). */
  reset(): void {
    this.values.clear();
  }
}

/** Default latency buckets in seconds. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
];

/** Cumulative histogram. */
export class Histogram extends Metric {
  #series = new Map<string, { counts: Float64Array; sum: number; count: number }>();
  readonly buckets: readonly number[];
  constructor(name: string, help: string, labelNames: readonly string[] = [], buckets = LATENCY_BUCKETS) {
    super(name, help, "histogram", labelNames);
    this.buckets = buckets;
  }
  observe(labels: Labels | undefined, value: number): void {
    const k = this.key(labels);
    let s = this.#series.get(k);
    if (!s) {
      if (this.#series.size >= MAX_SERIES) return;
      s = { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
      this.#series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }
  render(): string {
    let out = this.header();
    for (const [k, s] of this.#series) {
      const inner = k ? k.slice(1, -1) + "," : "";
      this.buckets.forEach((b, i) => out += `${this.name}_bucket{${inner}le="${b}"} ${s.counts[i]}\n`);
      out += `${this.name}_bucket{${inner}le="+Inf"} ${s.count}\n`;
      out += `${this.name}_sum${k} ${s.sum}\n${this.name}_count${k} ${s.count}\n`;
    }
    return out;
  }
}

function otherLabels(names: readonly string[]): Labels {
  return Object.fromEntries(names.map((n) => [n, "other"]));
}

/** A set of metrics rendered together. */
export class Registry {
  #metrics: Metric[] = [];
  register<M extends Metric>(metric: M): M {
    this.#metrics.push(metric);
    return metric;
  }
  /** Prometheus text exposition. */
  render(): string {
    return this.#metrics.map((m) => m.render()).join("");
  }
}

/** The gateway's metrics (SPEC 6). */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = this.registry.register(
    new Counter("keeptrusts_gateway_requests_total", "Requests by route, target, model and status.", [
      "route",
      "target",
      "model",
      "status",
    ]),
  );
  readonly requestDuration = this.registry.register(
    new Histogram("keeptrusts_gateway_request_duration_seconds", "Time from request to response headers.", [
      "route",
    ]),
  );
  readonly upstreamDuration = this.registry.register(
    new Histogram("keeptrusts_gateway_upstream_duration_seconds", "Upstream time to response headers.", [
      "target",
    ]),
  );
  readonly policyEvaluations = this.registry.register(
    new Counter("keeptrusts_gateway_policy_evaluations_total", "Policy evaluations by policy and verdict.", [
      "policy",
      "verdict",
    ]),
  );
  readonly tokens = this.registry.register(
    new Counter("keeptrusts_gateway_tokens_total", "Tokens by direction and model.", ["direction", "model"]),
  );
  readonly configInfo = this.registry.register(
    new Gauge("keeptrusts_gateway_config_info", "The active config (value 1).", ["version", "digest"]),
  );
  readonly configReloads = this.registry.register(
    new Counter("keeptrusts_gateway_config_reloads_total", "Config reloads by result.", ["result"]),
  );
  readonly controlPlanePolls = this.registry.register(
    new Counter("keeptrusts_gateway_control_plane_polls_total", "Control-plane polls by result.", ["result"]),
  );
  readonly inflight = this.registry.register(
    new Gauge("keeptrusts_gateway_inflight_requests", "Requests being processed."),
  );
  readonly queued = this.registry.register(
    new Gauge("keeptrusts_gateway_queued_requests", "Requests waiting for an upstream slot."),
  );
  readonly shed = this.registry.register(
    new Counter("keeptrusts_gateway_shed_requests_total", "Requests refused with 503 overloaded."),
  );
  readonly auditDropped = this.registry.register(
    new Counter("keeptrusts_gateway_audit_events_dropped_total", "Decision events dropped (buffer full)."),
  );
  readonly rateLimitStore = this.registry.register(
    new Gauge("keeptrusts_gateway_rate_limit_store_up", "1 when the shared rate-limit store is reachable."),
  );
}

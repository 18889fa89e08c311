/**
 * Prometheus metrics of the control plane (text exposition format 0.0.4).
 * Label values are bounded: route templates, methods, status codes.
 *
 * @module
 */

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** In-process counters and histograms. */
export class ControlPlaneMetrics {
  #requests = new Map<string, { labels: Record<string, string>; value: number }>();
  #duration = new Map<
    string,
    { labels: Record<string, string>; counts: number[]; sum: number; count: number }
  >();
  #counters = new Map<string, number>();

  /** Records one HTTP request. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const l = { method, route, status: String(status) };
    const key = JSON.stringify(l);
    const r = this.#requests.get(key) ?? { labels: l, value: 0 };
    r.value++;
    this.#requests.set(key, r);
    const dl = { method, route };
    const dkey = JSON.stringify(dl);
    const h = this.#duration.get(dkey) ?? { labels: dl, counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h.counts[i]++;
    });
    h.sum += seconds;
    h.count++;
    this.#duration.set(dkey, h);
  }

  /** Adds to a plain counter such as `events_ingested`. */
  add(name: string, value = 1): void {
    this.#counters.set(name, (this.#counters.get(name) ?? 0) + value);
  }

  /** Renders the exposition text, with gauges computed by the caller. */
  render(gauges: StoreGaugeValues & { version: string }): string {
    const out: string[] = [];
    out.push("# HELP keeptrusts_control_plane_info Build information.");
    out.push("# TYPE keeptrusts_control_plane_info gauge");
    out.push(`keeptrusts_control_plane_info${labels({ version: gauges.version })} 1`);
    out.push("# HELP keeptrusts_control_plane_http_requests_total HTTP requests by route and status.");
    out.push("# TYPE keeptrusts_control_plane_http_requests_total counter");
    for (const r of this.#requests.values()) {
      out.push(`keeptrusts_control_plane_http_requests_total${labels(r.labels)} ${r.value}`);
    }
    out.push("# HELP keeptrusts_control_plane_http_request_duration_seconds HTTP request duration.");
    out.push("# TYPE keeptrusts_control_plane_http_request_duration_seconds histogram");
    for (const h of this.#duration.values()) {
      BUCKETS.forEach((b, i) => {
        out.push(
          `keeptrusts_control_plane_http_request_duration_seconds_bucket${
            labels({ ...h.labels, le: String(b) })
          } ${h.counts[i]}`,
        );
      });
      out.push(
        `keeptrusts_control_plane_http_request_duration_seconds_bucket${
          labels({ ...h.labels, le: "+Inf" })
        } ${h.count}`,
      );
      out.push(`keeptrusts_control_plane_http_request_duration_seconds_sum${labels(h.labels)} ${h.sum}`);
      out.push(`keeptrusts_control_plane_http_request_duration_seconds_count${labels(h.labels)} ${h.count}`);
    }
    const counters: Array<[string, string]> = [
      ["events_ingested_total", "Decision events stored."],
      ["config_pushes_total", "Config versions stored."],
      ["rollouts_total", "Gateways whose desired version was set."],
      ["status_reports_total", "Gateway status reports received."],
      ["runtime_state_requests_total", "Runtime-state fetches answered with a config (not 304)."],
    ];
    for (const [name, help] of counters) {
      out.push(`# HELP keeptrusts_control_plane_${name} ${help}`);
      out.push(`# TYPE keeptrusts_control_plane_${name} counter`);
      out.push(`keeptrusts_control_plane_${name} ${this.#counters.get(name) ?? 0}`);
    }
    out.push("# HELP keeptrusts_control_plane_gateways Registered gateways by shown status.");
    out.push("# TYPE keeptrusts_control_plane_gateways gauge");
    for (const status of ["healthy", "degraded", "config_rejected", "offline"]) {
      out.push(
        `keeptrusts_control_plane_gateways${labels({ status })} ${gauges.gatewaysByStatus[status] ?? 0}`,
      );
    }
    out.push("# HELP keeptrusts_control_plane_config_versions Stored config versions.");
    out.push("# TYPE keeptrusts_control_plane_config_versions gauge");
    out.push(`keeptrusts_control_plane_config_versions ${gauges.configVersions}`);
    return out.join("\n") + "\n";
  }
}

/** The store-derived gauges of {@link ControlPlaneMetrics.render}. */
export interface StoreGaugeValues {
  gatewaysByStatus: Record<string, number>;
  configVersions: number;
}

/**
 * The gauges that need the store (gateways by shown status, stored versions), recomputed at most
 * once per `maxAgeSeconds` of `now` and by one query at a time, so a scrape costs no store listing
 * however often it comes. They read only the columns they count.
 */
export class StoreGauges {
  readonly #compute: () => Promise<StoreGaugeValues>;
  readonly #now: () => Date;
  readonly #maxAgeMs: number;
  #cached: { at: number; values: StoreGaugeValues } | undefined;
  #inflight: Promise<StoreGaugeValues> | undefined;

  /**
   * @param compute reads the store once
   * @param now the clock the age is measured on
   * @param maxAgeSeconds how stale a value may be served
   */
  constructor(compute: () => Promise<StoreGaugeValues>, now: () => Date, maxAgeSeconds: number) {
    this.#compute = compute;
    this.#now = now;
    this.#maxAgeMs = maxAgeSeconds * 1000;
  }

  /** The current values (cached, or computed once for every concurrent caller). */
  get(): Promise<StoreGaugeValues> {
    const now = this.#now().getTime();
    if (this.#cached && now - this.#cached.at < this.#maxAgeMs && now >= this.#cached.at) {
      return Promise.resolve(this.#cached.values);
    }
    this.#inflight ??= this.#compute().then((values) => {
      this.#cached = { at: now, values };
      return values;
    }).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }
}

// deno-lint-ignore-file jsx-key -- server-rendered only: keys mean nothing here, and Hono would print them as attributes
/**
 * Decision events: newest first, filtered by verdict, gateway, policy and time
 * range, updating live, with a chart of allow/redact/block counts over time.
 *
 * Only known event fields are shown. Prompt text never is, except the
 * `content` field that a gateway sends only under
 * `audit-logger.include_content: redacted`; it is already redacted and is
 * shown as given (escaped).
 *
 * @module
 */
import type { FC } from "hono/jsx";
import type { GatewayJson, SignedIn } from "../context.ts";
import { DataTable, Layout, Notice, VerdictBadge, When } from "../views.tsx";
import { describeCoverage } from "../../../audit/event.ts";

/** Time ranges offered, as `since` durations of the API. */
export const RANGES: ReadonlyArray<[string, string, number]> = [
  ["15m", "last 15 minutes", 15 * 60],
  ["1h", "last hour", 3600],
  ["6h", "last 6 hours", 6 * 3600],
  ["24h", "last 24 hours", 86_400],
  ["7d", "last 7 days", 7 * 86_400],
  ["30d", "last 30 days", 30 * 86_400],
];

/** Filters of the events page. */
export interface EventFilters {
  verdict: string;
  gateway: string;
  policy: string;
  range: string;
  /** Optional end of the range (RFC 3339), applied to the events returned. */
  until: string;
}

/** The filters as a query string (for links, the live fragment and the chart). */
export function filterQuery(f: EventFilters): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
  return q.toString();
}

/** An event as the API returns it (only the fields the console shows are typed). */
export type EventJson = Record<string, unknown>;

/**
 * When the control plane received an event: what the API orders and filters by, so the chart and the
 * "until" filter use it too (the gateway's own stamp is clamped and shown in the details).
 */
export function eventTime(e: EventJson): unknown {
  return e.received_at ?? e.timestamp;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : typeof v === "number" && Number.isFinite(v) ? String(v) : "";
}

const PolicyResults: FC<{ results: unknown }> = ({ results }) => {
  if (!Array.isArray(results) || results.length === 0) return <span class="muted">no policy results</span>;
  return (
    <ul>
      {results.slice(0, 50).map((r) => {
        const o = (r && typeof r === "object" ? r : {}) as Record<string, unknown>;
        const findings = o.findings && typeof o.findings === "object"
          ? Object.entries(o.findings as Record<string, unknown>).filter(([, n]) => typeof n === "number")
          : [];
        return (
          <li>
            <span class="mono">{str(o.policy)}</span> ({str(o.phase) || "?"}): {str(o.verdict)}
            {str(o.reason_code) ? ` — ${str(o.reason_code)}` : ""}
            {findings.length > 0 ? ` — findings: ${findings.map(([k, n]) => `${k} ×${n}`).join(", ")}` : ""}
          </li>
        );
      })}
    </ul>
  );
};

/** The live table (also served alone as a fragment). */
export const EventsTable: FC<{ events: EventJson[]; filters: EventFilters; error?: string }> = (p) => (
  <div
    id="events"
    data-live={`/console/events/rows?${filterQuery(p.filters)}`}
    data-live-interval="3000"
    data-count={String(p.events.length)}
  >
    {p.error && <Notice kind="error">{p.error}</Notice>}
    {!p.error && p.events.length === 0
      ? <p class="empty">No decision events match these filters.</p>
      : (
        <DataTable
          columns={[
            "Time",
            "Gateway",
            "Verdict",
            "Reason",
            "Policy",
            "Model",
            "Status",
            "Latency",
            "Details",
          ]}
        >
          {p.events.map((e) => (
            <tr data-event-id={str(e.id)} data-verdict={str(e.verdict)}>
              <td data-label="Time">
                <When at={str(e.timestamp)} />
              </td>
              <td data-label="Gateway" class="mono">{str(e.gateway_id)}</td>
              <td data-label="Verdict">
                <VerdictBadge verdict={str(e.verdict)} />
              </td>
              <td data-label="Reason" class="mono">{str(e.reason_code) || "—"}</td>
              <td data-label="Policy" class="mono">{str(e.policy) || "—"}</td>
              <td data-label="Model" class="mono">{str(e.model) || "—"}</td>
              <td data-label="Status" class="num">{str(e.status) || "—"}</td>
              <td data-label="Latency" class="num">
                {str(e.latency_ms) ? `${str(e.latency_ms)} ms` : "—"}
              </td>
              <td data-label="Details">
                <details>
                  <summary>more</summary>
                  <dl>
                    <dt>Received · stamped by the gateway</dt>
                    <dd>
                      <When at={str(e.received_at)} /> · <When at={str(e.sent_timestamp)} />
                    </dd>
                    <dt>Request id</dt>
                    <dd class="mono">{str(e.request_id) || "—"}</dd>
                    <dt>Config version</dt>
                    <dd class="mono">{str(e.config_version) || "—"}</dd>
                    <dt>Target · provider</dt>
                    <dd class="mono">{str(e.target_id) || "—"} · {str(e.provider) || "—"}</dd>
                    <dt>Tokens in / out</dt>
                    <dd>{str(e.input_tokens) || "—"} / {str(e.output_tokens) || "—"}</dd>
                    <dt>User · team</dt>
                    <dd class="mono">{str(e.user_id) || "—"} · {str(e.team_id) || "—"}</dd>
                    <dt>Policies</dt>
                    <dd>
                      <PolicyResults results={e.policy_results} />
                    </dd>
                    <dt>Coverage</dt>
                    <dd class="mono" data-field="coverage">{describeCoverage(e.coverage)}</dd>
                    {typeof e.content === "string" && (
                      <>
                        <dt>Content (redacted by the gateway)</dt>
                        <dd>
                          <pre class="content-field">{e.content}</pre>
                        </dd>
                      </>
                    )}
                  </dl>
                </details>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
  </div>
);

/** The events page. */
export const EventsPage: FC<{
  s: SignedIn;
  filters: EventFilters;
  events: EventJson[];
  gateways: GatewayJson[];
  error?: string;
}> = (p) => {
  const f = p.filters;
  return (
    <Layout
      title="Events"
      section="events"
      viewer={p.s.viewer}
      scripts={["uplot.js", "events.js"]}
      styles={["uplot.css"]}
    >
      <h1>Decision events</h1>
      <form method="get" action="/console/events" class="filters" aria-label="Filter events">
        <label for="f-verdict">
          Verdict
          <select id="f-verdict" name="verdict">
            <option value="">any</option>
            {["allow", "redact", "block"].map((v) => <option value={v} selected={f.verdict === v}>{v}
            </option>)}
          </select>
        </label>
        <label for="f-gateway">
          Gateway
          <select id="f-gateway" name="gateway">
            <option value="">any</option>
            {p.gateways.map((g) => (
              <option value={g.id} selected={f.gateway === g.id}>{g.name} ({g.id})</option>
            ))}
            {f.gateway && !p.gateways.some((g) => g.id === f.gateway) && (
              <option value={f.gateway} selected>{f.gateway}</option>
            )}
          </select>
        </label>
        <label for="f-policy">
          Policy
          <input id="f-policy" type="text" name="policy" value={f.policy} placeholder="e.g. pii-detector" />
        </label>
        <label for="f-range">
          Time range
          <select id="f-range" name="range">
            {RANGES.map(([v, label]) => <option value={v} selected={f.range === v}>{label}</option>)}
          </select>
        </label>
        <label for="f-until">
          Until (UTC, optional)
          <input id="f-until" type="text" name="until" value={f.until} placeholder="2026-01-02T15:04:05Z" />
        </label>
        <button type="submit">Apply</button>
        <a href="/console/events" class="button secondary">Reset</a>
      </form>
      <section aria-labelledby="chart-h">
        <h2 id="chart-h">Verdicts over time</h2>
        <div id="chart" class="chart" data-chart-url={`/console/events/chart?${filterQuery(f)}`}>
          <noscript>The chart needs JavaScript; the table below has every event.</noscript>
        </div>
        <p id="chart-summary" class="muted" aria-live="polite"></p>
      </section>
      <section aria-labelledby="events-h">
        <div class="row">
          <h2 id="events-h">Newest first</h2>
          <button type="button" id="live-toggle" class="secondary" aria-pressed="false" hidden>
            Pause live updates
          </button>
          <p id="live-status" class="muted" aria-live="polite"></p>
        </div>
        <EventsTable events={p.events} filters={f} error={p.error} />
      </section>
    </Layout>
  );
};

/** Chart data: counts per verdict per time bucket. */
export interface ChartData {
  t: number[];
  allow: number[];
  redact: number[];
  block: number[];
  totals: { allow: number; redact: number; block: number };
  truncated: boolean;
  sampled: number;
}

/** Buckets events into about 30 bars over the range ending at `end`. */
export function chartData(
  events: EventJson[],
  rangeSeconds: number,
  end: Date,
  truncated: boolean,
): ChartData {
  const nice = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];
  const bucket = nice.find((n) => rangeSeconds / n <= 40) ?? 86_400;
  const endS = Math.ceil(end.getTime() / 1000 / bucket) * bucket;
  const startS = endS - Math.ceil(rangeSeconds / bucket) * bucket;
  const n = Math.max(1, (endS - startS) / bucket);
  const data: ChartData = {
    t: Array.from({ length: n }, (_, i) => startS + i * bucket),
    allow: new Array(n).fill(0),
    redact: new Array(n).fill(0),
    block: new Array(n).fill(0),
    totals: { allow: 0, redact: 0, block: 0 },
    truncated,
    sampled: events.length,
  };
  for (const e of events) {
    const at = Date.parse(str(eventTime(e))) / 1000;
    const v = str(e.verdict) as "allow" | "redact" | "block";
    if (!Number.isFinite(at) || !(v in data.totals)) continue;
    const i = Math.floor((at - startS) / bucket);
    if (i < 0 || i >= n) continue;
    data[v][i]++;
    data.totals[v]++;
  }
  return data;
}

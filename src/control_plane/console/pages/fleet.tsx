/**
 * Fleet: every gateway with its status (colour and word), running and desired
 * versions, drift and last contact; filter by status; refreshes itself.
 *
 * @module
 */
import type { FC } from "hono/jsx";
import { apiMessage, type GatewayJson, type Items, type SignedIn } from "../context.ts";
import { Ago, DataTable, Drift, Layout, LiveToggle, Notice, STATUS_LABEL, StatusBadge } from "../views.tsx";

/** Status filter values. */
export const STATUSES = ["healthy", "degraded", "config_rejected", "offline"] as const;

function filterHref(status: string | null): string {
  return status ? `/console/fleet?status=${encodeURIComponent(status)}` : "/console/fleet";
}

/** The live part of the fleet page (also served alone as a fragment). */
export const FleetBody: FC<{ gateways: GatewayJson[]; status: string | null; now: Date; error?: string }> = (
  p,
) => {
  const counts: Record<string, number> = {};
  for (const g of p.gateways) counts[g.status] = (counts[g.status] ?? 0) + 1;
  const shown = p.status ? p.gateways.filter((g) => g.status === p.status) : p.gateways;
  const rows = [...shown].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  return (
    <div
      id="fleet"
      data-live={`/console/fleet/rows${p.status ? `?status=${encodeURIComponent(p.status)}` : ""}`}
      data-live-interval="3000"
      data-count={String(rows.length)}
    >
      {p.error && <Notice kind="error">{p.error}</Notice>}
      <nav aria-label="Filter by status">
        <ul class="chips">
          <li>
            <a id="filter-all" href={filterHref(null)} aria-current={p.status === null ? "true" : undefined}>
              All ({p.gateways.length})
            </a>
          </li>
          {STATUSES.map((s) => (
            <li>
              <a id={`filter-${s}`} href={filterHref(s)} aria-current={p.status === s ? "true" : undefined}>
                {STATUS_LABEL[s]} ({counts[s] ?? 0})
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {p.gateways.length === 0 && !p.error
        ? (
          <p class="empty">
            No gateways yet: register one with{" "}
            <code>kt gateway create --name &lt;name&gt;</code>, then start it with{" "}
            <code>kt run --managed</code>.
          </p>
        )
        : rows.length === 0
        ? <p class="empty">No gateway is {STATUS_LABEL[p.status ?? ""] ?? p.status} right now.</p>
        : (
          <DataTable
            columns={["Status", "Name", "ID", "Running", "Desired", "Drift", "Last seen"]}
            describedBy="fleet-caption"
          >
            {rows.map((g) => (
              <tr data-gateway-id={g.id} data-status={g.status}>
                <td data-label="Status">
                  <StatusBadge status={g.status} />
                </td>
                <td data-label="Name">
                  <a id={`gw-link-${g.id}`} href={`/console/gateways/${encodeURIComponent(g.id)}`}>
                    {g.name}
                  </a>
                </td>
                <td data-label="ID" class="mono">{g.id}</td>
                <td data-label="Running" class="mono running">{g.running_version ?? "—"}</td>
                <td data-label="Desired" class="mono desired">{g.desired_version ?? "—"}</td>
                <td data-label="Drift">
                  <Drift running={g.running_version} desired={g.desired_version} />
                </td>
                <td data-label="Last seen">
                  <Ago at={g.last_seen_at} now={p.now} />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
    </div>
  );
};

/** Reads the fleet through the API. */
export async function loadFleet(s: SignedIn): Promise<{ gateways: GatewayJson[]; error?: string }> {
  const r = await s.api.get<Items<GatewayJson>>("/v1/admin/gateways");
  return r.ok ? { gateways: r.body.items } : { gateways: [], error: apiMessage(r) };
}

/** The fleet page. */
export const FleetPage: FC<{ s: SignedIn; gateways: GatewayJson[]; status: string | null; error?: string }> =
  (
    p,
  ) => (
    <Layout title="Fleet" section="fleet" viewer={p.s.viewer}>
      <div class="row">
        <h1>Fleet</h1>
        <p id="fleet-caption" class="muted">Every registered gateway; this list refreshes by itself.</p>
      </div>
      <LiveToggle />
      <FleetBody gateways={p.gateways} status={p.status} now={p.s.now} error={p.error} />
    </Layout>
  );

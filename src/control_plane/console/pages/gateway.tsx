// deno-lint-ignore-file jsx-key -- server-rendered only: keys mean nothing here, and Hono would print them as attributes
/**
 * One gateway: live summary, last error, running config against the desired
 * one side by side, roll out / revert, status and rollout history.
 *
 * @module
 */
import type { FC } from "hono/jsx";
import { can, type GatewayDetailJson, type SignedIn, type VersionJson } from "../context.ts";
import { sideBySide } from "../diff.ts";
import {
  Ago,
  CsrfField,
  DataTable,
  DiffView,
  Drift,
  Layout,
  LiveToggle,
  Notice,
  StatusBadge,
  type Viewer,
  When,
  YamlView,
} from "../views.tsx";

function num(v: unknown): string {
  return typeof v === "number" && Number.isFinite(v) ? String(v) : "—";
}

/** The live summary of a gateway (also served alone as a fragment). */
export const GatewaySummary: FC<{ g: GatewayDetailJson; now: Date }> = ({ g, now }) => {
  const report = g.last_report ?? {};
  const requests = (report.requests ?? {}) as Record<string, unknown>;
  return (
    <div
      id="gateway-summary"
      data-live={`/console/gateways/${encodeURIComponent(g.id)}/summary`}
      data-live-interval="3000"
      data-state={g.status}
    >
      <p>
        <StatusBadge status={g.status} /> <Drift running={g.running_version} desired={g.desired_version} />
      </p>
      {g.last_error && (
        <Notice kind="error">
          <strong>Last error{g.status === "config_rejected" ? " (config rejected)" : ""}:</strong>{" "}
          <span class="mono last-error">{g.last_error}</span>
        </Notice>
      )}
      <dl class="cards">
        <div class="card">
          <dt>ID</dt>
          <dd class="mono">{g.id}</dd>
          <dt>Description</dt>
          <dd>{g.description ?? "—"}</dd>
        </div>
        <div class="card">
          <dt>Running version</dt>
          <dd class="mono" id="running-version">{g.running_version ?? "—"}</dd>
          <dt>Desired version</dt>
          <dd class="mono" id="desired-version">{g.desired_version ?? "—"}</dd>
        </div>
        <div class="card">
          <dt>Last seen</dt>
          <dd>
            <Ago at={g.last_seen_at} now={now} />
          </dd>
          <dt>Poll interval</dt>
          <dd>{g.poll_interval_seconds} s</dd>
        </div>
        <div class="card">
          <dt>kt version · uptime</dt>
          <dd>
            {typeof report.kt_version === "string" ? report.kt_version : "—"} · {num(report.uptime_seconds)} s
          </dd>
          <dt>Requests (total / blocked / redacted / errors)</dt>
          <dd>
            {num(requests.total)} / {num(requests.blocked)} / {num(requests.redacted)} /{" "}
            {num(requests.errors)}
          </dd>
        </div>
      </dl>
    </div>
  );
};

/** Props of {@link GatewayPage}. */
export interface GatewayPageProps {
  s: SignedIn;
  g: GatewayDetailJson;
  versions: VersionJson[];
  running: VersionJson | null;
  desired: VersionJson | null;
  notice?: { kind: "ok" | "error"; text: string };
}

const Actions: FC<{ viewer: Viewer; g: GatewayDetailJson; versions: VersionJson[] }> = (
  { viewer, g, versions },
) => {
  const writable = can(viewer, "configurations:write");
  const previous = g.rollouts[0]?.previous_version ?? null;
  return (
    <section aria-labelledby="actions-h">
      <h2 id="actions-h">Roll out or revert</h2>
      {!writable && (
        <Notice kind="warn">
          Your token lacks the configurations:write scope: you can look, not change.
        </Notice>
      )}
      {versions.length === 0
        ? <p class="muted">No config version is stored yet: push one under Configurations.</p>
        : (
          <div class="row">
            <form method="post" action="/console/rollout" class="row">
              <CsrfField viewer={viewer} />
              <input type="hidden" name="step" value="review" />
              <input type="hidden" name="gateway" value={g.id} />
              <label for="rollout-version">Version</label>
              <select id="rollout-version" name="version" disabled={!writable}>
                {versions.map((v) => (
                  <option value={v.version} selected={v.version === versions[0].version}>
                    {v.version} ({v.name})
                  </option>
                ))}
              </select>
              <button type="submit" disabled={!writable}>Roll out to this gateway…</button>
            </form>
            <form method="post" action={`/console/gateways/${encodeURIComponent(g.id)}/revert`} class="row">
              <CsrfField viewer={viewer} />
              <label for="revert-version">Revert to</label>
              <select id="revert-version" name="version" disabled={!writable}>
                <option value="">{previous ? `previous version (${previous})` : "previous version"}</option>
                {versions.map((v) => <option value={v.version}>{v.version}</option>)}
              </select>
              <button type="submit" class="danger" disabled={!writable}>Revert</button>
            </form>
          </div>
        )}
    </section>
  );
};

/** The gateway page. */
export const GatewayPage: FC<GatewayPageProps> = (p) => {
  const { g } = p;
  const history = p.g.status_history;
  return (
    <Layout title={`Gateway ${g.name}`} section="fleet" viewer={p.s.viewer}>
      <p>
        <a href="/console/fleet">← Fleet</a>
      </p>
      <h1>{g.name}</h1>
      {p.notice && <Notice kind={p.notice.kind}>{p.notice.text}</Notice>}
      <LiveToggle />
      <GatewaySummary g={g} now={p.s.now} />
      <Actions viewer={p.s.viewer} g={g} versions={p.versions} />

      <section aria-labelledby="config-h">
        <h2 id="config-h">Running config against desired</h2>
        {!g.desired_version
          ? <p class="muted">No version has been rolled out to this gateway yet.</p>
          : !p.desired
          ? (
            <Notice kind="warn">
              The desired version {g.desired_version} is not readable with your token.
            </Notice>
          )
          : g.running_version === g.desired_version
          ? (
            <>
              <p class="in-sync">Running the desired version {g.desired_version}.</p>
              <details>
                <summary>Show config {g.desired_version}</summary>
                <YamlView text={p.desired.config ?? ""} label={`config ${g.desired_version}`} />
              </details>
            </>
          )
          : !p.running
          ? (
            <>
              <p class="drift">
                {g.running_version
                  ? `Running ${g.running_version}, which is not a stored version; desired ${g.desired_version}:`
                  : `Not running any stored version yet; desired ${g.desired_version}:`}
              </p>
              <YamlView text={p.desired.config ?? ""} label={`desired config ${g.desired_version}`} />
            </>
          )
          : (
            <DiffView
              oldText={p.running.config ?? ""}
              newText={p.desired.config ?? ""}
              oldLabel={`running ${p.running.version}`}
              newLabel={`desired ${p.desired.version}`}
              diff={sideBySide(p.running.config ?? "", p.desired.config ?? "")}
            />
          )}
      </section>

      <section aria-labelledby="history-h">
        <h2 id="history-h">Status history</h2>
        {history.length === 0
          ? <p class="muted">No status report received yet.</p>
          : (
            <DataTable columns={["Received", "Status", "Running", "Desired", "Error"]}>
              {history.map((h) => (
                <tr>
                  <td data-label="Received">
                    <When at={h.received_at} />
                  </td>
                  <td data-label="Status">
                    <StatusBadge status={String(h.status ?? "offline")} />
                  </td>
                  <td data-label="Running" class="mono">{String(h.running_version ?? "—")}</td>
                  <td data-label="Desired" class="mono">{String(h.desired_version ?? "—")}</td>
                  <td data-label="Error" class="mono">{h.last_error ? String(h.last_error) : ""}</td>
                </tr>
              ))}
            </DataTable>
          )}
      </section>

      <section aria-labelledby="rollouts-h">
        <h2 id="rollouts-h">Rollouts</h2>
        {g.rollouts.length === 0
          ? <p class="muted">None yet.</p>
          : (
            <DataTable columns={["When", "Kind", "From", "To", "By"]}>
              {g.rollouts.map((r) => (
                <tr>
                  <td data-label="When">
                    <When at={r.created_at} />
                  </td>
                  <td data-label="Kind">{r.kind}</td>
                  <td data-label="From" class="mono">{r.previous_version ?? "—"}</td>
                  <td data-label="To" class="mono">{r.version}</td>
                  <td data-label="By" class="mono">{r.created_by ?? "—"}</td>
                </tr>
              ))}
            </DataTable>
          )}
      </section>
    </Layout>
  );
};

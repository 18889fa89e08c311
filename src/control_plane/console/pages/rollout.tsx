// deno-lint-ignore-file jsx-key -- server-rendered only: keys mean nothing here, and Hono would print them as attributes
/**
 * Rollout: choose a version and gateways (a subset first for a staged
 * rollout), review, confirm, then watch each chosen gateway move to the new
 * running version or report a rejection.
 *
 * @module
 */
import type { FC } from "hono/jsx";
import { can, type GatewayJson, type SignedIn, type VersionJson } from "../context.ts";
import { Ago, CsrfField, DataTable, Layout, LiveToggle, Notice, StatusBadge } from "../views.tsx";

/** The choose step. */
export const RolloutPage: FC<{
  s: SignedIn;
  versions: VersionJson[];
  gateways: GatewayJson[];
  version?: string;
  selected: string[];
  error?: string;
}> = (p) => {
  const writable = can(p.s.viewer, "configurations:write");
  const selected = new Set(p.selected);
  return (
    <Layout title="Rollout" section="rollout" viewer={p.s.viewer}>
      <h1>Roll out a config version</h1>
      <p class="muted">
        Staged rollout: choose a subset of gateways first, watch them take the version, then continue with the
        rest.
      </p>
      {!writable && (
        <Notice kind="warn">Your token lacks the configurations:write scope: you cannot roll out.</Notice>
      )}
      {p.error && <Notice kind="error">{p.error}</Notice>}
      {p.versions.length === 0
        ? <p class="empty">No config version stored yet: push one under Configurations first.</p>
        : p.gateways.length === 0
        ? (
          <p class="empty">
            No gateways yet: register one with <code>kt gateway create</code>.
          </p>
        )
        : (
          <form method="post" action="/console/rollout" class="stack">
            <CsrfField viewer={p.s.viewer} />
            <input type="hidden" name="step" value="review" />
            <div class="field">
              <label for="rollout-version">Version</label>
              <select id="rollout-version" name="version">
                {p.versions.map((v) => (
                  <option value={v.version} selected={v.version === (p.version ?? p.versions[0].version)}>
                    {v.version} — {v.name} ({v.signed ? "signed" : "unsigned"})
                  </option>
                ))}
              </select>
            </div>
            <fieldset>
              <legend>Gateways</legend>
              <ul class="checklist">
                {p.gateways.map((g) => (
                  <li>
                    <label>
                      <input
                        type="checkbox"
                        name="gateway"
                        value={g.id}
                        id={`gw-${g.id}`}
                        checked={selected.has(g.id)}
                      />{" "}
                      {g.name} <span class="mono muted">{g.id}</span> <StatusBadge status={g.status} />{" "}
                      <span class="muted">running {g.running_version ?? "nothing"}</span>
                    </label>
                  </li>
                ))}
              </ul>
            </fieldset>
            <div class="row">
              <button type="submit" disabled={!writable}>Review rollout…</button>
            </div>
          </form>
        )}
    </Layout>
  );
};

/** The review step: what will change; confirm or go back. */
export const ReviewPage: FC<{ s: SignedIn; version: VersionJson; gateways: GatewayJson[] }> = (p) => {
  const back = `/console/rollout?version=${encodeURIComponent(p.version.version)}&${
    p.gateways.map((g) => `gateway=${encodeURIComponent(g.id)}`).join("&")
  }`;
  return (
    <Layout title="Review rollout" section="rollout" viewer={p.s.viewer}>
      <h1>
        Roll out <span class="mono">{p.version.version}</span> to {p.gateways.length} gateway(s)?
      </h1>
      <p>
        {p.version.name}, digest <span class="mono">{p.version.digest}</span>,{" "}
        {p.version.signed ? "signed" : "unsigned"}.
      </p>
      <DataTable columns={["Gateway", "Status", "Running now", "Desired now", "Desired after"]}>
        {p.gateways.map((g) => (
          <tr>
            <td data-label="Gateway">
              {g.name} <span class="mono muted">{g.id}</span>
            </td>
            <td data-label="Status">
              <StatusBadge status={g.status} />
            </td>
            <td data-label="Running now" class="mono">{g.running_version ?? "—"}</td>
            <td data-label="Desired now" class="mono">{g.desired_version ?? "—"}</td>
            <td data-label="Desired after" class="mono">{p.version.version}</td>
          </tr>
        ))}
      </DataTable>
      {p.gateways.some((g) => g.status === "offline") && (
        <Notice kind="warn">Offline gateways will take the version when they next poll.</Notice>
      )}
      <form method="post" action="/console/rollout" class="row">
        <CsrfField viewer={p.s.viewer} />
        <input type="hidden" name="step" value="apply" />
        <input type="hidden" name="version" value={p.version.version} />
        {p.gateways.map((g) => <input type="hidden" name="gateway" value={g.id} />)}
        <button type="submit" id="confirm-rollout">Confirm rollout</button>
        <a class="button secondary" href={back}>Back</a>
      </form>
    </Layout>
  );
};

/** Where a gateway stands in a rollout of `version`. */
export type RolloutState = "applied" | "waiting" | "rejected" | "offline" | "superseded";

/** Classifies a gateway's progress towards `version`. */
export function rolloutState(g: GatewayJson, version: string): RolloutState {
  if (g.desired_version !== version) return "superseded";
  if (g.running_version === version && g.status !== "offline") return "applied";
  if (g.status === "config_rejected") return "rejected";
  if (g.status === "offline") return "offline";
  return "waiting";
}

const STATE_TEXT: Record<RolloutState, string> = {
  applied: "running the new version",
  waiting: "waiting for the gateway to load it",
  rejected: "rejected the config",
  offline: "offline: will load it when it next polls",
  superseded: "its desired version has changed since",
};

/** The live progress list (also served alone as a fragment). */
export const RolloutProgress: FC<{ version: string; gateways: GatewayJson[]; ids: string[]; now: Date }> = (
  p,
) => {
  const chosen = p.ids.map((id) => p.gateways.find((g) => g.id === id) ?? null);
  const states = chosen.map((g) => (g ? rolloutState(g, p.version) : "superseded"));
  const done = states.filter((s) => s === "applied").length;
  const query = `version=${encodeURIComponent(p.version)}&${
    p.ids.map((id) => `gateway=${encodeURIComponent(id)}`).join("&")
  }`;
  return (
    <div
      id="rollout-progress"
      data-live={`/console/rollout/progress?${query}`}
      data-live-interval="2000"
      data-state={done === p.ids.length ? "complete" : "pending"}
    >
      <p>
        <strong>{done} of {p.ids.length}</strong> gateway(s) running <span class="mono">{p.version}</span>
        {states.some((s) => s === "rejected") ? "; some rejected it" : ""}.
      </p>
      <ul class="progress">
        {chosen.map((g, i) => (
          <li data-gateway-id={p.ids[i]} data-state={states[i]}>
            {g
              ? (
                <>
                  <StatusBadge status={g.status} /> <strong>{g.name}</strong>{" "}
                  <span class="mono muted">{g.id}</span>: {STATE_TEXT[states[i]]} (running{" "}
                  <span class="mono">{g.running_version ?? "nothing"}</span>, seen{" "}
                  <Ago at={g.last_seen_at} now={p.now} />)
                  {states[i] === "rejected" && g.last_error && (
                    <div class="notice error mono">{g.last_error}</div>
                  )}
                </>
              )
              : <span class="mono">{p.ids[i]}: unknown gateway</span>}
          </li>
        ))}
      </ul>
    </div>
  );
};

/** The watch page after a confirmed rollout. */
export const WatchPage: FC<{ s: SignedIn; version: string; gateways: GatewayJson[]; ids: string[] }> = (
  p,
) => {
  const rest = p.gateways.filter((g) => !p.ids.includes(g.id) && g.desired_version !== p.version);
  return (
    <Layout title={`Rolling out ${p.version}`} section="rollout" viewer={p.s.viewer}>
      <h1>
        Rolling out <span class="mono">{p.version}</span>
      </h1>
      <Notice kind="ok">The desired version of {p.ids.length} gateway(s) is now {p.version}.</Notice>
      <LiveToggle />
      <RolloutProgress version={p.version} gateways={p.gateways} ids={p.ids} now={p.s.now} />
      {rest.length > 0 && (
        <p>
          <a
            class="button secondary"
            href={`/console/rollout?version=${encodeURIComponent(p.version)}&${
              rest.map((g) => `gateway=${encodeURIComponent(g.id)}`).join("&")
            }`}
          >
            Continue with the other {rest.length} gateway(s)…
          </a>
        </p>
      )}
    </Layout>
  );
};

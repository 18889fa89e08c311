/**
 * The audit trail: secret reads (which token read which variable, for which
 * gateway), token mints, rotations and revocations, variable changes; newest
 * first, filtered by action and gateway. It shows ids and names only: the API
 * never stores a value or a token in the trail.
 *
 * @module
 */
import type { FC } from "hono/jsx";
import type { AuditJson } from "../../routes/audit.ts";
import { AUDIT_ACTIONS } from "../../store/types.ts";
import type { SignedIn } from "../context.ts";
import { DataTable, Layout, Notice, When } from "../views.tsx";

/** Filters of the audit page. */
export interface AuditFilters {
  action: string;
  gateway: string;
}

/** Words for the actions. */
const ACTION_LABEL: Readonly<Record<string, string>> = {
  secret_read: "secret read",
  variable_set: "variable set",
  variable_deleted: "variable deleted",
  token_created: "token created",
  token_revoked: "token revoked",
  gateway_registered: "gateway registered",
  gateway_token_rotated: "gateway token rotated",
};

function detailText(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => String(v)).join(", ") || "none";
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : JSON.stringify(value);
}

/** The audit page. */
export const AuditPage: FC<{ s: SignedIn; filters: AuditFilters; entries: AuditJson[]; error?: string }> = (
  p,
) => (
  <Layout title="Audit trail" section="audit" viewer={p.s.viewer}>
    <h1>Audit trail</h1>
    <p class="muted">
      Every read of a config-variable value, by a gateway or an operator, and every token minted, rotated or
      revoked. Ids and names only: values and tokens are never recorded.
    </p>
    <form method="get" action="/console/audit" class="filters" aria-label="Filter the audit trail">
      <label for="a-action">
        Action
        <select id="a-action" name="action">
          <option value="">any</option>
          {AUDIT_ACTIONS.map((a) => (
            <option value={a} selected={p.filters.action === a}>{ACTION_LABEL[a]}</option>
          ))}
        </select>
      </label>
      <label for="a-gateway">
        Gateway id
        <input id="a-gateway" type="text" name="gateway" value={p.filters.gateway} spellcheck={false} />
      </label>
      <button type="submit">Apply</button>
      <a href="/console/audit" class="button secondary">Reset</a>
    </form>
    {p.error && <Notice kind="error">{p.error}</Notice>}
    {!p.error && p.entries.length === 0 && <p class="empty">No audit entries match these filters.</p>}
    {p.entries.length > 0 && (
      <DataTable columns={["Time", "Action", "By token", "Gateway", "Subject", "Details"]} id="audit">
        {p.entries.map((e) => (
          <tr data-action={e.action} data-subject={e.subject ?? ""}>
            <td data-label="Time">
              <When at={e.at} />
            </td>
            <td data-label="Action">{ACTION_LABEL[e.action] ?? e.action}</td>
            <td data-label="By token" class="mono">{e.token_id ?? "—"}</td>
            <td data-label="Gateway" class="mono">{e.gateway_id ?? "—"}</td>
            <td data-label="Subject" class="mono">{e.subject ?? "—"}</td>
            <td data-label="Details">
              <ul>
                {Object.entries(e.details).map(([k, v]) => (
                  <li>
                    <span class="muted">{k}</span> {detailText(v)}
                  </li>
                ))}
                {e.request_id && (
                  <li>
                    <span class="muted">request</span> <span class="mono">{e.request_id}</span>
                  </li>
                )}
              </ul>
            </td>
          </tr>
        ))}
      </DataTable>
    )}
  </Layout>
);

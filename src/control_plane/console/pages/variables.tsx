/**
 * Config variables: names, sensitive or not, last change; set or replace a
 * value. Values are write-only here: the console never reads one back (the
 * API only lets gateways read the variables their config references).
 *
 * @module
 */
import type { FC } from "hono/jsx";
import { can, type SignedIn, type VariableJson } from "../context.ts";
import { CsrfField, DataTable, Layout, Notice, When } from "../views.tsx";

/** The variables page. */
export const VariablesPage: FC<{
  s: SignedIn;
  variables: VariableJson[];
  name: string;
  sensitive: boolean;
  notice?: { kind: "ok" | "error"; text: string };
  error?: string;
}> = (p) => {
  const writable = can(p.s.viewer, "configurations:write");
  const actionsHeader = <span class="sr-only">Actions</span>;
  return (
    <Layout title="Config variables" section="variables" viewer={p.s.viewer}>
      <h1>Config variables</h1>
      <p class="muted">
        Gateways resolve <code>secret_key_ref: {"{ store: NAME }"}</code>{" "}
        through these. Values are write-only: a sensitive value is encrypted at rest and can never be read
        back here.
      </p>
      {p.notice && <Notice kind={p.notice.kind}>{p.notice.text}</Notice>}
      {p.error && <Notice kind="error">{p.error}</Notice>}
      {!p.error && p.variables.length === 0 && <p class="empty">No config variables yet.</p>}
      {p.variables.length > 0 && (
        <DataTable
          columns={["Name", "Sensitive", "Last change", "By", actionsHeader]}
          id="variables"
        >
          {p.variables.map((v) => (
            <tr data-name={v.name}>
              <td data-label="Name" class="mono">{v.name}</td>
              <td data-label="Sensitive">{v.sensitive ? "sensitive (write-only)" : "not sensitive"}</td>
              <td data-label="Last change">
                <When at={v.updated_at} />
              </td>
              <td data-label="By" class="mono">{v.updated_by ?? "—"}</td>
              <td data-label="Actions">
                {writable && (
                  <a
                    href={`/console/variables?name=${encodeURIComponent(v.name)}&sensitive=${
                      v.sensitive ? "1" : "0"
                    }#set`}
                  >
                    Replace value<span class="sr-only">of {v.name}</span>
                  </a>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <h2 id="set">Set or replace a variable</h2>
      {!writable && (
        <Notice kind="warn">
          Your token lacks the configurations:write scope: you cannot set variables.
        </Notice>
      )}
      <form method="post" action="/console/variables" class="stack" autocomplete="off">
        <CsrfField viewer={p.s.viewer} />
        <div class="field">
          <label for="var-name">Name</label>
          <input
            id="var-name"
            type="text"
            name="name"
            value={p.name}
            required
            pattern="[A-Za-z_][A-Za-z0-9_.\-]{0,199}"
            spellcheck={false}
          />
        </div>
        <div class="field">
          <label for="var-value">Value</label>
          <input id="var-value" type="password" name="value" required autocomplete="new-password" />
        </div>
        <div class="row">
          <input id="var-sensitive" type="checkbox" name="sensitive" value="1" checked={p.sensitive} />
          <label for="var-sensitive">Sensitive (encrypted at rest, never shown)</label>
        </div>
        <div class="row">
          <button type="submit" disabled={!writable}>Save variable</button>
        </div>
      </form>
    </Layout>
  );
};

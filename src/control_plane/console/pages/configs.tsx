// deno-lint-ignore-file jsx-key -- server-rendered only: keys mean nothing here, and Hono would print them as attributes
/**
 * Configurations: stored versions, one version highlighted, a diff of any
 * two, and pushing a new one with lint problems marked at their line and
 * column before anything is stored.
 *
 * @module
 */
import type { ValidationDetail } from "../../errors.ts";
import type { FC } from "hono/jsx";
import { can, type SignedIn, type VersionJson } from "../context.ts";
import { sideBySide } from "../diff.ts";
import {
  CsrfField,
  DataTable,
  DiffView,
  formatBytes,
  Layout,
  type LineProblem,
  Notice,
  shortDigest,
  When,
  YamlView,
} from "../views.tsx";

const vHref = (v: string) => `/console/configs/v/${encodeURIComponent(v)}`;

const VersionSelect: FC<{ id: string; name: string; versions: VersionJson[]; selected?: string }> = (p) => (
  <select id={p.id} name={p.name}>
    {p.versions.map((v) => <option value={v.version} selected={v.version === p.selected}>{v.version}
    </option>)}
  </select>
);

const CompareForm: FC<{ versions: VersionJson[]; a?: string; b?: string }> = (p) => (
  <form method="get" action="/console/configs/diff" class="filters" aria-label="Compare two versions">
    <label for="diff-a">
      Old
      <VersionSelect id="diff-a" name="a" versions={p.versions} selected={p.a ?? p.versions[1]?.version} />
    </label>
    <label for="diff-b">
      New
      <VersionSelect id="diff-b" name="b" versions={p.versions} selected={p.b ?? p.versions[0]?.version} />
    </label>
    <button type="submit" class="secondary">Compare</button>
  </form>
);

/** The list of stored versions. */
export const ConfigsPage: FC<{ s: SignedIn; versions: VersionJson[]; error?: string; notice?: string }> = (
  p,
) => (
  <Layout title="Configurations" section="configs" viewer={p.s.viewer}>
    <div class="row">
      <h1>Configurations</h1>
      <a class="button" href="/console/configs/new">Push a new version</a>
    </div>
    {p.notice && <Notice kind="ok">{p.notice}</Notice>}
    {p.error && <Notice kind="error">{p.error}</Notice>}
    {!p.error && p.versions.length === 0 && (
      <p class="empty">
        No config version stored yet: push one here or with{" "}
        <code>kt config push --file policy-config.yaml</code>.
      </p>
    )}
    {p.versions.length > 0 && (
      <>
        <DataTable
          columns={["Version", "Name", "Digest", "Size", "Signed", "Pushed by", "Pushed at"]}
          id="versions"
        >
          {p.versions.map((v) => (
            <tr data-version={v.version}>
              <td data-label="Version" class="mono">
                <a href={vHref(v.version)}>{v.version}</a>
              </td>
              <td data-label="Name">{v.name}</td>
              <td data-label="Digest" class="mono" title={v.digest}>{shortDigest(v.digest)}</td>
              <td data-label="Size" class="num">{formatBytes(v.size_bytes)}</td>
              <td data-label="Signed">{v.signed ? "signed" : "unsigned"}</td>
              <td data-label="Pushed by" class="mono">{v.created_by ?? "—"}</td>
              <td data-label="Pushed at">
                <When at={v.created_at} />
              </td>
            </tr>
          ))}
        </DataTable>
        {p.versions.length > 1 && (
          <>
            <h2>Compare two versions</h2>
            <CompareForm versions={p.versions} />
          </>
        )}
      </>
    )}
  </Layout>
);

/** One version, highlighted. */
export const VersionPage: FC<{ s: SignedIn; v: VersionJson; notice?: string }> = ({ s, v, notice }) => (
  <Layout title={`Config ${v.version}`} section="configs" viewer={s.viewer}>
    <p>
      <a href="/console/configs">← Configurations</a>
    </p>
    <h1>
      {v.name} <span class="mono">{v.version}</span>
    </h1>
    {notice && <Notice kind="ok">{notice}</Notice>}
    <dl class="cards">
      <div class="card">
        <dt>Digest</dt>
        <dd class="mono">{v.digest}</dd>
      </div>
      <div class="card">
        <dt>Size · format</dt>
        <dd>
          {formatBytes(v.size_bytes)} · {v.format}
        </dd>
        <dt>Signature</dt>
        <dd>{v.signed ? "signed (Ed25519, detached)" : "unsigned"}</dd>
      </div>
      <div class="card">
        <dt>Pushed</dt>
        <dd>
          <When at={v.created_at} /> by <span class="mono">{v.created_by ?? "—"}</span>
        </dd>
        <dt>Stored variables referenced</dt>
        <dd class="mono">{v.store_refs.length ? v.store_refs.join(", ") : "none"}</dd>
      </div>
    </dl>
    <div class="row">
      {can(s.viewer, "configurations:write") && (
        <a class="button" href={`/console/rollout?version=${encodeURIComponent(v.version)}`}>
          Roll out this version…
        </a>
      )}
    </div>
    <h2>Document</h2>
    <YamlView text={v.config ?? ""} label={`config ${v.version}`} />
  </Layout>
);

/** A diff of two versions. */
export const DiffPage: FC<{ s: SignedIn; versions: VersionJson[]; a: VersionJson; b: VersionJson }> = (p) => {
  const diff = sideBySide(p.a.config ?? "", p.b.config ?? "");
  return (
    <Layout title={`Diff ${p.a.version} → ${p.b.version}`} section="configs" viewer={p.s.viewer}>
      <p>
        <a href="/console/configs">← Configurations</a>
      </p>
      <h1>
        <span class="mono">{p.a.version}</span> → <span class="mono">{p.b.version}</span>
      </h1>
      <CompareForm versions={p.versions} a={p.a.version} b={p.b.version} />
      <p>
        {diff.identical
          ? "The two documents are identical."
          : `${diff.removed} line(s) removed, ${diff.added} added.`}
      </p>
      <DiffView
        oldText={p.a.config ?? ""}
        newText={p.b.config ?? ""}
        oldLabel={p.a.version}
        newLabel={p.b.version}
        diff={diff}
      />
    </Layout>
  );
};

/** One problem of a checked or refused config. */
export interface ConfigProblem extends ValidationDetail {
  severity: "error" | "warning";
}

/** State of the push form. */
export interface PushState {
  text: string;
  signature: string;
  problems: ConfigProblem[];
  /** What happened: checked clean, refused, a failure message. */
  outcome?: { kind: "ok" | "error" | "warn"; text: string };
}

/** The push form, with the document's problems marked at their lines. */
export const PushPage: FC<{ s: SignedIn; state: PushState }> = ({ s, state }) => {
  const writable = can(s.viewer, "configurations:write");
  const located: LineProblem[] = state.problems.filter((p) => p.line !== undefined).map((p) => ({
    line: p.line!,
    column: p.column,
    code: `${p.severity === "error" ? "error" : "warning"} ${p.code}`,
    message: `${p.path ? `${p.path}: ` : ""}${p.message}`,
    hint: p.hint,
  }));
  return (
    <Layout title="Push a config" section="configs" viewer={s.viewer}>
      <p>
        <a href="/console/configs">← Configurations</a>
      </p>
      <h1>Push a new config version</h1>
      <p class="muted">
        The document is checked with the gateway's own validation before anything is stored; versions are
        immutable and keyed by <code>pack.version</code>.
      </p>
      {!writable && (
        <Notice kind="warn">
          Your token lacks the configurations:write scope: you can check a document, not store it.
        </Notice>
      )}
      {state.outcome && <Notice kind={state.outcome.kind}>{state.outcome.text}</Notice>}
      {state.problems.length > 0 && (
        <section aria-labelledby="problems-h">
          <h2 id="problems-h">
            {state.problems.filter((p) => p.severity === "error").length} error(s),{" "}
            {state.problems.filter((p) => p.severity === "warning").length} warning(s)
          </h2>
          <ol class="problems" id="problems">
            {state.problems.map((p) => (
              <li data-code={p.code} data-line={p.line !== undefined ? String(p.line) : ""}>
                <strong>{p.severity}</strong> <span class="mono">{p.code}</span> {p.line !== undefined
                  ? (
                    <a href={`#L${p.line}`}>
                      line {p.line}
                      {p.column !== undefined ? `, column ${p.column}` : ""}
                    </a>
                  )
                  : <span class="muted">no line</span>}
                {p.path
                  ? (
                    <>
                      {" "}
                      <span class="mono">{p.path}</span>
                    </>
                  )
                  : ""}: {p.message}
                {p.hint && <span class="muted">{` (${p.hint})`}</span>}
              </li>
            ))}
          </ol>
          {state.text && (
            <YamlView text={state.text} problems={located} label="the document, with its problems" />
          )}
        </section>
      )}
      <h2>{state.text ? "Edit and check again" : "Document"}</h2>
      <form method="post" action="/console/configs/new" enctype="multipart/form-data" class="stack">
        <CsrfField viewer={s.viewer} />
        <div class="field">
          <label for="config-text">Config document (YAML or JSON)</label>
          <textarea id="config-text" name="config" spellcheck={false} autocomplete="off">
            {"\n" + state.text}
          </textarea>
        </div>
        <div class="field">
          <label for="config-file">…or upload a file (replaces the text above)</label>
          <input
            id="config-file"
            type="file"
            name="file"
            accept=".yaml,.yml,.json,text/yaml,application/json"
            data-file-into="config-text"
          />
        </div>
        <div class="field">
          <label for="config-signature">
            Detached Ed25519 signature (base64, optional; from kt config sign)
          </label>
          <input
            id="config-signature"
            type="text"
            name="signature"
            value={state.signature}
            autocomplete="off"
          />
        </div>
        <div class="row">
          <button type="submit" name="action" value="check" class="secondary">Check only</button>
          <button type="submit" name="action" value="push" disabled={!writable}>Check and push</button>
        </div>
      </form>
    </Layout>
  );
};

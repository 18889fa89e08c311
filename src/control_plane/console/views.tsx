// deno-lint-ignore-file jsx-key -- server-rendered only: keys mean nothing here, and Hono would print them as attributes
/**
 * Shared views of the console: the page layout, status badges, times, the
 * highlighted YAML view and the side-by-side diff. Every piece of user or
 * config text goes through Hono JSX's default escaping; nothing here builds
 * HTML from strings.
 *
 * @module
 */
import type { Child, FC } from "hono/jsx";
import { ASSETS } from "./vendor/assets.ts";
import { type HighlightedLines, highlightYaml, type Piece } from "./highlight.ts";
import type { DiffRow, SideBySideDiff } from "./diff.ts";

/** URL of an embedded static file, with a content hash so it can be cached for long. */
export function assetUrl(name: string): string {
  const a = ASSETS[name];
  return `/console/static/${name}${a ? `?v=${a.sha256.slice(0, 12)}` : ""}`;
}

/** Who is signed in, as the layout shows it. */
export interface Viewer {
  name: string;
  tokenId: string;
  scopes: ReadonlySet<string>;
  csrf: string;
}

/** Sections of the main navigation. */
export type Section = "fleet" | "configs" | "rollout" | "events" | "variables" | "audit" | "none";

const NAV: ReadonlyArray<[Section, string, string]> = [
  ["fleet", "/console/fleet", "Fleet"],
  ["configs", "/console/configs", "Configurations"],
  ["rollout", "/console/rollout", "Rollout"],
  ["events", "/console/events", "Events"],
  ["variables", "/console/variables", "Variables"],
  ["audit", "/console/audit", "Audit"],
];

/** Props of {@link Layout}. */
export interface LayoutProps {
  title: string;
  section: Section;
  viewer: Viewer | null;
  /** Extra scripts (served names), loaded after console.js. */
  scripts?: string[];
  /** Extra stylesheets (served names). */
  styles?: string[];
  children?: Child;
}

/** The page shell: skip link, header with navigation and sign-out, main. */
export const Layout: FC<LayoutProps> = (p) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <link rel="icon" href="data:," />
      <title>{p.title} · kt console</title>
      <link rel="stylesheet" href={assetUrl("console.css")} />
      {(p.styles ?? []).map((s) => <link rel="stylesheet" href={assetUrl(s)} />)}
      <script src={assetUrl("console.js")} defer></script>
      {(p.scripts ?? []).map((s) => <script src={assetUrl(s)} defer></script>)}
    </head>
    <body>
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href="/console/fleet">kt console</a>
        {p.viewer && (
          <nav class="main" aria-label="Main">
            <ul>
              {NAV.map(([key, href, label]) => (
                <li>
                  <a href={href} aria-current={p.section === key ? "page" : undefined}>{label}</a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {p.viewer && (
          <div class="who">
            <span>
              Signed in as <strong>{p.viewer.name}</strong>{" "}
              <span class="muted mono" title="token id">({p.viewer.tokenId})</span>
            </span>
            <form method="post" action="/console/logout">
              <input type="hidden" name="_csrf" value={p.viewer.csrf} />
              <button type="submit" class="secondary">Sign out</button>
            </form>
          </div>
        )}
      </header>
      <main id="main" tabindex={-1}>{p.children}</main>
    </body>
  </html>
);

/** Gateway status words and the symbol shown with the colour. */
export const STATUS_LABEL: Readonly<Record<string, string>> = {
  healthy: "healthy",
  degraded: "degraded",
  config_rejected: "config rejected",
  offline: "offline",
};

/** A status badge: colour AND word. */
export const StatusBadge: FC<{ status: string }> = ({ status }) => (
  <span class={`badge status-${STATUS_LABEL[status] ? status : "offline"}`} data-status={status}>
    {STATUS_LABEL[status] ?? status}
  </span>
);

/** A verdict badge: colour AND word. */
export const VerdictBadge: FC<{ verdict: string }> = ({ verdict }) => (
  <span class={`badge verdict-${["allow", "redact", "block"].includes(verdict) ? verdict : "other"}`}>
    {verdict}
  </span>
);

/** "12 s ago" now, kept current by console.js. */
export function agoText(iso: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ago` : `${Math.floor(h / 24)} d ago`;
}

/** A relative time with the absolute one as its tooltip. */
export const Ago: FC<{ at: string | null | undefined; now: Date; never?: string }> = ({ at, now, never }) =>
  at
    ? (
      <time datetime={at} data-rel="" title={at}>
        {agoText(at, now)}
      </time>
    )
    : <span class="muted">{never ?? "never"}</span>;

/** An absolute UTC time. */
export const When: FC<{ at: string | null | undefined }> = ({ at }) =>
  at
    ? <time datetime={at}>{at.replace("T", " ").replace(/\.\d+Z$/, "Z")}</time>
    : <span class="muted">—</span>;

/** Drift between running and desired versions, in words. */
export const Drift: FC<{ running: string | null; desired: string | null }> = ({ running, desired }) => {
  if (!desired) return <span class="muted">no version assigned</span>;
  if (running === desired) return <span class="in-sync">in sync</span>;
  return (
    <span class="drift">
      drift: {running ?? "nothing"} → {desired}
    </span>
  );
};

/** A notice box. */
export const Notice: FC<{ kind?: "error" | "ok" | "warn" | "info"; children?: Child }> = (p) => (
  <div class={`notice ${p.kind ?? "info"}`} role={p.kind === "error" ? "alert" : "status"}>{p.children}</div>
);

/** Hidden CSRF field of every state-changing form. */
export const CsrfField: FC<{ viewer: Viewer }> = ({ viewer }) => (
  <input type="hidden" name="_csrf" value={viewer.csrf} />
);

const PieceView: FC<{ piece: Piece }> = ({ piece }) =>
  piece.kind === "plain" ? <>{piece.text}</> : <span class={`t-${piece.kind}`}>{piece.text}</span>;

/** A problem to mark in a {@link YamlView}. */
/** The pause/resume button and status line of a self-refreshing page (driven by console.js). */
export const LiveToggle: FC = () => (
  <div class="row">
    <button type="button" id="live-toggle" class="secondary" aria-pressed="false" hidden>
      Pause live updates
    </button>
    <p id="live-status" class="muted" aria-live="polite"></p>
  </div>
);

/**
 * A responsive data table: the wrapper, the header row from `columns` (text, or markup such as a
 * visually hidden label), and the rows as children.
 */
export const DataTable: FC<
  { columns: readonly Child[]; id?: string; describedBy?: string; children?: Child }
> = (
  p,
) => (
  <div class="table-wrap">
    <table class="data responsive" id={p.id} aria-describedby={p.describedBy}>
      <thead>
        <tr>{p.columns.map((c) => <th scope="col">{c}</th>)}</tr>
      </thead>
      <tbody>{p.children}</tbody>
    </table>
  </div>
);

export interface LineProblem {
  line: number;
  column?: number;
  code: string;
  message: string;
  hint?: string;
}

/** A highlighted YAML document with line numbers (anchors `#L<n>`) and problems marked under their line. */
export const YamlView: FC<{ text: string; problems?: LineProblem[]; label: string; idPrefix?: string }> = (
  p,
) => {
  const lines: HighlightedLines = highlightYaml(p.text);
  const prefix = p.idPrefix ?? "L";
  const byLine = new Map<number, LineProblem[]>();
  for (const problem of p.problems ?? []) {
    const list = byLine.get(problem.line) ?? [];
    list.push(problem);
    byLine.set(problem.line, list);
  }
  return (
    <pre class="code" aria-label={p.label} tabindex={0}>
      <code>
        {lines.map((pieces, i) => {
          const n = i + 1;
          const problems = byLine.get(n) ?? [];
          return (
            <>
              <span class={problems.length ? "line has-problem" : "line"} id={`${prefix}${n}`}>
                <span class="ln" aria-hidden="true">{n}</span>
                {pieces.map((piece) => <PieceView piece={piece} />)}
              </span>
              {problems.map((pr) => (
                <span class="problem" role="note" data-line={String(n)} data-column={String(pr.column ?? "")}>
                  <span class="ln" aria-hidden="true"></span>
                  {" ".repeat(Math.max(0, (pr.column ?? 1) - 1))}^ {pr.code} line {n}
                  {pr.column ? `, column ${pr.column}` : ""}: {pr.message}
                  {pr.hint ? ` (${pr.hint})` : ""}
                </span>
              ))}
            </>
          );
        })}
      </code>
    </pre>
  );
};

const DiffCell: FC<{ lines: HighlightedLines; n: number | null; side: "l" | "r" }> = ({ lines, n, side }) => (
  <>
    <td class="ln">{n ?? ""}</td>
    <td class={side}>{n !== null ? (lines[n - 1] ?? []).map((piece) => <PieceView piece={piece} />) : ""}</td>
  </>
);

const ROW_WORD: Record<string, string> = {
  removed: "removed",
  added: "added",
  changed: "changed",
  same: "",
};

/** A side-by-side diff table of two documents. */
export const DiffView: FC<{
  oldText: string;
  newText: string;
  oldLabel: string;
  newLabel: string;
  diff: SideBySideDiff;
}> = (p) => {
  const left = highlightYaml(p.oldText);
  const right = highlightYaml(p.newText);
  return (
    <div class="diff-wrap">
      <table class="diff">
        <caption class="sr-only">
          Differences between {p.oldLabel} and {p.newLabel}: {p.diff.removed} line(s) removed, {p.diff.added}
          {" "}
          line(s) added
        </caption>
        <colgroup>
          <col class="ln-col" />
          <col />
          <col class="ln-col" />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th colspan={2} scope="col">{p.oldLabel}</th>
            <th colspan={2} scope="col">{p.newLabel}</th>
          </tr>
        </thead>
        <tbody>
          {p.diff.rows.map((row: DiffRow) =>
            row.kind === "skip"
              ? (
                <tr class="skip">
                  <td colspan={4}>… {row.count} unchanged line(s) …</td>
                </tr>
              )
              : (
                <tr class={row.kind} title={ROW_WORD[row.kind] || undefined}>
                  <DiffCell lines={left} n={row.left} side="l" />
                  <DiffCell lines={right} n={row.right} side="r" />
                </tr>
              )
          )}
        </tbody>
      </table>
    </div>
  );
};

/** Shortens a `sha256:<hex>` digest for tables. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
}

/** Bytes in human units. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

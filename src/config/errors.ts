/**
 * Typed configuration errors. Every problem found while loading or linting a
 * config is a {@link ConfigIssue} with a stable lint code (SPEC 3.8), the
 * document path, and — where the source is known — the file, line and column.
 *
 * @module
 */

/** Stable lint codes of SPEC 3.8 plus loader-level codes. */
export type ConfigIssueCode =
  | "E000" // the document cannot be parsed (YAML/JSON syntax)
  | "E001" // unknown policy kind in the chain
  | "E002" // unknown key
  | "E003" // chain kind without a policy block
  | "E004" // duplicate target id
  | "E005" // routing references an unknown target
  | "E006" // invalid pattern
  | "E007" // unset variable
  | "E008" // type or range error
  | "E009" // cannot read the file
  | "W001" // policy block not in the chain
  | "W002" // mock provider in a config
  | "W003"; // other advisory warning

/** One problem found in a config document. */
export interface ConfigIssue {
  code: ConfigIssueCode;
  severity: "error" | "warning";
  /** Dotted document path, e.g. `providers.targets[0].timeout_ms`; empty for the root. */
  path: string;
  message: string;
  /** What to do about it ("did you mean …"). */
  hint?: string;
  file?: string;
  line?: number;
  column?: number;
}

/** Raised when a config cannot be used; carries every error found. */
export class ConfigError extends Error {
  /** Stable error code for callers that branch on it. */
  readonly code = "config_invalid";
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    const first = issues[0];
    super(
      issues.length === 0
        ? "invalid config"
        : `invalid config: ${formatIssue(first)}${
          issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""
        }`,
    );
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/** What {@link formatIssue} prints: a config issue, or a control plane's validation detail of one. */
export type FormattableIssue =
  & Pick<ConfigIssue, "path" | "message" | "hint" | "file" | "line" | "column">
  & { code?: string };

/** Formats an issue the way `kt policy lint` prints it: `file:line:col: path: message [code] (hint)`. */
export function formatIssue(issue: FormattableIssue): string {
  const where = issue.file
    ? `${issue.file}${issue.line ? `:${issue.line}:${issue.column ?? 1}` : ""}: `
    : issue.line
    ? `line ${issue.line}:${issue.column ?? 1}: `
    : "";
  const path = issue.path ? `${issue.path}: ` : "";
  const hint = issue.hint ? ` (${issue.hint})` : "";
  return `${where}${path}${issue.message}${issue.code ? ` [${issue.code}]` : ""}${hint}`;
}

/** Levenshtein distance, bounded: returns `max + 1` as soon as the distance exceeds `max`. */
export function editDistance(a: string, b: string, max = 3): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

/** "did you mean …" hint for a misspelt name among known ones, or undefined. */
export function didYouMean(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = name.toLowerCase();
  for (const candidate of known) {
    const d = editDistance(lower, candidate.toLowerCase(), 3);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  return best !== undefined && bestDistance <= limit ? `did you mean "${best}"?` : undefined;
}

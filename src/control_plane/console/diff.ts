/**
 * Side-by-side line diffs for the console, computed on the server with jsdiff
 * (`diff` on npm) and rendered as a table by the views.
 *
 * @module
 */
import { diffLines } from "diff";
import { splitLines } from "./highlight.ts";

/** One row of a side-by-side diff. `left`/`right` are 1-based line numbers, or null for a gap. */
export type DiffRow =
  | { kind: "same" | "changed" | "removed" | "added"; left: number | null; right: number | null }
  | { kind: "skip"; count: number };

/** A diff with its rows and counts. */
export interface SideBySideDiff {
  rows: DiffRow[];
  added: number;
  removed: number;
  identical: boolean;
}

/**
 * Aligns two texts line by line: a removed block followed by an added block
 * is paired up as changed lines; unchanged runs longer than `2 * context`
 * lines are folded into a `skip` row.
 */
export function sideBySide(oldText: string, newText: string, context = 3): SideBySideDiff {
  const parts = diffLines(
    oldText.endsWith("\n") ? oldText : `${oldText}\n`,
    newText.endsWith("\n") ? newText : `${newText}\n`,
  );
  const full: DiffRow[] = [];
  let l = 1;
  let r = 1;
  let added = 0;
  let removed = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const n = splitLines(part.value).length;
    if (!part.added && !part.removed) {
      for (let k = 0; k < n; k++) full.push({ kind: "same", left: l++, right: r++ });
    } else if (part.removed) {
      const next = parts[i + 1];
      const m = next?.added ? splitLines(next.value).length : 0;
      removed += n;
      added += m;
      for (let k = 0; k < Math.max(n, m); k++) {
        const left = k < n ? l++ : null;
        const right = k < m ? r++ : null;
        full.push({
          kind: left !== null && right !== null ? "changed" : left !== null ? "removed" : "added",
          left,
          right,
        });
      }
      if (next?.added) i++;
    } else {
      added += n;
      for (let k = 0; k < n; k++) full.push({ kind: "added", left: null, right: r++ });
    }
  }
  const rows: DiffRow[] = [];
  let i = 0;
  while (i < full.length) {
    if (full[i].kind !== "same") {
      rows.push(full[i++]);
      continue;
    }
    let j = i;
    while (j < full.length && full[j].kind === "same") j++;
    const run = j - i;
    const head = i === 0 ? 0 : context;
    const tail = j === full.length ? 0 : context;
    if (run > head + tail + 1) {
      rows.push(...full.slice(i, i + head));
      rows.push({ kind: "skip", count: run - head - tail });
      rows.push(...full.slice(j - tail, j));
    } else rows.push(...full.slice(i, j));
    i = j;
  }
  return { rows, added, removed, identical: added === 0 && removed === 0 };
}

/**
 * Scoring of prompt-injection sets given as conversations by family (`[family, messages]`): each
 * conversation becomes the segments the gateway would send (source from the message, or by role: `tool`
 * and `function` → `tool_results`, `system` and `developer` → `system`, `tool_definition` → `tools`,
 * `file`/`document` → `files`, everything else → `messages`) and runs through prompt-injection with its
 * defaults. Prints only aggregate figures: recall per family, false-positive rate per theme, overall
 * recall, precision and false-positive rate.
 *
 * @module
 */
import type { ContentSource, TextSegment } from "../../src/policy/types.ts";
import { chainOf, req } from "./helpers.ts";

/** A message as the sets write it. */
export interface SetMsg {
  role: string;
  content: string;
  source?: string;
}

const ROLE_SOURCE: Record<string, ContentSource> = {
  tool: "tool_results",
  function: "tool_results",
  system: "system",
  developer: "system",
  tool_definition: "tools",
  tools: "tools",
  file: "files",
  document: "files",
};

/** The segments of a conversation, as the gateway builds them. */
export function segmentsOf(messages: readonly SetMsg[]): TextSegment[] {
  return messages.map((m, i) => {
    const source = (m.source as ContentSource | undefined) ?? ROLE_SOURCE[m.role] ?? "messages";
    const role = source === "tools"
      ? "system"
      : source === "tool_results"
      ? "tool"
      : source === "files"
      ? "user"
      : m.role;
    return { key: `messages.${i}.content`, role, text: m.content, source };
  });
}

/** Aggregate figures of one set. */
export interface SetScore {
  pos: number;
  caught: number;
  neg: number;
  falsePos: number;
  recall: number;
  precision: number;
  fpr: number;
  /** Family → [attacks, caught]. */
  families: Map<string, [number, number]>;
  /** Theme → [benign, false positives]. */
  themes: Map<string, [number, number]>;
  report: string;
}

const chain = chainOf(["prompt-injection"], { "prompt-injection": {} });

/** Whether the default prompt-injection policy blocks a conversation. */
export function blocks(messages: readonly SetMsg[]): boolean {
  return chain.runInput(req(segmentsOf(messages)), chain.newState()).verdict === "block";
}

/** Scores a set; `negatives` entries may be bare strings (one user message, theme `benign`). */
export function scoreSet(
  title: string,
  positives: ReadonlyArray<readonly [string, readonly SetMsg[]]>,
  negatives: ReadonlyArray<readonly [string, readonly SetMsg[]] | string>,
): SetScore {
  const families = new Map<string, [number, number]>();
  const themes = new Map<string, [number, number]>();
  let caught = 0, falsePos = 0;
  for (const [family, messages] of positives) {
    const f = families.get(family) ?? [0, 0];
    f[0]++;
    if (blocks(messages)) {
      f[1]++;
      caught++;
    }
    families.set(family, f);
  }
  for (const n of negatives) {
    const [theme, messages] = typeof n === "string" ? ["benign", [{ role: "user", content: n }]] : n;
    const th = themes.get(theme) ?? [0, 0];
    th[0]++;
    if (blocks(messages)) {
      th[1]++;
      falsePos++;
    }
    themes.set(theme, th);
  }
  const pos = positives.length, neg = negatives.length;
  const recall = pos ? caught / pos : 1;
  const precision = caught + falsePos ? caught / (caught + falsePos) : 1;
  const fpr = neg ? falsePos / neg : 0;
  const pct = (x: number) => x.toFixed(3);
  const report = [
    `${title}: ${pos} attacks, ${neg} benign — recall=${pct(recall)} precision=${pct(precision)} ` +
    `false_positive_rate=${pct(fpr)}`,
    ...[...families].map(([f, [n, k]]) => `  attack ${f.padEnd(18)} ${k}/${n} recall=${pct(k / n)}`),
    ...[...themes].map(([f, [n, k]]) => `  benign ${f.padEnd(18)} ${k}/${n} fpr=${pct(k / n)}`),
  ].join("\n");
  return { pos, caught, neg, falsePos, recall, precision, fpr, families, themes, report };
}

/**
 * Scoring of secrets sets (`SecretCase {name, text, expected}`): each text runs through the default
 * secrets-detector as a user message; per kind, an expected kind that is found is a true positive, one
 * not found a miss, a found kind not expected a false positive. Prints only aggregate figures: recall and
 * precision per kind, overall recall and precision, and the share of negative cases with any finding.
 *
 * @module
 */
import { chainOf, req } from "./helpers.ts";

/** A case as the sets write it. */
export interface ScoredSecretCase {
  text: string;
  expected: readonly string[];
}

/** Aggregate figures of one set. */
export interface SecretsScore {
  recall: number;
  precision: number;
  /** Negative cases with a finding / negative cases. */
  fpr: number;
  report: string;
}

const chain = chainOf(["secrets-detector"], { "secrets-detector": {} });

/** The kinds the default secrets-detector reports in a text. */
export function foundKinds(text: string): Set<string> {
  const out = chain.runInput(req([text]), chain.newState());
  return new Set(Object.keys(out.results[0].findings));
}

/** Scores positives and negatives. */
export function scoreSecrets(
  title: string,
  positives: readonly ScoredSecretCase[],
  negatives: readonly ScoredSecretCase[],
): SecretsScore {
  const per = new Map<string, { tp: number; fp: number; fn: number }>();
  const at = (k: string) => {
    let m = per.get(k);
    if (!m) per.set(k, m = { tp: 0, fp: 0, fn: 0 });
    return m;
  };
  let negHits = 0;
  for (const c of [...positives, ...negatives]) {
    const found = foundKinds(c.text);
    const expected = new Set(c.expected);
    for (const k of expected) found.has(k) ? at(k).tp++ : at(k).fn++;
    for (const k of found) if (!expected.has(k)) at(k).fp++;
    if (expected.size === 0 && found.size > 0) negHits++;
  }
  let tp = 0, fp = 0, fn = 0;
  const rows: string[] = [];
  for (const [k, m] of [...per].sort()) {
    tp += m.tp;
    fp += m.fp;
    fn += m.fn;
    const r = m.tp + m.fn ? (m.tp / (m.tp + m.fn)).toFixed(2) : "-";
    const p = m.tp + m.fp ? (m.tp / (m.tp + m.fp)).toFixed(2) : "-";
    rows.push(`  ${k.padEnd(16)} tp=${m.tp} fp=${m.fp} fn=${m.fn} recall=${r} precision=${p}`);
  }
  const recall = tp + fn ? tp / (tp + fn) : 1;
  const precision = tp + fp ? tp / (tp + fp) : 1;
  const fpr = negatives.length ? negHits / negatives.length : 0;
  const report = `${title}: ${positives.length} cases with credentials, ${negatives.length} without — ` +
    `recall=${recall.toFixed(3)} precision=${precision.toFixed(3)} negatives_flagged=${fpr.toFixed(3)}\n` +
    rows.join("\n");
  return { recall, precision, fpr, report };
}

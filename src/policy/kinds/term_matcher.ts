/**
 * Whole-word, case-insensitive matching of term lists (dlp-filter `blocked_terms`,
 * safety-filter keyword categories), with optional bounded-edit-distance fuzzy
 * matching of words. Exact matching is one alternation regex of escaped literals
 * (whitespace inside a term matches any whitespace run); fuzzy matching walks the
 * words once and compares each with the terms of similar length using a banded
 * Levenshtein (O(len × (2d+1)) per comparison).
 *
 * @module
 */
import { escapeRegExp, type Span } from "./common.ts";

/** Options of {@link TermMatcher}. */
export interface TermMatcherOptions {
  /** Fuzzy distance (0 = exact only). */
  maxDistance?: number;
  /** Terms shorter than this are matched exactly only. */
  minFuzzyLength?: number;
}

interface FuzzyTerm {
  entity: string;
  words: string[];
  joined: string;
}

const WORD = /[\p{L}\p{N}_'’-]+/gu;

/** A compiled set of terms, each mapped to the entity name reported when it matches. */
export class TermMatcher {
  readonly #re: RegExp | null;
  readonly #entityOf = new Map<string, string>();
  readonly #fuzzy: FuzzyTerm[] = [];
  readonly #maxDistance: number;
  readonly #maxWords: number;

  constructor(terms: ReadonlyArray<{ term: string; entity: string }>, opts: TermMatcherOptions = {}) {
    const alts: string[] = [];
    for (const { term, entity } of terms) {
      const t = term.trim().toLowerCase().replace(/\s+/g, " ");
      if (!t || this.#entityOf.has(t)) continue;
      this.#entityOf.set(t, entity);
      alts.push(escapeRegExp(t).replace(/ /g, "\\s{1,8}"));
    }
    // Longest first so "pipe bomb" wins over "bomb" at the same position.
    alts.sort((a, b) => b.length - a.length);
    this.#re = alts.length
      ? new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alts.join("|")})(?![\\p{L}\\p{N}_])`, "giu")
      : null;
    this.#maxDistance = opts.maxDistance ?? 0;
    const minLen = opts.minFuzzyLength ?? 5;
    let maxWords = 1;
    if (this.#maxDistance > 0) {
      for (const [t, entity] of this.#entityOf) {
        if (t.length < minLen) continue;
        const words = t.split(" ");
        maxWords = Math.max(maxWords, words.length);
        this.#fuzzy.push({ entity, words, joined: t });
      }
    }
    this.#maxWords = maxWords;
  }

  /** True when no term is configured. */
  get empty(): boolean {
    return this.#re === null;
  }

  /** Finds exact (and, when enabled, fuzzy) matches. Fuzzy spans carry `<entity>_fuzzy`. */
  find(text: string): Span[] {
    const out: Span[] = [];
    const re = this.#re;
    if (!re) return out;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const key = m[0].toLowerCase().replace(/\s+/g, " ");
      out.push({ start: m.index, end: m.index + m[0].length, entity: this.#entityOf.get(key) ?? "term" });
    }
    if (this.#fuzzy.length > 0) this.#findFuzzy(text, out);
    return out;
  }

  #findFuzzy(text: string, out: Span[]): void {
    const d = this.#maxDistance;
    // Sliding window of the last `maxWords` words.
    const starts: number[] = [];
    const ends: number[] = [];
    const words: string[] = [];
    WORD.lastIndex = 0;
    let m: RegExpExecArray | null;
    let covered = out.length ? out[out.length - 1].end : -1;
    const exactEnds = new Set(out.map((s) => s.start));
    while ((m = WORD.exec(text)) !== null) {
      starts.push(m.index);
      ends.push(m.index + m[0].length);
      words.push(m[0].toLowerCase());
      if (words.length > this.#maxWords) {
        starts.shift();
        ends.shift();
        words.shift();
      }
      for (const term of this.#fuzzy) {
        const k = term.words.length;
        if (words.length < k) continue;
        const first = words.length - k;
        const s = starts[first];
        if (exactEnds.has(s) || s < covered) continue;
        const candidate = k === 1 ? words[first] : words.slice(first).join(" ");
        if (Math.abs(candidate.length - term.joined.length) > d || candidate === term.joined) continue;
        if (boundedDistance(candidate, term.joined, d) <= d) {
          out.push({ start: s, end: ends[ends.length - 1], entity: `${term.entity}_fuzzy` });
          covered = ends[ends.length - 1];
        }
      }
    }
    out.sort((a, b) => a.start - b.start);
  }
}

/** Levenshtein distance limited to a band of width `2d + 1`; returns `d + 1` when larger. */
export function boundedDistance(a: string, b: string, d: number): number {
  const n = a.length, m = b.length;
  if (Math.abs(n - m) > d) return d + 1;
  const INF = d + 1;
  let prev = new Array<number>(m + 1);
  let cur = new Array<number>(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j <= d ? j : INF;
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(1, i - d), hi = Math.min(m, i + d);
    cur[0] = i <= d ? i : INF;
    if (lo > 1) cur[lo - 1] = INF;
    let rowMin = cur[0];
    for (let j = lo; j <= hi; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let v = prev[j - 1] + cost;
      if (prev[j] + 1 < v) v = prev[j] + 1;
      if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
      cur[j] = v > INF ? INF : v;
      if (cur[j] < rowMin) rowMin = cur[j];
    }
    if (hi < m) cur[hi + 1] = INF;
    if (rowMin > d) return INF;
    [prev, cur] = [cur, prev];
  }
  return prev[m] > INF ? INF : prev[m];
}

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
  /** Length of the longest term (inner whitespace counted once). */
  readonly #maxLength: number;
  /** First characters (lower case) of the terms. */
  readonly #firsts = new Set<number>();

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
    this.#maxLength = Math.max(0, ...[...this.#entityOf.keys()].map((t) => t.length));
    for (const t of this.#entityOf.keys()) this.#firsts.add(t.charCodeAt(0));
  }

  /**
   * The open tail of a streamed `text` (normalised as {@link find} reads it): the earliest place from
   * which the rest is the beginning of a term, or a whole term that may still go on; with fuzzy
   * matching, the last words that could still grow into a near match. `text.length` when nothing is
   * open.
   */
  openTail(text: string): number {
    if (!this.#re) return text.length;
    let hold = text.length;
    if (this.#fuzzy.length > 0) {
      // The last `maxWords` words (and a word still being written) may still become a near match.
      let words = 0;
      let i = text.length;
      while (i > 0 && words <= this.#maxWords) {
        while (i > 0 && !isWordChar(text, i - 1)) i--;
        while (i > 0 && isWordChar(text, i - 1)) i--;
        words++;
      }
      hold = i;
    }
    const from = Math.max(0, text.length - 2 * (this.#maxLength + 8));
    for (let p = from; p < Math.min(hold, text.length); p++) {
      const c = text.charCodeAt(p);
      const lower = c >= 65 && c <= 90 ? c + 32 : c < 128 ? c : text[p].toLowerCase().charCodeAt(0);
      if (!this.#firsts.has(lower) || (p > 0 && isWordChar(text, p - 1))) continue;
      const rest = text.slice(p).toLowerCase().replace(/\s+/g, " ");
      if (rest.length > this.#maxLength) continue;
      for (const t of this.#entityOf.keys()) if (t.startsWith(rest)) return p;
    }
    return hold;
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

const WORD_CHAR = /[\p{L}\p{N}_]/u;

/** True when the character at `i` is a letter, digit or underscore (a term's word boundary). */
function isWordChar(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  return WORD_CHAR.test(text[i]);
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

/**
 * The normalised view every content detector scans (pii-detector, dlp-filter, secrets-detector,
 * prompt-injection), with an offset map back to the original text so a redaction replaces exactly the
 * original span. The engine computes it once per segment per phase and shares it between the policies
 * (`EvalInput.view`).
 *
 * Folding, per code point of the original:
 * - removed: zero-width and bidi controls (U+200B–U+200F, U+202A–U+202E, U+2060–U+2064, U+2066–U+2069,
 *   U+FEFF), soft hyphen U+00AD, U+180E, U+034F, variation selectors, Hangul fillers and Unicode tag
 *   characters (U+E0000–U+E007F);
 * - spaces: every other `\s` character (NBSP, thin and ideographic spaces, …) becomes a space, U+2028 and
 *   U+2029 a newline;
 * - dashes: every `\p{Pd}` character and U+2212 MINUS SIGN become `-`;
 * - decimal digits of every script (`\p{Nd}`) become ASCII digits;
 * - NFKC (fullwidth `＠` → `@`, `４` → `4`, mathematical letters, ligatures), per character with its
 *   combining marks; a combining mark right after an ASCII letter or digit that does not compose with it
 *   is removed (marks stacked on ASCII letters only disguise a word);
 * - lookalikes (Unicode TR39 confusables, {@link CONFUSABLE_ASCII}): punctuation always; letters only in a
 *   word that also has an ASCII letter or digit (mixed script: `prоject` with a Cyrillic `о`) or whose
 *   non-ASCII letters are all lookalikes (whole-script confusable: `ехрlоrе`). Real Cyrillic or Greek
 *   words keep their letters.
 *
 * ASCII-only text is its own view (no copy, no map). The view keeps case; kinds that match
 * case-insensitively lower-case it themselves.
 *
 * @module
 */
import { CONFUSABLE_ASCII, isLetterCodePoint } from "./confusables.ts";

/** A text as detectors scan it, and where each of its characters came from. */
export interface NormalizedView {
  /** The original text. */
  readonly original: string;
  /** The normalised text (=== `original` when nothing changed). */
  readonly text: string;
  /**
   * What changed, as quadruples `[outStart, outEnd, origStart, origEnd]` in output order: the view's
   * `[outStart, outEnd)` was produced from the original's `[origStart, origEnd)` (empty for a removed
   * character); between edits the text is copied unchanged. Absent when `text === original`.
   */
  readonly edits?: Int32Array;
}

const enum Fold {
  Unknown = 0,
  Keep = 1,
  Remove = 2,
  Space = 3,
  Newline = 4,
  Dash = 5,
  /** NFKC changes the character. */
  Nfkc = 6,
  /** A non-ASCII decimal digit. */
  Digit = 7,
  /** A lookalike punctuation or symbol: always folded. */
  Lookalike = 8,
  /** A lookalike letter: folded per word. */
  LookalikeLetter = 9,
  /** A combining mark (NFKC may compose it with the character before). */
  Mark = 10,
}

/** Fold class per BMP code unit, computed on first sight (`Unknown` until then). */
const BMP = new Uint8Array(0x10000);
for (let c = 0; c < 0x80; c++) BMP[c] = Fold.Keep;

const REMOVE_RANGES: ReadonlyArray<[number, number]> = [
  [0xad, 0xad],
  [0x34f, 0x34f],
  [0x115f, 0x1160],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x2064],
  [0x2066, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
];
for (const [lo, hi] of REMOVE_RANGES) for (let c = lo; c <= hi; c++) BMP[c] = Fold.Remove;
BMP[0x2028] = Fold.Newline;
BMP[0x2029] = Fold.Newline;
BMP[0x2212] = Fold.Dash;

const SPACE_RE = /^\s$/u;
const DASH_RE = /^\p{Pd}$/u;
const DIGIT_RE = /^\p{Nd}$/u;
const MARK_RE = /^\p{M}$/u;

function classify(cp: number): Fold {
  const ch = String.fromCodePoint(cp);
  if (SPACE_RE.test(ch)) return Fold.Space;
  if (DASH_RE.test(ch)) return Fold.Dash;
  if (DIGIT_RE.test(ch)) return Fold.Digit;
  if (MARK_RE.test(ch)) return Fold.Mark;
  if (ch.normalize("NFKC") !== ch) return Fold.Nfkc;
  if (CONFUSABLE_ASCII.has(cp)) return isLetterCodePoint(cp) ? Fold.LookalikeLetter : Fold.Lookalike;
  return Fold.Keep;
}

/** Fold classes of supplementary code points seen so far (tags are removed, the rest classified). */
const ASTRAL = new Map<number, Fold>();

function foldOf(cp: number): Fold {
  if (cp < 0x10000) {
    let f = BMP[cp];
    if (f === Fold.Unknown) BMP[cp] = f = classify(cp);
    return f;
  }
  if (cp >= 0xe0000 && cp <= 0xe007f) return Fold.Remove;
  let f = ASTRAL.get(cp);
  if (f === undefined) {
    f = classify(cp);
    if (ASTRAL.size < 4096) ASTRAL.set(cp, f);
  }
  return f;
}

/** NFKC of single characters seen so far (fullwidth punctuation recurs in CJK text). */
const NFKC_MEMO = new Map<number, string>();

function nfkcOf(cp: number, ch: string): string {
  let norm = NFKC_MEMO.get(cp);
  if (norm === undefined) {
    norm = ch.normalize("NFKC");
    if (NFKC_MEMO.size < 8192) NFKC_MEMO.set(cp, norm);
  }
  return norm;
}

/** ASCII value of a decimal digit of any script: its distance from the start of its run of ten. */
function digitValue(cp: number): string {
  let zero = cp;
  for (let k = 0; k < 9 && DIGIT_RE.test(String.fromCodePoint(zero - 1)); k++) zero--;
  // Runs of Nd characters are whole runs of ten from 0 to 9; adjacent runs (mathematical digits) are
  // NFKC-folded before this point, so walking back stays inside one run.
  return String.fromCharCode(48 + ((cp - zero) % 10));
}

const NON_ASCII = /[^\t\n\r -~]/;

/** Incremental output: the copied and replaced pieces, and the edits (see {@link NormalizedView.edits}). */
class Out {
  readonly parts: string[] = [];
  readonly edits: number[] = [];
  length = 0;
  /** Appends `s`, produced from original `[start, end)`. */
  add(s: string, start: number, end: number): void {
    this.parts.push(s);
    this.edits.push(this.length, this.length + s.length, start, end);
    this.length += s.length;
  }
  /** Appends the original run `[start, end)` of `src` unchanged. */
  copy(src: string, start: number, end: number): void {
    if (end <= start) return;
    this.parts.push(src.slice(start, end));
    this.length += end - start;
  }
}

/** Whether the lookalike letter at `i` is folded: by the word around it (see the module doc). */
function foldWord(text: string, i: number, cache: Map<number, boolean>): boolean {
  let s = i;
  for (let k = 0; k < 64 && s > 0; k++) {
    const c = text.charCodeAt(s - 1);
    if (!isWordUnit(text, s - 1, c)) break;
    s--;
  }
  const cached = cache.get(s);
  if (cached !== undefined) return cached;
  let ascii = false;
  let other = false;
  for (let j = s, k = 0; j < text.length && k < 128; k++) {
    const cp = text.codePointAt(j)!;
    const width = cp > 0xffff ? 2 : 1;
    if (!isWordUnit(text, j, text.charCodeAt(j))) break;
    if (cp < 0x80) ascii = true;
    else {
      const f = foldOf(cp);
      if (f === Fold.Nfkc) {
        if (/^[A-Za-z0-9]+$/.test(String.fromCodePoint(cp).normalize("NFKC"))) ascii = true;
      } else if (f !== Fold.LookalikeLetter && f !== Fold.Remove && f !== Fold.Mark && f !== Fold.Digit) {
        other = true;
      }
    }
    j += width;
  }
  const fold = ascii || !other;
  cache.set(s, fold);
  return fold;
}

const WORD_UNIT = /^[\p{L}\p{M}\p{N}]$/u;

function isWordUnit(text: string, j: number, c: number): boolean {
  if (c < 0x80) return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  if (c >= 0xdc00 && c <= 0xdfff) return j > 0 && isWordUnit(text, j - 1, text.charCodeAt(j - 1));
  const cp = text.codePointAt(j)!;
  const f = foldOf(cp);
  if (f === Fold.Remove || f === Fold.LookalikeLetter || f === Fold.Mark || f === Fold.Digit) return true;
  return WORD_UNIT.test(String.fromCodePoint(cp));
}

/** Builds the normalised view of `original` (see the module doc). */
export function normalizeView(original: string): NormalizedView {
  if (!NON_ASCII.test(original)) return { original, text: original };
  const n = original.length;
  let out: Out | undefined;
  /** Start of the original run not yet copied to `out`. */
  let run = 0;
  let wordCache: Map<number, boolean> | undefined;
  let i = 0;
  while (i < n) {
    const c = original.charCodeAt(i);
    if (c < 0x80) {
      i++;
      continue;
    }
    if (BMP[c] === Fold.Keep && (c < 0xd800 || c > 0xdfff)) {
      // Fast path: a kept character not followed by a combining mark (CJK, most accented letters).
      const d = i + 1 < n ? original.charCodeAt(i + 1) : 0;
      const g = BMP[d];
      if (d < 0x300 || (g !== Fold.Mark && g !== Fold.Unknown)) {
        i++;
        continue;
      }
    }
    const cp = original.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    const f = foldOf(cp);
    let end = i + width;
    let repl: string | null = null;
    switch (f) {
      case Fold.Keep:
        break;
      case Fold.Remove:
        repl = "";
        break;
      case Fold.Space:
        repl = " ";
        break;
      case Fold.Newline:
        repl = "\n";
        break;
      case Fold.Dash:
        repl = "-";
        break;
      case Fold.Digit:
        repl = digitValue(cp);
        break;
      case Fold.Lookalike:
        repl = CONFUSABLE_ASCII.get(cp)!;
        break;
      case Fold.LookalikeLetter:
        wordCache ??= new Map();
        if (foldWord(original, i, wordCache)) repl = CONFUSABLE_ASCII.get(cp)!;
        break;
      case Fold.Mark: {
        // Marks after an ASCII letter or digit: composed with it when NFKC does (`e` + U+0301 → `é`),
        // else removed: they only disguise the word ("zalgo" text, `i\u0334g\u0334n…`). Elsewhere kept.
        const prev = i > 0 ? original.charCodeAt(i - 1) : 0;
        if (prev < 0x80 && isWordUnit(original, i - 1, prev)) {
          while (end < n && foldOf(original.codePointAt(end)!) === Fold.Mark) end++;
          const norm = original.slice(i - 1, end).normalize("NFKC");
          out ??= new Out();
          if (norm.length === 1 || norm.charCodeAt(0) >= 0x80) {
            out.copy(original, run, i - 1);
            out.add(norm, i - 1, end);
          } else {
            // The letter keeps the marks' range, so redacting it removes them too.
            out.copy(original, run, i - 1);
            out.add(original[i - 1], i - 1, end);
          }
          run = end;
          i = end;
          continue;
        }
        break;
      }
      case Fold.Nfkc: {
        // The character with its combining marks, normalised together.
        while (end < n && foldOf(original.codePointAt(end)!) === Fold.Mark) end++;
        const chunk = original.slice(i, end);
        const norm = end === i + width ? nfkcOf(cp, chunk) : chunk.normalize("NFKC");
        if (norm !== chunk) repl = norm;
        break;
      }
    }
    if (f === Fold.Keep || f === Fold.LookalikeLetter) {
      // A following mark may compose with this character under NFKC (`e` + U+0301).
      const next = end < n ? original.codePointAt(end)! : 0;
      if (next >= 0x300 && foldOf(next) === Fold.Mark) {
        while (end < n && foldOf(original.codePointAt(end)!) === Fold.Mark) end++;
        const chunk = (repl ?? original.slice(i, i + width)) + original.slice(i + width, end);
        const norm = chunk.normalize("NFKC");
        repl = norm === original.slice(i, end) ? null : norm;
      }
    }
    if (repl !== null) {
      out ??= new Out();
      out.copy(original, run, i);
      out.add(repl, i, end);
      run = end;
    }
    i = end;
  }
  if (!out) return { original, text: original };
  out.copy(original, run, n);
  return { original, text: out.parts.join(""), edits: Int32Array.from(out.edits) };
}

/** The last edit (index of its quadruple) whose output start is at most `k`, or -1. */
function editAt(edits: Int32Array, k: number): number {
  let lo = 0, hi = edits.length / 4 - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (edits[mid * 4] <= k) {
      found = mid * 4;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Where the view's character `k` came from in the original: `[start, end)`. */
function sourceOf(edits: Int32Array, k: number): [number, number] {
  const e = editAt(edits, k);
  if (e < 0) return [k, k + 1];
  if (k < edits[e + 1]) return [edits[e + 2], edits[e + 3]];
  const o = k - edits[e + 1] + edits[e + 3];
  return [o, o + 1];
}

/**
 * The original range of the view's `[start, end)`: from where its first character came from to where
 * its last one ends, so characters removed inside it (zero-width) are covered and those at its edges
 * are not.
 */
export function originalRange(view: NormalizedView, start: number, end: number): [number, number] {
  const edits = view.edits;
  if (!edits) return [start, end];
  const len = view.text.length;
  if (start >= len) return [view.original.length, view.original.length];
  const s = sourceOf(edits, start)[0];
  const e = end > start ? sourceOf(edits, Math.min(end, len) - 1)[1] : s;
  return [s, e];
}

/** Spans found in `view.text`, moved to the original's coordinates (in place; returns the array). */
export function toOriginalSpans<T extends { start: number; end: number }>(
  view: NormalizedView,
  spans: T[],
): T[] {
  if (!view.edits) return spans;
  for (const s of spans) {
    const [a, b] = originalRange(view, s.start, s.end);
    s.start = a;
    s.end = b;
  }
  return spans;
}

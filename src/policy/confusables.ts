/**
 * Lookalike folding from the Unicode TR39 confusables data (`confusables.txt`, as shipped by the
 * `unhomoglyph` npm package, Unicode 13). TR39 maps each character to a *prototype* so that two strings
 * can be compared by their skeletons; the prototype is not always the character a reader sees (Cyrillic
 * `І` and ASCII `I` both have the prototype `l`). So a non-ASCII character is folded to the ASCII
 * character of its confusable class that fits its category: an upper-case letter to an upper-case ASCII
 * letter (`І` → `I`, `О` → `O`), a lower-case or caseless letter to a lower-case one (`о` → `o`, `і` →
 * `i`), punctuation to ASCII punctuation (`’` → `'`, `․` → `.`). Letters never fold to digits or
 * punctuation, and characters whose class has no ASCII member (Cyrillic `д`, Greek `λ`) are kept.
 *
 * @module
 */
import CONFUSABLES from "unhomoglyph/data.json" with { type: "json" };

const data = CONFUSABLES as Record<string, string>;

function protoOf(ch: string): string {
  return data[ch] ?? ch;
}

const UPPER = /^\p{Lu}$/u;
const LETTER = /^\p{L}$/u;
const NUMBER = /^\p{N}$/u;
const ASCII_UPPER = /^[A-Z]$/;
const ASCII_LOWER = /^[a-z]$/;
const ASCII_DIGIT = /^[0-9]$/;

/** Prototype → the printable ASCII characters with that prototype (the confusable class's ASCII members). */
const ASCII_BY_PROTO = new Map<string, string[]>();
for (let c = 0x21; c < 0x7f; c++) {
  const ch = String.fromCharCode(c);
  const p = protoOf(ch);
  const list = ASCII_BY_PROTO.get(p);
  if (list) list.push(ch);
  else ASCII_BY_PROTO.set(p, [ch]);
}

function pick(src: string, proto: string): string | undefined {
  const members = ASCII_BY_PROTO.get(proto) ?? [];
  if (LETTER.test(src)) {
    const upper = members.filter((m) => ASCII_UPPER.test(m));
    const lower = members.filter((m) => ASCII_LOWER.test(m));
    return UPPER.test(src) ? upper[0] ?? lower[0] : lower[0] ?? upper[0];
  }
  if (NUMBER.test(src)) return members.find((m) => ASCII_DIGIT.test(m));
  const punct = members.filter((m) => !/[A-Za-z0-9]/.test(m));
  return punct.includes(proto) ? proto : punct[0];
}

/** Non-ASCII code point → its ASCII lookalike (letters and punctuation; see the module doc). */
export const CONFUSABLE_ASCII: ReadonlyMap<number, string> = (() => {
  const out = new Map<number, string>();
  for (const [src, proto] of Object.entries(data)) {
    const cp = src.codePointAt(0)!;
    if (cp < 0x80 || src.length !== String.fromCodePoint(cp).length) continue;
    const ascii = pick(src, proto);
    if (ascii !== undefined) out.set(cp, ascii);
  }
  return out;
})();

/** True when `cp` is a letter (its fold is decided per word: see `normalize.ts`). */
export function isLetterCodePoint(cp: number): boolean {
  return LETTER.test(String.fromCodePoint(cp));
}

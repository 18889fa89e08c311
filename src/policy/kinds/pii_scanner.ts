/**
 * The built-in PII scanner: one left-to-right pass over the text with bounded
 * look-around, no regular expressions on the hot path. Each candidate is
 * validated (Luhn for cards, mod-97 for IBANs, NPI Luhn with the 80840 prefix,
 * SSN area/group/serial rules, octet ranges for IPv4, a full IPv6 parser), and a
 * few ambiguous shapes (bare 9- and 10-digit numbers) count only with a context
 * word before them. Work per character is O(1) amortised: every look-ahead is
 * capped (64 characters for an email local part, 253 for a domain, 48 for a
 * number run, 45 for an IPv6 token) and the cursor jumps past what it consumed.
 *
 * One file: a single pass whose entity parsers share the cursor and character classes.
 *
 * @module
 */
import type { Span } from "./common.ts";

/** Entities the built-in scanner knows. */
export const PII_ENTITIES = [
  "email",
  "phone",
  "ssn",
  "credit_card",
  "iban",
  "ipv4",
  "ipv6",
  "mrn",
  "npi",
] as const;
/** One built-in entity name. */
export type PiiEntity = typeof PII_ENTITIES[number];

/** Scanner settings. */
export interface PiiScanOptions {
  entities: ReadonlySet<string>;
  healthcare: boolean;
}

// Character classes (ASCII); code points >= 128 count as letters for word boundaries.
const DIGIT = 1, UPPER = 2, LOWER = 4, HEX = 8, LOCAL = 16, DOMAIN = 32;
const CLS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) CLS[c] = DIGIT | HEX | LOCAL | DOMAIN;
for (let c = 65; c <= 90; c++) CLS[c] = UPPER | LOCAL | DOMAIN | (c <= 70 ? HEX : 0);
for (let c = 97; c <= 122; c++) CLS[c] = LOWER | LOCAL | DOMAIN | (c <= 102 ? HEX : 0);
for (const ch of "._%+-'") CLS[ch.charCodeAt(0)] |= LOCAL;
CLS["-".charCodeAt(0)] |= DOMAIN;

const ALNUM = DIGIT | UPPER | LOWER;

function cls(code: number): number {
  return code < 128
    ? CLS[code]
    : (code === 0xa0 || (code >= 0x2000 && code <= 0x200b) || code === 0x3000 ? 0 : UPPER | LOWER);
}
function isAlnum(code: number): boolean {
  return (cls(code) & ALNUM) !== 0;
}
function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Luhn checksum over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** IBAN mod-97 check over the compact (no spaces) upper-case form. */
export function ibanValid(iban: string): boolean {
  const s = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

/** IBAN lengths by country (ISO 13616 registry, the common subset). */
const IBAN_LENGTH: Record<string, number> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  TN: 24,
  TR: 26,
  UA: 29,
  VG: 24,
  XK: 20,
};

function cardPrefixValid(d: string): boolean {
  const n = d.length;
  const p2 = Number(d.slice(0, 2));
  const p4 = Number(d.slice(0, 4));
  if (d[0] === "4") return n === 13 || n === 16 || n === 19;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16;
  if (p2 === 34 || p2 === 37) return n === 15;
  if (p4 === 6011 || p2 === 65 || (p4 >= 6440 && p4 <= 6499)) return n >= 16 && n <= 19;
  if (p2 === 35) return n >= 16 && n <= 19;
  if (p2 === 36 || p2 === 38 || p2 === 39 || (p2 === 30)) return n >= 14 && n <= 19;
  if (p2 === 62 || p2 === 81) return n >= 16 && n <= 19;
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return n >= 12 && n <= 19; // Maestro
  return false;
}

const PHONE_CONTEXT =
  /\b(?:phone|call|tel|telephone|mobile|cell|cellphone|number|text|sms|whatsapp|reach|contact|fax|dial|ring)\b/;
const SSN_CONTEXT = /\b(?:ssn|social security|social sec|ss#|ss no)/;
const NPI_CONTEXT = /\b(?:npi|provider|prescriber|national provider)/;
const VERSION_CONTEXT = /\b(?:version|release|build|ver|v|firmware|sdk|api)[\s.:#]*$/;
const MRN_KEYWORD =
  /mrn|medical record(?: number| no\.?| num| #)?|patient (?:id|number|no\.?)|chart (?:number|no\.?)/iy;
const MRN_GLUE = /(?:\s{0,3}(?:[:#=]|is|was|no\.?|number)){0,2}\s{0,3}/iy;

function contextBefore(text: string, start: number, re: RegExp, span = 40): boolean {
  return re.test(text.slice(Math.max(0, start - span), start).toLowerCase());
}

/** Scans `text` for built-in PII entities and returns their spans in order. */
export function scanPii(text: string, opts: PiiScanOptions): Span[] {
  const out: Span[] = [];
  const want = opts.entities;
  const wantEmail = want.has("email");
  const wantNumeric = want.has("phone") || want.has("ssn") || want.has("credit_card") || want.has("ipv4") ||
    want.has("npi");
  const wantIban = want.has("iban");
  const wantV6 = want.has("ipv6");
  const wantMrn = opts.healthcare && want.has("mrn");
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const k = c < 128 ? CLS[c] : 0;
    if (k === 0 && c !== 64 && c !== 58 && c !== 43 && c !== 40) {
      // Not a letter or digit, nor '@', ':', '+', '(': no entity starts here.
      i++;
      continue;
    }
    if (c === 64 /* @ */) {
      if (wantEmail) {
        const end = email(text, i, out);
        if (end > i) {
          i = end;
          continue;
        }
      }
      i++;
      continue;
    }
    if ((k & LOWER) !== 0 && c > 102 && !(wantMrn && (c === 109 || c === 112))) {
      // A letter g–z (so not hex, and no mrn keyword unless m/p): nothing starts here or in the
      // rest of its word, whether or not the word starts here.
      i = skipAlnum(text, i + 1);
      continue;
    }
    const prev = i > 0 ? text.charCodeAt(i - 1) : 32;
    const atBoundary = !isAlnum(prev);
    if (!atBoundary) {
      i++;
      continue;
    }
    if (wantV6 && ((k & HEX) !== 0 || c === 58) && prev !== 58 && prev !== 46 && maybeIpv6(text, i)) {
      const end = ipv6(text, i);
      if (end > i) {
        out.push({ start: i, end, entity: "ipv6" });
        i = end;
        continue;
      }
    }
    if (wantNumeric && ((k & DIGIT) !== 0 || ((c === 43 || c === 40) && isDigit(text.charCodeAt(i + 1))))) {
      if (prev === 46 || prev === 45 || prev === 47 || prev === 95) {
        // "1.2.3" continuation, "ABC-123", "12/05": part of a larger token.
        i = Math.max(skipToken(text, i), i + 1);
        continue;
      }
      const next = numeric(text, i, opts, out);
      i = next > i ? next : i + 1;
      continue;
    }
    if (wantIban && (k & UPPER) !== 0) {
      const end = iban(text, i);
      if (end > i) {
        out.push({ start: i, end, entity: "iban" });
        i = end;
        continue;
      }
      if (end < -i) {
        // IBAN-shaped but the checksum fails: skip it so its digit groups are not read as a phone.
        i = -end;
        continue;
      }
    }
    if (wantMrn && (c === 77 || c === 109 || c === 80 || c === 112 || c === 67 || c === 99)) {
      const end = mrn(text, i, out);
      if (end > i) {
        i = end;
        continue;
      }
    }
    // Skip the rest of an ASCII word: nothing starts inside one ('@' stops the skip).
    i = (k & (UPPER | LOWER)) !== 0 ? skipAlnum(text, i + 1) : i + 1;
  }
  return out;
}

/** The end of the run of ASCII letters and digits from `i`. */
function skipAlnum(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const d = text.charCodeAt(i);
    if (d < 128 && (CLS[d] & ALNUM) !== 0) i++;
    else break;
  }
  return i;
}

/**
 * False when {@link ipv6} at `i` certainly finds nothing: its token has no ':' because the hex
 * run from `i` (shorter than five) ends in something other than ':' or '.'.
 */
function maybeIpv6(text: string, i: number): boolean {
  let h = i;
  while (h - i < 5 && h < text.length) {
    const d = text.charCodeAt(h);
    if (d < 128 && (CLS[d] & HEX) !== 0) h++;
    else break;
  }
  if (h - i >= 5) return true;
  const d = text.charCodeAt(h);
  return d === 58 || d === 46;
}

function skipToken(text: string, i: number): number {
  while (i < text.length && (isAlnum(text.charCodeAt(i)) || text.charCodeAt(i) === 46)) i++;
  return i;
}

function email(text: string, at: number, out: Span[]): number {
  let s = at;
  while (
    s > 0 && at - s < 64 && (cls(text.charCodeAt(s - 1)) & LOCAL) !== 0 && text.charCodeAt(s - 1) < 128
  ) s--;
  while (s < at && (text.charCodeAt(s) === 46 || text.charCodeAt(s) === 39)) s++;
  if (s === at) return at;
  // Domain: labels of [A-Za-z0-9-] separated by dots.
  let e = at + 1;
  let lastDot = -1;
  let labels = 0;
  let labelStart = e;
  const max = Math.min(text.length, at + 254);
  while (e < max) {
    const c = text.charCodeAt(e);
    if (c < 128 && (CLS[c] & DOMAIN) !== 0) {
      e++;
      continue;
    }
    if (c === 46 && e > labelStart && e + 1 < max && c < 128 && (CLS[text.charCodeAt(e + 1)] & ALNUM) !== 0) {
      lastDot = e;
      labels++;
      e++;
      labelStart = e;
      continue;
    }
    break;
  }
  if (lastDot < 0 || labels < 1) return at;
  // TLD: letters only, at least two.
  let tldOk = e - lastDot - 1 >= 2;
  for (let j = lastDot + 1; j < e && tldOk; j++) tldOk = (CLS[text.charCodeAt(j)] & (UPPER | LOWER)) !== 0;
  if (!tldOk) return at;
  while (out.length > 0 && out[out.length - 1].end > s) out.pop();
  out.push({ start: s, end: e, entity: "email" });
  return e;
}

const SEP_SPACE = 32, SEP_DASH = 45, SEP_DOT = 46, LPAREN = 40, RPAREN = 41;

/** Consumes a run of digit groups starting at `i` and classifies it. Returns the index after the run. */
function numeric(text: string, i: number, opts: PiiScanOptions, out: Span[]): number {
  const n = text.length;
  const start = i;
  if (isDigit(text.charCodeAt(i))) {
    // Fast path, no allocation: a run of fewer than nine digits not followed by a separator and a digit
    // (or "(") is one group, and no entity is a single group that short (see classify).
    let g = i;
    while (g < n && isDigit(text.charCodeAt(g))) g++;
    if (g - i < 9) {
      const s = text.charCodeAt(g);
      const s2 = text.charCodeAt(g + 1);
      if (!((s === SEP_SPACE || s === SEP_DASH || s === SEP_DOT) && (isDigit(s2) || s2 === LPAREN))) {
        const after = g < n ? s : 32;
        return isAlnum(after) || after === 64 ? skipToken(text, g) : g;
      }
    }
  }
  if (isDigit(text.charCodeAt(i))) {
    // Second fast path, no allocation: count the digits of the whole run (groups joined by one space,
    // dash or dot). Fewer than seven digits is no entity, except four dotted groups (an IPv4 address);
    // a 4-2-2 dashed date (`2026-10-01`) is none either.
    let g = i, digits = 0, groups = 0, dots = 0, dashes = 0, first = 0, last = 0;
    const limit = Math.min(n, start + 48);
    for (;;) {
      const s0 = g;
      while (g < limit && isDigit(text.charCodeAt(g))) g++;
      const len = g - s0;
      digits += len;
      if (groups === 0) first = len;
      last = len;
      groups++;
      const c = text.charCodeAt(g);
      if (
        (c === SEP_DOT || c === SEP_DASH || c === SEP_SPACE) && isDigit(text.charCodeAt(g + 1)) && g < limit
      ) {
        if (c === SEP_DOT) dots++;
        else if (c === SEP_DASH) dashes++;
        g++;
        continue;
      }
      break;
    }
    const c = text.charCodeAt(g);
    const open = c === LPAREN || (c === SEP_SPACE && text.charCodeAt(g + 1) === LPAREN);
    if (!open && !(dots === 3 && groups === 4)) {
      const date = groups === 3 && dashes === 2 && first === 4 && last === 2 && digits === 8;
      if (digits < 7 || date) {
        const after = g < n ? c : 32;
        return isAlnum(after) || after === 64 ? skipToken(text, g) : g;
      }
    }
  }
  let plus = false;
  let j = i;
  if (text.charCodeAt(j) === 43) {
    plus = true;
    j++;
  }
  const groups: number[] = [];
  const seps: string[] = [];
  let digits = "";
  let parenArea = false;
  let groupEnd = j;
  const limit = Math.min(n, start + 48);
  while (j < limit) {
    const c = text.charCodeAt(j);
    if (c === LPAREN && groups.length <= 1) {
      // "(555) 123-4567" or "+1 (555) 123-4567"
      let g = j + 1;
      while (g < limit && isDigit(text.charCodeAt(g))) g++;
      if (g - j - 1 < 2 || g - j - 1 > 4 || text.charCodeAt(g) !== RPAREN) break;
      groups.push(g - j - 1);
      digits += text.slice(j + 1, g);
      parenArea = true;
      j = g + 1;
    } else if (isDigit(c)) {
      let g = j;
      while (g < limit && isDigit(text.charCodeAt(g))) g++;
      groups.push(g - j);
      digits += text.slice(j, g);
      j = g;
    } else break;
    groupEnd = j;
    // Separator: one of space, dash, dot (or a space after ")") followed by a digit or "(".
    const s = text.charCodeAt(j);
    const s2 = text.charCodeAt(j + 1);
    if (
      (s === SEP_SPACE || s === SEP_DASH || s === SEP_DOT) &&
      (isDigit(s2) || (s2 === LPAREN && groups.length <= 1))
    ) {
      seps.push(text[j]);
      j++;
      continue;
    }
    if (parenArea && groups.length === 1 && isDigit(s) && seps.length === 0) {
      seps.push("");
      continue;
    }
    break;
  }
  // A separator followed by "(" that did not open an area code belongs to the prose after the number.
  if (seps.length >= groups.length && groups.length > 0) seps.pop();
  const end = groups.length > 0 ? groupEnd : j;
  // A run glued to letters or more digits beyond the cap is an identifier, not an entity.
  const after = end < n ? text.charCodeAt(end) : 32;
  if (isAlnum(after) || after === 64 || groups.length === 0 || end >= limit && isDigit(after)) {
    return skipToken(text, end);
  }
  if (after === 46 && isDigit(text.charCodeAt(end + 1))) return skipToken(text, end + 1);
  const entity = classify(text, start, end, digits, groups, seps, plus, parenArea, opts);
  if (!entity) return end;
  // A phone's extension is part of it: redaction must not leave `ext. 42` behind.
  const spanEnd = entity === "phone" ? extensionEnd(text, end) : end;
  out.push({ start, end: spanEnd, entity });
  return spanEnd;
}

/**
 * The end of a phone extension right after a number ending at `end` (` ext. 42`, `, extension 7`,
 * ` x204`, ` #12`: one to six digits), else `end`. `x` must touch its digits (`x 2` is prose).
 */
function extensionEnd(text: string, end: number): number {
  let i = end;
  if (text.charCodeAt(i) === 44) i++; // ","
  if (text.charCodeAt(i) !== 32) return end;
  i++;
  const c = text.charCodeAt(i) | 32;
  if (c === 120 || text.charCodeAt(i) === 35) {
    // "x204", "#12"
    i++;
  } else if (c === 101 && (text.charCodeAt(i + 1) | 32) === 120 && (text.charCodeAt(i + 2) | 32) === 116) {
    // "ext", "ext.", "extension"
    i += 3;
    if (text.slice(i, i + 6).toLowerCase() === "ension") i += 6;
    else if (text.charCodeAt(i) === 46) i++;
    if (text.charCodeAt(i) === 32) i++;
  } else return end;
  const digits = i;
  while (i < text.length && i - digits < 6 && isDigit(text.charCodeAt(i))) i++;
  if (i === digits || (i < text.length && isAlnum(text.charCodeAt(i)))) return end;
  return i;
}

function allSame(seps: readonly string[], chars: string): boolean {
  if (seps.length === 0) return false;
  const first = seps[0];
  if (!chars.includes(first)) return false;
  for (const s of seps) if (s !== first) return false;
  return true;
}

function classify(
  text: string,
  start: number,
  _end: number,
  d: string,
  g: readonly number[],
  seps: readonly string[],
  plus: boolean,
  paren: boolean,
  opts: PiiScanOptions,
): string | null {
  const want = opts.entities;
  const len = d.length;
  // IPv4: four dot-separated octets (four dot-separated groups of four are a card number's shape).
  if (!plus && !paren && g.length === 4 && allSame(seps, ".") && g.every((gl) => gl <= 3)) {
    if (!want.has("ipv4")) return null;
    let pos = 0;
    for (const gl of g) {
      const v = Number(d.slice(pos, pos + gl));
      if (v > 255 || (gl > 1 && d[pos] === "0")) return null;
      pos += gl;
    }
    if (VERSION_CONTEXT.test(text.slice(Math.max(0, start - 16), start).toLowerCase())) return null;
    return "ipv4";
  }
  if (seps.includes(".") && !seps.every((s) => s === ".")) return null;
  // SSN: 3-2-4 with one separator kind, or nine bare digits after an SSN context word.
  if (want.has("ssn") && !plus && !paren && len === 9) {
    const shaped = g.length === 3 && g[0] === 3 && g[1] === 2 && g[2] === 4 && allSame(seps, "- ");
    const bare = g.length === 1 && contextBefore(text, start, SSN_CONTEXT);
    if ((shaped || bare) && ssnValid(d)) return "ssn";
  }
  // Credit card: 12–19 digits, one group or 4-grouped (Amex 4-6-5, Diners 4-6-4) with one separator
  // kind (space, dash or dot), Luhn, known IIN.
  if (want.has("credit_card") && !plus && !paren && len >= 12 && len <= 19) {
    const grouped = g.length === 1 ||
      (allSame(seps, " -.") &&
        (g.every((x, idx) => x === 4 || (idx === g.length - 1 && x >= 1 && x <= 4)) ||
          (g.length === 3 && g[0] === 4 && g[1] === 6 && (g[2] === 5 || g[2] === 4))));
    if (grouped && luhnValid(d) && cardPrefixValid(d)) return "credit_card";
  }
  // NPI: ten digits starting 1 or 2, Luhn over "80840" + digits, with a context word.
  if (
    opts.healthcare && want.has("npi") && !plus && g.length === 1 && len === 10 &&
    (d[0] === "1" || d[0] === "2")
  ) {
    if (luhnValid("80840" + d) && contextBefore(text, start, NPI_CONTEXT)) return "npi";
  }
  if (!want.has("phone")) return null;
  // Phone numbers.
  if (plus) {
    if (len >= 8 && len <= 15 && (seps.length > 0 || len >= 10)) return "phone";
    return null;
  }
  const dashesOrSpaces = seps.length === 0 || allSame(seps, "- .") ||
    seps.every((s) => s === " " || s === "-" || s === "");
  if (!dashesOrSpaces) return null;
  // NANP: (555) 123-4567, 555-123-4567, 555.123.4567, 555 123 4567, 1-555-123-4567.
  if (len === 10 && g.length === 3 && g[0] === 3 && g[1] === 3 && g[2] === 4 && d[0] >= "2") return "phone";
  if (len === 11 && g.length === 4 && g[0] === 1 && d[0] === "1" && g[1] === 3 && g[2] === 3 && g[3] === 4) {
    return "phone";
  }
  // International with a 00 prefix or national trunk 0: 0044 20 7946 0958, 020 7946 0958, 030-1234567.
  if (
    d[0] === "0" && g.length >= 2 && len >= 10 && len <= 15 && g[0] >= 2 && g[0] <= 5 && !allSame(seps, ".")
  ) {
    return "phone";
  }
  // Bare 10-11 digit numbers only with a context word ("call me at 5551234567").
  if (
    g.length === 1 && (len === 10 || (len === 11 && d[0] === "1")) &&
    contextBefore(text, start, PHONE_CONTEXT, 32)
  ) {
    return "phone";
  }
  // Seven-digit local numbers with a dash and a context word ("call 555-0199").
  if (
    len === 7 && g.length === 2 && g[0] === 3 && seps[0] === "-" &&
    contextBefore(text, start, PHONE_CONTEXT, 24)
  ) {
    return "phone";
  }
  return null;
}

function ssnValid(d: string): boolean {
  const area = Number(d.slice(0, 3));
  const group = Number(d.slice(3, 5));
  const serial = Number(d.slice(5));
  return area !== 0 && area !== 666 && area < 900 && group !== 0 && serial !== 0;
}

/** Returns the end of a valid IBAN at `i`, `i` when there is none, or `-end` for an IBAN-shaped invalid run. */
function iban(text: string, i: number): number {
  const n = text.length;
  const c1 = text.charCodeAt(i + 1);
  if (!(c1 >= 65 && c1 <= 90) || !isDigit(text.charCodeAt(i + 2)) || !isDigit(text.charCodeAt(i + 3))) {
    return i;
  }
  const want = IBAN_LENGTH[text.slice(i, i + 2)];
  if (!want) return i;
  let compact = "";
  let j = i;
  let sinceSpace = 0;
  let spaced = false;
  while (j < n && compact.length < want) {
    const c = text.charCodeAt(j);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90)) {
      compact += text[j];
      sinceSpace++;
      j++;
    } else if (c === 32 && sinceSpace === 4 && compact.length < want && (spaced || compact.length === 4)) {
      spaced = true;
      sinceSpace = 0;
      j++;
    } else if (c >= 97 && c <= 122) {
      compact += String.fromCharCode(c - 32);
      sinceSpace++;
      j++;
    } else break;
  }
  if (compact.length !== want || (j < n && isAlnum(text.charCodeAt(j)))) return compact.length >= 12 ? -j : i;
  if (!ibanValid(compact)) return -j;
  return j;
}

function mrn(text: string, i: number, out: Span[]): number {
  MRN_KEYWORD.lastIndex = i;
  const kw = MRN_KEYWORD.exec(text);
  if (!kw) return i;
  let j = i + kw[0].length;
  if (j < text.length && isAlnum(text.charCodeAt(j)) && !/\s/.test(kw[0].slice(-1))) {
    // keyword glued to a word ("mrna"): not a keyword
    if (!isDigit(text.charCodeAt(j))) return i;
  }
  MRN_GLUE.lastIndex = j;
  const glue = MRN_GLUE.exec(text);
  if (glue) j += glue[0].length;
  const idStart = j;
  let digits = 0;
  while (j < text.length && j - idStart < 16) {
    const c = text.charCodeAt(j);
    if (isDigit(c)) digits++;
    else if (!((c >= 65 && c <= 90) || c === 45)) break;
    j++;
  }
  while (j > idStart && text.charCodeAt(j - 1) === 45) j--;
  if (digits < 4 || j - idStart < 5 || (j < text.length && isAlnum(text.charCodeAt(j)))) return i;
  out.push({ start: idStart, end: j, entity: "mrn" });
  return j;
}

/** Parses an IPv6 address starting at `i`; returns the end index, or `i` when there is none. */
function ipv6(text: string, i: number): number {
  let j = i;
  const max = Math.min(text.length, i + 45);
  while (j < max) {
    const c = text.charCodeAt(j);
    if (c === 58 || c === 46 || (c < 128 && (CLS[c] & HEX) !== 0)) j++;
    else break;
  }
  // Trailing dot or colon belongs to the sentence.
  while (
    j > i &&
    (text.charCodeAt(j - 1) === 46 || (text.charCodeAt(j - 1) === 58 && text.charCodeAt(j - 2) !== 58))
  ) j--;
  if (j < text.length && (isAlnum(text.charCodeAt(j)))) return i;
  // Quick rejects before parsing: fewer than two colons (`10:42`), or a dotted tail that is not an
  // embedded IPv4 (`10:42:17.123`).
  let colons = 0, lastColon = -1, dotsAfter = 0;
  for (let k = i; k < j; k++) {
    const c = text.charCodeAt(k);
    if (c === 58) {
      colons++;
      lastColon = k;
      dotsAfter = 0;
    } else if (c === 46) dotsAfter++;
  }
  if (colons < 2 || (dotsAfter !== 0 && dotsAfter !== 3) || (lastColon < 0)) return i;
  const tok = text.slice(i, j);
  if (tok.indexOf(":") < 0) return i;
  return ipv6Valid(tok) ? j : i;
}

/** True when `s` is a textual IPv6 address (with `::` compression and an optional trailing IPv4). */
export function ipv6Valid(s: string): boolean {
  const dbl = s.indexOf("::");
  if (dbl >= 0 && s.indexOf("::", dbl + 1) >= 0) return false;
  const parts = s.split(":");
  let count = 0;
  let sawV4 = false;
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p];
    if (part === "") continue;
    if (part.includes(".")) {
      if (p !== parts.length - 1) return false;
      const oct = part.split(".");
      if (oct.length !== 4 || !oct.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) return false;
      sawV4 = true;
      count += 2;
      continue;
    }
    if (part.length > 4 || !/^[0-9a-fA-F]+$/.test(part)) return false;
    count++;
  }
  if (dbl >= 0) {
    if (count > 7) return false;
    // A single leading or trailing colon is invalid (":1:2"); "::1" and "1::" are fine.
    if ((s[0] === ":" && s[1] !== ":") || (s.at(-1) === ":" && s.at(-2) !== ":")) return false;
    // Require some substance: "::" alone or "a::" style fragments of times are rejected.
    return /\d/.test(s) && (count >= 2 || s === "::1" || sawV4);
  }
  return count === 8 && parts.length === (sawV4 ? 7 : 8) && !parts.includes("");
}

/**
 * The secrets-detector scanner: runs the rule table of `secret_rules.ts` over a (normalised) text.
 *
 * Three passes, each linear:
 * 1. tokens: one walk over the words; where a word starts with a rule's prefix (a table lookup on its
 *    first character, then `startsWith`), the rule's regex runs sticky there, then its checks (CRC32,
 *    JWT header, PEM body, placeholders, entropy); the walk resumes after the match;
 * 2. named values: one regex pass finds secret-sounding words (`pass`, `secret`, `token`, `key`, `auth`…);
 *    for each, the enclosing name is read (at most 64 characters back and forward), then a separator and
 *    the value (at most 512 characters), judged by the name's rule;
 * 3. URLs: each `://` is looked at once for a `user:password@` part (scheme at most 24 characters back).
 *
 * One file: the three passes share the value reader, the private-key body walker and the span merge;
 * the rule data is `secret_rules.ts`, the value checks `secret_checks.ts`.
 *
 * Spans of pass 1 win over overlapping spans of the later passes (a `ghp_` token assigned to
 * `GITHUB_TOKEN=` is a `github_token`, not `generic`).
 *
 * @module
 */
import type { Span } from "./common.ts";
import {
  DATABASE_SCHEMES,
  GENERIC_NAME,
  KEY_RULES,
  type KeyRule,
  type SecretKind,
  TOKEN_RULES,
  type TokenRule,
} from "./secret_rules.ts";
import {
  classes,
  entropy,
  isPlaceholder,
  isStandIn,
  jwtHeaderValid,
  tokenChecksumValid,
} from "./secret_checks.ts";

/** A found secret: `entity` is its kind. */
export interface SecretSpan extends Span {
  /** Where the name it was assigned to starts (named values and URLs), for the stream guard's hold. */
  holdStart?: number;
  /** True when a private-key block runs to the end of the text without its END line. */
  open?: boolean;
}

interface CompiledToken {
  rule: TokenRule;
  prefix: string;
  re: RegExp;
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isNameChar(c: number): boolean {
  return isAlnum(c) || c === 95 || c === 45 || c === 46;
}

function isB64(c: number): boolean {
  return isAlnum(c) || c === 43 || c === 47 || c === 61;
}

/** Characters a token is made of (the stream guard holds a trailing run of them). */
export function isTokenChar(c: number): boolean {
  return isAlnum(c) || c === 95 || c === 45 || c === 43 || c === 47 || c === 61 || c === 46;
}

const NAME_WORD = /pass|pwd|secret|token|key|auth|cred|sig|bearer|sas|\bpw\b/gi;

/** Splits a name into lower-case words (`clientSecret` → client, secret; `AWS_SECRET` → aws, secret). */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** How the generic rule reads a name: `password`, `token`, or null (not secret-sounding). */
export function genericClass(words: readonly string[]): "password" | "token" | null {
  if (words.some((w) => GENERIC_NAME.exclude.test(w))) return null;
  if (words.some((w) => GENERIC_NAME.password.test(w))) return "password";
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (GENERIC_NAME.token.test(w)) return "token";
    if (w === "key" && i > 0 && GENERIC_NAME.keyAfter.test(words[i - 1])) return "token";
  }
  return null;
}

const AUTH_NAME = /authorization$/i;

/** Widens a header's value to the end of its line (or its closing quote): `Basic dXNlcjpwdw==`. */
function headerLine(text: string, v: Value): void {
  let end = v.start;
  for (; end < text.length && end - v.start < 600; end++) {
    const c = text.charCodeAt(end);
    if (c === 10 || c === 13 || c === 34 || c === 39 || c === 96) break;
  }
  v.value = text.slice(v.start, end).trimEnd();
  v.end = v.start + v.value.length;
}

const AUTH_SCHEME = /^(?:Bearer|Basic|Token|token|Bot|ApiKey|SSWS|Digest|bearer|basic)\s+/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Scanner settings. */
export interface SecretScanOptions {
  /** Built-in kinds to report. */
  kinds: ReadonlySet<string>;
}

/** The compiled rule table. */
export class SecretScanner {
  readonly #byFirst: Array<CompiledToken[] | undefined> = new Array(128);
  /** 1 where some prefix starts with the two ASCII characters `c * 128 + d` (rejects most words at once). */
  readonly #pairs = new Uint8Array(128 * 128);
  readonly #kinds: ReadonlySet<string>;
  readonly #keyRules: readonly KeyRule[];

  constructor(opts: SecretScanOptions) {
    this.#kinds = opts.kinds;
    for (const rule of TOKEN_RULES) {
      if (!opts.kinds.has(rule.kind)) continue;
      const re = new RegExp(rule.pattern, "y");
      for (const prefix of rule.prefixes) {
        const c = prefix.charCodeAt(0);
        (this.#byFirst[c] ??= []).push({ rule, prefix, re });
        this.#pairs[c * 128 + prefix.charCodeAt(1)] = 1;
      }
    }
    // Longer prefixes first: `sk-ant-` before `sk-`.
    for (const list of this.#byFirst) list?.sort((a, b) => b.prefix.length - a.prefix.length);
    this.#keyRules = KEY_RULES.filter((r) => opts.kinds.has(r.kind));
  }

  /**
   * Secrets in `text`, sorted and non-overlapping. With `hold`, also the spans the stream guard must not
   * cut: every name-and-value candidate from its name on (validated or not) and a trailing run of token
   * characters or an unterminated private-key block.
   */
  scan(text: string, hold = false): SecretSpan[] {
    const tokens = this.#tokens(text);
    const named: SecretSpan[] = [];
    this.#named(text, named, hold);
    this.#urls(text, named);
    let out = tokens;
    if (named.length > 0) out = merge(tokens, named);
    if (hold) holdTail(text, out);
    return out;
  }

  #tokens(text: string): SecretSpan[] {
    const out: SecretSpan[] = [];
    const n = text.length;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (!isAlnum(c) && c !== 45) {
        i++;
        continue;
      }
      const prev = i > 0 ? text.charCodeAt(i - 1) : 32;
      const d = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      const list = c < 128 && d < 128 && this.#pairs[c * 128 + d] === 1 && !isAlnum(prev)
        ? this.#byFirst[c]
        : undefined;
      let end = -1;
      if (list) {
        for (const t of list) {
          if (!text.startsWith(t.prefix, i)) continue;
          end = this.#tryToken(text, i, t, out);
          if (end > i) break;
        }
      }
      if (end > i) {
        i = end;
        continue;
      }
      // Skip the rest of the word: no token starts inside one.
      i++;
      while (i < n && isAlnum(text.charCodeAt(i))) i++;
    }
    return out;
  }

  /** Tries one token rule at `i`; returns the end of the span it added, or -1. */
  #tryToken(text: string, i: number, t: CompiledToken, out: SecretSpan[]): number {
    t.re.lastIndex = i;
    const m = t.re.exec(text);
    if (!m) return -1;
    const rule = t.rule;
    const whole = m[0];
    let end = i + whole.length;
    const random = m.groups?.v ?? whole;
    if (rule.check === "pem_body") {
      const body = pemBody(text, end);
      if (body.base64 < 64) return -1;
      out.push({ start: i, end: body.end, entity: rule.kind, open: !body.closed });
      return body.end;
    }
    if (rule.check === "crc32" && !tokenChecksumValid(random)) return -1;
    if (rule.check === "jwt_header" && !jwtHeaderValid(whole)) return -1;
    if (isPlaceholder(whole, random, rule.minEntropy)) return -1;
    if (rule.kind === "openai_key" && classes(random) < 3) return -1;
    out.push({ start: i, end, entity: rule.kind });
    if (rule.kind === "aws_access_key" && this.#kinds.has("aws_secret_key")) {
      const secret = awsSecretAfter(text, end);
      if (secret) {
        out.push(secret);
        end = secret.end;
      }
    }
    return end;
  }

  #named(text: string, out: SecretSpan[], hold: boolean): void {
    if (text.length < 8) return;
    NAME_WORD.lastIndex = 0;
    let doneUntil = -1;
    let m: RegExpExecArray | null;
    while ((m = NAME_WORD.exec(text)) !== null) {
      const h = m.index;
      if (h < doneUntil) continue;
      // The enclosing name.
      let s = h;
      while (s > 0 && h - s < 64 && isNameChar(text.charCodeAt(s - 1))) s--;
      let e = h + m[0].length;
      while (e < text.length && e - h < 64 && isNameChar(text.charCodeAt(e))) e++;
      doneUntil = e;
      NAME_WORD.lastIndex = e;
      while (s < e && (text.charCodeAt(s) === 45 || text.charCodeAt(s) === 46)) s++;
      const name = text.slice(s, e).replace(/[.-]+$/, "");
      if (name.length === 0) continue;
      const v = readValue(text, s + name.length, name);
      if (!v) continue;
      if (AUTH_NAME.test(name)) headerLine(text, v);
      // Names inside this value are part of it: the walk resumes after it (so each character is read
      // as a value at most once).
      doneUntil = Math.max(doneUntil, v.end);
      NAME_WORD.lastIndex = Math.max(NAME_WORD.lastIndex, v.end);
      const found = this.#value(text, s, name, v);
      if (found) {
        out.push(found);
        if (found.end > doneUntil) {
          doneUntil = found.end;
          NAME_WORD.lastIndex = found.end;
        }
      } else if (hold) out.push({ start: s, end: v.end, entity: "hold", holdStart: s });
    }
  }

  /** The secret assigned to the name at `[s, e)`, if any. */
  #value(text: string, s: number, name: string, v: Value): SecretSpan | null {
    const words = nameWords(name);
    const joined = words.join("_");
    let value = v.value;
    let start = v.start;
    if (joined === "authorization" || joined.endsWith("_authorization") || joined === "bearer") {
      const scheme = AUTH_SCHEME.exec(value);
      if (scheme) {
        value = value.slice(scheme[0].length).split(/[\s"',;]/)[0];
        start += scheme[0].length;
      } else if (joined !== "bearer") return null;
      if (joined === "bearer" && v.separator !== " ") return null;
      return this.#generic(value, start, s, "token", scheme?.[0].startsWith("Basic") === true);
    }
    for (const rule of this.#keyRules) {
      if (!rule.name.test(joined)) continue;
      if (rule.near && !near(text, s, rule.near)) continue;
      if (shapeMatches(rule.value, value) && !isPlaceholder(value, value, 0) && !isStandIn(value)) {
        return { start, end: start + value.length, entity: rule.kind, holdStart: s };
      }
    }
    if (!this.#kinds.has("generic")) return null;
    const cls = genericClass(words);
    if (cls === null) return null;
    if (v.separator === " " && cls !== "password") return null;
    return this.#generic(value, start, s, cls, false, v.separator === " ");
  }

  #generic(
    value: string,
    start: number,
    holdStart: number,
    cls: "password" | "token",
    basic: boolean,
    loose = false,
  ): SecretSpan | null {
    if (!this.#kinds.has("generic") || value.length === 0) return null;
    if (isStandIn(value) || isPlaceholder(value, value, 0)) return null;
    if (value.includes("://") || /^[./~]|^[A-Za-z]:\\/.test(value)) return null;
    if (basic) {
      let decoded = "";
      try {
        decoded = atob(value);
      } catch {
        return null;
      }
      if (!/^[^:\s]{1,128}:\S{3,128}$/.test(decoded)) return null;
      return { start, end: start + value.length, entity: "generic", holdStart };
    }
    const k = classes(value);
    if (cls === "password") {
      if (value.length < 6 || value.length > 128) return null;
      if (loose ? k < 2 || value.length < 8 || !/[0-9\W_]/.test(value) : k < 2 && value.length < 12) {
        return null;
      }
      if (/^[a-z]+$/.test(value) && value.length < 16) return null;
    } else {
      if (value.length < 12 || value.length > 512) return null;
      if (!UUID.test(value)) {
        if (entropy(value) < 3) return null;
        if (!(/[0-9]/.test(value) || (/[a-z]/.test(value) && /[A-Z]/.test(value)))) return null;
        if (k < 2) return null;
      }
    }
    return { start, end: start + value.length, entity: "generic", holdStart };
  }

  #urls(text: string, out: SecretSpan[]): void {
    let p = text.indexOf("://");
    while (p >= 0) {
      let s = p;
      while (s > 0 && p - s < 24 && /[A-Za-z0-9+.:-]/.test(text[s - 1])) s--;
      const scheme = text.slice(s, p).toLowerCase().replace(/^[.:+-]+/, "");
      const at = userinfoEnd(text, p + 3);
      if (at > 0 && scheme.length > 0) {
        const info = text.slice(p + 3, at);
        const colon = info.indexOf(":");
        const pw = colon >= 0 ? info.slice(colon + 1) : "";
        const pwStart = p + 3 + colon + 1;
        const db = DATABASE_SCHEMES.has(scheme);
        const kind: SecretKind = db ? "database_url" : "generic";
        if (
          colon >= 0 && pw.length >= 3 && this.#kinds.has(kind) && !isStandIn(pw) &&
          !isPlaceholder(pw, pw, 0) &&
          !/^(?:pass|password|pwd|secret|pw)$/i.test(pw)
        ) {
          out.push({ start: pwStart, end: pwStart + pw.length, entity: kind, holdStart: s });
        }
      }
      p = text.indexOf("://", p + 3);
    }
  }
}

/** The end of a `user:password` userinfo at `i` (the index of its `@`), or -1. */
function userinfoEnd(text: string, i: number): number {
  const max = Math.min(text.length, i + 256);
  for (let j = i; j < max; j++) {
    const c = text.charCodeAt(j);
    if (c === 64) return j > i ? j : -1;
    if (c <= 32 || c === 47 || c === 63 || c === 35 || c === 34 || c === 39 || c === 60 || c === 62) {
      return -1;
    }
  }
  return -1;
}

/** A value after a name: the separator, the value's start and text. */
interface Value {
  separator: string;
  start: number;
  value: string;
  end: number;
}

const SEPARATORS = [":=", "=>", "->", "=", ":", " is ", " was ", " = "];

/** Characters that end an unquoted value: whitespace, quotes and `, ; ) } ] < > & |`. */
const VALUE_END = new Uint8Array(0x10000);
for (const ch of " \t\n\r\f\v\"',;)}]<>&|\u00a0\u2028\u2029\u3000") VALUE_END[ch.charCodeAt(0)] = 1;

/** Reads the separator and value after a name ending at `e` (quotes, XML tags, CLI flags, `.env`). */
export function readValue(text: string, e: number, name: string): Value | null {
  const n = text.length;
  let j = e;
  // A closing quote or bracket around the name: `"password": …`, `['password'] = …`.
  if (j < n && (text[j] === '"' || text[j] === "'")) j++;
  if (j < n && text[j] === "]") j++;
  let sep = "";
  let k = j;
  while (k < n && k - j < 4 && (text[k] === " " || text[k] === "\t")) k++;
  if (text[j - name.length - 1] === "<" && text[e] === ">") {
    sep = ">";
    k = e + 1;
  } else {
    for (const s of SEPARATORS) {
      const at = s.startsWith(" ") ? j : k;
      if (text.startsWith(s, at)) {
        sep = s.trim() === "" ? s : s.trim();
        k = at + s.length;
        break;
      }
    }
    if (!sep && k > j && k < n) sep = " ";
    if (!sep) return null;
  }
  while (k < n && k - j < 8 && (text[k] === " " || text[k] === "\t")) k++;
  if (k >= n) return null;
  let q = text[k];
  let start = k;
  let end: number;
  if (q === '"' || q === "'" || q === "`") {
    start = k + 1;
    end = start;
    while (end < n && end - start < 512 && text[end] !== q && text[end] !== "\n") end++;
    if (text[end] !== q) return null;
  } else {
    q = "";
    end = start;
    if (sep === ">") {
      while (end < n && end - start < 512 && text[end] !== "<" && text[end] !== "\n") end++;
    } else {
      while (end < n && end - start < 512 && !VALUE_END[text.charCodeAt(end) & 0xffff]) end++;
    }
    // A sentence's full stop is not part of the value.
    while (end > start && (text[end - 1] === "." || text[end - 1] === ":")) end--;
  }
  if (end <= start) return null;
  return { separator: sep, start, value: text.slice(start, end), end };
}

/** Whether one of `words` occurs within 300 characters of `at` (a bounded window: linear overall). */
function near(text: string, at: number, words: readonly string[]): boolean {
  const window = text.slice(Math.max(0, at - 300), at + 300).toLowerCase();
  for (const w of words) if (window.includes(w)) return true;
  return false;
}

function shapeMatches(shape: KeyRule["value"], v: string): boolean {
  switch (shape) {
    case "aws_secret":
      return /^[A-Za-z0-9/+]{40}$/.test(v) && classes(v) >= 3;
    case "azure_key":
      return /^[A-Za-z0-9/+]{86}==?$|^[A-Za-z0-9/+]{87}=$/.test(v) && v.length >= 87 && v.length <= 88;
    case "azure_sig":
      return /^[A-Za-z0-9%+/=]{40,200}$/.test(v);
    case "hex32":
      return /^[0-9a-f]{32}$/i.test(v) && entropy(v) >= 3;
    case "npm":
      return UUID.test(v) || /^npm_[A-Za-z0-9]{36}$/.test(v);
    case "password":
      return v.length >= 4 && !/^\s/.test(v);
    case "generic":
      return true;
  }
}

/** A 40-character base64 run with three character classes shortly after an AWS access key id. */
function awsSecretAfter(text: string, from: number): SecretSpan | null {
  const max = Math.min(text.length, from + 160);
  let i = from;
  while (i < max) {
    if (!isB64(text.charCodeAt(i)) || text.charCodeAt(i) === 61) {
      i++;
      continue;
    }
    let j = i;
    while (j < text.length && isB64(text.charCodeAt(j)) && text.charCodeAt(j) !== 61) j++;
    if (j - i === 40) {
      const v = text.slice(i, j);
      if (classes(v) >= 3 && entropy(v) >= 3.5 && !isPlaceholder(v, v, 3.5)) {
        return { start: i, end: j, entity: "aws_secret_key" };
      }
    }
    i = j;
  }
  return null;
}

/**
 * The body of a private-key block whose header line ends at `i`: base64 lines and `Name: value` header
 * lines up to the END line (included), or up to the last body line when the block is cut short.
 */
function pemBody(text: string, i: number): { end: number; base64: number; closed: boolean } {
  const n = text.length;
  let base64 = 0;
  let end = i;
  let p = i;
  while (p < n) {
    // One line.
    let q = p;
    while (q < n && text.charCodeAt(q) !== 10) q++;
    const line = text.slice(p, q).trim();
    if (line.startsWith("-----END ")) {
      const close = text.indexOf("-----", p + 9);
      const stop = close >= 0 && close < q ? close + 5 : q;
      return { end: stop, base64, closed: true };
    }
    if (line.length > 0) {
      let ok = true;
      let b = 0;
      for (let k = 0; k < line.length; k++) {
        const c = line.charCodeAt(k);
        if (isB64(c)) b++;
        else if (c !== 32 && c !== 13 && c !== 9) {
          ok = false;
          break;
        }
      }
      if (ok) {
        base64 += b;
        end = p + text.slice(p, q).trimEnd().length;
      } else if (/^[A-Za-z][A-Za-z-]{1,30}: /.test(line) && line.length < 200) {
        end = q;
        if (/^Private-(?:MAC|Hash): /.test(line)) return { end, base64, closed: true };
      } else break;
    }
    p = q + 1;
  }
  return { end, base64, closed: false };
}

/** Merges token spans (which win) with named-value and URL spans. */
function merge(tokens: SecretSpan[], named: SecretSpan[]): SecretSpan[] {
  const all = [...tokens];
  for (const s of named) {
    if (!tokens.some((t) => t.start < s.end && s.start < t.end)) all.push(s);
  }
  all.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: SecretSpan[] = [];
  let end = -1;
  for (const s of all) {
    if (s.start >= end) {
      out.push(s);
      end = s.end;
    }
  }
  return out;
}

/** Adds the stream-hold span of a trailing run of token characters (which may still grow). */
function holdTail(text: string, out: SecretSpan[]): void {
  let s = text.length;
  while (s > 0 && text.length - s < 1024 && isTokenChar(text.charCodeAt(s - 1))) s--;
  if (s < text.length) out.push({ start: s, end: text.length, entity: "hold" });
  const begin = text.lastIndexOf("-----BEGIN ");
  if (begin >= 0 && text.indexOf("-----END ", begin) < 0) {
    out.push({ start: begin, end: text.length, entity: "hold" });
  }
}

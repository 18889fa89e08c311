/**
 * Value checks of the secrets-detector: Shannon entropy, the CRC32 checksum of GitHub and npm tokens,
 * the JWT header, and the placeholder tests that keep documented examples, masked keys and
 * `your-api-key-here` out of the findings.
 *
 * @module
 */
import { DOCUMENTED_EXAMPLES, PLACEHOLDER_FRAGMENTS, PLACEHOLDER_VALUES } from "./secret_rules.ts";

const counts = new Uint16Array(128);

/** Shannon entropy of `s` in bits per character (characters above ASCII count as one symbol). */
export function entropy(s: string): number {
  const n = s.length;
  if (n === 0) return 0;
  counts.fill(0);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    counts[c < 128 ? c : 0]++;
  }
  let h = 0;
  for (let c = 0; c < 128; c++) {
    const k = counts[c];
    if (k === 0) continue;
    const p = k / n;
    h -= p * Math.log2(p);
  }
  return h;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zlib) of an ASCII string. */
export function crc32(s: string): number {
  let c = 0xffffffff;
  for (let i = 0; i < s.length; i++) c = CRC_TABLE[(c ^ s.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `n` in base62 (`0-9A-Za-z`), left-padded with `0` to `width`. */
export function base62(n: number, width: number): string {
  let s = "";
  do {
    s = BASE62[n % 62] + s;
    n = Math.floor(n / 62);
  } while (n > 0);
  return s.padStart(width, "0");
}

/**
 * The checksum of GitHub (`ghp_`…) and npm (`npm_`…) tokens: of the 36 characters after the prefix, the
 * last 6 are the base62 CRC32 of the first 30.
 */
export function tokenChecksumValid(random36: string): boolean {
  if (random36.length !== 36) return false;
  return base62(crc32(random36.slice(0, 30)), 6) === random36.slice(30);
}

function base64UrlDecode(s: string): string | null {
  let b = s.replace(/-/g, "+").replace(/_/g, "/");
  if (b.length % 4 === 1) return null;
  while (b.length % 4 !== 0) b += "=";
  try {
    return atob(b);
  } catch {
    return null;
  }
}

/** Whether a JWT's first part is a JSON object header naming its algorithm. */
export function jwtHeaderValid(token: string): boolean {
  const dot = token.indexOf(".");
  if (dot < 0 || dot > 2048) return false;
  const header = base64UrlDecode(token.slice(0, dot));
  if (header === null) return false;
  try {
    const h = JSON.parse(header);
    return typeof h === "object" && h !== null && typeof h.alg === "string" && h.alg.toLowerCase() !== "none";
  } catch {
    return false;
  }
}

/** Whether `s` is an ascending or descending run of characters (`abcdef…`, `123456…`, `987…`). */
function sequential(s: string): boolean {
  if (s.length < 6) return false;
  let up = 0, down = 0;
  for (let i = 1; i < s.length; i++) {
    const d = s.charCodeAt(i) - s.charCodeAt(i - 1);
    if (d === 1) up++;
    else if (d === -1) down++;
  }
  return Math.max(up, down) >= (s.length - 1) * 0.7;
}

/**
 * Whether a token's random part (or a named value) is a documented example or a placeholder: an exact
 * published example, a placeholder fragment (`example`, `xxxx`, `your`…), a masked run (`****`, `•••`),
 * a sequential or repetitive run, or entropy below `minEntropy`.
 */
export function isPlaceholder(whole: string, random: string, minEntropy: number): boolean {
  if (DOCUMENTED_EXAMPLES.has(whole)) return true;
  const lower = random.toLowerCase();
  for (const f of PLACEHOLDER_FRAGMENTS) if (lower.includes(f)) return true;
  if (/[•●*]{3}|(.)\1{5}/.test(random)) return true;
  if (sequential(lower.replace(/[^a-z0-9]/g, ""))) return true;
  return entropy(random) < minEntropy;
}

/** Character classes present in `s`: lower, upper, digit, other (a count 0–4). */
export function classes(s: string): number {
  let lower = 0, upper = 0, digit = 0, other = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) lower = 1;
    else if (c >= 65 && c <= 90) upper = 1;
    else if (c >= 48 && c <= 57) digit = 1;
    else other = 1;
  }
  return lower + upper + digit + other;
}

const REFERENCE =
  /^(?:\$|%[A-Za-z({]|\{\{|<|\[|\(|#\{|@(?:Microsoft|Azure)|env[:.(]|process\.env|os\.environ|getenv|secrets?\.|vault:|arn:|projects\/[^/]+\/secrets)/i;
const DOTTED_IDENTIFIER = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+(?:\(\)?)?$/;
const CONSTANT_NAME = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;

/**
 * Whether a value assigned to a secret-sounding name stands for a secret rather than being one: a
 * reference (`$TOKEN`, `${API_KEY}`, `{{ secret }}`, `process.env.X`, `<your token>`), a code expression
 * (`config.api_key`, `getToken()`), a constant's name (`MY_API_KEY`), a placeholder word, a masked value.
 */
export function isStandIn(value: string): boolean {
  if (REFERENCE.test(value)) return true;
  if (DOTTED_IDENTIFIER.test(value) && !/\d{3}/.test(value)) return true;
  if (CONSTANT_NAME.test(value)) return true;
  if (value.endsWith("(") || value.endsWith("()")) return true;
  const bare = value.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (PLACEHOLDER_VALUES.has(bare)) return true;
  const lower = value.toLowerCase();
  for (const f of PLACEHOLDER_FRAGMENTS) if (lower.includes(f)) return true;
  if (/[•●*]{3}|[xX#]{4}|(.)\1{5}/.test(value)) return true;
  return false;
}

/**
 * `prompt-injection` (input): scores every segment of the listed `sources` (default: user-supplied
 * messages, tool definitions, tool results, decoded files; the operator's `system` text and `stored`
 * fields only when listed) from 0 to 1 and blocks (or logs) when the highest score reaches `threshold`.
 *
 * Each segment is scanned in the shared normalised view (src/policy/normalize.ts: NFKC, zero-width
 * removal, TR39 lookalikes), lower-cased, whitespace collapsed. Rules (`prompt_injection_rules.ts`) are
 * grouped in families, each with a weight; matched weights combine as `1 - Π(1 - w)`. A rule runs only when
 * one of its anchor words occurs and only where its leading words occur (one prefilter pass), and every
 * rule is a regex with bounded repeats. Text the user did not write also meets the external rules (tool
 * poisoning, instructions in tool results and files). Decoded payloads (base64, hex, Unicode tags) are
 * scored again with their variants, two levels deep; quoted fragments are rejoined when a message asks to
 * combine them.
 *
 * Reason code: `prompt_injection`. Findings: family → matched rules (`instruction_override`,
 * `jailbreak`, `role_boundary`, `delimiter`, `prompt_leak`, `indirect`, `tool_poisoning`, `social`,
 * `multi_turn`, `multilingual`, `obfuscated`, `custom`, `encoded_payload`), and `source:<source>` →
 * segments of that source that reached the threshold. Letter-spaced/dotted, leetspeak, ROT13 and reversed
 * variants are rescanned only when the prefilter pass flags them.
 *
 * One file: the kind, its normalisation and the prefilter it runs rules with share their state (the
 * rule set's word table, the last text's variant flags); the rule table is `prompt_injection_rules.ts`.
 *
 * @module
 */
import { z } from "zod";
import {
  allowDecision,
  count,
  type EvalInput,
  patternListIssues,
  type PolicyDecision,
  type PolicyKindModule,
  USER_SUPPLIED_ROLES,
} from "./common.ts";
import { compileUserPattern } from "../safe_regex.ts";
import { LEADING_LETTERS, leadingWords, withoutLeadingOptional } from "./regex_starts.ts";
import { EXTERNAL_RULE_TABLE, RULE_TABLE } from "./prompt_injection_rules.ts";
import { normalizeView } from "../normalize.ts";
import type { TextSegment } from "../types.ts";

/** Schema of `policy.prompt-injection`. */
export const promptInjectionSchema = z.strictObject({
  threshold: z.number().min(0).max(1).default(0.5),
  encoding: z.strictObject({
    decode_base64: z.boolean().default(true),
    normalize_unicode: z.boolean().default(true),
    /** Fold lookalike letters (Unicode TR39 confusables) before matching. */
    detect_homoglyphs: z.boolean().optional(),
  }).default({ decode_base64: true, normalize_unicode: true }),
  /** Legacy spelling of `encoding.detect_homoglyphs` (which wins when both are set). */
  detect_homoglyphs: z.boolean().optional(),
  /**
   * Which content is scored (docs/policies.md "Content coverage"): request messages (user-supplied roles),
   * tool definitions, tool results, decoded file text; `system` (the operator's own text) and `stored`
   * only when listed.
   */
  sources: z.array(z.enum(["messages", "system", "tools", "tool_results", "files", "stored"])).min(1)
    .default(["messages", "tools", "tool_results", "files"]),
  detection: z.strictObject({
    attack_patterns: z.array(z.string().min(1).max(1000)).max(100).default([]),
  }).default({ attack_patterns: [] }),
  response: z.strictObject({
    action: z.enum(["block", "log"]).default("block"),
    message: z.string().max(1000).default(
      "The request was blocked because it looks like a prompt-injection attempt.",
    ),
  }).default({
    action: "block",
    message: "The request was blocked because it looks like a prompt-injection attempt.",
  }),
});

/** A validated `policy.prompt-injection` block. */
export type PromptInjectionConfig = z.infer<typeof promptInjectionSchema>;

interface Rule {
  family: string;
  weight: number;
  /** Any of these substrings must occur in the normalised text for the regex to run. */
  anchors: readonly string[];
  re: RegExp;
}

/** Built-in rules, compiled once at module load. */
export const BUILTIN_RULES: readonly Rule[] = RULE_TABLE.map(([family, weight, anchors, source]) =>
  r(family, weight, anchors, source)
);

/** Rules for text the model reads but the user did not write: tool definitions, tool results, files. */
export const EXTERNAL_RULES: readonly Rule[] = EXTERNAL_RULE_TABLE.map(([family, weight, anchors, source]) =>
  r(family, weight, anchors, source)
);

function r(family: string, weight: number, anchors: readonly string[], source: string): Rule {
  return { family, weight, anchors, re: new RegExp(source) };
}

const ZERO_WIDTH =
  /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|\udb40[\udc00-\udc7f]/g;
const NON_ASCII = /[^ -~\t\n\r]/;
const SPACES = /[^\S\n]+/g;
const ODD_SPACE = /[^\S \n]| {2}/;

/** Normalises a message for rule matching. */
export function normalizeForScan(text: string, unicode: boolean, homoglyphs: boolean): string {
  const t = foldText(text, NON_ASCII.test(text), unicode, homoglyphs);
  // Collapse horizontal whitespace runs (and exotic spaces) to one space; newlines stay.
  return ODD_SPACE.test(t) ? t.replace(SPACES, " ") : t;
}

/**
 * {@link normalizeForScan} up to lower-casing, with the non-ASCII test of `text` already done;
 * the whitespace test is left to the prefilter pass ({@link RuleSet.lastOddSpace}).
 */
function foldText(
  text: string,
  nonAscii: boolean,
  unicode: boolean,
  homoglyphs: boolean,
  view?: string,
): string {
  let t = text;
  if (nonAscii) {
    if (homoglyphs) {
      // The normalised view every content kind scans (NFKC, zero-width removal, TR39 lookalikes).
      t = view ?? normalizeView(text).text;
      if (t.indexOf("\u02bc") >= 0) t = t.replace(/\u02bc/g, "'");
    } else if (unicode) {
      t = nfkcVisible(t);
      if (nfkcFlags & FOLD_QUOTE) t = t.replace(/[\u2018\u2019\u02bc]/g, "'");
    }
  }
  return t.toLowerCase();
}

const FOLD_ZERO_WIDTH = 1, FOLD_QUOTE = 2;
/**
 * What a UTF-16 code unit may need: zero-width removal (`\udb40` for the tag pairs), quote folding,
 * (lookalikes are the shared view's job). One pass over this table replaces regex scans that mostly find nothing.
 */
const FOLD_FLAGS = new Uint8Array(0x10000);
for (const c of [0xad, 0x180e, 0xfeff, 0xdb40]) FOLD_FLAGS[c] |= FOLD_ZERO_WIDTH;
for (const [lo, hi] of [[0x200b, 0x200f], [0x202a, 0x202e], [0x2060, 0x2064], [0x2066, 0x2069]]) {
  for (let c = lo; c <= hi; c++) FOLD_FLAGS[c] |= FOLD_ZERO_WIDTH;
}
for (const c of [0x2018, 0x2019, 0x02bc]) FOLD_FLAGS[c] |= FOLD_QUOTE;

/** The FOLD_* flags of the code units of `t` (a superset test: the regexes then decide). */
function foldFlags(t: string): number {
  let flags = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 0xad) flags |= FOLD_FLAGS[c];
  }
  return flags;
}

let nfkcIn = "";
let nfkcOut = "";
/** {@link foldFlags} of `nfkcOut`. */
let nfkcFlags = 0;
/**
 * `text` in NFKC without zero-width and bidi controls. Remembers the last answer: a message's
 * original scan and its multilingual rules both need it.
 */
function nfkcVisible(text: string): string {
  if (text === nfkcIn) return nfkcOut;
  let t = text.normalize("NFKC");
  let flags = foldFlags(t);
  if (flags & FOLD_ZERO_WIDTH) {
    t = t.replace(ZERO_WIDTH, "");
    flags = foldFlags(t);
  }
  nfkcIn = text;
  nfkcOut = t;
  nfkcFlags = flags;
  return t;
}

/** True for the characters `[^\S \n]` matches above ASCII (`\s` minus space and newline). */
function isWideSpace(c: number): boolean {
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * Rules for scripts the homoglyph map would garble (Chinese, Japanese, Russian): they run on
 * NFKC + lower-cased text without homoglyph mapping, and only when such characters occur.
 */
const SCRIPT_RULES: readonly RegExp[] = [
  // ko: previous … instructions … ignore; system prompt … show
  /(?:이전|앞의|기존|모든|위의)[^.!?\n]{0,16}(?:지시|지침|명령|규칙|프롬프트)[^.!?\n]{0,16}(?:무시|잊어)/,
  /(?:시스템 ?프롬프트|시스템 ?메시지|숨겨진 지시|초기 지시)[^.!?\n]{0,16}(?:보여|알려|출력|공개|말해)/,
  // ar: ignore … instructions; show … system prompt
  /(?:تجاهل|انس|إنس|لا تتبع)[^.!?\n]{0,30}(?:التعليمات|الأوامر|القواعد|التوجيهات)/,
  /(?:أظهر|اعرض|اكشف|أخبرني)[^.!?\n]{0,30}(?:موجه النظام|تعليمات النظام|رسالة النظام|التعليمات المخفية)/,
  // hi: ignore … instructions
  /(?:पिछले|पहले के|सभी)[^.!?\n]{0,20}(?:निर्देश|नियम)[^.!?\n]{0,20}(?:अनदेखा|नज़रअंदाज़|नजरअंदाज|भूल)/,
  // zh: ignore/forget … instructions/rules/prompt
  /(?:忽略|无视|無視|忽视|忽視|不要理会|不要理會|不要管|忘记|忘記|忘掉|忘了|抛开|拋開|放弃|放棄)[^。！？\n]{0,16}(?:指令|指示|规则|規則|提示词|提示詞|提示|设定|設定|要求|命令|限制)/,
  // zh: show/tell … system prompt
  /(?:显示|顯示|告诉我|告訴我|输出|輸出|打印|重复|重複|泄露|洩露|透露|给我看|給我看|展示|说出|說出|列出|发给我|發給我)[^。！？\n]{0,16}(?:系统提示|系統提示|系统指令|系統指令|系统消息|系統消息|初始指令|隐藏指令|隱藏指令|原始指令|提示词|提示詞|系统设定|系統設定)|(?:系统提示|系統提示|系统指令|系統指令|初始指令|隐藏指令|原始指令)[^。！？\n]{0,16}(?:告诉我|告訴我|显示|顯示|输出|輸出|发给我|給我看|给我看)/,
  // ja: (previous) instructions … ignore/forget
  /(?:以前|前|これまで|今まで|上記|先|最初|元)の?[^。！？\n]{0,10}(?:指示|命令|ルール|プロンプト|指令|設定)[^。！？\n]{0,10}(?:無視|忘れ)/,
  // ja: system prompt … show/tell
  /(?:システムプロンプト|システム・プロンプト|システムメッセージ|初期指示|元の指示|隠された指示|最初の指示|内部指示)[^。！？\n]{0,12}(?:表示|見せ|教え|出力|開示|公開|繰り返|書き出|印刷)/,
  // ru: ignore/forget … instructions/rules
  /(?:игнорируй|игнорируйте|проигнорируй|проигнорируйте|забудь|забудьте|не обращай внимания на|не обращайте внимания на|отбрось|отбросьте|пренебреги|отмени|отмените)[^.!?\n]{0,40}(?:инструкци|указани|правил|команд|установк|директив|ограничени)/,
  // ru: show … system prompt / hidden instructions
  /(?:покажи|покажите|выведи|выведите|раскрой|раскройте|повтори|повторите|напечатай|скажи|расскажи|дай|напиши|перескажи)[^.!?\n]{0,30}(?:системн(?:ый|ого|ые|ых|ое|ую) (?:промпт|подсказк|инструкци|сообщени|запрос)|(?:исходн|скрыт|первоначальн|начальн|секретн)(?:ые|ых|ый|ого|ую) (?:инструкци|указани|промпт))/,
];
const SCRIPT_CHARS = /[\u0400-\u04ff\u0600-\u06ff\u0900-\u097f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/;

/**
 * Obfuscation variants. When the prefilter sees single letters in a row (`i g n o r e`,
 * `i.g.n.o.r.e`), words mixing letters and digits (`1gn0r3`), ROT13 or reversed forms of
 * the high-signal words, the text is also scanned as de-spaced + de-leeted, ROT13-decoded
 * or reversed; letter-spaced text without word gaps is also checked in compact form.
 */
const VAR_DEOBF = 1, VAR_ROT13 = 2, VAR_REVERSED = 4;
const VARIANT_TRIGGERS: ReadonlyArray<[string, number]> = [
  ...["vtaber", "qvfertneq", "cerivbhf", "vafgehpgvbaf", "flfgrz", "cebzcg", "erirny", "sbetrg", "ehyrf"].map(
    (
      w,
    ): [string, number] => [w, VAR_ROT13],
  ),
  ...["erongi", "dragersid", "suoiverp", "snoitcurtsni", "tpmorp", "metsys", "laever", "tegrof", "selur"].map(
    (
      w,
    ): [string, number] => [w, VAR_REVERSED],
  ),
];
const SPACED_LETTERS = /(?<![a-z0-9])([a-z0-9])[ .\-_*·] ?(?=[a-z0-9](?![a-z0-9]))/g;
const ALNUM_TOKEN = /[a-z0-9@$]+/g;
const LEET: Record<string, string> = {
  "0": "o",
  "1": "i",
  "3": "e",
  "4": "a",
  "5": "s",
  "7": "t",
  "@": "a",
  "$": "s",
};
const LEET_CHARS = /[013457@$]/g;
const COMPACT_RULE =
  /(?:ignore|disregard|forget|bypass|override)(?:all|any|the|your|my|of){0,2}(?:previous|prior|above|earlier|preceding|former|system|original|safety)?(?:instructions?|rules|prompts?|guidelines|directives)|(?:reveal|print|show|output|repeat|leak|display|dump|tellme|giveme)(?:me)?(?:your|the)(?:full|entire|hidden|secret|initial|original)?(?:systemprompt|systemmessage|instructions|initialprompt|prompt)|jailbreak|doanythingnow/;

const SUFFIXES = new Set(["st", "nd", "rd", "th", "am", "pm"]);

/**
 * Whether the token ending at `end` is digits followed by an ordinal or clock suffix (`3rd`, `21st`,
 * `10am`): common in ordinary prompts (dates, times), never leetspeak, so not a reason to deobfuscate.
 */
function numberSuffix(t: string, end: number): boolean {
  const d = t.charCodeAt(end - 3);
  return d >= 48 && d <= 57 && SUFFIXES.has(t.slice(end - 2, end));
}

/** `LEET` as char codes by digit (0 where a digit stands for no letter). */
const LEET_CODES = Uint8Array.from("0123456789", (d) => LEET[d]?.charCodeAt(0) ?? 0);

/**
 * Words of injection phrases (the compact rule's and the rules' vocabulary), keyed by their first four
 * letters (three-letter words by all three). A letter+digit token counts towards the deobfuscation
 * rescan only when, with its leet digits read as letters, it starts like one of them (`1gn0r3`,
 * `pr3v10us`, `syst3m`, `y0u`, `4r3`): technical tokens (`gpt4o`, `k8s`, `mp3`, `4k`, `1080p`, `h264`)
 * no longer cost a rescan of the whole text.
 */
const LEET_WORDS: ReadonlySet<number> = new Set(
  (
    "ignore disregard forget bypass override previous prior above earlier preceding former system original " +
    "safety instructions rules prompts guidelines directives reveal print show output repeat leak display dump " +
    "tell give full entire hidden secret initial jailbreak anything restrictions unrestricted unfiltered " +
    "uncensored developer mode admin password credentials pretend roleplay persona filter policy policies " +
    "content ethical limits limitations execute command confidential sudo root obey comply instead message " +
    "conversation context assistant everything without you are now all the act dan new any own"
  ).split(" ").map((w) => leetKey(w, 0, w.length)),
);

/**
 * Base-27 key of the first four characters (three for a three-character token) of the `len`-character
 * token at `start`, leet digits read as letters; -1 when the token is shorter or not a word.
 */
function leetKey(t: string, start: number, len: number): number {
  if (len < 3) return -1;
  const end = start + Math.min(len, 4);
  let k = 0;
  for (let i = start; i < end; i++) {
    let c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) c = LEET_CODES[c - 48];
    if (c < 97 || c > 122) return -1;
    k = k * 27 + (c - 96);
  }
  return k;
}

function deobfuscate(text: string): string {
  const t = text.toLowerCase().replace(SPACED_LETTERS, "$1");
  return t.replace(ALNUM_TOKEN, (tok) => (/[a-z]/.test(tok) ? tok.replace(LEET_CHARS, (c) => LEET[c]) : tok));
}

function rot13(t: string): string {
  return t.replace(/[a-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) - 84) % 26) + 97));
}

const TAG_CHARS = /\udb40[\udc20-\udc7e]/g;
const HAS_TAG_CHARS = /\udb40[\udc20-\udc7e]/;

function decodeTags(text: string): string {
  let out = "";
  for (const m of text.matchAll(TAG_CHARS)) out += String.fromCharCode(m[0].charCodeAt(1) - 0xdc00);
  return out;
}

const BASE64_MIN = 16;
const MAX_DECODES = 16;

/**
 * Finds base64 runs (≥ 16 characters, standard or URL alphabet) and hex runs (≥ 16 digits) and returns
 * their decodings that are text (printable ASCII or valid UTF-8, at least 90%).
 */
export function decodeBase64Runs(text: string): string[] {
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n && out.length < MAX_DECODES) {
    const c = text.charCodeAt(i);
    if (!isB64(c)) {
      i++;
      continue;
    }
    let j = i;
    let hex = true;
    while (j < n && isB64(text.charCodeAt(j))) {
      if (hex && !isHex(text.charCodeAt(j))) hex = false;
      j++;
    }
    let end = j;
    while (end < n && end - j < 2 && text.charCodeAt(end) === 61) end++;
    const len = j - i;
    if (len >= BASE64_MIN && len <= 1 << 16) {
      const decoded = hex && len % 2 === 0 ? decodeHex(text, i, j) : null;
      if (decoded !== null) out.push(decoded);
      else if (mayDecodeToText(text, i, j)) {
        const b = tryDecode(text.slice(i, end));
        if (b) out.push(b);
      }
    }
    i = end + (end === i ? 1 : 0);
  }
  return out;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** The ASCII text a hex run spells, or null at the first pair that is not printable (hashes, ids). */
function decodeHex(text: string, i: number, j: number): string | null {
  let out = "";
  for (let k = i; k < j; k += 2) {
    const b = parseInt(text.slice(k, k + 2), 16);
    if (!isTextByte(b)) return null;
    out += String.fromCharCode(b);
  }
  return out;
}

/** Base64 (and base64url) sextet values by character code; 255 for characters outside the alphabet. */
const SEXTET = new Uint8Array(128).fill(255);
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".split("").forEach((ch, v) => {
  SEXTET[ch.charCodeAt(0)] = v;
});
SEXTET[45] = 62; // "-" (base64url)
SEXTET[95] = 63; // "_"

function isTextByte(b: number): boolean {
  return (b >= 32 && b < 127) || b === 10 || b === 13 || b === 9;
}

/**
 * Whether the run `text[i..j)` decodes to at least 8 bytes of which 90% are printable ASCII or belong to
 * well-formed UTF-8 sequences, counted without decoding it into a string: the check {@link tryDecode}
 * makes, done first and allocation-free, so that identifiers, paths and binary data (most runs) cost a few
 * table lookups.
 */
function mayDecodeToText(text: string, i: number, j: number): boolean {
  if ((j - i) % 4 === 1) return false;
  let bytes = 0;
  let good = 0;
  let need = 0;
  const take = (b: number) => {
    bytes++;
    if (need > 0) {
      if ((b & 0xc0) === 0x80) {
        need--;
        good++;
      } else need = 0;
      return;
    }
    if (isTextByte(b)) good++;
    else if (b >= 0xc2 && b <= 0xf4) {
      need = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : 1;
      good++;
    }
  };
  for (let k = i; k < j; k += 4) {
    const v0 = SEXTET[text.charCodeAt(k)], v1 = SEXTET[text.charCodeAt(k + 1)];
    take(((v0 << 2) | (v1 >> 4)) & 255);
    if (k + 2 >= j) break;
    const v2 = SEXTET[text.charCodeAt(k + 2)];
    take((((v1 & 15) << 4) | (v2 >> 2)) & 255);
    if (k + 3 >= j) break;
    take((((v2 & 3) << 6) | SEXTET[text.charCodeAt(k + 3)]) & 255);
  }
  return bytes >= 8 && good / bytes >= 0.9;
}

const B64 = new Uint8Array(128);
for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_") {
  B64[ch.charCodeAt(0)] = 1;
}

function isB64(c: number): boolean {
  return c < 128 && B64[c] === 1;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

function tryDecode(run: string): string | null {
  // Runs of pure letters are words, not payloads; require a digit, '+', '/', '=' or mixed case.
  if (!/[0-9+\/=_-]/.test(run) && !(/[a-z]/.test(run) && /[A-Z]/.test(run))) return null;
  let s = run.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (s.length % 4 === 1) return null;
  while (s.length % 4 !== 0) s += "=";
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    return null;
  }
  if (bin.length < 8) return null;
  let text: string;
  try {
    text = UTF8.decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
  } catch {
    return null;
  }
  let printable = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 32 || c === 10 || c === 13 || c === 9) printable++;
  }
  return printable / text.length >= 0.9 ? text : null;
}

/** Result of scoring one text. */
export interface InjectionScore {
  score: number;
  /** Matched rules by family. */
  families: Record<string, number>;
}

/** Scanner options of {@link scoreText}. */
interface ScanOptions {
  unicode: boolean;
  homoglyphs: boolean;
  base64: boolean;
}

/** The running score of one message: the product of `1 - w` over matched rules, and the families. */
interface Tally {
  keep: number;
  families: Record<string, number>;
}

/** Normalises `raw`, runs the rules on it and multiplies matches into `tally`; returns the normalised text. */
function scanInto(
  set: RuleSet,
  raw: string,
  nonAscii: boolean,
  bonus: number,
  opts: ScanOptions,
  tally: Tally,
  view?: string,
): string {
  let t = foldText(raw, nonAscii, opts.unicode, opts.homoglyphs, view);
  let active = set.activeRules(t);
  if (set.lastOddSpace) {
    // Tabs, CRs, exotic or repeated spaces: collapse them as normalizeForScan does and scan again.
    t = t.replace(SPACES, " ");
    active = set.activeRules(t);
  }
  const rules = set.rules;
  for (let i = 0; i < rules.length; i++) {
    if (active[i] === 0 || !set.matches(i, t)) continue;
    const rule = rules[i];
    count(tally.families, rule.family);
    tally.keep *= 1 - Math.min(1, rule.weight + bonus);
  }
  return t;
}

/** Scans a variant of the message; counts `family` once when it matched anything. */
function scanVariant(set: RuleSet, raw: string, family: string, opts: ScanOptions, tally: Tally): void {
  const before = tally.keep;
  scanInto(set, raw, NON_ASCII.test(raw), 0.05, opts, tally);
  if (tally.keep < before) count(tally.families, family);
}

/** How deep decoded payloads are decoded again (leetspeak inside base64 inside base64). */
const MAX_DEPTH = 2;

/** Scores a text against rules; returns the combined score and the matched families. */
export function scoreText(
  text: string,
  rules: readonly Rule[] | RuleSet,
  opts: ScanOptions,
  view?: string,
  external?: RuleSet,
): InjectionScore {
  const set = rules instanceof RuleSet ? rules : new RuleSet(rules);
  const tally: Tally = { keep: 1, families: {} };
  scoreInto(text, set, opts, tally, 0, view, external);
  return { score: 1 - tally.keep, families: tally.families };
}

/**
 * Scans `text` and its obfuscation variants into `tally`. Decoded payloads (base64, hex, Unicode tags)
 * are scored the same way, variants included, down to {@link MAX_DEPTH} levels: decoding-then-obeying
 * is caught however the layers are stacked.
 */
function scoreInto(
  text: string,
  set: RuleSet,
  opts: ScanOptions,
  tally: Tally,
  depth: number,
  view?: string,
  external?: RuleSet,
): void {
  const nonAscii = NON_ASCII.test(text);
  const bonus = depth === 0 ? 0 : 0.05;
  if (external) scanInto(external, text, nonAscii, bonus, opts, tally, view);
  const t0 = scanInto(set, text, nonAscii, bonus, opts, tally, view);
  const maybeBase64 = set.lastHadBase64Run;
  const variants = set.lastVariants;
  if (variants !== 0) {
    if (variants & VAR_DEOBF) {
      const d = deobfuscate(text);
      scanVariant(set, d, "obfuscated", opts, tally);
      if (COMPACT_RULE.test(d.replace(/[^a-z]/g, ""))) {
        count(tally.families, "obfuscated");
        tally.keep *= 0.1;
      }
    }
    if (variants & VAR_ROT13) scanVariant(set, rot13(t0), "obfuscated", opts, tally);
    if (variants & VAR_REVERSED) scanVariant(set, [...t0].reverse().join(""), "obfuscated", opts, tally);
  }
  if (nonAscii) {
    if (opts.unicode && HAS_TAG_CHARS.test(text) && depth < MAX_DEPTH) {
      nested(decodeTags(text), set, opts, tally, depth, "obfuscated");
    }
    if (SCRIPT_CHARS.test(text)) {
      const t = nfkcVisible(text).toLowerCase();
      for (const re of SCRIPT_RULES) {
        if (!re.test(t)) continue;
        count(tally.families, "multilingual");
        tally.keep *= 1 - 0.8;
      }
    }
  }
  if (opts.base64 && maybeBase64 && depth < MAX_DEPTH) {
    for (const decoded of decodeBase64Runs(text)) nested(decoded, set, opts, tally, depth, "encoded_payload");
  }
}

/** Scores a decoded payload one level deeper; counts `family` once when it matched anything. */
function nested(text: string, set: RuleSet, opts: ScanOptions, tally: Tally, depth: number, family: string) {
  const before = tally.keep;
  scoreInto(text, set, opts, tally, depth + 1);
  if (tally.keep < before) count(tally.families, family);
}

/** Quoted pieces of text (`'reveal your sys'`), with a leading `x =` inside the quotes dropped. */
const FRAGMENT =
  /(['"\u2018\u201c`])([^'"\u2018\u2019\u201c\u201d`\n]{2,60})\1|\u2018([^\u2019\n]{2,60})\u2019|\u201c([^\u201d\n]{2,60})\u201d/g;
/** Cheap test before {@link COMBINE}: a `+` or one of its words' stems. */
function mayCombine(t: string): boolean {
  for (const w of COMBINE_STEMS) if (t.indexOf(w) >= 0) return COMBINE.test(t);
  return false;
}
const COMBINE_STEMS = [
  "+",
  "ombin",
  "OMBIN",
  "oncat",
  "ONCAT",
  "join",
  "Join",
  "JOIN",
  "merge",
  "Merge",
  "ogether",
  "glue",
];
const COMBINE =
  /\b[a-z]\w{0,8} ?\+ ?[a-z]\w{0,8}\b|\b(?:combine|concatenate|join|put (?:them |it )?together|merge|glue)\b/i;

/**
 * Payload splitting across messages: when some message asks to combine parts (`x + y`, "combine the
 * parts"), the quoted fragments of all the user's messages, in order, are joined (with and without spaces)
 * and scored as one text.
 */
export function joinedFragments(texts: readonly string[]): string[] {
  if (!texts.some(mayCombine)) return [];
  const parts: string[] = [];
  for (const t of texts) {
    FRAGMENT.lastIndex = 0;
    for (let m; (m = FRAGMENT.exec(t)) !== null && parts.length < 16;) {
      parts.push((m[2] ?? m[3] ?? m[4]).replace(/^\s*[a-z]\w{0,8} ?= ?/i, ""));
    }
  }
  if (parts.length < 2) return [];
  return [parts.join(""), parts.join(" ")];
}

const SYM_LT_PIPE = 1, SYM_HASH = 2, SYM_COLON = 4, SYM_BACKTICK = 8, SYM_QUOTE3 = 16;
const KEY_LETTERS = LEADING_LETTERS;
/** Word keys are looked up in an open-addressing table of this many bits (a few hundred keys). */
const TABLE_BITS = 12;
const TABLE_MASK = (1 << TABLE_BITS) - 1;
const HASH_MUL = 0x9e3779b1;
/** Word positions recorded per scan; beyond this every rule scans the whole text. */
const POSITION_POOL = 4096;

function wordKey(word: string): number {
  let k = 0;
  for (let i = 0; i < word.length && i < KEY_LETTERS; i++) k = k * 27 + (word.charCodeAt(i) - 96);
  return k;
}

/** What one word key stands for: rules it activates, obfuscation triggers, and its start-position slot. */
interface KeyEntry {
  rules: number[];
  bits: number;
  /** Index of the position list of this word when some rule can start matching at it, else -1. */
  slot: number;
}

/** A regex source with the same "matches somewhere" answer as a rule's, and its leading words. */
interface StickyForm {
  source: string;
  words: string[] | null;
}

/** Sticky forms of rules ({@link leadingWords}, {@link withoutLeadingOptional}), analysed once per rule. */
const stickyCache = new WeakMap<Rule, StickyForm>();

function stickyForm(rule: Rule): StickyForm {
  let form = stickyCache.get(rule);
  if (form === undefined) {
    const { source, flags } = rule.re;
    const shorter = withoutLeadingOptional(source, flags);
    form = shorter !== null
      ? { source: shorter, words: leadingWords(shorter, flags) }
      : { source, words: leadingWords(source, flags) };
    stickyCache.set(rule, form);
  }
  return form;
}

/**
 * Rules with a one-pass prefilter: every anchor is reduced to the first six letters of its
 * longest word (or to a symbol such as `<|`), and one scan over the normalised text marks
 * which rules can possibly match; only those run their regex. This replaces ~120 `indexOf`
 * scans per message by one pass (and tells whether a base64 run of 16+ characters exists).
 *
 * The same pass records where the words occur that a rule's matches must start with
 * ({@link leadingWords}); {@link RuleSet.matches} then tries the rule's regex only at those
 * positions (a sticky test each) instead of searching the whole text, which gives the same
 * answer because no match can start anywhere else.
 */
export class RuleSet {
  readonly rules: readonly Rule[];
  // Word key -> entry, as typed arrays for the hot loop: `#tableKeys[h]` (0 = empty) and
  // `#tableEntry[h]`; entry `e` activates `#entryRules[#entryRulesStart[e] ..< #entryRulesStart[e + 1]]`,
  // sets `#entryBits[e]` and records its position in slot `#entrySlot[e]` (when >= 0).
  readonly #tableKeys = new Int32Array(TABLE_MASK + 1);
  readonly #tableEntry = new Int32Array(TABLE_MASK + 1);
  readonly #entryRulesStart: Int32Array;
  readonly #entryRules: Int32Array;
  readonly #entryBits: Int32Array;
  readonly #entrySlot: Int32Array;
  readonly #bySymbol: Array<[number, number]> = [];
  readonly #always: number[] = [];
  readonly #active: Uint8Array;
  /** Per rule: a sticky copy of its regex and the slots of its leading words, or null (search the text). */
  readonly #sticky: Array<RegExp | null> = [];
  readonly #ruleSlots: Array<Int32Array | null> = [];
  // Word positions of the last scan: a linked list per slot in one pool, valid when `#gen[slot] === #curGen`.
  readonly #pos = new Int32Array(POSITION_POOL);
  readonly #next = new Int32Array(POSITION_POOL);
  #head = new Int32Array(0);
  #count = new Int32Array(0);
  #gen = new Uint32Array(0);
  #curGen = 0;
  #used = 0;
  /** Whether the last scanned text had a run of 16+ base64 characters. */
  lastHadBase64Run = false;
  /** Obfuscation variants (`VAR_*` bits) the last scanned text calls for. */
  lastVariants = 0;
  /** Whether the last scanned text had whitespace that normalisation collapses (`ODD_SPACE`). */
  lastOddSpace = false;

  constructor(rules: readonly Rule[]) {
    this.rules = rules;
    this.#active = new Uint8Array(rules.length);
    const entries = new Map<number, KeyEntry>();
    const entry = (key: number): KeyEntry => {
      let e = entries.get(key);
      if (!e) {
        e = { rules: [], bits: 0, slot: -1 };
        entries.set(key, e);
      }
      return e;
    };
    for (const [word, bit] of VARIANT_TRIGGERS) entry(wordKey(word)).bits |= bit;
    let slots = 0;
    rules.forEach((rule, i) => {
      if (rule.anchors.length === 0) this.#always.push(i);
      for (const anchor of rule.anchors) {
        const words = anchor.match(/[a-z]+/g);
        if (words) {
          const longest = words.reduce((x, y) => (y.length > x.length ? y : x));
          const list = entry(wordKey(longest)).rules;
          if (!list.includes(i)) list.push(i);
          continue;
        }
        const sym = anchor.includes("<|")
          ? SYM_LT_PIPE
          : anchor.includes("#")
          ? SYM_HASH
          : anchor.includes(":")
          ? SYM_COLON
          : anchor.includes("`")
          ? SYM_BACKTICK
          : anchor.includes("'")
          ? SYM_QUOTE3
          : 0;
        if (sym) this.#bySymbol.push([sym, i]);
        else this.#always.push(i);
      }
      const sticky = rule.anchors.length > 0 ? stickyForm(rule) : null;
      const leading = sticky?.words ?? null;
      if (sticky === null || leading === null) {
        this.#sticky.push(null);
        this.#ruleSlots.push(null);
        return;
      }
      const ruleSlots = new Set<number>();
      for (const word of leading) {
        const e = entry(wordKey(word));
        if (e.slot < 0) e.slot = slots++;
        ruleSlots.add(e.slot);
      }
      this.#sticky.push(new RegExp(sticky.source, rule.re.flags + "y"));
      this.#ruleSlots.push(Int32Array.from(ruleSlots));
    });
    this.#head = new Int32Array(slots);
    this.#count = new Int32Array(slots);
    this.#gen = new Uint32Array(slots);
    const all = [...entries];
    this.#entryRulesStart = new Int32Array(all.length + 1);
    this.#entryRules = new Int32Array(all.reduce((sum, [, e]) => sum + e.rules.length, 0));
    this.#entryBits = new Int32Array(all.length);
    this.#entrySlot = new Int32Array(all.length);
    let r = 0;
    all.forEach(([key, e], index) => {
      this.#entryRulesStart[index] = r;
      for (const i of e.rules) this.#entryRules[r++] = i;
      this.#entryBits[index] = e.bits;
      this.#entrySlot[index] = e.slot;
      let h = Math.imul(key, HASH_MUL) >>> (32 - TABLE_BITS);
      while (this.#tableKeys[h] !== 0) h = (h + 1) & TABLE_MASK;
      this.#tableKeys[h] = key;
      this.#tableEntry[h] = index;
    });
    this.#entryRulesStart[all.length] = r;
  }

  /** Marks the rules whose anchors occur in `t` (lower-cased); the array is reused per call. */
  activeRules(t: string): Uint8Array {
    const active = this.#active;
    active.fill(0);
    for (const i of this.#always) active[i] = 1;
    if (++this.#curGen === 0xffffffff) {
      this.#gen.fill(0);
      this.#curGen = 1;
    }
    const gen = this.#curGen;
    this.#used = 0;
    const tableKeys = this.#tableKeys;
    const tableEntry = this.#tableEntry;
    const entryRulesStart = this.#entryRulesStart;
    const entryRules = this.#entryRules;
    let symbols = 0;
    let b64run = 0;
    let hadB64 = false;
    let variants = 0;
    let tokLetters = 0;
    let tokDigits = 0;
    let singles = 0;
    let mixed = 0;
    let leetWord = false;
    let oddSpace = false;
    const n = t.length;
    let p = 0;
    for (;;) {
      let c = p < n ? t.charCodeAt(p) : 32;
      if (c >= 97 && c <= 122) {
        // A run of letters: its key is the first KEY_LETTERS letters.
        const start = p;
        let key = c - 96;
        const keyEnd = Math.min(n, p + KEY_LETTERS);
        for (p++; p < keyEnd; p++) {
          c = t.charCodeAt(p);
          if (c < 97 || c > 122) break;
          key = key * 27 + (c - 96);
        }
        if (p === keyEnd) {
          for (; p < n; p++) {
            c = t.charCodeAt(p);
            if (c < 97 || c > 122) break;
          }
        }
        const len = p - start;
        tokLetters += len;
        b64run += len;
        if (b64run >= 16) hadB64 = true;
        for (
          let h = Math.imul(key, HASH_MUL) >>> (32 - TABLE_BITS);
          tableKeys[h] !== 0;
          h = (h + 1) & TABLE_MASK
        ) {
          if (tableKeys[h] !== key) continue;
          const e = tableEntry[h];
          for (let r = entryRulesStart[e], end = entryRulesStart[e + 1]; r < end; r++) {
            active[entryRules[r]] = 1;
          }
          variants |= this.#entryBits[e];
          const slot = this.#entrySlot[e];
          if (slot >= 0) this.#record(slot, start, gen);
          break;
        }
        continue;
      }
      if (c >= 48 && c <= 57) {
        tokDigits++;
        if (++b64run >= 16) hadB64 = true;
      } else {
        // token end: single characters in a row (`i g n o r e`) or letters mixed with digits (`1gn0r3`)
        const len = tokLetters + tokDigits;
        if (len === 1) {
          if (++singles >= 4) variants |= VAR_DEOBF;
        } else if (len > 1) {
          singles = 0;
          if (tokLetters > 0 && tokDigits > 0 && !(tokLetters === 2 && numberSuffix(t, p))) {
            mixed++;
            if (!leetWord) leetWord = LEET_WORDS.has(leetKey(t, p - len, len));
            if (mixed >= 2 && leetWord) variants |= VAR_DEOBF;
          }
        }
        tokLetters = 0;
        tokDigits = 0;
        if (c === 32) {
          // The common case first: a space (two in a row are collapsed by normalisation).
          if (p < n && p > 0 && t.charCodeAt(p - 1) === 32) oddSpace = true;
          b64run = 0;
        } else {
          if (c < 32) {
            if (c === 9 || c === 11 || c === 12 || c === 13) oddSpace = true;
          } else if (c >= 0xa0 && isWideSpace(c)) oddSpace = true;
          if (c === 124 && p > 0 && t.charCodeAt(p - 1) === 60) symbols |= SYM_LT_PIPE;
          else if (c === 35) symbols |= SYM_HASH;
          else if (c === 58) symbols |= SYM_COLON;
          else if (c === 96) symbols |= SYM_BACKTICK;
          else if (c === 39 && t.charCodeAt(p + 1) === 39) symbols |= SYM_QUOTE3;
          // base64 alphabet (lower-cased text: letters, digits, + / - _ =)
          if (c === 43 || c === 47 || c === 45 || c === 95) {
            if (++b64run >= 16) hadB64 = true;
          } else b64run = 0;
          if (c > 0x3000 && c !== 0xfeff) {
            // CJK and other characters above the wide spaces: a run of them changes nothing more.
            for (
              let d = t.charCodeAt(p + 1);
              p + 1 < n && d > 0x3000 && d !== 0xfeff;
              d = t.charCodeAt(p + 1)
            ) p++;
          }
        }
      }
      if (++p > n) break;
    }
    if (symbols !== 0) { for (const [sym, i] of this.#bySymbol) if (symbols & sym) active[i] = 1; }
    this.lastVariants = variants;
    this.lastHadBase64Run = hadB64;
    this.lastOddSpace = oddSpace;
    return active;
  }

  #record(slot: number, position: number, gen: number): void {
    if (this.#gen[slot] !== gen) {
      this.#gen[slot] = gen;
      this.#head[slot] = -1;
      this.#count[slot] = 0;
    }
    const k = this.#used;
    if (k === POSITION_POOL) return;
    this.#used = k + 1;
    this.#pos[k] = position;
    this.#next[k] = this.#head[slot];
    this.#head[slot] = k;
    this.#count[slot]++;
  }

  /**
   * Whether rule `i` matches `t`, which must be the text of the last {@link activeRules} call:
   * a sticky test at each recorded position of the rule's leading words, or a search of the
   * whole text when the rule has none or they occur too often for that to be cheaper.
   */
  matches(i: number, t: string): boolean {
    const sticky = this.#sticky[i];
    const slots = this.#ruleSlots[i];
    if (sticky === null || slots === null || this.#used === POSITION_POOL) return this.rules[i].re.test(t);
    const gen = this.#curGen;
    let total = 0;
    for (const s of slots) if (this.#gen[s] === gen) total += this.#count[s];
    if (total === 0) return false;
    if (total > 4 && total * 64 > t.length) return this.rules[i].re.test(t);
    for (const s of slots) {
      if (this.#gen[s] !== gen) continue;
      for (let k = this.#head[s]; k >= 0; k = this.#next[k]) {
        sticky.lastIndex = this.#pos[k];
        if (sticky.test(t)) return true;
      }
    }
    return false;
  }
}

/**
 * The content source of a segment: as the gateway set it, else by role (`system`/`developer` text is the
 * operator's, `tool`/`function` messages are tool results, the rest are messages).
 */
function sourceOf(seg: TextSegment): string {
  if (seg.source) return seg.source;
  if (seg.role === "system" || seg.role === "developer") return "system";
  if (seg.role === "tool" || seg.role === "function") return "tool_results";
  return "messages";
}

/** The prompt-injection kind. */
export const promptInjection: PolicyKindModule = {
  definition: {
    kind: "prompt-injection",
    phases: ["input"],
    schema: promptInjectionSchema,
    check(block: unknown) {
      const cfg = block as PromptInjectionConfig;
      return patternListIssues(cfg.detection.attack_patterns, "detection.attack_patterns", true);
    },
  },
  compile(block: unknown) {
    const cfg = promptInjectionSchema.parse(block ?? {});
    const custom: Rule[] = cfg.detection.attack_patterns.map((p) => {
      const re = compileUserPattern(p, true);
      return { family: "custom", weight: 0.9, anchors: [], re: new RegExp(re.source, "iu") };
    });
    const rules = new RuleSet([...BUILTIN_RULES, ...custom]);
    const external = new RuleSet(EXTERNAL_RULES);
    const homoglyphs = cfg.encoding.detect_homoglyphs ?? cfg.detect_homoglyphs ?? true;
    const opts = { unicode: cfg.encoding.normalize_unicode, homoglyphs, base64: cfg.encoding.decode_base64 };
    const sources = new Set<string>(cfg.sources);
    return {
      kind: "prompt-injection",
      phases: ["input"],
      inspectsOutput: false,
      checksToolCalls: false,
      textOnly: true,
      evaluate(input: EvalInput): PolicyDecision {
        let max = 0;
        const findings: Record<string, number> = {};
        const flagged: Record<string, number> = {};
        for (const seg of input.segments) {
          const source = sourceOf(seg);
          if (!sources.has(source)) continue;
          if (source === "messages" && !USER_SUPPLIED_ROLES.has(seg.role)) continue;
          const view = homoglyphs ? input.view(seg).text : undefined;
          const s = scoreText(seg.text, rules, opts, view, source === "messages" ? undefined : external);
          if (s.score > max) max = s.score;
          for (const [f, n] of Object.entries(s.families)) count(findings, f, n);
          if (s.score >= cfg.threshold && s.score > 0) count(flagged, `source:${source}`);
        }
        if (sources.has("messages")) {
          const texts = input.segments.filter((g) =>
            sourceOf(g) === "messages" && USER_SUPPLIED_ROLES.has(g.role)
          )
            .map((g) => g.text);
          for (const joined of joinedFragments(texts)) {
            const s = scoreText(joined, rules, opts);
            if (s.score === 0) continue;
            count(findings, "multi_turn");
            if (s.score > max) max = s.score;
            if (s.score >= cfg.threshold) count(flagged, "source:messages");
          }
        }
        Object.assign(findings, flagged);
        if (max < cfg.threshold || max === 0) return allowDecision();
        if (cfg.response.action === "log") {
          return { verdict: "allow", reasonCode: "prompt_injection", findings };
        }
        return { verdict: "block", reasonCode: "prompt_injection", findings, message: cfg.response.message };
      },
    };
  },
};

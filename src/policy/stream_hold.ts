/**
 * How much of a streamed text a detector must still hold back: the start of its "open tail", the
 * earliest place from which the text could yet become part of a finding once more text arrives.
 * Everything before it can go to the client now (the stream guard in engine.ts releases it), so
 * ordinary prose flows word by word while a word still growing into an e-mail address, digits that
 * may continue a card number or a phone number, or the start of a blocked term wait.
 *
 * @module
 */
import type { Span } from "./kinds/common.ts";
import { type NormalizedView, originalRange } from "./normalize.ts";

/** No detector holds back more than this many characters (the guard's bound on delay and memory). */
export const MAX_HOLD = 1024;

const isSpace = (c: number) =>
  c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x3000 || (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x1680;

/**
 * Start of the trailing run of non-space characters (`text.length` when the text ends with a space),
 * looking back at most {@link MAX_HOLD} characters.
 */
export function trailingTokenStart(text: string): number {
  let i = text.length;
  const stop = Math.max(0, text.length - MAX_HOLD);
  while (i > stop && !isSpace(text.charCodeAt(i - 1))) i--;
  return i;
}

/**
 * A group of a structured number as people type them between spaces: digits with separators (`415`,
 * `(415)`, `+1`, `0100,`), an IBAN group (`DE89`, `WEST`), or a phone extension word (`ext.`, `x`).
 */
const NUMBER_GROUP =
  /^(?:[\p{Nd}+().\-\/#*]*\p{Nd}[\p{Nd}+().\-\/#*,]*|[A-Z]{4}|[A-Z]{2}\p{Nd}{2}|ext\.?|extension|x)$/u;

/**
 * The open tail for entities made of one token or of number groups (pii-detector's e-mails, phones,
 * cards, SSNs, IBANs, IP addresses): the trailing token, extended back over the number groups before
 * it (and, when the text ends with a space, the groups before that space: a card number may go on).
 */
export function tokenHold(text: string): number {
  const end = text.length;
  let start = trailingTokenStart(text);
  const last = text.slice(start);
  if (last === "" || NUMBER_GROUP.test(last)) {
    for (let groups = 0; groups < 8 && start > 0; groups++) {
      // One or two spaces between groups.
      let s = start;
      while (s > 0 && start - s < 2 && isSpace(text.charCodeAt(s - 1))) s--;
      if (s === start || s === 0) break;
      const prev = trailingTokenStart(text.slice(0, s));
      if (!NUMBER_GROUP.test(text.slice(prev, s))) break;
      start = prev;
      if (end - start > 64) break;
    }
  }
  return Math.max(start, end - MAX_HOLD);
}

/**
 * The open tail from spans a detector reports on the pending text: the earliest span still open at
 * its end (ending within the trailing spaces), or `text.length` when none is.
 */
export function spanHold(text: string, spans: readonly Span[]): number {
  let trimmed = text.length;
  while (trimmed > 0 && isSpace(text.charCodeAt(trimmed - 1))) trimmed--;
  let hold = text.length;
  for (const s of spans) if (s.end >= trimmed && s.start < hold) hold = s.start;
  return Math.max(hold, text.length - MAX_HOLD);
}

/**
 * A hold found on a normalised view (`hold` gets `view.text`), moved back to the original text: from
 * where the view's character at the hold came from.
 */
export function viewHold(view: NormalizedView, hold: (text: string) => number): number {
  const k = hold(view.text);
  if (k >= view.text.length) return view.original.length;
  return Math.max(originalRange(view, k, k + 1)[0], view.original.length - MAX_HOLD);
}

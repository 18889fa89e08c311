/**
 * Static analysis of where a regular expression can start matching, used by the
 * prompt-injection prefilter to run a rule only at the few places it can match
 * (a sticky test at each candidate) instead of scanning the whole message.
 *
 * {@link leadingWords} answers: "every match of this pattern on lower-case text
 * starts at the beginning of an ASCII letter run (`[a-z]+` preceded by a non-letter)
 * whose first letters are one of these words". A word shorter than
 * {@link LEADING_LETTERS} letters is the whole run; a word of exactly that length is
 * the run's prefix. When the pattern does not allow such a statement (it may start
 * with a non-letter, has no `\b` before its first letter, its first run may continue
 * into unknown text, or it uses syntax this analysis does not know) the answer is
 * `null` and the caller scans the whole text as before.
 *
 * The analysis over-approximates: zero-width assertions other than `\b` are ignored,
 * character classes count every letter they could match, and every branch and
 * repeat count is followed, so the word set can only be too large, never too small.
 *
 * @module
 */

/** Letters of a run that identify it (the prefilter's word key length). */
export const LEADING_LETTERS = 6;

/** What one regex atom can consume: which of `a`–`z`, and whether anything else. */
interface CharSet {
  letters: string;
  other: boolean;
}

type Node =
  | { t: "char"; set: CharSet }
  | { t: "wordBoundary" }
  | { t: "zeroWidth" }
  | { t: "group"; alts: Node[][] }
  | { t: "repeat"; node: Node; min: number; max: number };

const ALL_LETTERS = "abcdefghijklmnopqrstuvwxyz";
const MAX_STATES = 4096;

class Unsupported extends Error {}

/** Parses the subset of JavaScript regex syntax the analysis understands; throws {@link Unsupported}. */
class Parser {
  #i = 0;
  constructor(readonly src: string) {}

  parse(): Node[][] {
    const alts = this.#alternation();
    if (this.#i !== this.src.length) throw new Unsupported("trailing input");
    return alts;
  }

  #alternation(): Node[][] {
    const alts: Node[][] = [this.#sequence()];
    while (this.src[this.#i] === "|") {
      this.#i++;
      alts.push(this.#sequence());
    }
    return alts;
  }

  #sequence(): Node[] {
    const seq: Node[] = [];
    while (this.#i < this.src.length && this.src[this.#i] !== "|" && this.src[this.#i] !== ")") {
      const atom = this.#atom();
      seq.push(this.#quantified(atom));
    }
    return seq;
  }

  #quantified(atom: Node): Node {
    const s = this.src;
    const ch = s[this.#i];
    let min: number, max: number;
    if (ch === "?") [min, max] = [0, 1];
    else if (ch === "*") [min, max] = [0, Infinity];
    else if (ch === "+") [min, max] = [1, Infinity];
    else if (ch === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(this.#i));
      if (!m) throw new Unsupported("bad brace");
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
      this.#i += m[0].length - 1;
    } else return atom;
    this.#i++;
    if (s[this.#i] === "?") this.#i++; // lazy: same set of possible matches
    if (atom.t === "zeroWidth" || atom.t === "wordBoundary") throw new Unsupported("quantified assertion");
    return { t: "repeat", node: atom, min, max };
  }

  #atom(): Node {
    const s = this.src;
    const ch = s[this.#i];
    if (ch === "(") {
      this.#i++;
      let zeroWidth = false;
      if (s.startsWith("?:", this.#i)) this.#i += 2;
      else if (s.startsWith("?=", this.#i) || s.startsWith("?!", this.#i)) {
        this.#i += 2;
        zeroWidth = true;
      } else if (s.startsWith("?<=", this.#i) || s.startsWith("?<!", this.#i)) {
        this.#i += 3;
        zeroWidth = true;
      } else if (s[this.#i] === "?") throw new Unsupported("group kind");
      const alts = this.#alternation();
      if (s[this.#i] !== ")") throw new Unsupported("unclosed group");
      this.#i++;
      return zeroWidth ? { t: "zeroWidth" } : { t: "group", alts };
    }
    if (ch === "[") return { t: "char", set: this.#charClass() };
    if (ch === "^" || ch === "$") {
      this.#i++;
      return { t: "zeroWidth" };
    }
    if (ch === ".") {
      this.#i++;
      return { t: "char", set: { letters: ALL_LETTERS, other: true } };
    }
    if (ch === "\\") {
      const e = s[this.#i + 1];
      if (e === "b") {
        this.#i += 2;
        return { t: "wordBoundary" };
      }
      return { t: "char", set: this.#escape() };
    }
    if (
      ch === ")" || ch === "|" || ch === "*" || ch === "+" || ch === "?" || ch === "{" || ch === undefined
    ) {
      throw new Unsupported("unexpected character");
    }
    this.#i++;
    return { t: "char", set: literal(ch.codePointAt(0)!) };
  }

  /** An escape outside or inside a class, as a set; advances past it. */
  #escape(): CharSet {
    const s = this.src;
    const e = s[this.#i + 1];
    this.#i += 2;
    switch (e) {
      case "d":
      case "s":
      case "W":
      case "n":
      case "r":
      case "t":
      case "f":
      case "v":
        return { letters: "", other: true };
      case "D":
      case "S":
      case "w":
        return { letters: ALL_LETTERS, other: true };
      case "x": {
        const m = /^[0-9a-fA-F]{2}/.exec(s.slice(this.#i));
        if (!m) throw new Unsupported("bad \\x");
        this.#i += 2;
        return literal(parseInt(m[0], 16));
      }
      case "u": {
        const m = /^[0-9a-fA-F]{4}/.exec(s.slice(this.#i));
        if (!m) throw new Unsupported("bad \\u");
        this.#i += 4;
        return literal(parseInt(m[0], 16));
      }
    }
    if (e !== undefined && /[\^$\\.*+?()[\]{}|\/\-=#!<>:'",&~@%`;_ ]/.test(e)) {
      return literal(e.charCodeAt(0));
    }
    throw new Unsupported(`escape \\${e}`);
  }

  #charClass(): CharSet {
    const s = this.src;
    this.#i++; // [
    let negated = false;
    if (s[this.#i] === "^") {
      negated = true;
      this.#i++;
    }
    let letters = "";
    let other = false;
    const add = (set: CharSet) => {
      for (const l of set.letters) if (!letters.includes(l)) letters += l;
      if (set.other) other = true;
    };
    while (s[this.#i] !== "]") {
      if (this.#i >= s.length) throw new Unsupported("unclosed class");
      const lo = this.#classAtom();
      if (s[this.#i] === "-" && s[this.#i + 1] !== "]" && this.#i + 1 < s.length) {
        this.#i++;
        const hi = this.#classAtom();
        if (lo.code === null || hi.code === null) throw new Unsupported("class range of a set");
        for (let c = Math.max(lo.code, 97); c <= Math.min(hi.code, 122); c++) add(literal(c));
        if (lo.code < 97 || hi.code > 122) other = true;
      } else add(lo.set);
    }
    this.#i++; // ]
    if (!negated) return { letters, other };
    let rest = "";
    for (const l of ALL_LETTERS) if (!letters.includes(l)) rest += l;
    return { letters: rest, other: true };
  }

  #classAtom(): { code: number | null; set: CharSet } {
    const s = this.src;
    if (s[this.#i] === "\\") {
      const e = s[this.#i + 1];
      const single = e === "x" || e === "u" ||
        (e !== undefined && !/[dDsSwWbB]/.test(e) && !/[a-zA-Z0-9]/.test(e));
      const controls: Record<string, number> = { n: 10, r: 13, t: 9, f: 12, v: 11 };
      if (e !== undefined && e in controls) {
        this.#i += 2;
        return { code: controls[e], set: { letters: "", other: true } };
      }
      if (e === "b") throw new Unsupported("\\b in class");
      const start = this.#i;
      const set = this.#escape();
      if (!single) return { code: null, set };
      const text = s.slice(start, this.#i);
      const code = text.length === 2 ? text.charCodeAt(1) : parseInt(text.slice(2), 16);
      return { code, set };
    }
    const code = s.codePointAt(this.#i)!;
    this.#i += code > 0xffff ? 2 : 1;
    return { code, set: literal(code) };
  }
}

function literal(code: number): CharSet {
  return code >= 97 && code <= 122 ? { letters: String.fromCharCode(code), other: false } : {
    letters: "",
    other: true,
  };
}

/** Analysis state: the letters of the match's first run so far, and whether `\b` preceded them. */
interface State {
  run: string;
  boundary: boolean;
}

class Analysis {
  readonly words = new Set<string>();

  seq(nodes: readonly Node[], states: State[]): State[] {
    for (const node of nodes) {
      if (states.length === 0) break;
      states = this.step(node, states);
    }
    return states;
  }

  step(node: Node, states: State[]): State[] {
    switch (node.t) {
      case "zeroWidth":
        return states;
      case "wordBoundary": {
        const out: State[] = [];
        for (const st of states) {
          if (st.run === "") out.push({ run: "", boundary: true });
          else this.words.add(st.run); // `\b` after a letter: the run ends here
        }
        return dedupe(out);
      }
      case "char": {
        const out: State[] = [];
        for (const st of states) {
          if (st.run === "") {
            // The first character: must be a letter right after a `\b`.
            if (node.set.other || !st.boundary) throw new Unsupported("may start without a word");
          } else if (node.set.other) this.words.add(st.run);
          for (const l of node.set.letters) {
            const run = st.run + l;
            if (run.length >= LEADING_LETTERS) this.words.add(run);
            else out.push({ run, boundary: st.boundary });
          }
        }
        return dedupe(out);
      }
      case "group": {
        const out: State[] = [];
        for (const alt of node.alts) out.push(...this.seq(alt, states));
        return dedupe(out);
      }
      case "repeat": {
        let cur = states;
        for (let k = 0; k < node.min; k++) cur = this.step(node.node, cur);
        if (node.max === node.min) return cur;
        const seen = new Map<string, State>();
        for (const st of cur) seen.set(stateKey(st), st);
        let frontier = cur;
        for (let k = node.min; k < node.max && frontier.length > 0; k++) {
          if (k - node.min > LEADING_LETTERS + 2) throw new Unsupported("repeat does not settle");
          const next: State[] = [];
          for (const st of this.step(node.node, frontier)) {
            const key = stateKey(st);
            if (!seen.has(key)) {
              seen.set(key, st);
              next.push(st);
            }
          }
          frontier = next;
        }
        return [...seen.values()];
      }
    }
  }
}

function stateKey(st: State): string {
  return `${st.boundary ? 1 : 0}${st.run}`;
}

function dedupe(states: State[]): State[] {
  if (states.length > MAX_STATES) throw new Unsupported("too many states");
  const seen = new Map<string, State>();
  for (const st of states) seen.set(stateKey(st), st);
  return seen.size === states.length ? states : [...seen.values()];
}

/**
 * The words every match of `source` (compiled with `flags`) must start with, on lower-case
 * text: see the module documentation. `null` when the pattern allows no such statement.
 */
export function leadingWords(source: string, flags: string): string[] | null {
  // Case-insensitive and Unicode modes change what `\b` and letters mean; not analysed.
  if (/[iuv]/.test(flags)) return null;
  try {
    const alts = new Parser(source).parse();
    const analysis = new Analysis();
    const start: State[] = [{ run: "", boundary: false }];
    for (const alt of alts) {
      // A state left at the end is a run that may go on (or an empty match): no statement possible.
      if (analysis.seq(alt, start).length > 0) return null;
    }
    return [...analysis.words].sort();
  } catch (e) {
    if (e instanceof Unsupported) return null;
    throw e;
  }
}

const LEADING_OPTIONAL = /^\\b\(\?:([^()[\]{}\\?*+.^$]+)\)\?/;

/**
 * For `\b(?:the |all )?REST` (a leading optional group of literal alternatives that all end
 * in a non-word character) returns `\bREST`, which matches *somewhere* in a text exactly when
 * the original does: a match that used the group is followed by a match of `\bREST` right after
 * it, because REST starts with a letter (checked by {@link leadingWords}) after a non-word
 * character. Its leading words are rarer ("previous" instead of "the"). `null` when the shape
 * does not apply or REST's leading words cannot be bounded.
 */
export function withoutLeadingOptional(source: string, flags: string): string | null {
  const m = LEADING_OPTIONAL.exec(source);
  if (!m) return null;
  for (const alt of m[1].split("|")) {
    if (alt === "" || /\w/.test(alt.at(-1)!)) return null;
  }
  const rest = "\\b" + source.slice(m[0].length);
  return leadingWords(rest, flags) === null ? null : rest;
}

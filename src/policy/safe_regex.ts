/**
 * Admission control for user-supplied regular expressions (`detect_patterns`,
 * `detection.attack_patterns`). V8's backtracking engine can take exponential or
 * polynomial time on hostile input, so a pattern is accepted only when:
 *
 * 1. it compiles (as a `u`-mode RegExp) and is at most 1000 characters;
 * 2. it has no backreference (`\1`, `\k<name>`), no lookaround containing a quantifier, and no
 *    quantified group that itself contains a variable quantifier or an alternation with an
 *    unbounded (or more than 16-fold) outer repeat — the shapes of catastrophic backtracking
 *    (`(a+)+`, `(a|aa)*`, `(\w+\s?)*`);
 * 3. it cannot match the empty string;
 * 4. an empirical probe passes: the pattern is run (global search) over 8 KiB strings built from
 *    its own characters, each ending in a character that forces failure. A linear pattern takes
 *    microseconds there; a polynomial one (`\d+x` on a digit run, `.*a.*b`) takes tens of
 *    milliseconds. Sizes escalate (128 … 8192 characters) so a cubic pattern is caught while
 *    it is still cheap; anything slower than {@link PROBE_BUDGET_MS} (scaled by size) is rejected.
 *
 * @module
 */

/** Longest accepted pattern source. */
export const MAX_PATTERN_LENGTH = 1000;
/** Time budget of the empirical backtracking probe, in milliseconds. */
export const PROBE_BUDGET_MS = 6;
/** No probe size gets less time than this (timer resolution, GC pauses). */
const PROBE_FLOOR_MS = 2;
const PROBE_ATTEMPTS = 3;
const PROBE_LENGTH = 8192;
const PROBE_SIZES = [128, 512, 2048, 8192];

/** Why a pattern was rejected, phrased for a lint message and hint. */
export interface PatternProblem {
  message: string;
  hint: string;
}

/** Checks a user pattern; returns the problem or `null` when the pattern is admitted. */
export function checkUserPattern(
  source: string,
  caseInsensitive = false,
  options: { probe?: boolean } = {},
): PatternProblem | null {
  if (source.length > MAX_PATTERN_LENGTH) {
    return { message: `pattern is longer than ${MAX_PATTERN_LENGTH} characters`, hint: "split it" };
  }
  let re: RegExp;
  try {
    re = new RegExp(source, caseInsensitive ? "giu" : "gu");
  } catch (e) {
    return {
      message: `pattern does not compile: ${
        (e as Error).message.replace(/^Invalid regular expression: /, "")
      }`,
      hint: "patterns use JavaScript regular expression syntax (u mode)",
    };
  }
  const structural = structuralProblem(source);
  if (structural) return structural;
  re.lastIndex = 0;
  if (re.test("")) {
    return {
      message: "pattern matches the empty string",
      hint: "use + instead of * or add a required character",
    };
  }
  if (options.probe !== false && !probe(re, source)) {
    return {
      message: "pattern backtracks super-linearly on adversarial input",
      hint: "avoid adjacent unbounded quantifiers over overlapping characters (\\d+\\d+, .*x.*); " +
        "start the pattern with \\b or a literal, and bound repeats ({1,64})",
    };
  }
  return null;
}

/**
 * Compiles a pattern for global scanning. The config was linted (probe included) when it was loaded, so
 * compiling repeats only the deterministic checks: a snapshot never fails to compile because a machine was busy.
 */
export function compileUserPattern(source: string, caseInsensitive = false): RegExp {
  const problem = checkUserPattern(source, caseInsensitive, { probe: false });
  if (problem) throw new Error(`unsafe pattern: ${problem.message}`);
  return new RegExp(source, caseInsensitive ? "giu" : "gu");
}

interface GroupFrame {
  variableInside: boolean;
  alternation: boolean;
  lookaround: boolean;
}

function structuralProblem(src: string): PatternProblem | null {
  const stack: GroupFrame[] = [{ variableInside: false, alternation: false, lookaround: false }];
  let i = 0;
  // What the last atom was: a closed group (with its frame) or a plain atom.
  let lastGroup: GroupFrame | null = null;
  let haveAtom = false;
  const nested: PatternProblem = {
    message: "nested quantifier (a repeated group containing a repeat or an alternation, like (a+)+)",
    hint: "rewrite without repeating a group that itself repeats, e.g. [\\w.]+ instead of (\\w+\\.?)+",
  };
  while (i < src.length) {
    const c = src[i];
    if (c === "\\") {
      const n = src[i + 1] ?? "";
      if (/[1-9]/.test(n) || (n === "k" && src[i + 2] === "<")) {
        return { message: "backreferences are not allowed", hint: "match the text explicitly instead" };
      }
      i += n === "u" && src[i + 2] === "{" ? src.indexOf("}", i) + 1 || src.length : 2;
      lastGroup = null;
      haveAtom = true;
      continue;
    }
    if (c === "[") {
      i++;
      if (src[i] === "^") i++;
      if (src[i] === "]") i++;
      while (i < src.length && src[i] !== "]") i += src[i] === "\\" ? 2 : 1;
      i++;
      lastGroup = null;
      haveAtom = true;
      continue;
    }
    if (c === "(") {
      const look = /^\(\?<?[=!]/.test(src.slice(i, i + 4));
      stack.push({ variableInside: false, alternation: false, lookaround: look });
      if (src[i + 1] !== "?") i += 1;
      else if (look) i += src[i + 2] === "<" ? 4 : 3;
      else if (src[i + 2] === "<") i = (src.indexOf(">", i) + 1) || src.length;
      else i += 3;
      haveAtom = false;
      lastGroup = null;
      continue;
    }
    if (c === ")") {
      const frame = stack.length > 1 ? stack.pop()! : stack[0];
      if (frame.lookaround && frame.variableInside) {
        return {
          message: "lookaround containing a quantifier",
          hint: "use lookarounds only around fixed-length text, e.g. (?<=ID-)",
        };
      }
      // A group's variability propagates to its parent.
      if (frame.variableInside) stack[stack.length - 1].variableInside = true;
      lastGroup = frame;
      haveAtom = true;
      i++;
      continue;
    }
    if (c === "|") {
      stack[stack.length - 1].alternation = true;
      haveAtom = false;
      lastGroup = null;
      i++;
      continue;
    }
    const q = readQuantifier(src, i);
    if (q && haveAtom) {
      const variable = q.max !== q.min;
      const repeating = q.max === Infinity || q.max > 16;
      if (lastGroup && repeating && (lastGroup.variableInside || lastGroup.alternation)) return nested;
      if (lastGroup && q.max > 1 && lastGroup.variableInside && q.max === Infinity) return nested;
      if (variable) stack[stack.length - 1].variableInside = true;
      i = q.end;
      if (src[i] === "?") i++;
      lastGroup = null;
      haveAtom = false;
      continue;
    }
    lastGroup = null;
    haveAtom = true;
    i++;
  }
  return null;
}

function readQuantifier(src: string, i: number): { min: number; max: number; end: number } | null {
  const c = src[i];
  if (c === "*") return { min: 0, max: Infinity, end: i + 1 };
  if (c === "+") return { min: 1, max: Infinity, end: i + 1 };
  if (c === "?") return { min: 0, max: 1, end: i + 1 };
  if (c === "{") {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i, i + 24));
    if (!m) return null;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
    return { min, max, end: i + m[0].length };
  }
  return null;
}

/** Representative characters a pattern can consume (its literals and class samples). */
function alphabet(src: string): string[] {
  const chars = new Set<string>(["a", "0", " ", "-", ".", "_", "@", "\n", "A"]);
  for (const ch of src.replace(/\\[dDwWsSbB]/g, "")) {
    if (!"\\[](){}*+?|^$".includes(ch)) chars.add(ch);
  }
  return [...chars].slice(0, 24);
}

function probe(re: RegExp, src: string): boolean {
  const chars = alphabet(src);
  // Warm-up: the first exec compiles the regex; that must not count against the budget.
  re.lastIndex = 0;
  re.exec(chars.join(""));
  // Escalating sizes: a cubic pattern is caught at the smallest size before it can take long.
  for (const size of PROBE_SIZES) {
    const inputs: string[] = [];
    for (const ch of chars) inputs.push(ch.repeat(size) + "\u0001");
    // Alternating pairs expose overlaps between two different classes.
    for (let i = 0; i + 1 < chars.length && i < 8; i++) {
      inputs.push((chars[i] + chars[i + 1]).repeat(size / 2) + "\u0001");
    }
    inputs.push(chars.join("").repeat(Math.ceil(size / chars.length)) + "\u0001");
    const budget = Math.max(PROBE_FLOOR_MS, PROBE_BUDGET_MS * (0.05 + size / PROBE_LENGTH));
    // Best of three: a GC pause or a busy CPU slows one run; super-linear backtracking slows every run.
    let passed = false;
    for (let attempt = 0; attempt < PROBE_ATTEMPTS && !passed; attempt++) {
      passed = runWithin(re, inputs, size, budget);
    }
    if (!passed) return false;
  }
  return true;
}

function runWithin(re: RegExp, inputs: readonly string[], size: number, budgetMs: number): boolean {
  const started = performance.now();
  for (const input of inputs) {
    re.lastIndex = 0;
    let guard = 0;
    while (re.exec(input) !== null) {
      if (re.lastIndex === 0 || ++guard > size * 2) break;
    }
    if (performance.now() - started > budgetMs) return false;
  }
  return true;
}

/** Runs a global regex over `text`, calling `onMatch(start, end)` for each non-empty match. */
export function scanRegExp(re: RegExp, text: string, onMatch: (start: number, end: number) => void): void {
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const len = m[0].length;
    if (len === 0) {
      re.lastIndex++;
      continue;
    }
    onMatch(m.index, m.index + len);
  }
}

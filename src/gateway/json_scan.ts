/**
 * Facts about JSON text that `JSON.parse` hides: nesting depth, and duplicate object keys.
 *
 * `JSON.parse` keeps the last of two equal keys; providers disagree on which one wins. A body with a
 * duplicate key anywhere is refused, so what kt's policies read is exactly what any parser of the
 * forwarded bytes reads. The check is cheap: every key is followed by one `:` outside strings, so the
 * byte scan that measures depth also counts keys, and the parsed value has fewer keys than that count
 * exactly when some object repeated a key. Only then does {@link duplicateKeyPath} walk the text again
 * to name the path.
 *
 * @module
 */

/** What {@link scanJson} measured. */
export interface JsonShape {
  /** Maximum nesting depth of objects and arrays. */
  depth: number;
  /** Object keys in the text (duplicates counted each time). */
  keys: number;
}

/** Depth and key count of JSON text (strings skipped), in one linear pass over its bytes. */
export function scanJson(bytes: Uint8Array): JsonShape {
  let depth = 0;
  let max = 0;
  let keys = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (b === 0x22) {
      // Skip the string with the native indexOf (prompts are mostly string bytes): its end is the
      // next quote preceded by an even run of backslashes.
      let from = i + 1;
      while (true) {
        const q = bytes.indexOf(0x22, from);
        if (q < 0) return { depth: max, keys }; // unterminated: the rest is string
        let k = q - 1;
        while (k > i && bytes[k] === 0x5c) k--;
        if ((q - 1 - k) % 2 === 0) {
          i = q;
          break;
        }
        from = q + 1;
      }
    } else if (b === 0x3a) keys++;
    else if (b === 0x7b || b === 0x5b) {
      if (++depth > max) max = depth;
    } else if (b === 0x7d || b === 0x5d) depth--;
  }
  return { depth: max, keys };
}

/** Number of object keys in a parsed JSON value (every level). */
export function countKeys(value: unknown): number {
  if (value === null || typeof value !== "object") return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) n += countKeys(value[i]);
    return n;
  }
  for (const k in value) {
    n++;
    n += countKeys((value as Record<string, unknown>)[k]);
  }
  return n;
}

/** A JSON path as people and `param` fields write it: `messages[2].content[0].text`, `metadata["a.b"]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(p)) out += out === "" ? p : `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out === "" ? "$" : out;
}

/**
 * The path of the first duplicate object key in valid JSON `text` (`messages[0].content`), or undefined
 * when every object's keys are distinct. Keys are compared after unescaping (`"a"` and `"\u0061"` are
 * the same key).
 */
export function duplicateKeyPath(text: string): string | undefined {
  let i = 0;
  const path: (string | number)[] = [];
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const value = (): string | undefined => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === "}") {
        i++;
        return undefined;
      }
      while (true) {
        ws();
        const key = str();
        path.push(key);
        if (seen.has(key)) return formatPath(path);
        seen.add(key);
        ws();
        i++; // ':'
        const found = value();
        if (found) return found;
        path.pop();
        ws();
        if (text[i++] === "}") return undefined;
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return undefined;
      }
      for (let n = 0;; n++) {
        path.push(n);
        const found = value();
        if (found) return found;
        path.pop();
        ws();
        if (text[i++] === "]") return undefined;
      }
    }
    if (c === '"') {
      str();
      return undefined;
    }
    while (i < text.length && !",]} \t\n\r".includes(text[i])) i++;
    return undefined;
  };
  return value();
}

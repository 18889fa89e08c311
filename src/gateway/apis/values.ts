/**
 * Nodes for structured text: tool-call arguments given as JSON text, and JSON Schemas (tool
 * parameters, structured-output schemas).
 *
 * @module
 */
import { anyText, isObj, type Node, type Walker } from "./walk.ts";

/** Offsets `[start, end)` of every string token (keys and values) of valid JSON text, in order. */
export function jsonStringTokens(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== 34) continue;
    let j = i + 1;
    while (j < text.length) {
      const c = text.charCodeAt(j);
      if (c === 34) break;
      j += c === 92 ? 2 : 1;
    }
    out.push([i, j + 1]);
    i = j;
  }
  return out;
}

/**
 * Adds JSON source text `value` (tool-call arguments as OpenAI and the Responses API send them) at the
 * walker's path: one segment per string token, keys included, decoded. Redacted text stays valid JSON:
 * only changed tokens are rewritten, each re-encoded with `JSON.stringify`. Text that is not JSON is
 * governed as one free-text segment.
 */
export function addJsonText(w: Walker, value: string): void {
  let tokens: Array<[number, number]> | undefined;
  try {
    JSON.parse(value);
    tokens = jsonStringTokens(value);
  } catch {
    // Not JSON: free text.
  }
  if (!tokens) {
    if (value !== "") w.text(value);
    return;
  }
  const decoded = tokens.map(([a, b]) => JSON.parse(value.slice(a, b)) as string);
  w.texts(decoded, (texts) => {
    let out = "";
    let at = 0;
    for (let n = 0; n < tokens.length; n++) {
      const [a, b] = tokens[n];
      out += value.slice(at, a) + (texts[n] === decoded[n] ? value.slice(a, b) : JSON.stringify(texts[n]));
      at = b;
    }
    return out + value.slice(at);
  });
}

/** Tool-call arguments: JSON text (see {@link addJsonText}) or, as Anthropic sends them, an object. */
export const jsonArguments: Node = (w, v) => {
  if (v === null || v === undefined) return;
  if (typeof v === "string") addJsonText(w, v);
  else if (typeof v === "object") anyText(w, v);
  else return w.invalid("JSON text or an object");
};

/**
 * JSON-Schema keywords: their names are not text (every other key of a schema object is a property
 * name or an extension keyword, which the model reads).
 */
const SCHEMA_KEYWORDS = new Set([
  "$schema",
  "$id",
  "$ref",
  "$defs",
  "$comment",
  "$anchor",
  "$dynamicRef",
  "$dynamicAnchor",
  "definitions",
  "type",
  "properties",
  "patternProperties",
  "additionalProperties",
  "unevaluatedProperties",
  "propertyNames",
  "required",
  "items",
  "prefixItems",
  "additionalItems",
  "unevaluatedItems",
  "contains",
  "minContains",
  "maxContains",
  "enum",
  "const",
  "default",
  "examples",
  "description",
  "title",
  "format",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minProperties",
  "maxProperties",
  "dependentRequired",
  "dependentSchemas",
  "dependencies",
  "allOf",
  "anyOf",
  "oneOf",
  "not",
  "if",
  "then",
  "else",
  "nullable",
  "deprecated",
  "readOnly",
  "writeOnly",
  "contentEncoding",
  "contentMediaType",
  "contentSchema",
  "discriminator",
  "strict",
]);

/** Keywords whose string values name a type or a format, not text. */
const SCHEMA_TYPE_KEYWORDS = new Set(["type", "format", "$schema"]);

/**
 * A JSON Schema: every string in it is text (descriptions, titles, enum values, defaults, examples,
 * patterns), and so is every key that is not a schema keyword (property names), renamed in place when
 * a policy rewrites it.
 */
export const jsonSchema: Node = (w, v) => {
  if (v === null || v === undefined) return;
  schemaValue(w, v);
};

function schemaValue(w: Walker, v: unknown): void {
  if (typeof v === "string") w.text(v);
  else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      w.path.push(i);
      schemaValue(w, v[i]);
      w.path.pop();
    }
  } else if (isObj(v)) {
    for (const k in v) {
      const x = v[k];
      if (!SCHEMA_KEYWORDS.has(k)) w.keyText(k);
      else if (SCHEMA_TYPE_KEYWORDS.has(k) && (typeof x === "string" || Array.isArray(x))) continue;
      w.path.push(k);
      schemaValue(w, x);
      w.path.pop();
    }
  }
}

/**
 * A small JSON Schema validator for tool arguments (tool-validation). It covers the
 * subset tool schemas use: `type` (string or list; `integer` included), `properties`,
 * `required`, `enum`, `const`, `items`, `additionalProperties` (boolean or schema),
 * `minimum`/`maximum`/`exclusiveMinimum`/`exclusiveMaximum`, `minLength`/`maxLength`,
 * `minItems`/`maxItems`, `pattern` (admitted by the safe-regex check), `anyOf`/`oneOf`
 * (any branch), `nullable`. Unknown keywords are ignored (and reported by
 * {@link unsupportedKeywords} for lint). Depth is capped at 32, errors at 10.
 *
 * Why not a library: Ajv compiles schemas with `new Function` (blocked in hardened
 * runtimes and heavy for a gateway binary); the lighter npm validators either pull
 * Node-only dependencies or are unmaintained. Tool schemas only need this subset.
 *
 * @module
 */
import { checkUserPattern, compileUserPattern } from "./safe_regex.ts";

/** One validation error: where and what (never the offending value). */
export interface SchemaError {
  path: string;
  message: string;
}

const SUPPORTED = new Set([
  "type",
  "properties",
  "required",
  "enum",
  "const",
  "items",
  "additionalProperties",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "pattern",
  "anyOf",
  "oneOf",
  "nullable",
  "description",
  "title",
  "default",
  "examples",
  "$schema",
  "format",
  "strict",
]);

type Schema = Record<string, unknown>;

const patternCache = new Map<string, RegExp>();

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(actual: string, expected: string): boolean {
  return actual === expected || (expected === "number" && actual === "integer");
}

/** Validates `value` against `schema`; returns up to 10 errors. */
export function validateJson(schema: unknown, value: unknown): SchemaError[] {
  const errors: SchemaError[] = [];
  walk(schema, value, "$", 0, errors);
  return errors;
}

function walk(schema: unknown, value: unknown, path: string, depth: number, errors: SchemaError[]): void {
  if (errors.length >= 10 || schema === true || schema === undefined) return;
  if (schema === false) {
    errors.push({ path, message: "no value is allowed here" });
    return;
  }
  if (!schema || typeof schema !== "object" || depth > 32) return;
  const s = schema as Schema;
  const t = typeOf(value);
  if (s.nullable === true && value === null) return;
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type as string[] : [s.type as string];
    if (!types.some((x) => typeMatches(t, x))) {
      errors.push({ path, message: `expected ${types.join(" or ")}, found ${t}` });
      return;
    }
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(e, value))) {
    errors.push({ path, message: "value is not one of the allowed values" });
  }
  if ("const" in s && !deepEqual(s.const, value)) {
    errors.push({ path, message: "value is not the allowed constant" });
  }
  if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) {
    const branches = (s.anyOf ?? s.oneOf) as unknown[];
    if (!branches.some((b) => validateDepth(b, value, depth + 1))) {
      errors.push({ path, message: "value matches none of the allowed forms" });
    }
  }
  if (t === "integer" || t === "number") {
    const n = value as number;
    if (typeof s.minimum === "number" && n < s.minimum) {
      errors.push({ path, message: `must be >= ${s.minimum}` });
    }
    if (typeof s.maximum === "number" && n > s.maximum) {
      errors.push({ path, message: `must be <= ${s.maximum}` });
    }
    if (typeof s.exclusiveMinimum === "number" && n <= s.exclusiveMinimum) {
      errors.push({ path, message: `must be > ${s.exclusiveMinimum}` });
    }
    if (typeof s.exclusiveMaximum === "number" && n >= s.exclusiveMaximum) {
      errors.push({ path, message: `must be < ${s.exclusiveMaximum}` });
    }
  } else if (t === "string") {
    const str = value as string;
    const len = [...str].length;
    if (typeof s.minLength === "number" && len < s.minLength) {
      errors.push({ path, message: `must be at least ${s.minLength} characters` });
    }
    if (typeof s.maxLength === "number" && len > s.maxLength) {
      errors.push({ path, message: `must be at most ${s.maxLength} characters` });
    }
    if (typeof s.pattern === "string") {
      let re = patternCache.get(s.pattern);
      if (!re) {
        re = new RegExp(compileUserPattern(s.pattern).source, "u");
        patternCache.set(s.pattern, re);
      }
      if (!re.test(str)) errors.push({ path, message: "does not match the required pattern" });
    }
  } else if (t === "array") {
    const arr = value as unknown[];
    if (typeof s.minItems === "number" && arr.length < s.minItems) {
      errors.push({ path, message: `needs at least ${s.minItems} items` });
    }
    if (typeof s.maxItems === "number" && arr.length > s.maxItems) {
      errors.push({ path, message: `allows at most ${s.maxItems} items` });
    }
    if (s.items !== undefined) arr.forEach((v, i) => walk(s.items, v, `${path}[${i}]`, depth + 1, errors));
  } else if (t === "object") {
    const obj = value as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, unknown>;
    if (Array.isArray(s.required)) {
      for (const r of s.required as string[]) {
        if (!(r in obj)) errors.push({ path, message: `missing required property "${r}"` });
      }
    }
    for (const [k, v] of Object.entries(obj)) {
      if (k in props) walk(props[k], v, `${path}.${k}`, depth + 1, errors);
      else if (s.additionalProperties === false) {
        errors.push({ path, message: `unexpected property "${k.slice(0, 64)}"` });
      } else if (s.additionalProperties && typeof s.additionalProperties === "object") {
        walk(s.additionalProperties, v, `${path}.${k}`, depth + 1, errors);
      }
    }
  }
}

function validateDepth(schema: unknown, value: unknown, depth: number): boolean {
  const errors: SchemaError[] = [];
  walk(schema, value, "$", depth, errors);
  return errors.length === 0;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Lint helper: unsupported keywords and unsafe patterns in a schema, as `path: message` pairs. */
export function schemaProblems(
  schema: unknown,
  path = "",
  out: Array<{ path: string; message: string; code: "E006" | "W003"; hint?: string }> = [],
  depth = 0,
): Array<{ path: string; message: string; code: "E006" | "W003"; hint?: string }> {
  if (!schema || typeof schema !== "object" || Array.isArray(schema) || depth > 32) return out;
  const s = schema as Schema;
  for (const k of Object.keys(s)) {
    if (!SUPPORTED.has(k)) {
      out.push({
        path: path ? `${path}.${k}` : k,
        message: `JSON Schema keyword "${k}" is not checked by kt`,
        code: "W003",
        hint: `supported: ${[...SUPPORTED].slice(0, 19).join(", ")}`,
      });
    }
  }
  if (typeof s.pattern === "string") {
    const problem = checkUserPattern(s.pattern);
    if (problem) {
      out.push({
        path: path ? `${path}.pattern` : "pattern",
        message: problem.message,
        code: "E006",
        hint: problem.hint,
      });
    }
  }
  const sub = (x: unknown, p: string) => schemaProblems(x, path ? `${path}.${p}` : p, out, depth + 1);
  if (s.properties && typeof s.properties === "object") {
    for (const [k, v] of Object.entries(s.properties as Record<string, unknown>)) sub(v, `properties.${k}`);
  }
  if (s.items) sub(s.items, "items");
  if (s.additionalProperties && typeof s.additionalProperties === "object") {
    sub(s.additionalProperties, "additionalProperties");
  }
  for (const key of ["anyOf", "oneOf"]) {
    if (Array.isArray(s[key])) (s[key] as unknown[]).forEach((b, i) => sub(b, `${key}.${i}`));
  }
  return out;
}

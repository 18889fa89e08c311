/**
 * `${NAME}` and `${NAME:-default}` substitution inside every string value of a
 * config document (SPEC 3.5). `$${` writes a literal `${`.
 *
 * @module
 */

/**
 * Stand-ins for `${VAR}` references whose value only the gateway knows, tried
 * in order until one fits the field it fills (plain text, then a URL), so that
 * a document can be linted without the gateway's environment.
 */
export const VARIABLE_PLACEHOLDERS: readonly string[] = [
  "kt-variable-placeholder",
  "https://kt-variable-placeholder.invalid",
];

const VARIABLE = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Returns a copy of `value` with variables replaced. Calls `onUnset` (with the
 * document path and the variable name) for each unset variable without default.
 */
export function resolveVariables(
  value: unknown,
  env: (name: string) => string | undefined,
  onUnset: (path: (string | number)[], name: string) => void,
  path: (string | number)[] = [],
): unknown {
  if (typeof value === "string") {
    if (!value.includes("${")) return value;
    return value.replace(VARIABLE, (whole, escaped: string, name: string, fallback: string | undefined) => {
      if (escaped) return whole.slice(1);
      const v = env(name);
      if (v !== undefined && v !== "") return v;
      if (fallback !== undefined) return fallback;
      onUnset(path, name);
      return "";
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveVariables(v, env, onUnset, [...path, i]));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveVariables(v, env, onUnset, [...path, k]);
    return out;
  }
  return value;
}

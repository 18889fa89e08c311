/**
 * Layering of config files (`--policy-config a.yaml --policy-config b.yaml`):
 * objects merge key by key, arrays and scalars replace.
 *
 * @module
 */

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Returns `over` layered onto `base` without mutating either. */
export function layer(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? layer(base[k], v) : v;
  return out;
}

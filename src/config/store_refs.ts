/**
 * The `store` secret references of a config document: the names a gateway
 * must fetch from its control plane (`secret_key_ref: { store: NAME }`). The
 * control plane records them with each pushed version; a managed gateway
 * resolves them before it applies one.
 *
 * @module
 */

/** Names of every `secret_key_ref: { store: NAME }` in a document, sorted, each once. */
export function storeRefs(document: unknown): string[] {
  const names = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        const store = k === "secret_key_ref" && v && typeof v === "object"
          ? (v as { store?: unknown }).store
          : undefined;
        if (typeof store === "string") names.add(store);
        else walk(v);
      }
    }
  };
  walk(document);
  return [...names].sort();
}

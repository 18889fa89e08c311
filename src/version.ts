/**
 * kt's version, taken from deno.json at build time (embedded in the binary).
 *
 * @module
 */
import meta from "../deno.json" with { type: "json" };

/** The running kt version. */
export const KT_VERSION: string = meta.version;

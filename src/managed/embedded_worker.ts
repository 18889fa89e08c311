/**
 * The poller worker as one self-contained JavaScript module, for compiled
 * binaries. A worker loaded from a local file needs read permission on its
 * whole import graph, which the compiled gateway does not hold (it may read
 * only /etc/keeptrusts); a worker started from a `blob:` URL needs none.
 *
 * In the source tree this is `undefined` and the worker loads from its file
 * (tests and `deno task start` grant read access to src/). `deno task compile`
 * bundles `poller_worker.ts` into this constant before compiling, and restores
 * this file afterwards (scripts/compile.ts, `embedWorker`).
 *
 * @module
 */

/** Bundled source of `poller_worker.ts`, or undefined when running from sources. */
export const EMBEDDED_POLLER_WORKER: string | undefined = undefined;

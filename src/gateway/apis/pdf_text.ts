/**
 * PDF text extraction for input policies, off the serving thread: one lazily started Worker
 * (pdf_worker.ts, no permissions) takes one PDF at a time; an extraction past its deadline terminates
 * the worker (a hostile PDF cannot stall the gateway) and the next PDF starts a fresh one.
 *
 * @module
 */
import type { PdfAnswer, PdfJob } from "./pdf_worker.ts";

/** Limits of one extraction. */
export interface PdfLimits {
  /** Deadline of one extraction, queueing included. */
  timeoutMs: number;
  /** PDFs with more pages are unreadable. */
  maxPages: number;
}

/** Default limits: 10 s, 500 pages. */
export const DEFAULT_PDF_LIMITS: Readonly<PdfLimits> = Object.freeze({ timeoutMs: 10_000, maxPages: 500 });

/** Extracts PDF text; owned by the gateway process and closed with it. */
export class PdfExtractor {
  #worker: Worker | undefined;
  #next = 1;
  readonly #waiting = new Map<number, (answer: PdfAnswer | undefined) => void>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(readonly limits: PdfLimits = DEFAULT_PDF_LIMITS) {}

  /** The PDF's text, or undefined when it cannot be read (broken, encrypted, too long, too slow). */
  extract(data: Uint8Array): Promise<string | undefined> {
    const run = this.#queue.then(() => this.#run(data));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #run(data: Uint8Array): Promise<string | undefined> {
    const worker = this.#worker ??= this.#start();
    const id = this.#next++;
    const { promise, resolve } = Promise.withResolvers<PdfAnswer | undefined>();
    this.#waiting.set(id, resolve);
    const timer = setTimeout(() => {
      // Too slow: the worker may be stuck in a hostile PDF. Drop it; the next PDF starts a new one.
      this.#stop();
      resolve(undefined);
    }, this.limits.timeoutMs);
    worker.postMessage({ id, data, maxPages: this.limits.maxPages } satisfies PdfJob);
    try {
      const answer = await promise;
      return answer && "text" in answer ? answer.text : undefined;
    } finally {
      clearTimeout(timer);
      this.#waiting.delete(id);
    }
  }

  #start(): Worker {
    const worker = new Worker(new URL("./pdf_worker.ts", import.meta.url), {
      type: "module",
      deno: { permissions: "none" },
    } as WorkerOptions);
    worker.onmessage = (e: MessageEvent<PdfAnswer>) => this.#waiting.get(e.data.id)?.(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      this.#stop();
    };
    return worker;
  }

  #stop(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    for (const resolve of this.#waiting.values()) resolve(undefined);
    this.#waiting.clear();
  }

  /** Terminates the worker (pending extractions answer undefined). */
  close(): void {
    this.#stop();
  }
}

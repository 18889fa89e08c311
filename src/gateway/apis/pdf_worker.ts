/**
 * The PDF text worker: extracts the text of one PDF per message with unpdf (Mozilla's pdf.js,
 * serverless build). It runs with no permissions at all, so a hostile PDF can neither reach the
 * network nor the file system, and the gateway terminates it when an extraction takes too long.
 *
 * Messages: in `{id, data: Uint8Array, maxPages}`; out `{id, text}` or `{id, error}`.
 *
 * @module
 */
import { extractText, getDocumentProxy } from "unpdf";

/** A request to the worker. */
export interface PdfJob {
  id: number;
  data: Uint8Array;
  maxPages: number;
}

/** The worker's answer. */
export type PdfAnswer = { id: number; text: string } | { id: number; error: string };

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<PdfJob>) => void) | null;
  postMessage(m: PdfAnswer): void;
};

scope.onmessage = async (e) => {
  const { id, data, maxPages } = e.data;
  try {
    const pdf = await getDocumentProxy(data, { verbosity: 0 });
    if (pdf.numPages > maxPages) {
      scope.postMessage({ id, error: `the PDF has ${pdf.numPages} pages, more than ${maxPages}` });
      return;
    }
    const { text } = await extractText(pdf, { mergePages: true });
    scope.postMessage({ id, text });
  } catch (err) {
    scope.postMessage({ id, error: err instanceof Error ? err.name : "unreadable" });
  }
};

/**
 * Files and documents inside requests: data URLs and base64 payloads are decoded; text-like ones
 * (text/*, JSON, XML, YAML, CSV, Markdown, or anything that decodes as UTF-8 text) become segments with
 * source `files`, written back re-encoded the same way; PDFs are queued for text extraction
 * (pdf_text.ts); anything else is an opaque file (`coverage.opaque_files`).
 *
 * @module
 */
import type { Walker } from "./walk.ts";

/** A parsed `data:` URL. */
export interface DataUrl {
  /** The media type, lower-case (`text/plain`), or "" when none was given. */
  mediaType: string;
  /** Everything between `data:` and the comma, as given (`text/plain;charset=utf-8;base64`). */
  header: string;
  base64: boolean;
  /** The payload after the comma, still encoded. */
  payload: string;
}

/** Parses a `data:` URL; undefined for anything else. */
export function parseDataUrl(url: string): DataUrl | undefined {
  if (!url.startsWith("data:")) return undefined;
  const comma = url.indexOf(",");
  if (comma < 0) return undefined;
  const header = url.slice(5, comma);
  const params = header.split(";");
  return {
    mediaType: params[0].trim().toLowerCase(),
    header,
    base64: params.slice(1).some((p) => p.trim().toLowerCase() === "base64"),
    payload: url.slice(comma + 1),
  };
}

// deno-lint-ignore no-explicit-any
const B64 = Uint8Array as any as { fromBase64(s: string, o?: { lastChunkHandling?: string }): Uint8Array };

/** Decodes standard base64 (whitespace allowed); undefined when it is not base64. */
export function decodeBase64(s: string): Uint8Array | undefined {
  try {
    return B64.fromBase64(s.replace(/\s+/g, ""), { lastChunkHandling: "loose" });
  } catch {
    return undefined;
  }
}

/** Encodes bytes as standard base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return (bytes as unknown as { toBase64(): string }).toBase64();
}

const TEXT_TYPES =
  /^(?:text\/|application\/(?:json|xml|yaml|x-yaml|csv|x-ndjson|ndjson|javascript|x-sh|toml|sql|graphql|x-www-form-urlencoded)\b|application\/[\w.+-]*\+(?:json|xml|yaml)\b)/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** True for PDF bytes or a PDF media type. */
export function isPdf(mediaType: string, bytes: Uint8Array): boolean {
  return mediaType === "application/pdf" ||
    (bytes.length >= 5 && bytes[0] === 0x25 && bytes[1] === 0x50 && bytes[2] === 0x44 && bytes[3] === 0x46 &&
      bytes[4] === 0x2d);
}

/** An image or audio media type. */
export function isMediaType(mediaType: string): boolean {
  return mediaType.startsWith("image/") || mediaType.startsWith("audio/") || mediaType.startsWith("video/");
}

/**
 * The bytes as text when the media type says text, or when it says nothing useful and the bytes are
 * UTF-8 text (no control characters but tab, line feed and carriage return); otherwise undefined.
 */
export function textOf(mediaType: string, bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
  if (TEXT_TYPES.test(mediaType)) return text;
  if (mediaType !== "" && mediaType !== "application/octet-stream") return undefined;
  // deno-lint-ignore no-control-regex
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}

/** Media type guessed from a file name's extension (for base64 payloads without a data URL). */
export function mediaTypeOfName(name: unknown): string {
  if (typeof name !== "string") return "";
  const ext = name.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1] ?? "";
  if (ext === "pdf") return "application/pdf";
  if (
    ["txt", "md", "markdown", "csv", "tsv", "log", "html", "htm", "xml", "yaml", "yml", "json"].includes(ext)
  ) {
    return ext === "json" ? "application/json" : ext === "xml" ? "application/xml" : "text/plain";
  }
  if (["png", "jpg", "jpeg", "gif", "webp"].includes(ext)) return `image/${ext === "jpg" ? "jpeg" : ext}`;
  return "";
}

/**
 * Governs an encoded file at the walker's path: `value` is a data URL or bare base64, `mediaType` the
 * type known besides it (an Anthropic `media_type`, a guess from the file name). Text files become a
 * `files` segment re-encoded on write-back; PDFs are queued; images and audio are media; the rest is
 * an opaque file.
 */
export function addEncodedFile(w: Walker, value: string, mediaType = ""): void {
  const url = parseDataUrl(value);
  const type = url?.mediaType || mediaType;
  const encoded = url ? url.payload : value;
  const bytes = url && !url.base64 ? encoder.encode(decodeURIComponent(encoded)) : decodeBase64(encoded);
  if (!bytes) return w.opaqueFile("this file's data is neither a data URL nor base64");
  if (isPdf(type, bytes)) {
    w.pending.push({ path: w.path.slice(), mediaType: "application/pdf", data: bytes, role: w.role });
    return;
  }
  if (isMediaType(type)) return w.mediaPart("an image or audio file");
  const text = textOf(type, bytes);
  if (text === undefined) return w.opaqueFile(`a ${type || "binary"} file`);
  const source = w.source;
  w.source = "files";
  w.texts([text], (texts) => {
    const data = encodeBase64(encoder.encode(texts[0]));
    if (!url) return data;
    return `data:${url.base64 ? url.header : `${url.header};base64`},${data}`;
  });
  w.source = source;
}

/** Governs plain (not encoded) document text at the walker's path as a `files` segment. */
export function addDocumentText(w: Walker, text: string): void {
  const source = w.source;
  w.source = "files";
  w.text(text);
  w.source = source;
}

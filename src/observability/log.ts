/**
 * Structured JSON-line logging on stderr, with secret scrubbing: every value
 * registered with {@link registerSecret} is replaced by `[REDACTED]` in every
 * line before it leaves the process (and {@link scrubSecrets} does the same for
 * error bodies): the value itself, its base64 forms, and any run of 8 or more of
 * its first or last characters (providers echo a key partially, such as
 * `sk-proj-abc…wxyz`).
 *
 * @module
 */

/** Log levels in increasing severity. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
/** Registered values and their base64 forms, matched literally by {@link scrubber}. */
const literals = new Set<string>();
const secrets = new Set<string>();
/** Secrets long enough to have partial echoes: matched by their first and last {@link PARTIAL} characters. */
const partials: string[] = [];
let scrubber: RegExp | undefined;

/** Shortest run of a secret's first or last characters that is scrubbed on its own. */
const PARTIAL = 8;

/**
 * Registers a secret value (provider key, token) so that it never appears in
 * logs, error bodies or metrics. Values shorter than 6 characters are ignored
 * (they would scrub ordinary words).
 */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < 6 || secrets.has(value)) return;
  secrets.add(value);
  literals.add(value);
  for (const form of base64Forms(value)) literals.add(form);
  if (value.length > PARTIAL) partials.push(value);
  const escaped = [...literals].sort((a, b) => b.length - a.length).map((s) =>
    s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  );
  scrubber = new RegExp(escaped.join("|"), "g");
}

/**
 * Replaces every registered secret in `text` with `[REDACTED]`: exact values, their base64
 * forms, and runs of {@link PARTIAL}+ of a secret's first or last characters.
 *
 * @example
 * ```ts
 * registerSecret("sk-proj-abcdefghijklmnop0123wxyz");
 * scrubSecrets("Incorrect API key provided: sk-proj-abc…wxyz"); // "Incorrect API key provided: [REDACTED]…wxyz"
 * ```
 */
export function scrubSecrets(text: string): string {
  if (!scrubber) return text;
  const out = text.replace(scrubber, "[REDACTED]");
  return partials.length > 0 ? scrubPartials(out) : out;
}

/** Replaces runs of 8+ of a secret's leading or trailing characters. */
function scrubPartials(text: string): string {
  let ranges: [number, number][] | undefined;
  for (const secret of partials) {
    const head = secret.slice(0, PARTIAL);
    for (let i = text.indexOf(head); i >= 0; i = text.indexOf(head, i + 1)) {
      let n = PARTIAL;
      while (n < secret.length && text[i + n] === secret[n]) n++;
      (ranges ??= []).push([i, i + n]);
    }
    const tail = secret.slice(-PARTIAL);
    for (let j = text.indexOf(tail); j >= 0; j = text.indexOf(tail, j + 1)) {
      let n = PARTIAL;
      while (
        n < secret.length && j - (n - PARTIAL) - 1 >= 0 &&
        text[j - (n - PARTIAL) - 1] === secret[secret.length - n - 1]
      ) {
        n++;
      }
      (ranges ??= []).push([j + PARTIAL - n, j + PARTIAL]);
    }
  }
  if (!ranges) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = "";
  let at = 0;
  for (const [from, to] of ranges) {
    if (to <= at) continue;
    out += text.slice(at, Math.max(at, from)) + (from >= at ? "[REDACTED]" : "");
    at = to;
  }
  return out + text.slice(at);
}

const utf8 = new TextEncoder();

/**
 * The base64 text of `value` as it appears inside any longer base64 text (standard and URL-safe
 * alphabets): for each of the three byte alignments, the characters of the 3-byte groups that lie
 * wholly within the value (what a `Basic` credential or an encoded blob carrying the key contains).
 * Forms shorter than {@link PARTIAL} are left out.
 */
function base64Forms(value: string): string[] {
  const bytes = utf8.encode(value);
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const padded = new Uint8Array(offset + bytes.length);
    padded.set(bytes, offset);
    let binary = "";
    for (const b of padded) binary += String.fromCharCode(b);
    const encoded = btoa(binary);
    const first = Math.ceil(offset / 3);
    const last = Math.floor(padded.length / 3);
    const form = encoded.slice(first * 4, last * 4);
    if (form.length < PARTIAL) continue;
    forms.push(form);
    const urlSafe = form.replaceAll("+", "-").replaceAll("/", "_");
    if (urlSafe !== form) forms.push(urlSafe);
  }
  return forms;
}

/** A line sink (stderr by default; tests capture lines). */
export type LogWriter = (line: string) => void;

const encoder = new TextEncoder();
const stderrWriter: LogWriter = (line) => {
  try {
    Deno.stderr.writeSync(encoder.encode(line + "\n"));
  } catch {
    // stderr gone: nothing sensible left to do
  }
};

/** Structured logger; fields are merged into each JSON line. */
export class Logger {
  #min: number;
  #fields: Record<string, unknown>;
  #write: LogWriter;

  constructor(options: { level?: LogLevel; fields?: Record<string, unknown>; write?: LogWriter } = {}) {
    this.#min = LEVELS[options.level ?? "info"];
    this.#fields = options.fields ?? {};
    this.#write = options.write ?? stderrWriter;
  }

  /** A logger that adds `fields` to every line. */
  child(fields: Record<string, unknown>): Logger {
    const l = new Logger({ write: this.#write, fields: { ...this.#fields, ...fields } });
    l.#min = this.#min;
    return l;
  }

  /** Logs at `level`. */
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (LEVELS[level] < this.#min) return;
    const line = JSON.stringify(
      { ts: new Date().toISOString(), level, msg, ...this.#fields, ...fields },
      errorReplacer,
    );
    this.#write(scrubSecrets(line));
  }
  debug(msg: string, fields?: Record<string, unknown>): void {
    this.log("debug", msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.log("info", msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.log("warn", msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.log("error", msg, fields);
  }
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

/** Level from `KEEPTRUSTS_LOG_LEVEL`, default info. */
export function levelFromEnv(): LogLevel {
  const v = Deno.env.get("KEEPTRUSTS_LOG_LEVEL")?.toLowerCase();
  return v === "debug" || v === "info" || v === "warn" || v === "error" ? v : "info";
}

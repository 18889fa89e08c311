/**
 * Structured JSON-line logging on stderr, with secret scrubbing: every value
 * registered with {@link registerSecret} is replaced by `[REDACTED]` in every
 * line before it leaves the process.
 *
 * @module
 */

/** Log levels in increasing severity. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const secrets = new Set<string>();
let scrubber: RegExp | undefined;

/**
 * Registers a secret value (provider key, token) so that it never appears in
 * logs, error bodies or metrics. Values shorter than 6 characters are ignored
 * (they would scrub ordinary words).
 */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < 6 || secrets.has(value)) return;
  secrets.add(value);
  const escaped = [...secrets].sort((a, b) => b.length - a.length).map((s) =>
    s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  );
  scrubber = new RegExp(escaped.join("|"), "g");
}

/** Replaces every registered secret in `text` with `[REDACTED]`. */
export function scrubSecrets(text: string): string {
  return scrubber && secrets.size > 0 ? text.replace(scrubber, "[REDACTED]") : text;
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

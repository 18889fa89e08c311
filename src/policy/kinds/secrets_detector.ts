/**
 * `secrets-detector` (input and output): credentials in their issuers' formats, named values with a
 * secret-sounding name, and URLs with a password (rule table: `secret_rules.ts`; scanner:
 * `secrets_scanner.ts`), plus `detect_patterns` for an organisation's own formats; `allow_patterns`
 * drop findings whose text matches. It scans the segment's normalised view, so zero-width characters
 * or fullwidth letters inside a key do not hide it; redaction replaces exactly the original span with
 * `[SECRET:<kind>]` (`action: redact`, the default) or the request is blocked (`action: block`).
 *
 * Streams: the guard holds a trailing run of token characters, a named value from its name on and an
 * unterminated private-key block (up to its hold limit); a private-key block or token longer than that is
 * redacted piecewise: the piece where it starts gets the marker, and the stream carry drops the rest of
 * it as it arrives (see docs/policies.md "Streaming").
 *
 * Reason code: `secret_detected`. Findings: kind → count.
 *
 * @module
 */
import { MAX_HOLD, trailingTokenStart } from "../stream_hold.ts";
import { z } from "zod";
import {
  applySpans,
  count,
  customPatternSchema,
  detectPatternIssues,
  detectPatternScanner,
  type EvalInput,
  normalizeSpans,
  patternListIssues,
  type PolicyDecision,
  type PolicyKindModule,
  type Span,
  type StreamCarry,
} from "./common.ts";
import { SECRET_KINDS } from "./secret_rules.ts";
import { isTokenChar, SecretScanner, type SecretSpan } from "./secrets_scanner.ts";
import { compileUserPattern } from "../safe_regex.ts";
import { type NormalizedView, normalizeView, toOriginalSpans } from "../normalize.ts";
import type { TextSegment } from "../types.ts";

/** Schema of `policy.secrets-detector`. */
export const secretsDetectorSchema = z.strictObject({
  action: z.enum(["redact", "block"]).default("redact"),
  /** Built-in kinds to detect (default: all). */
  kinds: z.array(z.enum(SECRET_KINDS)).min(1).optional(),
  detect_patterns: z.array(customPatternSchema).max(100).default([]),
  /** Findings whose text matches one of these (JavaScript regex, searched) are dropped. */
  allow_patterns: z.array(z.string().min(1).max(1000)).max(100).default([]),
});

/** A validated `policy.secrets-detector` block. */
export type SecretsDetectorConfig = z.infer<typeof secretsDetectorSchema>;

const KIND = "secrets-detector";

function blockMessage(subject: string, kinds: string[]): string {
  return `${subject} contains credentials (${kinds.join(", ")}); remove them and retry.`;
}

/** What the stream carry remembers between pieces of one channel. */
interface Carry {
  /** A private-key block is open: drop its body lines until the END line. */
  pem: boolean;
  /** A token ran to the end of the previous piece: drop its continuation. */
  token: boolean;
}

/** The end of the leading continuation of a private-key body in `text` (and whether END was reached). */
function pemContinuation(text: string): { end: number; closed: boolean } {
  let p = 0;
  let end = 0;
  while (p < text.length) {
    let q = text.indexOf("\n", p);
    if (q < 0) q = text.length;
    const line = text.slice(p, q).trim();
    if (line.includes("-----END ")) {
      const close = text.indexOf("-----", text.indexOf("-----END ", p) + 9);
      return { end: close >= 0 && close < q ? close + 5 : q, closed: true };
    }
    if (line.length > 0 && !/^[A-Za-z0-9+/=]+$/.test(line) && !/^[A-Za-z][A-Za-z-]{1,30}: /.test(line)) {
      return { end, closed: true };
    }
    end = q;
    p = q + 1;
  }
  return { end: text.length, closed: false };
}

/** The end of a leading run of token characters in `text`. */
function tokenContinuation(text: string): number {
  let i = 0;
  while (i < text.length && i < 8192 && isTokenChar(text.charCodeAt(i))) {
    if (text.charCodeAt(i) === 46 && !isTokenChar(text.charCodeAt(i + 1) || 32)) break;
    i++;
  }
  return i;
}

/** A name that sounds secret at the end of a text, with a separator and maybe the start of its value. */
const OPEN_NAME =
  /[\w.-]*(?:pass|pwd|secret|token|key|auth|cred|sig|bearer|sas|\bpw\b)[\w.-]*["'\]]?[ \t]{0,4}(?::=|=>|->|[:=])?[ \t]{0,8}["'`]?[^\s"'`]*$/i;

/** The secrets-detector kind. */
export const secretsDetector: PolicyKindModule = {
  definition: {
    kind: KIND,
    phases: ["input", "output"],
    schema: secretsDetectorSchema,
    check(block: unknown) {
      const cfg = block as SecretsDetectorConfig;
      return [
        ...detectPatternIssues(cfg.detect_patterns),
        ...patternListIssues(cfg.allow_patterns, "allow_patterns", false),
      ];
    },
  },
  compile(block: unknown) {
    const cfg = secretsDetectorSchema.parse(block ?? {});
    const scanner = new SecretScanner({ kinds: new Set<string>(cfg.kinds ?? SECRET_KINDS) });
    const custom = detectPatternScanner(cfg.detect_patterns);
    const allow = cfg.allow_patterns.map((p) => compileUserPattern(p, false));
    const allowed = (original: string, s: Span): boolean => {
      if (allow.length === 0) return false;
      const t = original.slice(s.start, s.end);
      return allow.some((re) => {
        re.lastIndex = 0;
        return re.test(t);
      });
    };

    /** Secrets of a view, in the original's coordinates. */
    const find = (view: NormalizedView): SecretSpan[] => {
      let found: SecretSpan[] = scanner.scan(view.text);
      if (custom) {
        custom(view.text, found);
        found = normalizeSpans(found);
      }
      toOriginalSpans(view, found);
      return allow.length ? found.filter((s) => !allowed(view.original, s)) : found;
    };

    const redactSegment = (
      seg: TextSegment,
      view: NormalizedView,
      findings: Record<string, number>,
      redact: boolean,
      carry: Carry | undefined,
    ): TextSegment | null => {
      let text = seg.text;
      let offset = 0;
      let lead = "";
      if (carry?.pem || carry?.token) {
        // The rest of a private key or token that started in an earlier piece: dropped.
        const cont = carry.pem ? pemContinuation(text) : { end: tokenContinuation(text), closed: true };
        if (carry.pem) carry.pem = !cont.closed;
        carry.token = false;
        if (cont.end > 0) {
          lead = "";
          offset = cont.end;
          text = text.slice(cont.end);
        }
      }
      const found = find(offset === 0 ? view : normalizeView(text));
      for (const s of found) count(findings, s.entity);
      if (carry) {
        const last = found[found.length - 1];
        if (last?.open && text.slice(last.end).trim() === "") carry.pem = true;
        else if (last && last.end === text.length) carry.token = true;
      }
      if (!redact || (found.length === 0 && offset === 0)) return null;
      const out = lead + applySpans(text, found, (s) => `[SECRET:${s.entity}]`);
      return out === seg.text ? null : { ...seg, text: out };
    };

    return {
      kind: KIND,
      phases: ["input", "output"],
      inspectsOutput: true,
      checksToolCalls: false,
      textOnly: true,
      spans(view: NormalizedView): Span[] {
        const held = scanner.scan(view.text, true).map((s) => ({
          start: s.holdStart ?? s.start,
          end: s.end,
          entity: s.entity,
        }));
        return toOriginalSpans(view, held);
      },
      // A token still being written, or a key, a name with its value or a key block still open.
      holdFrom(text: string): number {
        // Keys, tokens and URLs with passwords are single tokens: the trailing one may still grow.
        let open = Math.max(trailingTokenStart(text), text.length - MAX_HOLD);
        // A secret-sounding name whose value has not arrived (or not ended) yet: `password: `, `KEY=ab`.
        const from = Math.max(0, text.length - 160);
        const named = OPEN_NAME.exec(text.slice(from));
        if (named) open = Math.min(open, from + named.index);
        // A key block that has begun and not ended.
        const begin = text.lastIndexOf("-----BEGIN");
        if (begin >= 0 && text.indexOf("-----END", begin) < 0) open = Math.min(open, begin);
        return open;
      },
      evaluate(input: EvalInput): PolicyDecision {
        const findings: Record<string, number> = {};
        const redact = cfg.action === "redact";
        let carry: Carry | undefined;
        if (input.stream) carry = streamCarry(input.stream);
        let out: TextSegment[] | undefined;
        input.segments.forEach((seg, i) => {
          const next = redactSegment(seg, input.view(seg), findings, redact, carry);
          if (next) (out ??= input.segments.slice())[i] = next;
        });
        const kinds = Object.keys(findings);
        if (kinds.length === 0 && !out) return { verdict: "allow", reasonCode: null, findings };
        if (!redact) {
          const subject = input.phase === "input" ? "The request" : "The response";
          return {
            verdict: "block",
            reasonCode: "secret_detected",
            findings,
            message: blockMessage(subject, kinds),
          };
        }
        return {
          verdict: "redact",
          reasonCode: "secret_detected",
          findings,
          segments: out ?? input.segments,
        };
      },
    };
  },
};

function streamCarry(stream: StreamCarry): Carry {
  let c = stream.get(KIND) as Carry | undefined;
  if (!c) {
    c = { pem: false, token: false };
    stream.set(KIND, c);
  }
  return c;
}

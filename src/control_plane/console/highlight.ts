/**
 * YAML highlighting on the server with the `yaml` package's own lexer — the
 * parser the gateway loads configs with — so what is coloured as a key is
 * exactly what the gateway reads as a key. The result is plain data (lines of
 * classified text pieces); the JSX views render it, escaping every piece, so
 * no HTML string is ever built from config text.
 *
 * @module
 */
import { CST, Lexer } from "yaml";

/** Class of a highlighted piece. */
export type TokenKind =
  | "key"
  | "string"
  | "number"
  | "bool"
  | "null"
  | "comment"
  | "punct"
  | "anchor"
  | "tag"
  | "block"
  | "doc"
  | "plain";

/** A run of text of one kind (never spans a line break). */
export interface Piece {
  kind: TokenKind;
  text: string;
}

/** Lines of pieces; line `i` is source line `i + 1`. */
export type HighlightedLines = Piece[][];

const CONTROL = new Set(["\x02", "\x18", "\x1f", "\ufeff"]);
const PUNCT = new Set([
  "map-value-ind",
  "seq-item-ind",
  "explicit-key-ind",
  "flow-map-start",
  "flow-map-end",
  "flow-seq-start",
  "flow-seq-end",
  "comma",
]);

function scalarKind(text: string): TokenKind {
  if (/^(true|false|True|False|TRUE|FALSE)$/.test(text)) return "bool";
  if (/^(null|Null|NULL|~)$/.test(text)) return "null";
  if (/^[-+]?(\d[\d_]*(\.\d*)?([eE][-+]?\d+)?|\.\d+|0x[0-9a-fA-F]+|0o[0-7]+|\.inf|\.nan)$/i.test(text)) {
    return "number";
  }
  return "string";
}

/** Splits `text` into source lines (a final newline does not start an extra line). */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * Highlights a YAML (or JSON) document into lines of pieces. Text the lexer
 * cannot classify stays `plain`; the pieces of each line always add up to the
 * source line.
 */
export function highlightYaml(text: string): HighlightedLines {
  const tokens: Array<{ type: string | null; text: string; scalar: boolean }> = [];
  let nextIsScalar = false;
  try {
    for (const tok of new Lexer().lex(text)) {
      if (CONTROL.has(tok)) {
        if (tok === "\x1f") nextIsScalar = true;
        continue;
      }
      tokens.push({ type: CST.tokenType(tok) ?? null, text: tok, scalar: nextIsScalar });
      nextIsScalar = false;
    }
  } catch {
    tokens.length = 0;
  }
  if (tokens.map((t) => t.text).join("") !== text) {
    return splitLines(text).map((line) => [{ kind: "plain", text: line }]);
  }
  const kinds: TokenKind[] = tokens.map((t, i) => {
    if (t.scalar) {
      if (t.type === "space" || /\n/.test(t.text)) return "block";
      let j = i + 1;
      while (j < tokens.length && tokens[j].type === "space") j++;
      return tokens[j]?.type === "map-value-ind" ? "key" : scalarKind(t.text);
    }
    switch (t.type) {
      case "comment":
        return "comment";
      case "single-quoted-scalar":
      case "double-quoted-scalar": {
        let j = i + 1;
        while (j < tokens.length && tokens[j].type === "space") j++;
        return tokens[j]?.type === "map-value-ind" ? "key" : "string";
      }
      case "block-scalar-header":
        return "punct";
      case "anchor":
      case "alias":
        return "anchor";
      case "tag":
        return "tag";
      case "doc-start":
      case "doc-end":
      case "directive-line":
        return "doc";
      default:
        return t.type !== null && PUNCT.has(t.type) ? "punct" : "plain";
    }
  });
  const lines: HighlightedLines = [[]];
  tokens.forEach((t, i) => {
    const parts = t.text.split(/\r?\n/);
    parts.forEach((part, k) => {
      if (k > 0) lines.push([]);
      if (part !== "") lines[lines.length - 1].push({ kind: kinds[i], text: part });
    });
  });
  if (lines.length > 1 && lines[lines.length - 1].length === 0 && text.endsWith("\n")) lines.pop();
  return lines;
}

/**
 * Nodes and helpers several client APIs share: ids, opaque settings objects, provider-executed items
 * read as text, OpenAI-family usage.
 *
 * @module
 */
import { anyText, isObj, type Node, type Obj, stored, text, token, type Walker, within } from "./walk.ts";

/** Text with the walk's role and source. */
export const txt: Node = text();

/** An id the client or the model made up (`call_…`, `toolu_…`): provider-stored text, scanned. */
export const id: Node = stored;

/** A model name: a short token (model policies read it; it is not free text). */
export const model: Node = token;

/**
 * An object of settings whose strings are short tokens (cache controls, moderation settings): checked,
 * not scanned. A string with spaces in it is `invalid_field`, so no prose can hide there.
 */
export const settings: Node = (w, v) => inertTree(w, v);

function inertTree(w: Walker, v: unknown): void {
  if (v === null || v === undefined || typeof v === "number" || typeof v === "boolean") return;
  if (typeof v === "string") return token(w, v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) w.at(i, settings, v[i]);
    return;
  }
  if (!isObj(v)) return;
  for (const k in v) w.at(k, settings, v[k]);
}

/** Keys whose string values are structure, not text, in items read by {@link scannedItem}. */
const STRUCTURE_KEYS = new Set([
  "type",
  "status",
  "role",
  "phase",
  "detail",
  "format",
  "mime_type",
  "media_type",
]);

/**
 * An item whose shape the provider defines and kt forwards whole (provider-executed tool calls and
 * their outputs, MCP listings, server tool results): every string inside is text with the walk's
 * source, except the values of structure keys (`type`, `status`, …), which are checked as tokens.
 */
export const scannedItem: Node = (w, v) => scanItem(w, v);

function scanItem(w: Walker, v: unknown): void {
  if (typeof v === "string") return w.text(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      w.path.push(i);
      scanItem(w, v[i]);
      w.path.pop();
    }
    return;
  }
  if (!isObj(v)) return;
  for (const k in v) {
    const x = v[k];
    w.path.push(k);
    if (STRUCTURE_KEYS.has(k) && typeof x === "string") token(w, x);
    else scanItem(w, x);
    w.path.pop();
  }
}

/** `node` read as tool output (source `tool_results`, role `tool`). */
export const asToolResult = (node: Node): Node => within({ source: "tool_results", role: "tool" }, node);

/** `node` read as a tool definition (source `tools`, role `system`). */
export const asToolDefinition = (node: Node): Node => within({ source: "tools", role: "system" }, node);

/** Arbitrary JSON whose every string and key is text (free-form client data). */
export const freeText: Node = (w, v) => anyText(w, v);

/** Token usage read from a response. */
export interface Usage {
  input?: number;
  output?: number;
}

/** Usage of an OpenAI-family answer (`prompt_tokens`/`completion_tokens` or `input_tokens`/`output_tokens`). */
export function openaiUsage(body: Obj): Usage {
  const u = body.usage;
  if (!isObj(u)) return {};
  const input = u.prompt_tokens ?? u.input_tokens;
  const output = u.completion_tokens ?? u.output_tokens;
  return {
    input: typeof input === "number" ? input : undefined,
    output: typeof output === "number" ? output : undefined,
  };
}

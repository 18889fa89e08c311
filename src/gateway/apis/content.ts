/**
 * Reading a body along its API's field tree into governed content, and writing the policies'
 * (redacted) segments back.
 *
 * @module
 */
import type { ContentSource, TextSegment, ToolCall, ToolDefinition } from "../../policy/types.ts";
import type { ClientApi } from "./types.ts";
import {
  type CoverageSettings,
  isObj,
  type Obj,
  type PathItem,
  type PendingFile,
  type Slot,
  Walker,
} from "./walk.ts";
import { GatewayError } from "../errors.ts";
import { formatPath } from "../json_scan.ts";

/** The governed content of a request or a complete answer. */
export interface Content {
  /** Every text segment, in the order the walk found them. */
  segments: TextSegment[];
  /** Where each segment goes back (see {@link applySlots}). */
  slots: Slot[];
  tools: ToolDefinition[];
  toolCalls: ToolCall[];
  /** Images, audio and allowed opaque files seen. */
  media: number;
  /** Files whose text needs extraction before policies run (PDFs). */
  pending: PendingFile[];
}

/**
 * Validates and reads a request body of `api`. Throws a 400 {@link GatewayError} for a field that
 * breaks the API's rules or content kt cannot govern.
 */
export function readRequest(
  api: ClientApi,
  body: Obj,
  coverage: CoverageSettings,
  governed: boolean,
): Content {
  const w = new Walker(api.api, coverage, governed);
  api.request(w, body);
  return w;
}

/** Reads a complete answer of `api` (unknown fields are scanned as text, never refused). */
export function readAnswer(api: ClientApi, body: Obj, coverage: CoverageSettings): Content {
  const w = new Walker(api.api, coverage, true, true);
  w.source = "output_text";
  w.role = "assistant";
  api.answer(w, body);
  return w;
}

/** Text segments per source (the decision event's coverage manifest). */
export function countSources(segments: readonly TextSegment[]): Partial<Record<ContentSource, number>> {
  const out: Partial<Record<ContentSource, number>> = {};
  for (const s of segments) {
    const source = s.source ?? "messages";
    out[source] = (out[source] ?? 0) + 1;
  }
  return out;
}

/**
 * A copy of `body` with each slot rebuilt from the policies' `segments` (parallel to `original`);
 * only the objects along changed paths are copied. `body` itself when nothing changed.
 */
export function applySlots(
  body: Obj,
  slots: readonly Slot[],
  original: readonly TextSegment[],
  segments: readonly TextSegment[],
): Obj {
  let out = body;
  // Last first: a key's rename slot comes before the slots of its value, whose paths use the old name.
  for (let n = slots.length - 1; n >= 0; n--) {
    const slot = slots[n];
    let changed = false;
    const texts: string[] = [];
    for (let i = slot.first; i < slot.first + slot.count; i++) {
      const t = segments[i]?.text ?? original[i].text;
      if (t !== original[i].text) changed = true;
      texts.push(t);
    }
    if (!changed) continue;
    if (slot.renameKey) {
      out = renameKey(out, slot.path, texts[0]) as Obj;
    } else {
      out = setPath(out, slot.path, 0, slot.build ? slot.build(texts) : texts[0]) as Obj;
    }
  }
  return out;
}

function setPath(node: unknown, path: readonly PathItem[], at: number, value: unknown): unknown {
  if (at === path.length) return value;
  const head = path[at];
  if (Array.isArray(node)) {
    const copy = node.slice();
    copy[head as number] = setPath(copy[head as number], path, at + 1, value);
    return copy;
  }
  const obj = isObj(node) ? node : {};
  return { ...obj, [head]: setPath(obj[head as string], path, at + 1, value) };
}

/** Renames the key at the end of `path` (keeping key order), copying along the path. */
function renameKey(node: unknown, path: readonly PathItem[], name: string): unknown {
  const parent = path.slice(0, -1);
  const old = path[path.length - 1] as string;
  const holder = getPath(node, parent);
  if (!isObj(holder)) return node;
  if (name !== old && Object.hasOwn(holder, name)) {
    const param = formatPath(path);
    throw new GatewayError(
      400,
      "unsupported_content",
      `${param}: a policy rewrote this key into one the object already has; rename it and retry`,
      { param },
    );
  }
  const renamed: Obj = {};
  for (const k in holder) renamed[k === old ? name : k] = holder[k];
  return setPath(node, parent, 0, renamed);
}

function getPath(node: unknown, path: readonly PathItem[]): unknown {
  let v = node;
  for (const p of path) v = Array.isArray(v) ? v[p as number] : isObj(v) ? v[p as string] : undefined;
  return v;
}

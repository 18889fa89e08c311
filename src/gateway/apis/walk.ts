/**
 * The field walk: every client API describes its request (and answer) bodies as a tree of
 * {@link Node}s, and one walker visits a body along that tree. Each field is one of the classes of
 * docs/policies.md "Content coverage":
 *
 * - **text**: becomes a {@link TextSegment} that policies scan and may rewrite, with a {@link Slot}
 *   saying where the (redacted) text goes back;
 * - **stored**: text a provider keeps (`user`, `metadata`): a segment with source `stored`;
 * - **inert**: a typed scalar checked as the provider would (400 `invalid_field` naming the path);
 * - **media**: images and audio, counted, and refused under `coverage.media: block`;
 * - **unknown**: a lone number, boolean or null passes; a string, array or object follows
 *   `coverage.unknown` (`reject`: 400 `unsupported_content` naming the path; `scan`: every string
 *   inside is text).
 *
 * Nodes are plain functions built once at module load by the builders below; a walk allocates only
 * what it finds (segments, slots) and a path stack.
 *
 * @module
 */
import type { ContentSource, TextSegment, ToolCall, ToolDefinition } from "../../policy/types.ts";
import { GatewayError } from "../errors.ts";
import { formatPath } from "../json_scan.ts";

/** One step of a JSON path: an object key or an array index. */
export type PathItem = string | number;

/** The config's `coverage` section, resolved. */
export interface CoverageSettings {
  unknown: "reject" | "scan";
  media: "allow" | "block";
  opaqueFiles: "reject" | "allow";
  tokenIds: "reject" | "allow";
}

/** The defaults of `coverage`. */
export const DEFAULT_COVERAGE: Readonly<CoverageSettings> = Object.freeze({
  unknown: "reject",
  media: "allow",
  opaqueFiles: "reject",
  tokenIds: "reject",
});

/**
 * Where segments go back into the body: `count` segments from `first` (in {@link Walker.segments})
 * make the value at `path`. Without `build` the value is the one segment's text; with `renameKey` the
 * text is the object key at the end of `path`.
 */
export interface Slot {
  readonly path: readonly PathItem[];
  readonly first: number;
  readonly count: number;
  readonly build?: (texts: readonly string[]) => unknown;
  readonly renameKey?: boolean;
}

/** A file whose text needs an asynchronous step (PDF extraction) before policies run. */
export interface PendingFile {
  readonly path: readonly PathItem[];
  readonly mediaType: string;
  readonly data: Uint8Array;
  readonly role: string;
}

/** A node of an API's field tree: visits `value` at the walker's current path. */
export type Node = (w: Walker, value: unknown) => void;

/** A JSON object. */
export type Obj = Record<string, unknown>;

/** True for a JSON object (not null, not an array). */
export const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * The state of one walk: the segments and slots found, tool definitions and calls for the tool
 * policies, media and files counted, and the current path, role and source.
 */
export class Walker {
  readonly segments: TextSegment[] = [];
  readonly slots: Slot[] = [];
  readonly tools: ToolDefinition[] = [];
  readonly toolCalls: ToolCall[] = [];
  readonly pending: PendingFile[] = [];
  readonly path: PathItem[] = [];
  media = 0;
  /** Role given to text found now (set by {@link within}). */
  role = "user";
  /** Source given to text found now (set by {@link within}). */
  source: ContentSource = "messages";

  /**
   * @param api the client API, for messages
   * @param coverage the config's coverage settings
   * @param governed true when a content policy is in the chain (token ids are then refused)
   * @param output true for a provider's answer: unknown fields are scanned, never refused
   */
  constructor(
    readonly api: string,
    readonly coverage: CoverageSettings,
    readonly governed: boolean,
    readonly output = false,
  ) {}

  /** The current path as `messages[0].content`. */
  param(): string {
    return formatPath(this.path);
  }

  /** The segment key of the current path (`messages.0.content`). */
  key(): string {
    return this.path.join(".");
  }

  /** Adds `text` at the current path as one segment written back as a string. */
  text(text: string, role = this.role, source = this.source): void {
    const first = this.segments.length;
    this.segments.push({ key: this.key(), role, text, source });
    this.slots.push({ path: this.path.slice(), first, count: 1 });
  }

  /**
   * Adds several segments that together make the value at the current path (`build` turns their
   * possibly redacted texts back into it). Nothing is added for an empty list.
   */
  texts(texts: readonly string[], build: (texts: readonly string[]) => unknown, role = this.role): void {
    if (texts.length === 0) return;
    const first = this.segments.length;
    const key = this.key();
    for (const text of texts) this.segments.push({ key, role, text, source: this.source });
    this.slots.push({ path: this.path.slice(), first, count: texts.length, build });
  }

  /** Adds object key `name` (of the object at the current path) as a segment that renames the key. */
  keyText(name: string): void {
    this.path.push(name);
    const first = this.segments.length;
    this.segments.push({ key: this.key(), role: this.role, text: name, source: this.source });
    this.slots.push({ path: this.path.slice(), first, count: 1, renameKey: true });
    this.path.pop();
  }

  /** Visits `node` on `value` under key or index `step`. */
  at(step: PathItem, node: Node, value: unknown): void {
    this.path.push(step);
    node(this, value);
    this.path.pop();
  }

  /** A field that breaks the API's rules: 400 `invalid_field` naming the path. */
  invalid(expected: string): never {
    const param = this.param();
    throw new GatewayError(400, "invalid_field", `${param} must be ${expected}`, { param });
  }

  /** A required field that is absent: 400 `missing_field`. */
  missing(field: string, expected: string): never {
    this.path.push(field);
    const param = this.param();
    this.path.pop();
    throw new GatewayError(400, "missing_field", `the request needs ${param} (${expected})`, { param });
  }

  /** Content kt cannot govern here: 400 `unsupported_content` naming the path. */
  refuse(why: string): never {
    const param = this.param();
    throw new GatewayError(400, "unsupported_content", `${param}: ${why}`, { param });
  }

  /** A value kt does not know: see the module doc. */
  unknown(value: unknown): void {
    if (value === null || typeof value === "number" || typeof value === "boolean") return;
    if (this.coverage.unknown === "reject" && !this.output) {
      this.refuse(
        `kt does not know this field of the ${this.api} API, so no policy could read it; remove it, or set ` +
          "coverage.unknown: scan to scan unknown fields as text",
      );
    }
    anyText(this, value);
  }

  /** An image or audio part: counted; refused under `coverage.media: block`. */
  mediaPart(what: string): void {
    if (this.coverage.media === "block") {
      this.refuse(`${what} cannot be read by text policies and coverage.media is block`);
    }
    this.media++;
  }

  /** A file kt cannot read (a reference, an unreadable PDF): refused unless `coverage.opaque_files: allow`. */
  opaqueFile(what: string): void {
    if (this.coverage.opaqueFiles === "reject") {
      this.refuse(`${what}; kt cannot read it, so no policy could (coverage.opaque_files is reject)`);
    }
    this.media++;
  }

  /** Token ids (integer arrays): refused while a content policy is in the chain, unless allowed. */
  tokenIds(): void {
    if (this.governed && this.coverage.tokenIds === "reject") {
      this.refuse("token ids cannot be read by text policies; send text, or set coverage.token_ids: allow");
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Builders

/** Text: a string becomes a segment (role and source from the walk, unless given); null is absent. */
export function text(opts: { role?: string; source?: ContentSource } = {}): Node {
  const { role, source } = opts;
  return (w, v) => {
    if (typeof v === "string") w.text(v, role ?? w.role, source ?? w.source);
    else if (v !== null && v !== undefined) return w.invalid("a string");
  };
}

/** A stored field (`user`, `metadata`, ids): every string inside is text with source `stored`. */
export const stored: Node = within({ source: "stored" }, (w, v) => anyText(w, v));

/** Every string inside a JSON value (and every object key) is text with the walk's role and source. */
export function anyText(w: Walker, v: unknown): void {
  if (typeof v === "string") w.text(v);
  else if (Array.isArray(v)) { for (let i = 0; i < v.length; i++) w.at(i, anyTextNode, v[i]); }
  else if (isObj(v)) {
    for (const k in v) {
      w.keyText(k);
      w.at(k, anyTextNode, v[k]);
    }
  }
}
const anyTextNode: Node = anyText;

/** Runs `node` with the walk's role and/or source set. */
export function within(ctx: { role?: string; source?: ContentSource }, node: Node): Node {
  return (w, v) => {
    const { role, source } = w;
    if (ctx.role !== undefined) w.role = ctx.role;
    if (ctx.source !== undefined) w.source = ctx.source;
    try {
      node(w, v);
    } finally {
      w.role = role;
      w.source = source;
    }
  };
}

/** Options of {@link obj}. */
export interface ObjOptions {
  /** Fields that must be present (not null), with what they should be. */
  required?: Record<string, string>;
  /** Fields not listed are `invalid_field` instead of unknown (closed shapes such as `stream_options`). */
  closed?: boolean;
}

/** An object with known fields; other fields are unknown (see {@link Walker.unknown}). */
export function obj(fields: Record<string, Node>, opts: ObjOptions = {}): Node {
  const map = new Map(Object.entries(fields));
  const required = Object.entries(opts.required ?? {});
  return (w, v) => {
    if (v === null || v === undefined) return;
    if (!isObj(v)) return w.invalid("an object");
    for (const [field, expected] of required) {
      if (v[field] === undefined || v[field] === null) return w.missing(field, expected);
    }
    for (const k in v) {
      const node = map.get(k);
      w.path.push(k);
      if (node) node(w, v[k]);
      else if (opts.closed) return w.invalid(`one of the known fields (${[...map.keys()].join(", ")})`);
      else w.unknown(v[k]);
      w.path.pop();
    }
  };
}

/** A list whose items are `item`; `min` items at least. */
export function arr(item: Node, min = 0): Node {
  return (w, v) => {
    if (v === null || v === undefined) return;
    if (!Array.isArray(v)) return w.invalid(min > 0 ? "a non-empty list" : "a list");
    if (v.length < min) return w.invalid(`a list of at least ${min} item${min === 1 ? "" : "s"}`);
    for (let i = 0; i < v.length; i++) {
      w.path.push(i);
      item(w, v[i]);
      w.path.pop();
    }
  };
}

/** A value that is a string (`string` node) or a list (`list` node), as content fields are. */
export function stringOr(string: Node, list: Node, expected = "a string or a list"): Node {
  return (w, v) => {
    if (v === null || v === undefined) return;
    if (typeof v === "string") string(w, v);
    else if (Array.isArray(v)) list(w, v);
    else return w.invalid(expected);
  };
}

/** Options of {@link tagged}. */
export interface TaggedOptions {
  /** The tag assumed when the field is absent. */
  missing?: string;
  /** What an unlisted tag is: `unknown` content (the default) or an `invalid` field. */
  other?: "unknown" | "invalid";
}

/**
 * An object told apart by the string field `tag` (a content part's `type`, a message's `role`):
 * each tag value has its node; other values are unknown content or invalid (see {@link TaggedOptions}).
 */
export function tagged(tag: string, variants: Record<string, Node>, opts: TaggedOptions = {}): Node {
  const map = new Map(Object.entries(variants));
  const names = [...map.keys()].join(", ");
  return (w, v) => {
    if (v === null || v === undefined) return;
    if (!isObj(v)) return w.invalid("an object");
    const t = v[tag] ?? opts.missing;
    const node = typeof t === "string" ? map.get(t) : undefined;
    if (node) return node(w, v);
    if (opts.other === "invalid" || typeof t !== "string") {
      w.path.push(tag);
      w.invalid(`one of ${names}`);
    }
    w.unknown(v);
  };
}

/** An inert scalar checked by `check` (a message of what it must be when wrong, else undefined). */
export function inert(check: (v: unknown) => string | undefined): Node {
  return (w, v) => {
    if (v === null || v === undefined) return;
    const wrong = check(v);
    if (wrong !== undefined) return w.invalid(wrong);
  };
}

/** Range options of {@link num}. */
export interface NumOptions {
  min?: number;
  max?: number;
  integer?: boolean;
}

/** An inert number (optionally an integer, within `[min, max]`). */
export function num(opts: NumOptions = {}): Node {
  const what = `${opts.integer ? "an integer" : "a number"}${
    opts.min !== undefined && opts.max !== undefined
      ? ` from ${opts.min} to ${opts.max}`
      : opts.min !== undefined
      ? ` of at least ${opts.min}`
      : opts.max !== undefined
      ? ` of at most ${opts.max}`
      : ""
  }`;
  return inert((v) =>
    typeof v !== "number" || !Number.isFinite(v) || (opts.integer && !Number.isInteger(v)) ||
      (opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)
      ? what
      : undefined
  );
}

/** An inert boolean. */
export const bool: Node = inert((v) => typeof v === "boolean" ? undefined : "true or false");

/** An inert string from a closed set. */
export function oneOf(...values: string[]): Node {
  const set = new Set(values);
  const what = `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`;
  return inert((v) => typeof v === "string" && set.has(v) ? undefined : what);
}

/**
 * An inert string whose values the provider defines and extends (a voice, a service tier, a model):
 * checked to be a short token without spaces, so it cannot carry prose.
 */
export const token: Node = inert((v) =>
  typeof v === "string" && v.length <= 256 && !/\s/.test(v) ? undefined : "a short name without spaces"
);

/** A list of inert items (`stop` sequences are text, see the API modules). */
export function list(item: Node, max?: number): Node {
  const inner = arr(item);
  return (w, v) => {
    inner(w, v);
    if (max !== undefined && Array.isArray(v) && v.length > max) {
      return w.invalid(`a list of at most ${max} items`);
    }
  };
}

/** A node that visits nothing but checks `value` is a JSON object (for opaque provider objects). */
export const anyObject: Node = inert((v) => isObj(v) ? undefined : "an object");

/** `node` for a string, or token ids (integer arrays) for `integer[]` / `integer[][]`. */
export function textOrTokens(single: Node): Node {
  return (w, v) => {
    if (v === null || v === undefined) return;
    if (typeof v === "string") return single(w, v);
    if (!Array.isArray(v)) return w.invalid("a string, a list of strings, or token ids");
    if (v.length > 0 && v.every((x) => typeof x === "number")) return w.tokenIds();
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      w.path.push(i);
      if (typeof x === "string") single(w, x);
      else if (Array.isArray(x) && x.every((t) => typeof t === "number")) w.tokenIds();
      else return w.invalid("a string or a list of token ids");
      w.path.pop();
    }
  };
}

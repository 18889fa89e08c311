/**
 * Loading a config: parse YAML/JSON sources (with line/column positions),
 * layer them, resolve `${VAR}` references, validate against the strict schema,
 * check the policy chain against the registered kinds, and return an immutable
 * {@link LoadedConfig}. Every problem becomes a {@link ConfigIssue}.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { isMap, isPair, isScalar, LineCounter, parseDocument } from "yaml";
import type { Document, Node as YamlNode } from "yaml";
import type { z } from "zod";
import { buildConfigSchema, type KtConfig } from "./schema.ts";
import { ConfigError, type ConfigIssue, didYouMean } from "./errors.ts";
import { resolveVariables } from "./variables.ts";
import { layer } from "./merge.ts";

/** One config text and where it came from. */
export interface ConfigSource {
  /** File path, or a label such as `<stdin>` or `control-plane`. */
  name: string;
  /** The exact bytes (the digest covers them). */
  text: string;
  /**
   * The same document already converted to JSON text by a thread that parsed `text` (managed mode's
   * worker). When present the YAML parser is skipped (`JSON.parse` is far faster on large configs);
   * errors then carry paths but no line numbers.
   */
  json?: string;
}

/** What the loader needs to know about policy kinds (given by the policy layer). */
export interface PolicyKindInfo {
  /** Strict schema of the `policy.<kind>` block. */
  schema: z.ZodType;
  /** Checks beyond the schema (patterns that cannot compile, …); returns issues relative to the block. */
  check?: (
    block: unknown,
  ) => Array<{ path: string; message: string; code?: ConfigIssue["code"]; hint?: string }>;
}

/** Options of {@link loadConfig}. */
export interface LoadOptions {
  /** Reads environment variables for `${VAR}`; defaults to `Deno.env.get`. */
  env?: (name: string) => string | undefined;
  /** Registered policy kinds; without it, chain and blocks are only shape-checked. */
  policyKinds?: ReadonlyMap<string, PolicyKindInfo>;
}

/** A validated config with everything callers need besides the values. */
export interface LoadedConfig {
  readonly config: Readonly<KtConfig>;
  /** The layered document before variable substitution: safe to show (no resolved secrets). */
  readonly document: unknown;
  /** `sha256:<hex>` over the source texts. */
  readonly digest: string;
  readonly warnings: readonly ConfigIssue[];
  readonly sources: readonly string[];
}

interface ParsedSource {
  name: string;
  /** Absent for sources given as JSON (no positions). */
  doc: Document | undefined;
  lines: LineCounter | undefined;
  value: unknown;
}

/** sha256 digest in the `sha256:<hex>` form used across kt. */
export function sha256Digest(data: string | Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

function parseJsonSource(source: ConfigSource): ParsedSource | { issue: ConfigIssue } {
  let value: unknown;
  try {
    value = JSON.parse(source.json!);
  } catch (err) {
    return { issue: { code: "E000", severity: "error", path: "", message: String(err), file: source.name } };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return {
      issue: {
        code: "E008",
        severity: "error",
        path: "",
        message: "the config must be a mapping",
        file: source.name,
      },
    };
  }
  // No YAML document: issues carry the file name and path only.
  return { name: source.name, doc: undefined, lines: undefined, value };
}

/**
 * Validates config sources (later layers over earlier) into a {@link LoadedConfig}.
 * Throws {@link ConfigError} with every error found; warnings ride along on success.
 */
export function loadConfig(sources: readonly ConfigSource[], options: LoadOptions = {}): LoadedConfig {
  const result = lintConfig(sources, options);
  const errors = result.issues.filter((i) => i.severity === "error");
  if (errors.length > 0 || !result.config) throw new ConfigError(errors);
  return {
    config: deepFreeze(result.config),
    document: deepFreeze(result.document),
    digest: sha256Digest(sources.map((s) => s.text).join("\n---\n")),
    warnings: result.issues.filter((i) => i.severity === "warning"),
    sources: sources.map((s) => s.name),
  };
}

/** Result of {@link lintConfig}: the config when valid, and every issue found. */
export interface LintResult {
  config?: KtConfig;
  document?: unknown;
  issues: ConfigIssue[];
}

/** Validates without throwing; the engine behind `kt policy lint` and {@link loadConfig}. */
export function lintConfig(sources: readonly ConfigSource[], options: LoadOptions = {}): LintResult {
  const issues: ConfigIssue[] = [];
  const parsed: ParsedSource[] = [];
  for (const source of sources) {
    if (source.json !== undefined) {
      const doc = parseJsonSource(source);
      if ("issue" in doc) issues.push(doc.issue);
      else parsed.push(doc);
      continue;
    }
    const lines = new LineCounter();
    const doc = parseDocument(source.text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
    if (doc.errors.length > 0) {
      for (const err of doc.errors.slice(0, 5)) {
        const pos = err.linePos?.[0];
        issues.push({
          code: "E000",
          severity: "error",
          path: "",
          message: err.message.split("\n")[0],
          hint: "fix the YAML/JSON syntax",
          file: source.name,
          line: pos?.line,
          column: pos?.col,
        });
      }
      continue;
    }
    const value = doc.toJS({ maxAliasCount: 100 });
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      issues.push({
        code: "E008",
        severity: "error",
        path: "",
        message: "the config must be a mapping with pack, providers and policies",
        file: source.name,
        line: 1,
        column: 1,
      });
      continue;
    }
    parsed.push({ name: source.name, doc, lines, value });
  }
  if (issues.length > 0) return { issues };
  if (parsed.length === 0) {
    return { issues: [{ code: "E009", severity: "error", path: "", message: "no config given" }] };
  }

  const document = parsed.map((p) => p.value).reduce((acc, v) => layer(acc, v));
  const locate = (path: readonly (string | number)[], key?: string) => locateIn(parsed, path, key);

  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const resolved = resolveVariables(document, env, (path, name) => {
    issues.push({
      code: "E007",
      severity: "error",
      path: formatPath(path),
      message: `variable \${${name}} is not set`,
      hint: `export ${name}=… or write \${${name}:-default}`,
      ...locate(path),
    });
  });
  if (issues.length > 0) return { document, issues };

  // A schema per call, not the shared `configSchema`: zod hands out the nested values of a `.default()`
  // by reference, and loadConfig deep-freezes the result, so a shared schema would freeze its defaults.
  const schema = buildConfigSchema();
  const parsedConfig = schema.safeParse(resolved);
  if (!parsedConfig.success) {
    for (const zi of parsedConfig.error.issues) {
      issues.push(...fromZodIssue(zi, [], schema, locate, resolved));
    }
    return { document, issues };
  }
  const config = parsedConfig.data;
  checkTargets(config, issues, locate);
  checkChain(config, options.policyKinds, issues, locate);
  return { config, document, issues };
}

function checkTargets(
  config: KtConfig,
  issues: ConfigIssue[],
  locate: Locator,
): void {
  const ids = new Map<string, number>();
  config.providers.targets.forEach((t, i) => {
    if (ids.has(t.id)) {
      issues.push({
        code: "E004",
        severity: "error",
        path: `providers.targets[${i}].id`,
        message: `duplicate target id "${t.id}" (first used by targets[${ids.get(t.id)}])`,
        hint: "give every target a unique id",
        ...locate(["providers", "targets", i, "id"]),
      });
    } else ids.set(t.id, i);
    if (t.provider === "mock") {
      issues.push({
        code: "W002",
        severity: "warning",
        path: `providers.targets[${i}]`,
        message: `target "${t.id}" uses the built-in mock provider`,
        hint: "fine for tests and demos; use a real provider for production traffic",
        ...locate(["providers", "targets", i, "provider"]),
      });
    }
    if (t.provider === "azure" && !t.base_url) {
      issues.push({
        code: "E008",
        severity: "error",
        path: `providers.targets[${i}].base_url`,
        message: "an azure target needs base_url (https://<resource>.openai.azure.com)",
        ...locate(["providers", "targets", i]),
      });
    }
  });
  config.providers.routing.routes.forEach((route, r) => {
    route.targets.forEach((id, j) => {
      if (!ids.has(id)) {
        issues.push({
          code: "E005",
          severity: "error",
          path: `providers.routing.routes[${r}].targets[${j}]`,
          message: `route for "${route.model}" references unknown target "${id}"`,
          hint: didYouMean(id, ids.keys()) ?? `known targets: ${[...ids.keys()].join(", ")}`,
          ...locate(["providers", "routing", "routes", r, "targets", j]),
        });
      }
    });
  });
}

function checkChain(
  config: KtConfig,
  kinds: ReadonlyMap<string, PolicyKindInfo> | undefined,
  issues: ConfigIssue[],
  locate: Locator,
): void {
  const blocks = (config.policy ?? {}) as Record<string, unknown>;
  const chain = config.policies.chain;
  const seen = new Set<string>();
  chain.forEach((kind, i) => {
    const where = locate(["policies", "chain", i]);
    if (seen.has(kind)) {
      issues.push({
        code: "E008",
        severity: "error",
        path: `policies.chain[${i}]`,
        message: `policy "${kind}" appears twice in the chain`,
        ...where,
      });
    }
    seen.add(kind);
    if (kinds && !kinds.has(kind)) {
      issues.push({
        code: "E001",
        severity: "error",
        path: `policies.chain[${i}]`,
        message: `unknown policy kind "${kind}"`,
        hint: didYouMean(kind, kinds.keys()) ?? `known kinds: ${[...kinds.keys()].join(", ")}`,
        ...where,
      });
      return;
    }
    if (!(kind in blocks)) {
      issues.push({
        code: "E003",
        severity: "error",
        path: `policies.chain[${i}]`,
        message: `policy "${kind}" is in the chain but has no policy.${kind} block`,
        hint: `add "policy: { ${kind}: {} }" to take the defaults`,
        ...where,
      });
    }
  });
  for (const [kind, block] of Object.entries(blocks)) {
    const info = kinds?.get(kind);
    if (kinds && !info) {
      issues.push({
        code: "E001",
        severity: "error",
        path: `policy.${kind}`,
        message: `unknown policy kind "${kind}"`,
        hint: didYouMean(kind, kinds.keys()) ?? `known kinds: ${[...kinds.keys()].join(", ")}`,
        ...locate(["policy"], kind),
      });
      continue;
    }
    if (!seen.has(kind)) {
      issues.push({
        code: "W001",
        severity: "warning",
        path: `policy.${kind}`,
        message: `policy.${kind} is not in policies.chain and will not run`,
        hint: `add "${kind}" to policies.chain or remove the block`,
        ...locate(["policy"], kind),
      });
    }
    if (!info) continue;
    const base: (string | number)[] = ["policy", kind];
    const parsed = info.schema.safeParse(block ?? {});
    if (!parsed.success) {
      for (const zi of parsed.error.issues) {
        issues.push(...fromZodIssue(zi, base, info.schema, locate, block ?? {}));
      }
      continue;
    }
    (blocks as Record<string, unknown>)[kind] = parsed.data;
    for (const extra of info.check?.(parsed.data) ?? []) {
      const sub = extra.path ? extra.path.split(".").map((s) => (/^\d+$/.test(s) ? Number(s) : s)) : [];
      issues.push({
        code: extra.code ?? "E006",
        severity: extra.code?.startsWith("W") ? "warning" : "error",
        path: formatPath([...base, ...sub]),
        message: extra.message,
        hint: extra.hint,
        ...locate([...base, ...sub]),
      });
    }
  }
}

type Locator = (path: (string | number)[], key?: string) => Partial<ConfigIssue>;

function fromZodIssue(
  zi: z.core.$ZodIssue,
  base: (string | number)[],
  schema: z.ZodType,
  locate: Locator,
  root: unknown,
): ConfigIssue[] {
  const path = [...base, ...(zi.path as (string | number)[])];
  const input = getAt(root, zi.path as (string | number)[]);
  if (zi.code === "unrecognized_keys") {
    const known = keysAt(schema, zi.path as (string | number)[]);
    return zi.keys.map((key) => ({
      code: "E002" as const,
      severity: "error" as const,
      path: formatPath([...path, key]),
      message: `unknown key "${key}"`,
      hint: didYouMean(key, known) ?? (known.length ? `allowed keys: ${known.join(", ")}` : undefined),
      ...locate(path, key),
    }));
  }
  let message = zi.message;
  let hint: string | undefined;
  if (zi.code === "invalid_type") {
    const found = input === undefined
      ? "nothing"
      : input === null
      ? "null"
      : Array.isArray(input)
      ? "a list"
      : typeof input;
    message = input === undefined ? `missing required field` : `expected ${zi.expected}, found ${found}`;
  } else if (zi.code === "invalid_value" && "values" in zi) {
    const value = String(input);
    hint = didYouMean(value, zi.values.map(String)) ?? `one of: ${zi.values.join(", ")}`;
    message = `invalid value; expected one of ${zi.values.map((v) => JSON.stringify(v)).join(", ")}`;
  } else if (zi.code === "invalid_union") {
    message = "does not match any allowed form";
    hint = path.at(-1) === "secret_key_ref" ? "use { env: NAME } or { store: NAME }" : undefined;
  }
  return [{ code: "E008", severity: "error", path: formatPath(path), message, hint, ...locate(path) }];
}

function getAt(value: unknown, path: (string | number)[]): unknown {
  let v = value;
  for (const p of path) v = (v as Record<string | number, unknown> | undefined)?.[p];
  return v;
}

/** The keys a (nested) zod object schema accepts at `path`. */
function keysAt(schema: z.ZodType, path: (string | number)[]): string[] {
  let s: unknown = schema;
  const unwrap = (x: unknown): unknown => {
    for (let i = 0; i < 10; i++) {
      const def = (x as { def?: Record<string, unknown> }).def;
      if (!def) return x;
      if (def.innerType) x = def.innerType;
      else if (def.type === "pipe" && def.in) x = def.in;
      else return x;
    }
    return x;
  };
  for (const p of path) {
    s = unwrap(s);
    const def = (s as { def?: Record<string, unknown> }).def ?? {};
    if (def.type === "object") s = (def.shape as Record<string, unknown>)[String(p)];
    else if (def.type === "array") s = def.element;
    else if (def.type === "record") s = def.valueType;
    else return [];
    if (!s) return [];
  }
  s = unwrap(s);
  const def = (s as { def?: Record<string, unknown> }).def ?? {};
  if (def.type === "object") return Object.keys(def.shape as Record<string, unknown>);
  if (def.type === "union") {
    return [
      ...new Set(
        (def.options as z.ZodType[]).flatMap((o) => keysAt(o, [])),
      ),
    ];
  }
  return [];
}

/** `a.b[0].c` from a path array. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

function locateIn(
  parsed: ParsedSource[],
  path: readonly (string | number)[],
  key?: string,
): Partial<ConfigIssue> {
  // The last layer that defines the path (or its nearest parent) is the one to blame.
  for (let depth = path.length; depth >= 0; depth--) {
    for (let i = parsed.length - 1; i >= 0; i--) {
      const src = parsed[i];
      if (!src.doc || !src.lines) continue;
      const node = depth === 0
        ? src.doc.contents
        : src.doc.getIn(path.slice(0, depth), true) as YamlNode | undefined;
      if (!node || typeof node !== "object") continue;
      let range = (node as { range?: [number, number, number] }).range;
      if (key !== undefined && depth === path.length && isMap(node)) {
        const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === key);
        const k = pair && isPair(pair) && isScalar(pair.key) ? pair.key : undefined;
        if (k?.range) range = k.range;
      }
      if (!range) continue;
      const pos = src.lines.linePos(range[0]);
      return { file: src.name, line: pos.line, column: pos.col };
    }
  }
  return parsed.length ? { file: parsed[parsed.length - 1].name } : {};
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/**
 * The runtime snapshot: a validated config compiled once into everything a
 * request needs (policy chain, targets and router, limits, client keys, the
 * public view of the config). Immutable; a request keeps the snapshot it
 * started with until it ends.
 *
 * @module
 */
import { GatewayError } from "./errors.ts";
import type { CoverageSettings } from "./apis/walk.ts";
import { createHash, timingSafeEqual } from "node:crypto";
import type { LoadedConfig } from "../config/load.ts";
import type { KtConfig } from "../config/schema.ts";
import { compileChain } from "../policy/engine.ts";
import type { CompiledChain, FailMode } from "../policy/types.ts";
import {
  type CompiledProviders,
  compileProviders,
  type RouterState,
  type UpstreamOverride,
} from "../providers/mod.ts";
import type { SecretResolver } from "../providers/types.ts";
import { registerSecret } from "../observability/log.ts";
import { type CounterStore, type LimitSettings, RateLimiter } from "./limits.ts";

/** Defaults of `size_limits` when the section is absent. */
export const DEFAULT_SIZE_LIMITS = {
  max_body_bytes: 1_048_576,
  max_response_bytes: 10_485_760,
  max_json_depth: 64,
};

/** A client API key, ready for constant-time comparison. */
export interface ClientKey {
  id: string;
  role?: string;
  hash: Uint8Array;
}

/** Everything a request reads from the active config. */
export interface RuntimeSnapshot {
  readonly version: string;
  readonly digest: string;
  readonly config: Readonly<KtConfig>;
  readonly chain: CompiledChain;
  readonly providers: CompiledProviders;
  readonly limits: RateLimiter;
  readonly sizeLimits: typeof DEFAULT_SIZE_LIMITS;
  readonly clientKeys: readonly ClientKey[] | undefined;
  /** The config's `coverage` section. */
  readonly coverage: Readonly<CoverageSettings>;
  /** `/keeptrusts/config` body, rendered once (no resolved secrets). */
  readonly publicConfigJson: string;
  /** `/v1/models` body, rendered once. */
  readonly modelsJson: string;
  readonly loadedAt: Date;
}

/** Inputs of {@link compileSnapshot} that do not come from the config document. */
export interface SnapshotOptions {
  failMode: FailMode;
  resolveSecret: SecretResolver;
  routerState: RouterState;
  counters: CounterStore;
  override?: UpstreamOverride;
  caCerts?: string[];
}

/** Compiles a validated config into a runtime snapshot. */
export function compileSnapshot(loaded: LoadedConfig, options: SnapshotOptions): RuntimeSnapshot {
  const config = loaded.config;
  const resolveSecret: SecretResolver = (ref) => {
    const value = options.resolveSecret(ref);
    registerSecret(value);
    return value;
  };
  const chain = compileChain(config as KtConfig, { failMode: options.failMode });
  const providers = compileProviders(config.providers, {
    resolveSecret,
    state: options.routerState,
    override: options.override,
    caCerts: options.caCerts,
  });
  const settings: LimitSettings = {
    global: config.global_rate_limit,
    ip: config.ip_rate_limit,
    user: config.user_rate_limit,
    tokens: config.token_rate_limit,
  };
  const created = Math.floor(Date.now() / 1000);
  const models = new Set<string>();
  for (const t of config.providers.targets) models.add(t.model ?? t.id);
  const publicConfig = { version: config.pack.version, digest: loaded.digest, config: loaded.document };
  return Object.freeze({
    version: config.pack.version,
    digest: loaded.digest,
    config,
    chain,
    providers,
    limits: new RateLimiter(options.counters, settings),
    sizeLimits: { ...DEFAULT_SIZE_LIMITS, ...config.size_limits },
    clientKeys: compileClientKeys(config, resolveSecret),
    coverage: Object.freeze({
      unknown: config.coverage.unknown,
      media: config.coverage.media,
      opaqueFiles: config.coverage.opaque_files,
      tokenIds: config.coverage.token_ids,
    }),
    publicConfigJson: JSON.stringify(publicConfig, null, 2),
    modelsJson: JSON.stringify({
      object: "list",
      data: [...models].map((id) => ({ id, object: "model", created, owned_by: "keeptrusts" })),
    }),
    loadedAt: new Date(),
  });
}

function sha256(text: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(text).digest());
}

function compileClientKeys(
  config: Readonly<KtConfig>,
  resolveSecret: SecretResolver,
): ClientKey[] | undefined {
  const auth = config.client_auth;
  if (!auth) return undefined;
  const keys: ClientKey[] = [];
  for (const k of auth.api_keys) {
    if (k.key_hash) {
      keys.push({ id: k.id, role: k.role, hash: hexToBytes(k.key_hash.slice("sha256:".length)) });
    } else if (k.key_env) {
      const v = resolveSecret({ env: k.key_env });
      if (v) keys.push({ id: k.id, role: k.role, hash: sha256(v) });
    }
  }
  return keys;
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Client authentication (SPEC 7.4): the key from `Authorization: Bearer <key>` or `x-api-key`, matched in
 * constant time. Throws 401 `missing_credentials` / `invalid_credentials`; returns the matched key.
 */
export function authenticateClient(keys: readonly ClientKey[], headers: Headers): ClientKey {
  const presented = headers.get("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? headers.get("x-api-key");
  if (!presented) {
    throw new GatewayError(
      401,
      "missing_credentials",
      "this gateway requires an API key: send Authorization: Bearer <key>",
    );
  }
  const key = matchClientKey(keys, presented);
  if (!key) throw new GatewayError(401, "invalid_credentials", "the API key is not valid for this gateway");
  return key;
}

/** Finds the client key matching `presented`, comparing hashes in constant time. */
export function matchClientKey(keys: readonly ClientKey[], presented: string): ClientKey | undefined {
  const hash = sha256(presented);
  let found: ClientKey | undefined;
  for (const k of keys) if (timingSafeEqual(k.hash, hash) && !found) found = k;
  return found;
}

/**
 * Authentication and authorisation: who is calling ({@link Principal}) and
 * what they may do (scopes). Reusable by anything mounted on the same app (the
 * web console sets `c.var.principal` from its session before these run).
 *
 * Admin tokens carry admin scopes; gateway tokens are bound to one gateway id
 * and carry the gateway scopes. A route states the scope it needs and whether
 * gateway tokens may call it ({@link requireScope}); routes addressed by a
 * gateway id also check the binding ({@link assertGatewayAccess}).
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { constantTimeEqual, generateToken, hashToken, randomId } from "./crypto.ts";
import { insufficientScope, invalidCredentials, missingCredentials } from "./errors.ts";
import type { Store, TokenKind, TokenRecord } from "./store/types.ts";

/**
 * Scopes an admin token may hold: the five of docs/control_plane.md, `tokens:write` to mint and revoke
 * tokens, `secrets:read` to read config-variable values (and so to mint gateway tokens, which read
 * them), `audit:read` for the audit trail and `metrics:read` for `/metrics` (a scrape token).
 */
export const ADMIN_SCOPES = [
  "configurations:write",
  "configurations:read",
  "gateways:write",
  "gateways:read",
  "events:read",
  "tokens:write",
  "secrets:read",
  "audit:read",
  "metrics:read",
] as const;

/** Scopes every gateway token holds (docs/control_plane.md). */
export const GATEWAY_SCOPES = [
  "configurations:read",
  "status:write",
  "events:write",
  "secrets:read",
] as const;

/**
 * What a gateway token amounts to in admin scopes: it reads its gateway's config
 * (`configurations:read`) and the secrets that config references (`secrets:read`), and writes its
 * gateway's status and events (`gateways:write`). Minting, rotating or revoking a gateway token takes
 * every one of them, so no caller hands out more than it holds.
 */
export const GATEWAY_TOKEN_AUTHORITY: readonly AdminScope[] = [
  "gateways:write",
  "configurations:read",
  "secrets:read",
];

/** An admin scope. */
export type AdminScope = typeof ADMIN_SCOPES[number];
/** A gateway scope. */
export type GatewayScope = typeof GATEWAY_SCOPES[number];
/** Any scope. */
export type Scope = AdminScope | GatewayScope;

/** The authenticated caller. */
export interface Principal {
  kind: TokenKind;
  /** Token id (safe to log and to record as `created_by`). */
  tokenId: string;
  name: string;
  scopes: ReadonlySet<string>;
  /** Set for gateway tokens: the only gateway they may act for. */
  gatewayId: string | null;
}

/** Hono variables set by the control plane middleware. */
export interface ControlPlaneEnv {
  Variables: {
    principal?: Principal;
    requestId: string;
  };
}

/** Turns a stored token into a principal. */
export function principalFromToken(token: TokenRecord): Principal {
  return {
    kind: token.kind,
    tokenId: token.id,
    name: token.name,
    scopes: new Set(token.scopes),
    gatewayId: token.gatewayId,
  };
}

/** Extracts the bearer token of an `Authorization` header, or null. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const m = /^Bearer[ \t]+([A-Za-z0-9._~+/=-]{1,512})[ \t]*$/i.exec(header);
  return m ? m[1] : null;
}

/** Looks a presented token up by its hash; null when unknown or revoked. */
export async function authenticateToken(store: Store, token: string): Promise<Principal | null> {
  const hash = hashToken(token);
  const record = await store.findTokenByHash(hash);
  if (!record || !constantTimeEqual(record.tokenHash, hash)) return null;
  return principalFromToken(record);
}

/**
 * Middleware: resolves `Authorization: Bearer …` into `c.var.principal` unless
 * a principal is already set (e.g. by a console session). Does not reject
 * anonymous calls by itself; {@link requireScope} does.
 */
export function authenticate(store: Store): MiddlewareHandler<ControlPlaneEnv> {
  return async (c, next) => {
    if (!c.get("principal")) {
      const header = c.req.header("authorization");
      if (header !== undefined) {
        const token = bearerToken(header);
        if (!token) throw invalidCredentials();
        const principal = await authenticateToken(store, token);
        if (!principal) throw invalidCredentials();
        c.set("principal", principal);
      }
    }
    await next();
  };
}

/** Who may call a route besides holding the scope. */
export type Audience = "admin" | "gateway" | "any";

/**
 * Returns the caller, or throws 401/403 unless it is of the audience and holds `scope` (every one of
 * them, for a list: acts that amount to several scopes, such as minting a gateway token).
 */
export function authorize(
  c: Context<ControlPlaneEnv>,
  scope: Scope | readonly Scope[],
  audience: Audience,
): Principal {
  const principal = c.get("principal");
  if (!principal) throw missingCredentials();
  if (audience === "admin" && principal.kind !== "admin") {
    throw insufficientScope("gateway tokens cannot call admin endpoints; use an admin token");
  }
  if (audience === "gateway" && principal.kind !== "gateway") {
    throw insufficientScope("only a gateway token can call this endpoint");
  }
  const needed: readonly Scope[] = typeof scope === "string" ? [scope] : scope;
  const missing = missingScopes(principal, needed);
  if (missing.length > 0) {
    throw insufficientScope(
      needed.length === 1
        ? `the token lacks the "${needed[0]}" scope`
        : `this needs ${needed.join(" + ")}; the token lacks ${missing.join(", ")}`,
    );
  }
  return principal;
}

/** Middleware form of {@link authorize}. */
export function requireScope(
  scope: Scope | readonly Scope[],
  audience: Audience = "admin",
): MiddlewareHandler<ControlPlaneEnv> {
  return async (c, next) => {
    authorize(c, scope, audience);
    await next();
  };
}

/** The scopes of `scopes` that `principal` lacks (empty: it holds them all). */
export function missingScopes(principal: Principal, scopes: readonly string[]): string[] {
  return scopes.filter((s) => !principal.scopes.has(s));
}

/** The admin scopes a token amounts to: its own for admin tokens, {@link GATEWAY_TOKEN_AUTHORITY} for gateway tokens. */
export function authorityOf(token: Pick<TokenRecord, "kind" | "scopes">): readonly string[] {
  return token.kind === "gateway" ? GATEWAY_TOKEN_AUTHORITY : token.scopes;
}

/** Throws 403 when a gateway token addresses another gateway than its own. */
export function assertGatewayAccess(principal: Principal, gatewayId: string): void {
  if (principal.kind === "gateway" && principal.gatewayId !== gatewayId) {
    throw insufficientScope("this gateway token is bound to another gateway");
  }
}

/** A newly minted token: the secret (show once) and the record stored. */
export interface MintedToken {
  token: string;
  record: TokenRecord;
}

function mint(
  kind: TokenKind,
  name: string,
  scopes: readonly string[],
  gatewayId: string | null,
  createdBy: string | null,
  now: Date,
  secret = generateToken(kind),
): MintedToken {
  return {
    token: secret,
    record: {
      id: randomId("tok_"),
      kind,
      name,
      tokenHash: hashToken(secret),
      scopes: [...scopes],
      gatewayId,
      createdAt: now.toISOString(),
      createdBy,
      revokedAt: null,
    },
  };
}

/** Builds an admin token record (not yet stored). Unknown scopes are the caller's to reject. */
export function mintAdminToken(
  name: string,
  scopes: readonly string[],
  createdBy: string | null,
  now: Date,
  secret?: string,
): MintedToken {
  return mint("admin", name, scopes, null, createdBy, now, secret);
}

/** Builds a gateway token record bound to `gatewayId` (not yet stored). */
export function mintGatewayToken(gatewayId: string, createdBy: string | null, now: Date): MintedToken {
  return mint("gateway", `gateway ${gatewayId}`, GATEWAY_SCOPES, gatewayId, createdBy, now);
}

/** Result of {@link ensureBootstrapAdmin}. */
export type BootstrapResult =
  | { kind: "created"; token: string; tokenId: string }
  | { kind: "from_env"; tokenId: string }
  | { kind: "existing" }
  | { kind: "env_ignored" };

/**
 * On an empty database (no token at all) creates an admin token with every
 * admin scope: the one in `bootstrapToken` (from `KEEPTRUSTS_BOOTSTRAP_ADMIN_TOKEN`)
 * or a new random one, returned so the caller can print it once.
 */
export async function ensureBootstrapAdmin(
  store: Store,
  bootstrapToken: string | undefined,
  now: Date = new Date(),
): Promise<BootstrapResult> {
  if (bootstrapToken !== undefined && !/^[A-Za-z0-9._~+/=-]{24,512}$/.test(bootstrapToken)) {
    throw new Error(
      "KEEPTRUSTS_BOOTSTRAP_ADMIN_TOKEN must be 24–512 characters of letters, digits and ._~+/=-",
    );
  }
  if ((await store.countTokens()) > 0) {
    if (bootstrapToken === undefined) return { kind: "existing" };
    return (await store.findTokenByHash(hashToken(bootstrapToken)))
      ? { kind: "existing" }
      : { kind: "env_ignored" };
  }
  const minted = mintAdminToken("bootstrap admin", ADMIN_SCOPES, "bootstrap", now, bootstrapToken);
  await store.insertToken(minted.record);
  return bootstrapToken === undefined
    ? { kind: "created", token: minted.token, tokenId: minted.record.id }
    : { kind: "from_env", tokenId: minted.record.id };
}

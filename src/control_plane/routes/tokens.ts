/**
 * Admin tokens: mint scoped tokens (e.g. a read-only operator token or a
 * metrics scrape token), list and revoke them. A caller can grant only scopes
 * it holds, and revoke only tokens whose authority it holds (`authorityOf`: a
 * gateway token amounts to `GATEWAY_TOKEN_AUTHORITY`), so a `tokens:write`
 * token cannot lock out the full admin or cut off gateways it could not have
 * minted. Every mint and revocation is in the audit trail.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import {
  ADMIN_SCOPES,
  authorityOf,
  type ControlPlaneEnv,
  mintAdminToken,
  missingScopes,
  requireScope,
} from "../auth.ts";
import type { RouteDeps } from "../context.ts";
import { insufficientScope, notFound } from "../errors.ts";
import { readJson } from "../http.ts";

const createSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  scopes: z.array(z.enum(ADMIN_SCOPES)).min(1).optional(),
});

const TOKEN_ID = /^tok_[A-Za-z0-9_-]{1,100}$/;

/** The `/v1/admin/tokens` routes. */
export function tokenRoutes(deps: RouteDeps): Hono<ControlPlaneEnv> {
  const { store, options } = deps;
  const app = new Hono<ControlPlaneEnv>();

  app.post("/v1/admin/tokens", requireScope("tokens:write"), async (c) => {
    const principal = c.get("principal")!;
    const body = await readJson(c, createSchema, options.maxJsonBytes);
    // Default: the caller's own admin scopes.
    const scopes = [
      ...new Set(body.scopes ?? ADMIN_SCOPES.filter((s) => principal.scopes.has(s))),
    ];
    const missing = missingScopes(principal, scopes);
    if (missing.length > 0) {
      throw insufficientScope(`a token cannot grant scopes it does not hold: ${missing.join(", ")}`);
    }
    const minted = mintAdminToken(body.name, scopes, principal.tokenId, options.now());
    await store.insertToken(minted.record);
    await deps.audit.record(c, "token_created", { subject: minted.record.id, details: { scopes } });
    return c.json({
      id: minted.record.id,
      name: minted.record.name,
      scopes,
      token: minted.token,
      created_at: minted.record.createdAt,
    }, 201);
  });

  app.get("/v1/admin/tokens", requireScope("tokens:write"), async (c) => {
    const tokens = await store.listTokens();
    return c.json({
      items: tokens.map((t) => ({
        id: t.id,
        kind: t.kind,
        name: t.name,
        scopes: t.scopes,
        gateway_id: t.gatewayId,
        created_at: t.createdAt,
        created_by: t.createdBy,
        revoked_at: t.revokedAt,
      })),
    });
  });

  app.delete("/v1/admin/tokens/:id", requireScope("tokens:write"), async (c) => {
    const principal = c.get("principal")!;
    const id = c.req.param("id");
    const target = TOKEN_ID.test(id) ? await store.getToken(id) : null;
    if (!target || target.revokedAt) throw notFound(`no active token "${id.slice(0, 100)}"`);
    const missing = missingScopes(principal, authorityOf(target));
    if (missing.length > 0) {
      throw insufficientScope(
        `a token can revoke only tokens whose scopes it holds; ${
          target.kind === "gateway" ? "a gateway token amounts to" : "that token holds"
        } ${authorityOf(target).join(" + ")}, and this one lacks ${missing.join(", ")}`,
      );
    }
    if (!(await store.revokeToken(id, options.now().toISOString()))) {
      throw notFound(`no active token "${id.slice(0, 100)}"`);
    }
    await deps.audit.record(c, "token_revoked", {
      subject: id,
      gatewayId: target.gatewayId,
      details: { kind: target.kind },
    });
    return c.body(null, 204);
  });

  return app;
}

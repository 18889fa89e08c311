/**
 * Admin tokens: mint scoped tokens (e.g. a read-only operator token), list and
 * revoke them. A caller can only grant scopes it holds itself.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import { ADMIN_SCOPES, type ControlPlaneEnv, mintAdminToken, requireScope } from "../auth.ts";
import type { RouteDeps } from "../context.ts";
import { insufficientScope, notFound } from "../errors.ts";
import { readJson } from "../http.ts";

const createSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  scopes: z.array(z.enum(ADMIN_SCOPES)).min(1).optional(),
});

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
    const missing = scopes.filter((s) => !principal.scopes.has(s));
    if (missing.length > 0) {
      throw insufficientScope(`a token cannot grant scopes it does not hold: ${missing.join(", ")}`);
    }
    const minted = mintAdminToken(body.name, scopes, principal.tokenId, options.now());
    await store.insertToken(minted.record);
    options.log("info", "admin token created", {
      new_token_id: minted.record.id,
      scopes,
      token_id: principal.tokenId,
    });
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
    const id = c.req.param("id");
    if (!(await store.revokeToken(id, options.now().toISOString()))) {
      throw notFound(`no active token "${id.slice(0, 100)}"`);
    }
    options.log("info", "token revoked", { revoked_token_id: id, token_id: c.get("principal")!.tokenId });
    return c.body(null, 204);
  });

  return app;
}

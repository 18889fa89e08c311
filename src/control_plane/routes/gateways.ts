/**
 * Gateway registration and inspection (`/v1/admin/gateways…`).
 *
 * Registering a gateway and rotating its token mint a gateway token, which
 * reads that gateway's config and the secrets it references: both take every
 * scope such a token amounts to (`GATEWAY_TOKEN_AUTHORITY`), so `gateways:write`
 * alone cannot mint a way to read secrets. Both are in the audit trail; a
 * rotation names the tokens it revoked.
 *
 * @module
 */
import { type GatewayJson, rolloutJson } from "../wire.ts";
import { Hono } from "hono";
import { z } from "zod";
import { type ControlPlaneEnv, GATEWAY_TOKEN_AUTHORITY, mintGatewayToken, requireScope } from "../auth.ts";
import { type RouteDeps, shownStatus } from "../context.ts";
import { randomId } from "../crypto.ts";
import { ApiError, notFound } from "../errors.ts";
import { parseIntParam, readJson } from "../http.ts";
import type { GatewayRecord } from "../store/types.ts";
import { applyRollout, GATEWAY_ID, gatewayIdParam } from "./configurations.ts";

const createSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  id: z.string().regex(GATEWAY_ID, "letters, digits, '.', '_', ':' or '-', at most 128").optional(),
});

const revertSchema = z.strictObject({ version: z.string().min(1).max(100).optional() });

/** JSON shape of a gateway. */
export function gatewayJson(g: GatewayRecord, deps: RouteDeps): GatewayJson {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    status: shownStatus(g, deps.options.now(), deps.options),
    desired_version: g.desiredVersion,
    running_version: g.runningVersion,
    last_seen_at: g.lastSeenAt,
    last_error: g.lastError,
    created_at: g.createdAt,
  };
}

/** The `/v1/admin/gateways…` routes. */
export function gatewayRoutes(deps: RouteDeps): Hono<ControlPlaneEnv> {
  const { store, options } = deps;
  const app = new Hono<ControlPlaneEnv>();

  app.post("/v1/admin/gateways", requireScope(GATEWAY_TOKEN_AUTHORITY), async (c) => {
    const principal = c.get("principal")!;
    const body = await readJson(c, createSchema, options.maxJsonBytes);
    const now = options.now();
    const id = body.id ?? randomId("gw_");
    const minted = mintGatewayToken(id, principal.tokenId, now);
    const gateway: GatewayRecord = {
      id,
      name: body.name,
      description: body.description ?? null,
      createdAt: now.toISOString(),
      createdBy: principal.tokenId,
      desiredVersion: null,
      desiredUpdatedAt: null,
      reportedStatus: null,
      runningVersion: null,
      lastError: null,
      lastSeenAt: null,
      pollIntervalSeconds: null,
      lastReport: null,
    };
    if (!(await store.insertGateway(gateway, minted.record))) {
      throw new ApiError(409, "conflict", "already_exists", `a gateway with id "${id}" already exists`);
    }
    await deps.audit.record(c, "gateway_registered", { gatewayId: id, subject: minted.record.id });
    c.header("location", `/v1/admin/gateways/${encodeURIComponent(id)}`);
    return c.json({
      id,
      name: gateway.name,
      description: gateway.description,
      token: minted.token,
      token_id: minted.record.id,
      scopes: minted.record.scopes,
      created_at: gateway.createdAt,
    }, 201);
  });

  app.get("/v1/admin/gateways", requireScope("gateways:read"), async (c) => {
    return c.json({ items: (await store.listGateways()).map((g) => gatewayJson(g, deps)) });
  });

  app.get("/v1/admin/gateways/:id", requireScope("gateways:read"), async (c) => {
    const id = gatewayIdParam(c.req.param("id"));
    const g = await store.getGateway(id);
    if (!g) throw notFound(`unknown gateway "${id}"`);
    const limit = parseIntParam(c.req.query("history"), "history", { min: 0, max: 100, fallback: 10 });
    const history = limit > 0 ? await store.statusHistory(id, limit) : [];
    const rollouts = await store.listRollouts(id, 10);
    return c.json({
      ...gatewayJson(g, deps),
      reported_status: g.reportedStatus,
      poll_interval_seconds: g.pollIntervalSeconds ?? options.defaultPollIntervalSeconds,
      desired_updated_at: g.desiredUpdatedAt,
      last_report: g.lastReport,
      status_history: history.map((h) => ({ received_at: h.receivedAt, ...h.report })),
      rollouts: rollouts.map(rolloutJson),
    });
  });

  // Revert = a rollout of an earlier version; without a version, the one before the current desired version.
  app.post("/v1/admin/gateways/:id/revert", requireScope("configurations:write"), async (c) => {
    const principal = c.get("principal")!;
    const id = gatewayIdParam(c.req.param("id"));
    const body = await readJson(c, revertSchema, options.maxJsonBytes);
    const g = await store.getGateway(id);
    if (!g) throw notFound(`unknown gateway "${id}"`);
    let version = body.version;
    if (!version) {
      const history = await store.listRollouts(id, 1);
      version = history[0]?.previousVersion ?? undefined;
      if (!version) {
        throw new ApiError(
          409,
          "conflict",
          "nothing_to_revert",
          `gateway "${id}" has no earlier version to revert to; name one with {"version": "…"}`,
        );
      }
    }
    return c.json(await applyRollout(deps, [id], version, "revert", principal.tokenId));
  });

  // Rotates a gateway's token: revokes every token bound to the gateway and returns a new one once.
  app.post("/v1/admin/gateways/:id/token", requireScope(GATEWAY_TOKEN_AUTHORITY), async (c) => {
    const principal = c.get("principal")!;
    const id = gatewayIdParam(c.req.param("id"));
    const g = await store.getGateway(id);
    if (!g) throw notFound(`unknown gateway "${id}"`);
    const now = options.now();
    const minted = mintGatewayToken(id, principal.tokenId, now);
    const revoked = await store.rotateGatewayToken(minted.record, now.toISOString());
    await deps.audit.record(c, "gateway_token_rotated", {
      gatewayId: id,
      subject: minted.record.id,
      details: { revoked_token_ids: revoked },
    });
    return c.json({
      id,
      token: minted.token,
      token_id: minted.record.id,
      scopes: minted.record.scopes,
      revoked_token_ids: revoked,
      message: revoked.length > 0
        ? `revoked ${revoked.length} earlier token(s) of gateway "${id}": it stops working until it runs with the new token`
        : `gateway "${id}" had no active token`,
    }, 201);
  });

  return app;
}

/**
 * `GET /v1/admin/audit`: the audit trail (secret reads, token mints,
 * rotations and revocations, variable changes), newest first.
 *
 * @module
 */
import { Hono } from "hono";
import { type ControlPlaneEnv, requireScope } from "../auth.ts";
import type { RouteDeps } from "../context.ts";
import { badRequest } from "../errors.ts";
import { parseIntParam, parseSince } from "../http.ts";
import { AUDIT_ACTIONS, type AuditAction, type AuditEntry } from "../store/types.ts";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** JSON shape of an audit entry. */
export interface AuditJson {
  seq: number;
  at: string;
  action: AuditAction;
  token_id: string | null;
  gateway_id: string | null;
  subject: string | null;
  details: Record<string, unknown>;
  request_id: string | null;
}

function auditJson(e: AuditEntry): AuditJson {
  return {
    seq: e.seq ?? 0,
    at: e.at,
    action: e.action,
    token_id: e.tokenId,
    gateway_id: e.gatewayId,
    subject: e.subject,
    details: e.details,
    request_id: e.requestId,
  };
}

/** The audit routes. */
export function auditRoutes(deps: RouteDeps): Hono<ControlPlaneEnv> {
  const app = new Hono<ControlPlaneEnv>();
  app.get("/v1/admin/audit", requireScope("audit:read"), async (c) => {
    const q = c.req.query();
    if (q.action !== undefined && !(AUDIT_ACTIONS as readonly string[]).includes(q.action)) {
      throw badRequest("invalid_parameter", `action must be one of ${AUDIT_ACTIONS.join(", ")}`);
    }
    for (const key of ["gateway_id", "token_id"] as const) {
      if (q[key] !== undefined && !NAME.test(q[key])) {
        throw badRequest("invalid_parameter", `${key} is not a valid id`);
      }
    }
    const items = await deps.store.queryAudit({
      since: q.since !== undefined ? parseSince(q.since, deps.options.now()).toISOString() : undefined,
      action: q.action,
      gatewayId: q.gateway_id,
      tokenId: q.token_id,
      limit: parseIntParam(q.limit, "limit", { min: 1, max: 1000, fallback: 100 }),
    });
    return c.json({ items: items.map(auditJson) });
  });
  return app;
}

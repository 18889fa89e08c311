/**
 * Config variables: admins store them, gateways resolve `secret_key_ref:
 * { store: NAME }` through them. Sensitive values are encrypted at rest
 * (AES-256-GCM, see `crypto.ts`) and never listed.
 *
 * Reading a value is its own scope, `secrets:read`: an admin token needs it
 * for `GET /v1/config-variables/{name}`; a gateway token holds it, confined to
 * the variables its gateway's desired config references with `store:` (unless
 * `restrictGatewaySecrets` is off), so one leaked gateway token does not expose
 * every secret. Every read is in the audit trail (token id, variable name,
 * gateway; never the value), written before the value is sent.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { authorize, type ControlPlaneEnv, type Principal, requireScope } from "../auth.ts";
import type { RouteDeps } from "../context.ts";
import { SecretDecryptionError } from "../crypto.ts";
import { ApiError, insufficientScope, notFound } from "../errors.ts";
import { readJson } from "../http.ts";
import type { VariableRecord } from "../store/types.ts";

/** Allowed variable names. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,199}$/;

const upsertSchema = z.strictObject({
  name: z.string().regex(VARIABLE_NAME, "letters, digits, '_', '.', '-', starting with a letter or '_'"),
  value: z.string().max(65_536),
  /** Defaults to true: variables exist mostly to hold provider keys. */
  sensitive: z.boolean().default(true),
});

/** The config-variable routes. */
export function variableRoutes(deps: RouteDeps): Hono<ControlPlaneEnv> {
  const { store, options, secrets } = deps;
  const app = new Hono<ControlPlaneEnv>();

  app.post("/v1/config-variables", requireScope("configurations:write"), async (c) => {
    const principal = c.get("principal")!;
    const body = await readJson(c, upsertSchema, options.maxJsonBytes);
    const now = options.now().toISOString();
    const existing = await store.getVariable(body.name);
    const value = body.sensitive ? await secrets.encrypt(body.name, body.value) : body.value;
    await store.upsertVariable({
      name: body.name,
      sensitive: body.sensitive,
      value,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      updatedBy: principal.tokenId,
    });
    await deps.audit.record(c, "variable_set", {
      subject: body.name,
      details: { sensitive: body.sensitive, replaced: existing !== null },
    });
    return c.json({
      name: body.name,
      sensitive: body.sensitive,
      created_at: existing?.createdAt ?? now,
      updated_at: now,
    }, existing ? 200 : 201);
  });

  app.get("/v1/config-variables", requireScope("configurations:read"), async (c) => {
    const items = await store.listVariables();
    return c.json({
      items: items.map((v) => ({
        name: v.name,
        sensitive: v.sensitive,
        created_at: v.createdAt,
        updated_at: v.updatedAt,
        updated_by: v.updatedBy,
      })),
    });
  });

  app.delete("/v1/config-variables/:name", requireScope("configurations:write"), async (c) => {
    const name = c.req.param("name");
    if (!VARIABLE_NAME.test(name) || !(await store.deleteVariable(name))) {
      throw notFound(`no config variable "${name.slice(0, 200)}"`);
    }
    await deps.audit.record(c, "variable_deleted", { subject: name });
    return c.body(null, 204);
  });

  /** Decrypts `v`, audits the read, and answers with the value. */
  const answerValue = async (c: Context<ControlPlaneEnv>, principal: Principal, v: VariableRecord) => {
    let value = v.value;
    if (v.sensitive) {
      try {
        value = await secrets.decrypt(v.name, v.value);
      } catch (err) {
        if (err instanceof SecretDecryptionError) {
          options.log("error", "cannot decrypt a config variable", { name: v.name, reason: err.message });
          throw new ApiError(
            500,
            "internal_error",
            err.code,
            "the stored value cannot be decrypted; see the control plane log",
          );
        }
        throw err;
      }
    }
    await deps.audit.record(c, "secret_read", {
      subject: v.name,
      gatewayId: principal.gatewayId,
      details: { sensitive: v.sensitive, via: principal.kind },
    });
    c.header("cache-control", "no-store");
    return c.json({ name: v.name, value, sensitive: v.sensitive });
  };

  const missing = (name: string) =>
    notFound(`no config variable "${name}"; create it with POST /v1/config-variables`);

  app.get("/v1/config-variables/:name", requireScope("secrets:read"), async (c) => {
    const name = c.req.param("name");
    const v = VARIABLE_NAME.test(name) ? await store.getVariable(name) : null;
    if (!v) throw missing(name.slice(0, 200));
    return await answerValue(c, c.get("principal")!, v);
  });

  app.get("/v1/gateway/config-variables/:name", async (c) => {
    const principal = authorize(c, "secrets:read", "gateway");
    const name = c.req.param("name");
    if (!VARIABLE_NAME.test(name)) throw notFound("no such config variable");
    if (options.restrictGatewaySecrets) {
      const gateway = await store.getGateway(principal.gatewayId!);
      const config = gateway?.desiredVersion ? await store.getConfigVersion(gateway.desiredVersion) : null;
      if (!config || !config.storeRefs.includes(name)) {
        options.log("warn", "secret read refused: not referenced by the gateway's config", {
          name,
          gateway_id: principal.gatewayId,
          token_id: principal.tokenId,
        });
        throw insufficientScope(
          `the config rolled out to this gateway does not reference "${name}" with secret_key_ref: { store }`,
        );
      }
    }
    const v = await store.getVariable(name);
    if (!v) throw missing(name);
    return await answerValue(c, principal, v);
  });

  return app;
}

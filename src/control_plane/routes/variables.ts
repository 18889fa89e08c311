/**
 * Config variables: admins store them, gateways resolve `secret_key_ref:
 * { store: NAME }` through them. Sensitive values are encrypted at rest
 * (AES-256-GCM, see `crypto.ts`) and never listed.
 *
 * A gateway token may read only the variables its desired config references
 * with `store:` (unless `restrictGatewaySecrets` is off), so one leaked
 * gateway token does not expose every secret.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import { authorize, type ControlPlaneEnv, requireScope } from "../auth.ts";
import type { RouteDeps } from "../context.ts";
import { SecretDecryptionError } from "../crypto.ts";
import { ApiError, insufficientScope, notFound } from "../errors.ts";
import { readJson } from "../http.ts";

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
    options.log("info", existing ? "config variable updated" : "config variable created", {
      name: body.name,
      sensitive: body.sensitive,
      token_id: principal.tokenId,
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
    options.log("info", "config variable deleted", { name, token_id: c.get("principal")!.tokenId });
    return c.body(null, 204);
  });

  app.get("/v1/gateway/config-variables/:name", async (c) => {
    const principal = authorize(c, "secrets:read", "gateway");
    const name = c.req.param("name");
    if (!VARIABLE_NAME.test(name)) throw notFound("no such config variable");
    if (options.restrictGatewaySecrets) {
      const gateway = await store.getGateway(principal.gatewayId!);
      const config = gateway?.desiredVersion ? await store.getConfigVersion(gateway.desiredVersion) : null;
      if (!config || !config.storeRefs.includes(name)) {
        throw insufficientScope(
          `the config rolled out to this gateway does not reference "${name}" with secret_key_ref: { store }`,
        );
      }
    }
    const v = await store.getVariable(name);
    if (!v) throw notFound(`no config variable "${name}"; create it with POST /v1/config-variables`);
    let value = v.value;
    if (v.sensitive) {
      try {
        value = await secrets.decrypt(name, v.value);
      } catch (err) {
        if (err instanceof SecretDecryptionError) {
          options.log("error", "cannot decrypt a config variable", { name, reason: err.message });
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
    c.header("cache-control", "no-store");
    return c.json({ name, value, sensitive: v.sensitive });
  });

  return app;
}

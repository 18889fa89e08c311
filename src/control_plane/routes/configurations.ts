/**
 * Config versions, rollouts, runtime state and status reports
 * (`/v1/admin/configurations…`, SPEC 5 and 8).
 *
 * Push accepts the config text as the body (`Content-Type` `application/yaml`,
 * `text/yaml`, `application/json`, or `text/plain` sniffed), with an optional
 * detached signature in `x-keeptrusts-signature`; or a JSON wrapper
 * `{"config": "<text>", "format"?: "yaml"|"json", "signature"?: "<base64>"}`.
 *
 * @module
 */
import { type ConfigurationJson, rolloutJson, type RolloutResultJson, type VersionJson } from "../wire.ts";
import { Hono } from "hono";
import { z } from "zod";
import { sha256Digest } from "../../config/load.ts";
import { assertGatewayAccess, authorize, type ControlPlaneEnv, requireScope } from "../auth.ts";
import { validatePushedConfig } from "../config_validation.ts";
import { type RouteDeps, shownStatus } from "../context.ts";
import { fromBase64 } from "../crypto.ts";
import { ApiError, badRequest, notFound, validationError } from "../errors.ts";
import { parseJsonText, readBodyText, readJson } from "../http.ts";
import type { ConfigVersionRecord, ConfigVersionSummary, GatewayRecord } from "../store/types.ts";
import { UnknownGatewayError } from "../store/types.ts";

/** JSON shape of a stored version (without its text). */
export function versionJson(v: ConfigVersionSummary): VersionJson {
  return {
    version: v.version,
    name: v.name,
    format: v.format,
    digest: v.digest,
    size_bytes: v.sizeBytes,
    signed: v.signature !== null,
    store_refs: v.storeRefs,
    created_at: v.createdAt,
    created_by: v.createdBy,
  };
}

/** A well-formed gateway id (what registration accepts). */
export const GATEWAY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** A well-formed config version key. */
export const VERSION = /^[0-9A-Za-z.+-]{1,100}$/;

/** Validates a `{id}` path parameter. */
export function gatewayIdParam(id: string): string {
  if (!GATEWAY_ID.test(id)) throw notFound(`unknown gateway "${id.slice(0, 130)}"`);
  return id;
}

function checkSignature(signature: string | undefined | null): string | null {
  if (signature === undefined || signature === null || signature === "") return null;
  let raw: Uint8Array;
  try {
    raw = fromBase64(signature);
  } catch {
    throw badRequest("invalid_signature", "the signature must be base64 (an Ed25519 signature is 64 bytes)");
  }
  if (raw.length !== 64) {
    throw badRequest("invalid_signature", `an Ed25519 signature is 64 bytes; this one is ${raw.length}`);
  }
  return signature.trim();
}

const wrapperSchema = z.strictObject({
  config: z.string(),
  format: z.enum(["yaml", "json"]).optional(),
  signature: z.string().max(200).nullable().optional(),
});

function sniffFormat(text: string): "yaml" | "json" {
  return /^\s*\{/.test(text) ? "json" : "yaml";
}

const rolloutSchema = z.strictObject({
  gateway_ids: z.array(z.string().min(1).max(128)).min(1).max(10_000),
  version: z.string().min(1).max(100),
});

const statusSchema = z.object({
  running_version: z.string().max(100).nullable().optional(),
  desired_version: z.string().max(100).nullable().optional(),
  status: z.enum(["healthy", "degraded", "config_rejected"]),
  last_error: z.string().max(4096).nullable().optional(),
  uptime_seconds: z.number().nonnegative().optional(),
  requests: z.object({
    total: z.number().int().nonnegative().optional(),
    blocked: z.number().int().nonnegative().optional(),
    redacted: z.number().int().nonnegative().optional(),
    errors: z.number().int().nonnegative().optional(),
  }).optional(),
  kt_version: z.string().max(100).optional(),
  instance_id: z.string().max(200).optional(),
  poll_interval_seconds: z.number().positive().max(86_400).optional(),
  config_digest: z.string().max(100).optional(),
});

/** `If-None-Match` matches `etag` (handles lists, weak validators and `*`). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").map((s) => s.trim().replace(/^W\//, "")).some((t) => t === "*" || t === etag);
}

/** Row of `GET /v1/admin/configurations`. */
export function configurationItem(g: GatewayRecord, deps: RouteDeps): ConfigurationJson {
  return {
    gateway_id: g.id,
    name: g.name,
    status: shownStatus(g, deps.options.now(), deps.options),
    reported_status: g.reportedStatus,
    running_version: g.runningVersion,
    desired_version: g.desiredVersion,
    last_seen_at: g.lastSeenAt,
    last_error: g.lastError,
  };
}

/** Sets the desired version of gateways; shared by rollout and revert. */
export async function applyRollout(
  deps: RouteDeps,
  gatewayIds: readonly string[],
  version: string,
  kind: "rollout" | "revert",
  by: string,
): Promise<RolloutResultJson> {
  const config = await deps.store.getConfigVersion(version);
  if (!config) throw notFound(`no stored config version "${version}"; push it first (kt config push)`);
  let changes;
  try {
    changes = await deps.store.setDesiredVersion(
      gatewayIds,
      version,
      kind,
      deps.options.now().toISOString(),
      by,
    );
  } catch (err) {
    if (err instanceof UnknownGatewayError) {
      throw notFound(`unknown gateway "${err.gatewayId}"; nothing was changed`);
    }
    throw err;
  }
  deps.metrics.add("rollouts_total", changes.length);
  deps.options.log("info", `${kind} of config ${version}`, {
    version,
    digest: config.digest,
    gateway_ids: changes.map((c) => c.gatewayId),
    token_id: by,
  });
  return {
    version,
    digest: config.digest,
    gateways: changes.map((c) => ({
      gateway_id: c.gatewayId,
      previous_version: c.previousVersion,
      desired_version: version,
    })),
  };
}

/** The `/v1/admin/configurations…` routes. */
export function configurationRoutes(deps: RouteDeps): Hono<ControlPlaneEnv> {
  const { store, options } = deps;
  const app = new Hono<ControlPlaneEnv>();

  app.post("/v1/admin/configurations", requireScope("configurations:write"), async (c) => {
    const principal = c.get("principal")!;
    const body = await readBodyText(c, options.maxConfigBytes);
    const contentType = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    let text = body;
    let format: "yaml" | "json";
    let signature = c.req.header("x-keeptrusts-signature");
    if (contentType === "application/json") {
      const parsed = parseJsonText(body);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed) && "config" in parsed) {
        const wrapper = wrapperSchema.safeParse(parsed);
        if (!wrapper.success) {
          throw validationError("the JSON wrapper must be {config, format?, signature?}", [{
            code: "invalid_field",
            path: wrapper.error.issues[0]?.path.join(".") ?? "",
            message: wrapper.error.issues[0]?.message ?? "invalid",
          }]);
        }
        text = wrapper.data.config;
        format = wrapper.data.format ?? sniffFormat(text);
        if (wrapper.data.signature) signature = wrapper.data.signature;
        if (new TextEncoder().encode(text).byteLength > options.maxConfigBytes) {
          throw new ApiError(
            413,
            "invalid_request",
            "body_too_large",
            `the config is larger than ${options.maxConfigBytes} bytes`,
          );
        }
      } else format = "json";
    } else if (["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"].includes(contentType)) {
      format = "yaml";
    } else if (
      contentType === "" || contentType === "text/plain" || contentType === "application/octet-stream"
    ) {
      format = sniffFormat(text);
    } else {
      throw new ApiError(
        415,
        "invalid_request",
        "unsupported_media_type",
        `send the config as application/yaml or application/json, not ${contentType}`,
      );
    }
    if (text.trim() === "") throw badRequest("missing_field", "the config is empty");
    const sig = checkSignature(signature);

    const result = validatePushedConfig(text);
    if (!result.ok) {
      const first = result.errors[0];
      throw validationError(
        `the config is invalid: ${first.path ? `${first.path}: ` : ""}${first.message}${
          result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : ""
        }`,
        result.errors,
      );
    }
    const record: ConfigVersionRecord = {
      version: result.version,
      name: result.name,
      format,
      content: text,
      digest: sha256Digest(text),
      sizeBytes: new TextEncoder().encode(text).byteLength,
      signature: sig,
      storeRefs: result.storeRefs,
      createdAt: options.now().toISOString(),
      createdBy: principal.tokenId,
    };
    const { inserted, record: stored } = await store.insertConfigVersion(record);
    if (!inserted) {
      if (stored.digest !== record.digest) {
        throw new ApiError(
          409,
          "conflict",
          "version_conflict",
          `version ${record.version} is already stored with other content (${stored.digest}); configs are immutable: bump pack.version`,
        );
      }
      if (sig !== null && stored.signature !== sig) {
        throw new ApiError(
          409,
          "conflict",
          "version_conflict",
          `version ${record.version} is already stored ${
            stored.signature ? "with another signature" : "unsigned"
          }; configs are immutable: bump pack.version to sign it`,
        );
      }
      return c.json({ ...versionJson(stored), created: false, warnings: result.warnings }, 200);
    }
    deps.metrics.add("config_pushes_total");
    options.log("info", "config version stored", {
      version: stored.version,
      digest: stored.digest,
      token_id: principal.tokenId,
    });
    c.header("location", `/v1/admin/configurations/versions/${encodeURIComponent(stored.version)}`);
    return c.json({ ...versionJson(stored), created: true, warnings: result.warnings }, 201);
  });

  app.get("/v1/admin/configurations", requireScope("configurations:read"), async (c) => {
    const gateways = await store.listGateways();
    return c.json({ items: gateways.map((g) => configurationItem(g, deps)) });
  });

  app.get("/v1/admin/configurations/versions", requireScope("configurations:read"), async (c) => {
    return c.json({ items: (await store.listConfigVersions()).map(versionJson) });
  });

  app.get("/v1/admin/configurations/versions/:version", requireScope("configurations:read"), async (c) => {
    const version = c.req.param("version");
    const v = VERSION.test(version) ? await store.getConfigVersion(version) : null;
    if (!v) throw notFound(`no stored config version "${version.slice(0, 100)}"`);
    return c.json({ ...versionJson(v), config: v.content, signature: v.signature });
  });

  app.get("/v1/admin/configurations/rollouts", requireScope("configurations:read"), async (c) => {
    const gatewayId = c.req.query("gateway_id") ?? null;
    const limit = Math.min(1000, Math.max(1, Number(c.req.query("limit") ?? 100) || 100));
    const items = await store.listRollouts(gatewayId, limit);
    return c.json({
      items: items.map((r) => ({ gateway_id: r.gatewayId, ...rolloutJson(r) })),
    });
  });

  app.post("/v1/admin/configurations/rollout", requireScope("configurations:write"), async (c) => {
    const principal = c.get("principal")!;
    const body = await readJson(c, rolloutSchema, options.maxJsonBytes);
    return c.json(await applyRollout(deps, body.gateway_ids, body.version, "rollout", principal.tokenId));
  });

  app.get("/v1/admin/configurations/gateways/:id/runtime-state", async (c) => {
    const principal = authorize(c, "configurations:read", "any");
    const id = c.req.param("id");
    assertGatewayAccess(principal, id);
    const gateway = GATEWAY_ID.test(id) ? await store.getGateway(id) : null;
    if (!gateway) throw notFound(`unknown gateway "${id.slice(0, 130)}"`);
    const noConfig = () =>
      new ApiError(
        404,
        "not_found",
        "no_config_assigned",
        `no config version has been rolled out to gateway "${id}" yet; run: kt gateway rollout --id ${id} --version <v>`,
      );
    if (!gateway.desiredVersion) throw noConfig();
    const config = await store.getConfigVersion(gateway.desiredVersion);
    if (!config) throw noConfig();
    const etag = `"${config.digest}"`;
    c.header("etag", etag);
    c.header("cache-control", "no-cache");
    if (etagMatches(c.req.header("if-none-match"), etag)) return c.body(null, 304);
    deps.metrics.add("runtime_state_requests_total");
    const body: Record<string, unknown> = {
      gateway_id: gateway.id,
      desired_version: config.version,
      config: config.content,
      config_format: config.format,
      digest: config.digest,
    };
    if (config.signature) body.signature = config.signature;
    return c.json(body);
  });

  app.post("/v1/admin/configurations/gateways/:id/status", async (c) => {
    const principal = authorize(c, "status:write", "gateway");
    const id = c.req.param("id");
    assertGatewayAccess(principal, id);
    const report = await readJson(c, statusSchema, options.maxJsonBytes);
    const receivedAt = options.now().toISOString();
    try {
      await store.recordStatus({
        gatewayId: id,
        receivedAt,
        status: report.status,
        runningVersion: report.running_version ?? null,
        lastError: report.last_error ?? null,
        // Whole seconds (at least 1): the column is an integer on both backends.
        pollIntervalSeconds: report.poll_interval_seconds === undefined
          ? null
          : Math.max(1, Math.ceil(report.poll_interval_seconds)),
        report: report as Record<string, unknown>,
      }, options.statusHistoryLimit);
    } catch (err) {
      if (err instanceof UnknownGatewayError) throw notFound(`unknown gateway "${id}"`);
      throw err;
    }
    deps.metrics.add("status_reports_total");
    const gateway = await store.getGateway(id);
    return c.json({
      gateway_id: id,
      received_at: receivedAt,
      desired_version: gateway?.desiredVersion ?? null,
    });
  });

  return app;
}

/**
 * Azure OpenAI adapter: `{base_url}/openai/deployments/{deployment}/{path}?api-version=…` with the
 * `api-key` header. `/v1/messages` is served by translation to chat completions.
 *
 * @module
 */
import type { TargetConfig } from "../config/schema.ts";
import type { ApiKind, ProviderTarget } from "./types.ts";
import { joinUrl, openAIFamilyTarget } from "./openai.ts";
import { type AdapterContext, unavailableTarget } from "./target_base.ts";

/** Default Azure OpenAI API version. */
export const AZURE_DEFAULT_API_VERSION = "2024-10-21";

const PATHS: Partial<Record<ApiKind, string>> = {
  chat: "chat/completions",
  completions: "completions",
  embeddings: "embeddings",
};

/** Builds an `azure` target; unavailable when `base_url` or the deployment is missing. */
export function azureTarget(cfg: TargetConfig, ctx: AdapterContext): ProviderTarget {
  const deployment = cfg.deployment ?? cfg.model;
  if (!cfg.base_url) return unavailableTarget(cfg, "azure target needs base_url");
  if (!deployment) return unavailableTarget(cfg, "azure target needs deployment or model");
  const version = encodeURIComponent(cfg.api_version ?? AZURE_DEFAULT_API_VERSION);
  const base = joinUrl(cfg.base_url, `openai/deployments/${encodeURIComponent(deployment)}`);
  const urls = new Map<ApiKind, string>();
  for (const [api, path] of Object.entries(PATHS)) {
    urls.set(api as ApiKind, `${joinUrl(base, path)}?api-version=${version}`);
  }
  return openAIFamilyTarget(cfg, {
    urlFor: (api) => urls.get(api),
    auth: ctx.apiKey !== undefined ? { "api-key": ctx.apiKey } : {},
    rewriteModel: false,
  }, ctx);
}

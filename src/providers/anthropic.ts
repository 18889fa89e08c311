/**
 * Anthropic adapter: native `/v1/messages`; OpenAI chat completions served by translating both ways
 * (JSON and SSE, tool calls and usage included). Other APIs are not supported.
 *
 * @module
 */
import type { TargetConfig } from "../config/schema.ts";
import type { ProviderTarget, UpstreamRequest } from "./types.ts";
import { requestHeaderBuilder } from "./http.ts";
import { joinUrl } from "./openai.ts";
import {
  type AdapterContext,
  passBody,
  targetCall,
  targetFields,
  translatedAnswer,
  withModel,
} from "./target_base.ts";
import { anthropicErrorToOpenAI } from "./translate/common.ts";
import {
  chatRequestToMessages,
  messagesResponseToChat,
  messagesStreamToChat,
} from "./translate/chat_to_messages.ts";

/** Default Anthropic base URL. */
export const ANTHROPIC_BASE_URL = "https://api.anthropic.com/v1";
/** `anthropic-version` sent when the client sent none. */
export const ANTHROPIC_VERSION = "2023-06-01";

/** Builds an `anthropic` target. */
export function anthropicTarget(cfg: TargetConfig, ctx: AdapterContext): ProviderTarget {
  const url = joinUrl(cfg.base_url ?? ANTHROPIC_BASE_URL, "messages");
  const auth: Record<string, string> = ctx.apiKey !== undefined ? { "x-api-key": ctx.apiKey } : {};
  const headersFor = requestHeaderBuilder(cfg.headers, auth, undefined, {
    "anthropic-version": ANTHROPIC_VERSION,
  });
  const toUpstream = targetCall(cfg, ctx, headersFor);
  const call = (req: UpstreamRequest, body: BodyInit) => toUpstream(url, req, body);
  return {
    ...targetFields(cfg),
    supports: (api) => api === "messages" || api === "chat",
    async send(req) {
      if (req.api === "messages") return call(req, passBody(req, cfg.model));
      if (req.api !== "chat") throw new Error(`target ${cfg.id} does not serve ${req.api}`);
      const body = withModel(chatRequestToMessages(req.body), cfg.model);
      const res = await call(req, JSON.stringify(body));
      const clientModel = String(req.body.model ?? cfg.model ?? "");
      const includeUsage =
        (req.body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
      return translatedAnswer(res, {
        error: anthropicErrorToOpenAI,
        stream: () => messagesStreamToChat(clientModel, includeUsage),
        json: (msg) => messagesResponseToChat(msg, clientModel),
      });
    },
  };
}

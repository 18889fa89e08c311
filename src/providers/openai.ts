/**
 * OpenAI-family adapter: OpenAI itself and any OpenAI-compatible server (`base_url`). Azure reuses it
 * with its own URLs and header. `/v1/messages` requests are served by translation to chat completions.
 *
 * @module
 */
import type { TargetConfig } from "../config/schema.ts";
import type { ApiKind, ProviderTarget } from "./types.ts";
import { requestHeaderBuilder } from "./http.ts";
import {
  type AdapterContext,
  passBody,
  targetCall,
  targetFields,
  translatedAnswer,
  withModel,
} from "./target_base.ts";
import { openAIErrorToAnthropic } from "./translate/common.ts";
import {
  chatResponseToMessages,
  chatStreamToMessages,
  messagesRequestToChat,
} from "./translate/messages_to_chat.ts";

/** Default OpenAI base URL. */
export const OPENAI_BASE_URL = "https://api.openai.com/v1";

const PATHS: Partial<Record<ApiKind, string>> = {
  chat: "chat/completions",
  completions: "completions",
  embeddings: "embeddings",
  responses: "responses",
};

/** How an OpenAI-family target reaches its upstream. */
export interface OpenAIFamilyWire {
  /** The URL for a native API, or undefined when the API is not offered natively. */
  urlFor(api: Exclude<ApiKind, "messages">): string | undefined;
  /** Authentication headers (secret inside; never logged). */
  auth: Record<string, string>;
  /** Whether the body's model is replaced by the target model (false for Azure: the deployment decides). */
  rewriteModel: boolean;
}

/** Builds an OpenAI-family target from its wire description. */
export function openAIFamilyTarget(
  cfg: TargetConfig,
  wire: OpenAIFamilyWire,
  ctx: AdapterContext,
): ProviderTarget {
  const fields = targetFields(cfg);
  const model = wire.rewriteModel ? cfg.model : undefined;
  const skipAnthropic = (name: string) => name.startsWith("anthropic-");
  const headersFor = requestHeaderBuilder(cfg.headers, wire.auth, skipAnthropic);
  const call = targetCall(cfg, ctx, headersFor);

  return {
    ...fields,
    supports(api) {
      return api === "messages" ? wire.urlFor("chat") !== undefined : wire.urlFor(api) !== undefined;
    },
    async send(req) {
      if (req.api !== "messages") {
        const url = wire.urlFor(req.api);
        if (!url) throw new Error(`target ${cfg.id} does not serve ${req.api}`);
        // No translation: the client's bytes go up as they are (unless the model is rewritten) and the
        // answer comes back as upstreamFetch made it (buffered bytes reachable via bufferedBody).
        return call(url, req, passBody(req, model));
      }
      const chatBody = withModel(messagesRequestToChat(req.body), model);
      const res = await call(wire.urlFor("chat")!, req, JSON.stringify(chatBody));
      const clientModel = String(req.body.model ?? cfg.model ?? "");
      return translatedAnswer(res, {
        error: openAIErrorToAnthropic,
        stream: () => chatStreamToMessages(clientModel),
        json: (chat) => chatResponseToMessages(chat, clientModel),
      });
    },
  };
}

/** Joins a base URL and a path. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path}`;
}

/** Builds an `openai` target (OpenAI or any OpenAI-compatible `base_url`). */
export function openAITarget(
  cfg: TargetConfig,
  ctx: AdapterContext,
  auth: { header: string; prefix: string } = { header: "authorization", prefix: "Bearer " },
): ProviderTarget {
  const base = cfg.base_url ?? OPENAI_BASE_URL;
  const urls = new Map<ApiKind, string>();
  for (const [api, path] of Object.entries(PATHS)) urls.set(api as ApiKind, joinUrl(base, path));
  return openAIFamilyTarget(cfg, {
    urlFor: (api) => urls.get(api),
    auth: ctx.apiKey !== undefined ? { [auth.header]: auth.prefix + ctx.apiKey } : {},
    rewriteModel: true,
  }, ctx);
}

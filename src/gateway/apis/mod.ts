/**
 * The client APIs kt serves, one module each: its complete request and answer field maps, usage, and
 * stream dialect. Adding an API or a field touches its module only.
 *
 * @module
 */
import type { ApiKind } from "../../providers/types.ts";
import type { ClientApi } from "./types.ts";
import { chatApi } from "./chat.ts";
import { completionsApi } from "./completions.ts";
import { embeddingsApi } from "./embeddings.ts";
import { responsesApi } from "./responses.ts";
import { messagesApi } from "./messages.ts";

/** Each API's module. */
export const CLIENT_APIS: Readonly<Record<ApiKind, ClientApi>> = Object.freeze({
  chat: chatApi,
  completions: completionsApi,
  embeddings: embeddingsApi,
  responses: responsesApi,
  messages: messagesApi,
});

export type { ClientApi } from "./types.ts";
export { applySlots, type Content, countSources, readAnswer, readRequest } from "./content.ts";
export { type CoverageSettings, DEFAULT_COVERAGE } from "./walk.ts";
export type { Usage } from "./common.ts";

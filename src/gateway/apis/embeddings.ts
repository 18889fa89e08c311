/**
 * OpenAI embeddings (`POST /v1/embeddings`): the request's input is text (or token ids, see
 * `coverage.token_ids`); the answer is vectors, which carry no text.
 *
 * @module
 */
import type { ClientApi } from "./types.ts";
import { inert, num, obj, oneOf, stored, textOrTokens } from "./walk.ts";
import { model, openaiUsage, txt } from "./common.ts";

const request = obj({
  model,
  input: textOrTokens(txt),
  dimensions: num({ integer: true, min: 1 }),
  encoding_format: oneOf("float", "base64"),
  user: stored,
}, { required: { model: "a model name", input: "a string, a list of strings, or token ids" } });

/** OpenAI embeddings. */
export const embeddingsApi: ClientApi = {
  api: "embeddings",
  request,
  // Vectors and usage: nothing a text policy reads.
  answer: inert(() => undefined),
  usage: openaiUsage,
  maxTokensFields: [],
  ungovernedOutput: () => undefined,
};

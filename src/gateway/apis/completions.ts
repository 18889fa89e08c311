/**
 * OpenAI legacy completions (`POST /v1/completions`): request and answer field maps (the `openai`
 * SDK's `CompletionCreateParams` and `Completion`); streams use the chat dialect with `text` deltas.
 *
 * @module
 */
import type { ClientApi } from "./types.ts";
import { arr, bool, inert, num, obj, stored, textOrTokens, token } from "./walk.ts";
import { model, openaiUsage, scannedItem, txt } from "./common.ts";
import { logitBias, openAiDialect, penalty, positive, stop } from "./chat.ts";

const request = obj({
  model,
  prompt: textOrTokens(txt),
  suffix: txt,
  best_of: num({ integer: true, min: 1, max: 20 }),
  echo: bool,
  frequency_penalty: penalty,
  presence_penalty: penalty,
  logit_bias: logitBias,
  logprobs: num({ integer: true, min: 0, max: 5 }),
  max_tokens: positive,
  n: num({ integer: true, min: 1, max: 128 }),
  seed: num({ integer: true }),
  stop,
  stream: bool,
  stream_options: obj({ include_usage: bool, include_obfuscation: bool }, { closed: true }),
  temperature: num({ min: 0, max: 2 }),
  top_p: num({ min: 0, max: 1 }),
  user: stored,
}, { required: { model: "a model name", prompt: "a string, a list of strings, or token ids" } });

const answer = obj({
  id: token,
  object: token,
  created: num(),
  model: token,
  system_fingerprint: token,
  usage: inert(() => undefined),
  choices: arr(obj({ index: num(), finish_reason: token, text: txt, logprobs: scannedItem })),
});

/** OpenAI completions. */
export const completionsApi: ClientApi = {
  api: "completions",
  request,
  answer,
  usage: openaiUsage,
  maxTokensFields: ["max_tokens"],
  ungovernedOutput: (body) => typeof body.logprobs === "number" && body.logprobs > 0 ? "logprobs" : undefined,
  stream: openAiDialect(true),
};

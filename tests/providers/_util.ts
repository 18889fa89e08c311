/** Shared helpers of the provider tests. */
import { type ProvidersConfig, providersSchema } from "../../src/config/schema.ts";
import {
  type CompiledProviders,
  compileProviders,
  createRouterState,
  type RouterState,
} from "../../src/providers/mod.ts";
import type { ApiKind, SecretResolver, UpstreamRequest } from "../../src/providers/types.ts";
import type { EventSourceMessage } from "eventsource-parser";
import { createParser } from "eventsource-parser";
import type { J } from "../../src/providers/translate/common.ts";

export type { J };

/** Parses a `providers` section with defaults applied. */
export function providers(section: Record<string, unknown>): ProvidersConfig {
  return providersSchema.parse(section);
}

/** A secret resolver over a fixed map of env names. */
export function secrets(map: Record<string, string>): SecretResolver {
  return (ref) => ("env" in ref ? map[ref.env] : map[`store:${ref.store}`]);
}

/** Compiles a providers section. */
export function compile(
  section: Record<string, unknown>,
  opts: { secrets?: Record<string, string>; state?: RouterState } = {},
): CompiledProviders {
  return compileProviders(providers(section), {
    resolveSecret: secrets(opts.secrets ?? {}),
    state: opts.state ?? createRouterState(),
  });
}

/** Builds an UpstreamRequest. */
export function request(
  api: ApiKind,
  body: Record<string, unknown>,
  opts: { headers?: Record<string, string>; signal?: AbortSignal; raw?: boolean } = {},
): UpstreamRequest {
  const text = JSON.stringify(body);
  return {
    api,
    body,
    raw: opts.raw === false ? undefined : new TextEncoder().encode(text),
    stream: body.stream === true,
    headers: new Headers(opts.headers ?? {}),
    signal: opts.signal ?? new AbortController().signal,
  };
}

/** Reads an SSE body into its events. */
export async function sseEvents(res: Response): Promise<EventSourceMessage[]> {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  parser.feed(await res.text());
  return events;
}

/** Reads an SSE body into parsed JSON data (skipping `[DONE]`), plus whether `[DONE]` ended it. */
export async function sseJson(
  res: Response,
): Promise<{ data: J[]; done: boolean; names: string[] }> {
  const events = await sseEvents(res);
  const data = events.filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data));
  return { data, done: events.at(-1)?.data === "[DONE]", names: events.map((e) => e.event ?? "") };
}

/**
 * The request pipeline of the API routes, one step after another:
 *
 *   parse → authenticate → limits → input policies → route → upstream call
 *   → output policies (streaming included) → audit → respond
 *
 * Every failure is a {@link GatewayError}; every request ends in exactly one
 * decision event.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { DecisionEvent } from "../audit/event.ts";
import type { ChainOutcome, PolicyRequest, PolicyResult, RequestIdentity, Verdict } from "../policy/types.ts";
import { isConstrained, targetCompliant } from "../policy/routing.ts";
import type { ApiKind, ProviderTarget } from "../providers/types.ts";
import { bufferedBody } from "../providers/http.ts";
import { scrubSecrets } from "../observability/log.ts";
import { readJsonBody } from "./body.ts";
import {
  applyInput,
  applySegments,
  CODECS,
  inputSegments,
  inputTextSegments,
  type Json,
  mapToolArguments,
  type Usage,
} from "./codecs.ts";
import { restorePlaceholders } from "../policy/engine.ts";
import { GatewayError } from "./errors.ts";
import { identify, type RuntimeSnapshot } from "./snapshot.ts";
import { upstreamFailure } from "./upstream_failure.ts";
import { guardSse, passThrough, plainBody, readPlainBody, type StreamResult } from "./stream.ts";
import type { TokenReservation } from "./limits.ts";
import type { GatewayContext } from "./context.ts";

/** Headers passed from the client to providers (never credentials). */
const FORWARDED_HEADERS = ["traceparent", "tracestate", "anthropic-version", "anthropic-beta"];

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id: the client's `x-request-id` when well-formed, else a new UUID. */
export function requestIdOf(req: Request): string {
  const given = req.headers.get("x-request-id");
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/** Per-request state gathered along the pipeline; becomes the decision event. */
class Exchange {
  readonly started = performance.now();
  verdict: Verdict = "allow";
  reasonCode: string | null = null;
  policy: string | null = null;
  results: PolicyResult[] = [];
  target: ProviderTarget | undefined;
  model: string | null = null;
  status = 200;
  errorCode: string | null = null;
  upstreamMs: number | null = null;
  usage: Usage = {};
  identity: RequestIdentity = {};
  /** The request's content text, hashed only when the decision event is written. */
  contentText: string | null = null;
  contentLength: number | null = null;
  content: string | undefined;

  constructor(readonly api: ApiKind, readonly requestId: string, readonly snapshot: RuntimeSnapshot) {}

  record(outcome: ChainOutcome): void {
    this.results.push(...outcome.results);
    if (outcome.verdict === "block") {
      this.verdict = "block";
      this.reasonCode = outcome.reasonCode;
      this.policy = outcome.policy ?? null;
    } else if (outcome.verdict === "redact" && this.verdict === "allow") {
      this.verdict = "redact";
      this.reasonCode = outcome.reasonCode;
    }
  }

  fail(err: GatewayError): void {
    this.status = err.status;
    this.errorCode = err.code;
    if (err.status < 500 && err.status !== 409) {
      this.verdict = "block";
      this.reasonCode ??= err.code;
    }
  }

  /** The decision event; `now` is the `performance.now()` the request ended at. */
  event(ctx: GatewayContext, now: number): DecisionEvent {
    return {
      id: crypto.randomUUID(),
      timestamp: new Date().toISOString(),
      request_id: this.requestId,
      gateway_id: ctx.gatewayId ?? null,
      config_version: this.snapshot.version,
      route: this.api,
      verdict: this.verdict,
      reason_code: this.reasonCode,
      policy: this.policy,
      policy_results: this.results,
      provider: this.target?.provider ?? null,
      target_id: this.target?.id ?? null,
      model: this.model,
      status: this.status,
      error_code: this.errorCode,
      latency_ms: Math.round((now - this.started) * 100) / 100,
      upstream_latency_ms: this.upstreamMs === null ? null : Math.round(this.upstreamMs * 100) / 100,
      input_tokens: this.usage.input ?? null,
      output_tokens: this.usage.output ?? null,
      user_id: this.identity.userId ?? null,
      team_id: this.identity.teamId ?? null,
      content_sha256: this.contentText === null
        ? null
        : `sha256:${createHash("sha256").update(this.contentText).digest("hex")}`,
      content_length: this.contentLength,
      ...(this.content !== undefined ? { content: this.content } : {}),
    };
  }
}

/** Runs the pipeline for one API request on `snapshot`. Never throws. */
export async function handleApiRequest(
  ctx: GatewayContext,
  snapshot: RuntimeSnapshot,
  api: ApiKind,
  req: Request,
  remoteIp: string,
  requestId: string,
  clientGone: AbortSignal,
): Promise<Response> {
  const x = new Exchange(api, requestId, snapshot);
  let release: (() => void) | undefined;
  let reservation: TokenReservation | undefined;
  // True once finish() is called, or owed by a body stream: the catch must not finish the request twice.
  let settled = false;
  try {
    // 1. parse
    const limits = snapshot.sizeLimits;
    const { json, raw } = await readJsonBody(req, {
      maxBytes: limits.max_body_bytes,
      maxDepth: limits.max_json_depth,
      timeoutMs: snapshot.config.timeouts.request_body_ms,
    });
    const codec = CODECS[api];
    codec.validate(json);
    x.model = json.model as string;

    // 2. authenticate
    x.identity = identify(req.headers, snapshot.clientKeys);

    // 3. limits
    const limited = snapshot.limits.checkRequest(req.headers, remoteIp);
    if (limited) await limited;

    // 4. input policies
    const chain = snapshot.chain;
    const content = codec.input(json);
    const policyRequest: PolicyRequest = {
      phase: "input",
      api,
      model: x.model,
      // Text, then the strings of replayed tool-call arguments (so redaction and blocks cover them too).
      segments: inputSegments(content),
      tools: content.tools,
      toolCalls: content.toolCalls,
      identity: x.identity,
      headers: req.headers,
    };
    const state = chain.newState();
    const input = chain.runInput(policyRequest, state);
    x.record(input);
    countPolicies(ctx, input);
    const contentChars = describeContent(
      x,
      chain.audit,
      content.segments,
      inputTextSegments(content, input.segments),
    );
    if (input.verdict === "block") throw blockedInput(input);
    const body: Json = input.changed ? applyInput(json, content, input.segments) : json;

    // 5. route
    const stream = json.stream === true;
    const maxTokens = numberField(json, "max_tokens", "max_completion_tokens", "max_output_tokens");
    const reserved = snapshot.limits.reserveTokens(
      req.headers,
      maxTokens,
      Math.ceil(contentChars / 4) + 256,
    );
    reservation = reserved instanceof Promise ? await reserved : reserved;
    const routing = input.routing;
    const constrained = isConstrained(routing);
    const plan = snapshot.providers.router.plan(
      api,
      x.model,
      constrained ? (t) => targetCompliant(t.dataPolicy, routing) : undefined,
    );
    if (plan.length === 0) throw noTarget(snapshot, api, constrained);

    // 6. upstream call (bounded concurrency)
    const slot = ctx.gate.acquire();
    release = typeof slot === "function" ? slot : await slot;
    const dispatched = await snapshot.providers.router.dispatch({
      api,
      body,
      raw: input.changed ? undefined : raw,
      stream,
      headers: forwardHeaders(req.headers, requestId),
      signal: clientGone,
    }, plan);
    x.target = dispatched.target;
    x.upstreamMs = dispatched.upstreamLatencyMs;
    ctx.metrics.upstreamDuration.observe(
      { target: dispatched.target.id },
      dispatched.upstreamLatencyMs / 1000,
    );
    const upstream = dispatched.response;
    const headers = responseHeaders(snapshot, requestId, x.verdict, upstream.headers);
    // A plain answer the provider layer already read whole: its bytes, without a stream in between.
    const buffered = bufferedBody(upstream);

    if (!upstream.ok || (!buffered && !upstream.body)) {
      // The provider refused the request (client's fault): pass it through as is.
      x.status = upstream.status;
      x.errorCode = "upstream_client_error";
      const text = scrubSecrets(await upstream.text());
      return finishPlain(
        ctx,
        x,
        new Response(text, { status: upstream.status, headers }),
        release,
        reservation,
      );
    }

    // 7. output policies, 8. audit, 9. respond
    const isSse = !buffered && stream &&
      (upstream.headers.get("content-type") ?? "").includes("text/event-stream");
    const outputPolicies = chain.hasOutput || state.restore.size > 0;
    if (!isSse && !outputPolicies) {
      // Nothing looks at a plain body: read it whole and answer in one write (a JS stream in
      // between costs more than the whole small JSON answer).
      const plain = buffered
        ? plainBody(buffered, limits.max_response_bytes)
        : await readPlainBody(upstream.body!, limits.max_response_bytes);
      settled = true;
      if ("bytes" in plain) {
        x.usage = plain.usage;
        finish(ctx, x, release, reservation);
        return new Response(plain.bytes as Uint8Array<ArrayBuffer>, { status: upstream.status, headers });
      }
      x.errorCode = "upstream_failed";
      ctx.logger.warn("response stream ended early", { request_id: requestId, reason: plain.error });
      finish(ctx, x, release, reservation);
      return new Response(plain.overflow, { status: upstream.status, headers });
    }
    if (isSse) {
      // SSE: forwarded chunk by chunk; parsed only when an output policy (or restore) must see it.
      settled = true;
      const done = (result: StreamResult) => {
        x.usage = result.usage;
        for (const o of result.outcomes) {
          x.record(o);
          countPolicies(ctx, o);
        }
        if (result.blocked) {
          x.errorCode = "output_blocked";
        } else if (result.error) {
          x.errorCode = "upstream_failed";
          ctx.logger.warn("response stream ended early", { request_id: requestId, reason: result.error });
        }
        finish(ctx, x, release, reservation);
      };
      const guarded = outputPolicies
        ? guardSse(upstream.body!, {
          api,
          chain,
          request: { ...policyRequest, phase: "output", segments: [], tools: [], toolCalls: [] },
          state,
          maxBytes: limits.max_response_bytes,
          requestId,
          onDone: done,
        })
        : passThrough(upstream.body!, limits.max_response_bytes, done);
      return new Response(guarded, { status: upstream.status, headers });
    }

    const { json: responseJson, bytes: responseBytes } = await readUpstreamJson(
      upstream,
      buffered,
      limits.max_response_bytes,
    );
    x.usage = codec.usage(responseJson);
    const out = codec.output(responseJson);
    const output = chain.runOutput({
      ...policyRequest,
      phase: "output",
      model: typeof responseJson.model === "string" ? responseJson.model : policyRequest.model,
      segments: out.segments,
      tools: [],
      toolCalls: out.toolCalls,
    }, state);
    x.record(output);
    countPolicies(ctx, output);
    if (output.verdict === "block") {
      throw new GatewayError(409, "output_blocked", output.message ?? "the response was blocked by policy", {
        policy: output.policy,
      });
    }
    let rewritten = output.changed ? applySegments(responseJson, output.segments, out.segments) : undefined;
    if (state.restore.size > 0) {
      // redaction.restore: tool-call arguments get the caller's values back too, not only the text.
      rewritten = mapToolArguments(api, rewritten ?? responseJson, (t, json) =>
        restorePlaceholders(t, state, json)) ??
        rewritten;
    }
    // Unchanged (and typed): the provider's own bytes, the same JSON, without re-serializing it.
    const finalBody: BodyInit = rewritten
      ? JSON.stringify(rewritten)
      : headers.some(([name]) => name === "content-type")
      ? responseBytes as Uint8Array<ArrayBuffer>
      : JSON.stringify(responseJson);
    headers[DECISION][1] = x.verdict;
    return finishPlain(
      ctx,
      x,
      new Response(finalBody, { status: upstream.status, headers }),
      release,
      reservation,
    );
  } catch (err) {
    const gatewayError = toGatewayError(err, ctx);
    x.fail(gatewayError);
    if (!settled) finish(ctx, x, release, reservation);
    return gatewayError.toResponse(requestId, baseHeaders(snapshot, x.verdict));
  }
}

function finishPlain(
  ctx: GatewayContext,
  x: Exchange,
  response: Response,
  release: (() => void) | undefined,
  reservation: TokenReservation | undefined,
): Response {
  x.status = response.status;
  finish(ctx, x, release, reservation);
  return response;
}

/** Ends a request: frees its slot, settles tokens, records metrics and the decision event. */
function finish(
  ctx: GatewayContext,
  x: Exchange,
  release: (() => void) | undefined,
  reservation: TokenReservation | undefined,
): void {
  release?.();
  const total = (x.usage.input ?? 0) + (x.usage.output ?? 0);
  x.snapshot.limits.settleTokens(
    reservation,
    x.usage.input === undefined && x.usage.output === undefined ? undefined : total,
  );
  const model = x.target?.model ?? x.model ?? "unknown";
  const boundedModel = x.target ? model : "unknown";
  ctx.metrics.requests.inc({
    route: x.api,
    target: x.target?.id ?? "none",
    model: boundedModel,
    status: String(x.status),
  });
  const now = performance.now();
  ctx.metrics.requestDuration.observe({ route: x.api }, (now - x.started) / 1000);
  if (x.usage.input) ctx.metrics.tokens.inc({ direction: "input", model: boundedModel }, x.usage.input);
  if (x.usage.output) ctx.metrics.tokens.inc({ direction: "output", model: boundedModel }, x.usage.output);
  ctx.stats.total++;
  if (x.verdict === "block") ctx.stats.blocked++;
  else if (x.verdict === "redact") ctx.stats.redacted++;
  if (x.status >= 500 || (x.errorCode && x.status < 400)) ctx.stats.errors++;
  if (x.snapshot.chain.audit.logAllAccess || x.verdict !== "allow") ctx.audit.write(x.event(ctx, now));
  ctx.onRequestDone(x.snapshot);
}

function countPolicies(ctx: GatewayContext, outcome: ChainOutcome): void {
  for (const r of outcome.results) {
    ctx.metrics.policyEvaluations.inc({ policy: r.policy, verdict: r.verdict });
  }
}

/** Records the request content for the decision event; returns its length in characters. */
function describeContent(
  x: Exchange,
  audit: { includeContent: "none" | "redacted" },
  original: readonly { text: string }[],
  redacted: readonly { text: string }[],
): number {
  // One update over the joined text (the same digest as one update per segment, fewer native calls),
  // and only when the event is written (`log_all_access: false` skips it for allowed requests).
  let text = "";
  for (const s of original) text += s.text;
  x.contentLength = text.length;
  x.contentText = text;
  if (audit.includeContent === "redacted") x.content = redacted.map((s) => s.text).join("\n");
  return text.length;
}

function blockedInput(outcome: ChainOutcome): GatewayError {
  if (outcome.reasonCode === "model_not_allowed") {
    return new GatewayError(
      422,
      "model_not_allowed",
      outcome.message ?? "this model is not allowed by policy",
      {
        policy: outcome.policy,
      },
    );
  }
  return new GatewayError(409, "input_blocked", outcome.message ?? "the request was blocked by policy", {
    policy: outcome.policy,
  });
}

function noTarget(snapshot: RuntimeSnapshot, api: ApiKind, constrained: boolean): GatewayError {
  if (constrained) {
    return new GatewayError(
      422,
      "no_compliant_target",
      "no provider target meets the data-routing policy (zero retention / no training / retention days)",
      { policy: "data-routing-policy" },
    );
  }
  const supporting = snapshot.providers.targets.filter((t) => t.supports(api));
  if (supporting.length === 0) {
    return new GatewayError(422, "unsupported_api", `no configured target serves the ${api} API`);
  }
  return new GatewayError(
    502,
    "upstream_failed",
    `no provider target is available right now (${
      supporting.map((t) => t.id).join(", ")
    }: unavailable or circuit open)`,
  );
}

/** The headers passed upstream, as pairs with lower-case names (no `Headers` object per request). */
function forwardHeaders(incoming: Headers, requestId: string): [string, string][] {
  const out: [string, string][] = [["x-request-id", requestId]];
  for (const name of FORWARDED_HEADERS) {
    const v = incoming.get(name);
    if (v !== null) out.push([name, v]);
  }
  return out;
}

function baseHeaders(snapshot: RuntimeSnapshot, verdict: Verdict): Headers {
  return new Headers({ "x-keeptrusts-config-version": snapshot.version, "x-keeptrusts-decision": verdict });
}

/**
 * The client response's headers as pairs (cheaper for `new Response` than a `Headers` object).
 * The decision is always the second pair ({@link DECISION}), so it can be updated in place.
 */
function responseHeaders(
  snapshot: RuntimeSnapshot,
  requestId: string,
  verdict: Verdict,
  upstream: Headers,
): [string, string][] {
  const h: [string, string][] = [
    ["x-keeptrusts-config-version", snapshot.version],
    ["x-keeptrusts-decision", verdict],
    ["x-request-id", requestId],
  ];
  const type = upstream.get("content-type");
  if (type) h.push(["content-type", type]);
  const retry = upstream.get("retry-after");
  if (retry) h.push(["retry-after", retry]);
  if (type?.includes("text/event-stream")) h.push(["cache-control", "no-cache"]);
  return h;
}

/** Index of the decision pair in {@link responseHeaders}. */
const DECISION = 1;

const utf8 = new TextDecoder();

async function readUpstreamJson(
  res: Response,
  buffered: Uint8Array | undefined,
  maxBytes: number,
): Promise<{ json: Json; bytes: Uint8Array }> {
  if (!buffered) {
    const declared = Number(res.headers.get("content-length") ?? "0");
    if (declared > maxBytes) {
      await res.body?.cancel();
      throw new GatewayError(
        502,
        "upstream_failed",
        "the provider's response exceeded size_limits.max_response_bytes",
      );
    }
  }
  const buf = buffered ?? new Uint8Array(await res.arrayBuffer());
  if (buf.byteLength > maxBytes) {
    throw new GatewayError(
      502,
      "upstream_failed",
      "the provider's response exceeded size_limits.max_response_bytes",
    );
  }
  try {
    const v = JSON.parse(utf8.decode(buf));
    if (v && typeof v === "object" && !Array.isArray(v)) return { json: v, bytes: buf };
  } catch {
    // fall through
  }
  throw new GatewayError(
    502,
    "upstream_failed",
    "the provider answered with a body that is not a JSON object",
  );
}

function numberField(json: Json, ...names: string[]): number | undefined {
  for (const n of names) if (typeof json[n] === "number") return json[n] as number;
  return undefined;
}

function toGatewayError(err: unknown, ctx: GatewayContext): GatewayError {
  if (err instanceof GatewayError) return err;
  const upstream = upstreamFailure(err);
  if (upstream) return upstream;
  ctx.logger.error("unexpected error in request pipeline", { error: scrubSecrets(String(err)) });
  return new GatewayError(502, "upstream_failed", "the gateway could not complete the request; see its logs");
}

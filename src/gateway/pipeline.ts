/**
 * The request pipeline of the API routes, one step after another:
 *
 *   parse → authenticate → limits → input policies → route → upstream call
 *   → output policies (streaming included) → audit → respond
 *
 * What each API's bodies contain is its module's business (apis/); the pipeline drives the steps.
 * Every failure is a {@link GatewayError}; every request ends in exactly one decision event, and
 * the {@link Exchange} of a request owns what it must release (its concurrency slot, its token
 * reservation) and releases it once.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { CoverageManifest, DecisionEvent } from "../audit/event.ts";
import type {
  ChainOutcome,
  ContentSource,
  PolicyRequest,
  PolicyResult,
  RequestIdentity,
  TextSegment,
  Verdict,
} from "../policy/types.ts";
import { isConstrained, targetCompliant } from "../policy/routing.ts";
import { RoutingError } from "../providers/mod.ts";
import { type ApiKind, type ProviderTarget, TranslationError, UpstreamError } from "../providers/types.ts";
import { bufferedBody } from "../providers/http.ts";
import { scrubSecrets } from "../observability/log.ts";
import { readJsonBody } from "./body.ts";
import {
  applySlots,
  CLIENT_APIS,
  type ClientApi,
  type Content,
  countSources,
  readAnswer,
  readRequest,
  type Usage,
} from "./apis/mod.ts";
import type { Obj } from "./apis/walk.ts";
import { GatewayError } from "./errors.ts";
import { authenticateClient, type ClientKey, type RuntimeSnapshot } from "./snapshot.ts";
import { type PassResult, passThrough, plainBody, readPlainBody } from "./stream.ts";
import { guardSse, type StreamResult } from "./sse_guard.ts";
import type { TokenReservation } from "./limits.ts";
import type { GatewayContext } from "./context.ts";
import { formatPath } from "./json_scan.ts";

/** Headers passed from the client to providers (never credentials). */
const FORWARDED_HEADERS = ["traceparent", "tracestate", "anthropic-version", "anthropic-beta"];

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id: the client's `x-request-id` when well-formed, else a new UUID. */
export function requestIdOf(req: Request): string {
  const given = req.headers.get("x-request-id");
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/**
 * Per-request state gathered along the pipeline; becomes the decision event. It owns the request's
 * concurrency slot and token reservation, and {@link finish} releases them exactly once.
 */
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
  readonly scanned: Partial<Record<ContentSource, number>> = {};
  media = 0;
  refused: string | null = null;
  dropped = 0;
  #release: (() => void) | undefined;
  #reservation: TokenReservation | undefined;
  #finished = false;

  constructor(
    readonly ctx: GatewayContext,
    readonly api: ApiKind,
    readonly requestId: string,
    readonly snapshot: RuntimeSnapshot,
  ) {}

  /** Takes ownership of a concurrency slot. */
  holdSlot(release: () => void): void {
    this.#release = release;
  }

  /** Takes ownership of a token reservation. */
  holdTokens(reservation: TokenReservation | undefined): void {
    this.#reservation = reservation;
  }

  record(outcome: ChainOutcome): void {
    this.results.push(...outcome.results);
    for (const r of outcome.results) {
      this.ctx.metrics.policyEvaluations.inc({ policy: r.policy, verdict: r.verdict });
    }
    if (outcome.verdict === "block") {
      this.verdict = "block";
      this.reasonCode = outcome.reasonCode;
      this.policy = outcome.policy ?? null;
    } else if (outcome.verdict === "redact" && this.verdict === "allow") {
      this.verdict = "redact";
      this.reasonCode = outcome.reasonCode;
    }
  }

  /** Counts scanned segments per source into the coverage manifest. */
  count(scanned: Partial<Record<ContentSource, number>>): void {
    for (const k in scanned) {
      const source = k as ContentSource;
      this.scanned[source] = (this.scanned[source] ?? 0) + scanned[source]!;
    }
  }

  fail(err: GatewayError): void {
    this.status = err.status;
    this.errorCode = err.code;
    if (err.code === "unsupported_content") this.refused = err.param ?? null;
    if (err.status < 500 && err.status !== 409) {
      this.verdict = "block";
      this.reasonCode ??= err.code;
    }
  }

  /** Ends the request: frees its slot, settles tokens, records metrics and the decision event. Once. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    const { ctx, snapshot } = this;
    this.#release?.();
    const total = (this.usage.input ?? 0) + (this.usage.output ?? 0);
    snapshot.limits.settleTokens(
      this.#reservation,
      this.usage.input === undefined && this.usage.output === undefined ? undefined : total,
    );
    const model = this.target?.model ?? this.model ?? "unknown";
    const boundedModel = this.target ? model : "unknown";
    ctx.metrics.requests.inc({
      route: this.api,
      target: this.target?.id ?? "none",
      model: boundedModel,
      status: String(this.status),
    });
    const now = performance.now();
    ctx.metrics.requestDuration.observe({ route: this.api }, (now - this.started) / 1000);
    if (this.usage.input) {
      ctx.metrics.tokens.inc({ direction: "input", model: boundedModel }, this.usage.input);
    }
    if (this.usage.output) {
      ctx.metrics.tokens.inc({ direction: "output", model: boundedModel }, this.usage.output);
    }
    ctx.stats.total++;
    if (this.verdict === "block") ctx.stats.blocked++;
    else if (this.verdict === "redact") ctx.stats.redacted++;
    if (this.status >= 500 || (this.errorCode && this.status < 400)) ctx.stats.errors++;
    if (snapshot.chain.audit.logAllAccess || this.verdict !== "allow") ctx.audit.write(this.event(now));
    ctx.onRequestDone(snapshot);
  }

  /** Ends the request with `response` (its status recorded). */
  answer(response: Response): Response {
    this.status = response.status;
    this.finish();
    return response;
  }

  /** The decision event; `now` is the `performance.now()` the request ended at. */
  event(now: number): DecisionEvent {
    const coverage: CoverageManifest = { scanned: this.scanned, media: this.media, refused: this.refused };
    if (this.dropped > 0) coverage.dropped = this.dropped;
    return {
      id: crypto.randomUUID(),
      timestamp: new Date().toISOString(),
      request_id: this.requestId,
      gateway_id: this.ctx.gatewayId ?? null,
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
      coverage,
      ...(this.content !== undefined ? { content: this.content } : {}),
    };
  }
}

/** Runs the pipeline for one API request on `snapshot`. Never throws. */
export async function handleApiRequest(
  ctx: GatewayContext,
  snapshot: RuntimeSnapshot,
  apiKind: ApiKind,
  req: Request,
  remoteIp: string,
  requestId: string,
  clientGone: AbortSignal,
): Promise<Response> {
  const x = new Exchange(ctx, apiKind, requestId, snapshot);
  // True once the response owes the decision event to a body stream: the catch must not finish it.
  let streaming = false;
  try {
    // 1. parse: the body, then every field of it along the API's field map
    const limits = snapshot.sizeLimits;
    const { json, raw } = await readJsonBody(req, {
      maxBytes: limits.max_body_bytes,
      maxDepth: limits.max_json_depth,
      timeoutMs: snapshot.config.timeouts.request_body_ms,
    });
    const api = CLIENT_APIS[apiKind];
    const chain = snapshot.chain;
    const content = readRequest(api, json, snapshot.coverage, chain.readsInputText);
    x.model = typeof json.model === "string" ? json.model : null;
    x.media = content.media;
    if (chain.readsOutputText) refuseUngovernedOutput(api, json);
    if (content.pending.length > 0) await readPendingFiles(ctx, content, snapshot.coverage.opaqueFiles);
    x.media = content.media;

    // 2. authenticate
    x.identity = identify(req.headers, snapshot.clientKeys);

    // 3. limits
    const limited = snapshot.limits.checkRequest(req.headers, remoteIp);
    if (limited) await limited;

    // 4. input policies
    const policyRequest: PolicyRequest = {
      phase: "input",
      api: apiKind,
      model: x.model ?? "",
      segments: content.segments,
      tools: content.tools,
      toolCalls: content.toolCalls,
      identity: x.identity,
      headers: req.headers,
    };
    x.count(countSources(content.segments));
    const state = chain.newState();
    const input = chain.runInput(policyRequest, state);
    x.record(input);
    const contentChars = describeContent(x, chain.audit, content.segments, input.segments);
    if (input.verdict === "block") throw blockedInput(input);
    const body: Obj = input.changed
      ? applySlots(json, content.slots, content.segments, input.segments)
      : json;

    // 5. route
    const stream = json.stream === true;
    const reserved = snapshot.limits.reserveTokens(
      req.headers,
      maxTokens(api, json),
      Math.ceil(contentChars / 4) + 256,
    );
    x.holdTokens(reserved instanceof Promise ? await reserved : reserved);
    const routing = input.routing;
    const constrained = isConstrained(routing);
    const plan = snapshot.providers.router.plan(
      apiKind,
      x.model ?? "",
      constrained ? (t) => targetCompliant(t.dataPolicy, routing) : undefined,
    );
    if (plan.length === 0) throw noTarget(snapshot, apiKind, constrained);

    // 6. upstream call (bounded concurrency). The client's bytes go only when the policies read exactly
    // them: the body parsed without duplicate keys and nothing was rewritten.
    const slot = ctx.gate.acquire();
    x.holdSlot(typeof slot === "function" ? slot : await slot);
    const dispatched = await snapshot.providers.router.dispatch({
      api: apiKind,
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
      return x.answer(new Response(text, { status: upstream.status, headers }));
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
      if ("bytes" in plain) {
        x.usage = plain.usage;
        return x.answer(
          new Response(plain.bytes as Uint8Array<ArrayBuffer>, { status: upstream.status, headers }),
        );
      }
      x.errorCode = "upstream_failed";
      ctx.logger.warn("response stream ended early", { request_id: requestId, reason: plain.error });
      return x.answer(new Response(plain.overflow, { status: upstream.status, headers }));
    }
    if (isSse) {
      // SSE: forwarded chunk by chunk; parsed only when an output policy (or restore) must see it.
      streaming = true;
      const done = (result: StreamResult | PassResult) => {
        x.usage = result.usage;
        for (const o of result.outcomes) x.record(o);
        if ("scanned" in result) {
          x.count(result.scanned);
          x.dropped += result.dropped;
        }
        if (result.blocked) {
          x.errorCode = "output_blocked";
        } else if (result.error) {
          x.errorCode = "upstream_failed";
          ctx.logger.warn("response stream ended early", { request_id: requestId, reason: result.error });
        }
        x.finish();
      };
      const guarded = outputPolicies && api.stream
        ? guardSse(upstream.body!, {
          dialect: api.stream,
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

    const { json: answerJson, bytes: answerBytes } = await readUpstreamJson(
      upstream,
      buffered,
      limits.max_response_bytes,
    );
    x.usage = api.usage(answerJson);
    const out = readAnswer(api, answerJson, snapshot.coverage);
    x.count(countSources(out.segments));
    const output = chain.runOutput({
      ...policyRequest,
      phase: "output",
      model: typeof answerJson.model === "string" ? answerJson.model : policyRequest.model,
      segments: out.segments,
      tools: [],
      toolCalls: out.toolCalls,
    }, state);
    x.record(output);
    if (output.verdict === "block") {
      throw new GatewayError(409, "output_blocked", output.message ?? "the response was blocked by policy", {
        policy: output.policy,
      });
    }
    // Unchanged (and typed): the provider's own bytes, the same JSON, without re-serializing it.
    const finalBody: BodyInit = output.changed
      ? JSON.stringify(applySlots(answerJson, out.slots, out.segments, output.segments))
      : headers.some(([name]) => name === "content-type")
      ? answerBytes as Uint8Array<ArrayBuffer>
      : JSON.stringify(answerJson);
    headers[DECISION][1] = x.verdict;
    return x.answer(new Response(finalBody, { status: upstream.status, headers }));
  } catch (err) {
    const gatewayError = toGatewayError(err, ctx);
    x.fail(gatewayError);
    if (!streaming) x.finish();
    return gatewayError.toResponse(requestId, baseHeaders(snapshot, x.verdict));
  }
}

/** The first of the API's max-token fields the body sets. */
function maxTokens(api: ClientApi, json: Obj): number | undefined {
  for (const f of api.maxTokensFields) if (typeof json[f] === "number") return json[f] as number;
  return undefined;
}

/**
 * Output no text policy can read (per-token log probabilities repeat the text unredacted; spoken
 * audio cannot be redacted) is refused while an output policy reads text.
 */
function refuseUngovernedOutput(api: ClientApi, json: Obj): void {
  const field = api.ungovernedOutput(json);
  if (field === undefined) return;
  throw new GatewayError(
    400,
    "unsupported_content",
    `${field}: an output policy reads this answer's text, and this option asks for output it cannot read ` +
      "(log probabilities repeat the text unredacted, audio cannot be redacted); remove it",
    { param: field },
  );
}

/**
 * Extracts the text of the request's PDFs (off the serving thread) into `files` segments. A PDF that
 * cannot be read is an opaque file. PDF text cannot be rewritten: a policy that would redact it blocks.
 */
async function readPendingFiles(
  ctx: GatewayContext,
  content: Content,
  opaque: "reject" | "allow",
): Promise<void> {
  for (const file of content.pending) {
    const text = ctx.pdf ? await ctx.pdf.extract(file.data) : undefined;
    const param = formatPath(file.path);
    if (text === undefined) {
      if (opaque === "reject") {
        throw new GatewayError(
          400,
          "unsupported_content",
          `${param}: kt could not read this PDF (broken, encrypted, too long or too slow), so no policy could; ` +
            "send its text instead (coverage.opaque_files is reject)",
          { param },
        );
      }
      content.media++;
      continue;
    }
    if (text.trim() === "") continue;
    const first = content.segments.length;
    content.segments.push({ key: file.path.join("."), role: file.role, text, source: "files" });
    content.slots.push({
      path: file.path,
      first,
      count: 1,
      build: () => {
        throw new GatewayError(
          409,
          "input_blocked",
          `a policy would redact text inside the PDF at ${param}; kt cannot rewrite PDFs, so the request is blocked`,
          { param },
        );
      },
    });
  }
}

/** Records the request content for the decision event; returns its length in characters. */
function describeContent(
  x: Exchange,
  audit: { includeContent: "none" | "redacted" },
  original: readonly TextSegment[],
  redacted: readonly TextSegment[],
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

/** Client authentication (when configured) and identity headers. */
function identify(headers: Headers, keys: readonly ClientKey[] | undefined): RequestIdentity {
  const key = keys ? authenticateClient(keys, headers) : undefined;
  const h = (name: string) => {
    const v = headers.get(name);
    return v ? v.slice(0, 200) : undefined;
  };
  return {
    userId: h("x-user-id"),
    teamId: h("x-team-id"),
    role: key?.role ?? h("x-user-role"),
    agentId: h("x-keeptrusts-agent-id"),
    clientKeyId: key?.id,
  };
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
): Promise<{ json: Obj; bytes: Uint8Array }> {
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

function toGatewayError(err: unknown, ctx: GatewayContext): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof RoutingError) {
    const timeout = err.code === "upstream_timeout";
    return new GatewayError(
      timeout ? 504 : 502,
      timeout ? "upstream_timeout" : "upstream_failed",
      scrubSecrets(err.message),
    );
  }
  if (err instanceof TranslationError) {
    return new GatewayError(400, "unsupported_content", `${err.param}: ${err.message}`, { param: err.param });
  }
  if (err instanceof UpstreamError) {
    return new GatewayError(
      err.kind === "timeout" ? 504 : 502,
      err.kind === "timeout" ? "upstream_timeout" : "upstream_failed",
      `target ${err.targetId}: ${err.kind === "timeout" ? "timed out" : "could not be reached"}`,
    );
  }
  // A fault inside kt, never blamed on the provider.
  ctx.logger.error("unexpected error in request pipeline", { error: scrubSecrets(String(err)) });
  return new GatewayError(500, "internal_error", "the gateway failed to handle the request; see its logs");
}

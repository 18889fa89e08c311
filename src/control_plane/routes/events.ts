/**
 * Decision events: batched ingest from gateways, filtered queries for admins.
 *
 * A gateway's clock is not trusted: each stamp is clamped to the receipt time ±
 * `eventClockSkewSeconds` (the stamp as sent is kept as `sent_timestamp`), and
 * events are ordered, filtered by `since` and pruned by their receipt time, so
 * a gateway cannot pin its events to the top of the log or out of retention.
 * Each gateway may post `eventRateLimit` events a second (bursts up to
 * `eventBurst`); beyond that a batch is refused whole with 429 and
 * `Retry-After`, and the gateway keeps it buffered.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import { authorize, type ControlPlaneEnv, requireScope } from "../auth.ts";
import type { RouteDeps } from "../context.ts";
import { ApiError, badRequest, validationError } from "../errors.ts";
import { parseIntParam, parseSince, parseTimestamp, readJson } from "../http.ts";
import { TokenBuckets } from "../rate_limit.ts";
import type { EventInput } from "../store/types.ts";

const VERDICTS = ["allow", "redact", "block"] as const;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

const eventSchema = z.looseObject({
  id: z.string().min(1).max(128).optional(),
  timestamp: z.string().max(64).optional(),
  verdict: z.enum(VERDICTS),
  policy: z.string().max(128).nullable().optional(),
  policy_results: z.array(
    z.looseObject({ policy: z.string().max(128), verdict: z.string().max(32).optional() }),
  )
    .max(200)
    .optional(),
  config_version: z.string().max(100).nullable().optional(),
});

/** The `/v1/events` routes. */
export function eventRoutes(deps: RouteDeps): Hono<ControlPlaneEnv> {
  const { store, options } = deps;
  const app = new Hono<ControlPlaneEnv>();
  let lastPrune = 0;
  const buckets = options.eventRateLimit > 0
    ? new TokenBuckets(options.eventRateLimit, options.eventBurst, () => options.now().getTime())
    : null;
  const skewMs = options.eventClockSkewSeconds * 1000;

  app.post("/v1/events", async (c) => {
    const principal = authorize(c, "events:write", "gateway");
    const gatewayId = principal.gatewayId!;
    const body = await readJson(
      c,
      z.strictObject({ events: z.array(z.unknown()).max(options.maxEventsPerBatch) }),
      options.maxEventBatchBytes,
    );
    const now = options.now();
    const receivedAt = now.toISOString();
    const clamp = (at: Date) =>
      new Date(Math.min(now.getTime() + skewMs, Math.max(now.getTime() - skewMs, at.getTime())));
    const rows: EventInput[] = [];
    const problems: Array<{ code: string; path: string; message: string }> = [];
    body.events.forEach((raw, i) => {
      const parsed = eventSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        problems.push({
          code: "invalid_field",
          path: `events[${i}]${issue.path.length ? `.${issue.path.join(".")}` : ""}`,
          message: issue.message,
        });
        return;
      }
      let e = parsed.data;
      if (JSON.stringify(e).length > options.maxEventBytes && "content" in e) {
        // Redacted content (audit-logger include_content) may be large: keep the decision, drop the text.
        const { content: _content, ...rest } = e;
        e = { ...rest, content_omitted: "too_large" } as typeof e;
      }
      if (JSON.stringify(e).length > options.maxEventBytes) {
        problems.push({
          code: "too_large",
          path: `events[${i}]`,
          message: `an event is limited to ${options.maxEventBytes} bytes`,
        });
        return;
      }
      let timestamp = receivedAt;
      let sentTimestamp: string | null = null;
      if (e.timestamp !== undefined) {
        const at = parseTimestamp(e.timestamp);
        if (!at) {
          problems.push({
            code: "invalid_field",
            path: `events[${i}].timestamp`,
            message: "not an RFC 3339 timestamp",
          });
          return;
        }
        sentTimestamp = at.toISOString();
        timestamp = clamp(at).toISOString();
      }
      const id = e.id ?? crypto.randomUUID();
      const policies = new Set<string>();
      if (e.policy) policies.add(e.policy.toLowerCase());
      for (const r of e.policy_results ?? []) policies.add(r.policy.toLowerCase());
      rows.push({
        id,
        gatewayId,
        timestamp,
        receivedAt,
        verdict: e.verdict,
        policy: e.policy ?? null,
        policies: [...policies],
        configVersion: e.config_version ?? null,
        body: {
          ...e,
          id,
          timestamp,
          sent_timestamp: sentTimestamp,
          gateway_id: gatewayId,
          received_at: receivedAt,
        },
      });
    });
    if (problems.length > 0) {
      throw validationError(
        `${problems.length} event(s) are invalid; nothing was stored`,
        problems.slice(0, 50),
      );
    }
    const take = buckets?.take(gatewayId, rows.length);
    if (take && !take.ok) {
      options.log("warn", "event batch refused: rate limit", {
        gateway_id: gatewayId,
        events: rows.length,
        retry_after_seconds: take.retryAfterSeconds,
        token_id: principal.tokenId,
      });
      throw new ApiError(
        429,
        "rate_limit",
        "rate_limited",
        `this gateway may post ${options.eventRateLimit} events a second (bursts of ${options.eventBurst}); retry this batch after ${take.retryAfterSeconds} s`,
        { headers: { "retry-after": String(take.retryAfterSeconds) } },
      );
    }
    const inserted = await store.insertEvents(rows);
    deps.metrics.add("events_ingested_total", inserted);
    if (options.eventRetentionDays > 0 && now.getTime() - lastPrune > 60_000) {
      lastPrune = now.getTime();
      const cutoff = new Date(now.getTime() - options.eventRetentionDays * 86_400_000).toISOString();
      const pruned = await store.pruneEvents(cutoff);
      if (pruned > 0) options.log("info", "old events pruned", { pruned, older_than: cutoff });
    }
    return c.json({ accepted: rows.length, stored: inserted, duplicates: rows.length - inserted }, 202);
  });

  app.get("/v1/events", requireScope("events:read"), async (c) => {
    const q = c.req.query();
    const now = options.now();
    const verdict = q.verdict;
    if (verdict !== undefined && !(VERDICTS as readonly string[]).includes(verdict)) {
      throw badRequest("invalid_parameter", "verdict must be allow, redact or block");
    }
    for (const key of ["gateway_id", "policy"] as const) {
      if (q[key] !== undefined && !NAME.test(q[key])) {
        throw badRequest("invalid_parameter", `${key} is not a valid name`);
      }
    }
    const limit = parseIntParam(q.limit, "limit", { min: 1, max: 1000, fallback: 50 });
    const items = await store.queryEvents({
      since: q.since !== undefined ? parseSince(q.since, now).toISOString() : undefined,
      verdict,
      gatewayId: q.gateway_id,
      policy: q.policy?.toLowerCase(),
      limit,
    });
    return c.json({ items });
  });

  return app;
}

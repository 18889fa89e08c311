/**
 * The audit trail: every privileged act (a secret read, a token minted, rotated
 * or revoked, a variable set or deleted) is recorded with the acting token id,
 * the gateway, and the variable name or token id acted on; never a value or a
 * token. Recording happens before the answer, so a store failure refuses the
 * act rather than leaving it unrecorded.
 *
 * @module
 */
import type { Context } from "hono";
import type { ControlPlaneEnv } from "./auth.ts";
import type { Logger } from "./context.ts";
import type { AuditAction, Store } from "./store/types.ts";

/** What an act adds to the actor and the time. */
export interface AuditFields {
  gatewayId?: string | null;
  subject?: string | null;
  details?: Record<string, unknown>;
}

/** Records acts in the store (and as `audit` log lines) and prunes old entries, at most hourly. */
export class AuditTrail {
  readonly #store: Store;
  readonly #now: () => Date;
  readonly #log: Logger;
  readonly #retentionMs: number;
  #lastPrune = 0;

  constructor(store: Store, options: { now: () => Date; log: Logger; retentionDays: number }) {
    this.#store = store;
    this.#now = options.now;
    this.#log = options.log;
    this.#retentionMs = options.retentionDays * 86_400_000;
  }

  /** Records `action` by the caller of `c`; throws (and so refuses the act) when the store fails. */
  async record(c: Context<ControlPlaneEnv>, action: AuditAction, fields: AuditFields = {}): Promise<void> {
    const now = this.#now();
    const entry = {
      at: now.toISOString(),
      action,
      tokenId: c.get("principal")?.tokenId ?? null,
      gatewayId: fields.gatewayId ?? null,
      subject: fields.subject ?? null,
      details: fields.details ?? {},
      requestId: c.get("requestId") ?? null,
    };
    await this.#store.insertAudit(entry);
    this.#log("info", "audit", {
      action,
      token_id: entry.tokenId,
      gateway_id: entry.gatewayId ?? undefined,
      subject: entry.subject ?? undefined,
      ...entry.details,
      request_id: entry.requestId,
    });
    if (this.#retentionMs > 0 && now.getTime() - this.#lastPrune > 3_600_000) {
      this.#lastPrune = now.getTime();
      await this.#store.pruneAudit(new Date(now.getTime() - this.#retentionMs).toISOString());
    }
  }
}

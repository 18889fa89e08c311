/**
 * Server-side console sessions. The browser holds only a random session id
 * (in an `HttpOnly`, `SameSite=Strict`, `Path=/console` cookie); the session
 * itself lives in the control plane's store (table `console_sessions`, SQLite
 * or PostgreSQL), so it survives a restart and is shared by replicas on one
 * database. The store keeps the sha256 of the id (never the id), the CSRF
 * token, the sha256 of the admin token that signed in (never the token) and
 * the creation, absolute-expiry and idle-expiry times.
 *
 * A session starts anonymous (the sign-in form needs a CSRF token too) and is
 * replaced by a new one, with a new id, on sign-in, so an id planted before
 * sign-in is worthless after it.
 *
 * Use pushes the idle expiry forward, but it is written back at most every
 * {@link SessionLimits.touchIntervalSeconds}, so page views are not all writes.
 * Expired sessions are deleted when looked up and, a bounded number at a time,
 * whenever a session is created (which also enforces
 * {@link SessionLimits.maxSessions}).
 *
 * @module
 */
import { base64url, hashToken } from "../crypto.ts";
import type { ConsoleSessionRecord, Store } from "../store/types.ts";

/** Name of the session cookie. */
export const SESSION_COOKIE = "kt_console_session";

/** One session. */
export interface ConsoleSession {
  /** sha256 of the session id (the stored key; the id itself is not kept). */
  readonly key: string;
  /** Synchronizer CSRF token bound to this session. */
  readonly csrf: string;
  /** sha256 of the admin token that signed in, or null before sign-in. */
  readonly tokenHash: string | null;
  /** ms since epoch. */
  readonly createdAt: number;
  /** Absolute expiry (ms since epoch). */
  readonly expiresAt: number;
  /** Idle expiry (ms since epoch), pushed forward on use; never after {@link expiresAt}. */
  idleExpiresAt: number;
}

/** Lifetimes of {@link SessionStore}. */
export interface SessionLimits {
  /** Absolute lifetime of a signed-in session (seconds, default 8 h). */
  ttlSeconds: number;
  /** A signed-in session unused this long ends (seconds, default 1 h). */
  idleSeconds: number;
  /** Lifetime of an anonymous (sign-in form) session (seconds, default 30 min). */
  anonymousTtlSeconds: number;
  /** Most sessions kept; the oldest are dropped beyond it (default 10 000). */
  maxSessions: number;
  /**
   * The idle expiry is written back at most this often per session (seconds,
   * default 60, and at most half of {@link idleSeconds}); a session may thus
   * end up to this long before a full idle period after its last use.
   */
  touchIntervalSeconds: number;
  /** Most sessions one sweep deletes (default 100). */
  sweepLimit: number;
}

/** Default {@link SessionLimits}. */
export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  ttlSeconds: 8 * 3600,
  idleSeconds: 3600,
  anonymousTtlSeconds: 1800,
  maxSessions: 10_000,
  touchIntervalSeconds: 60,
  sweepLimit: 100,
};

/** The part of the control plane {@link Store} sessions live in. */
export type SessionTable = Pick<
  Store,
  | "insertConsoleSession"
  | "sweepConsoleSessions"
  | "getConsoleSession"
  | "touchConsoleSession"
  | "deleteConsoleSession"
>;

/** Options of {@link SessionStore}. */
export interface SessionStoreOptions {
  /** Lifetimes and bounds (defaults: {@link DEFAULT_SESSION_LIMITS}). */
  limits?: Partial<SessionLimits>;
  /** Clock (ms since epoch). Default `Date.now`. */
  now?: () => number;
  /** Told when a sweep fails (the session is created all the same). */
  onSweepError?: (err: unknown) => void;
}

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

function randomSecret(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

const iso = (ms: number): string => new Date(ms).toISOString();

function fromRecord(r: ConsoleSessionRecord): ConsoleSession | null {
  const createdAt = Date.parse(r.createdAt);
  const expiresAt = Date.parse(r.expiresAt);
  const idleExpiresAt = Date.parse(r.idleExpiresAt);
  if (![createdAt, expiresAt, idleExpiresAt].every(Number.isFinite)) return null;
  return { key: r.idHash, csrf: r.csrf, tokenHash: r.tokenHash, createdAt, expiresAt, idleExpiresAt };
}

/** Console sessions kept in the control plane's store, with expiry and a size bound. */
export class SessionStore {
  readonly #table: SessionTable;
  readonly #limits: SessionLimits;
  readonly #now: () => number;
  readonly #onSweepError: (err: unknown) => void;

  constructor(table: SessionTable, options: SessionStoreOptions = {}) {
    this.#table = table;
    this.#limits = { ...DEFAULT_SESSION_LIMITS, ...options.limits };
    this.#now = options.now ?? Date.now;
    this.#onSweepError = options.onSweepError ?? (() => {});
  }

  /** Creates and stores a session; returns its id (for the cookie) and the record. */
  async create(tokenHash: string | null): Promise<{ id: string; session: ConsoleSession }> {
    const id = randomSecret();
    const now = this.#now();
    const ttl = tokenHash ? this.#limits.ttlSeconds : this.#limits.anonymousTtlSeconds;
    const expiresAt = now + ttl * 1000;
    const session: ConsoleSession = {
      key: hashToken(id),
      csrf: randomSecret(),
      tokenHash,
      createdAt: now,
      expiresAt,
      idleExpiresAt: Math.min(expiresAt, now + (tokenHash ? this.#limits.idleSeconds : ttl) * 1000),
    };
    await this.#table.insertConsoleSession({
      idHash: session.key,
      csrf: session.csrf,
      tokenHash,
      createdAt: iso(session.createdAt),
      expiresAt: iso(session.expiresAt),
      idleExpiresAt: iso(session.idleExpiresAt),
    });
    try {
      await this.#table.sweepConsoleSessions({
        now: iso(now),
        maxSessions: this.#limits.maxSessions,
        limit: this.#limits.sweepLimit,
      });
    } catch (err) {
      this.#onSweepError(err); // housekeeping only: the next creation sweeps again
    }
    return { id, session };
  }

  /** The live session of a cookie value, or null; using it extends its idle expiry. */
  async get(id: string | undefined): Promise<ConsoleSession | null> {
    if (!id || !SESSION_ID.test(id)) return null;
    const key = hashToken(id);
    const record = await this.#table.getConsoleSession(key);
    if (!record) return null;
    const session = fromRecord(record);
    const now = this.#now();
    if (!session || now >= session.expiresAt || now >= session.idleExpiresAt) {
      await this.#table.deleteConsoleSession(key);
      return null;
    }
    if (session.tokenHash) {
      const next = Math.min(session.expiresAt, now + this.#limits.idleSeconds * 1000);
      const every = Math.min(this.#limits.touchIntervalSeconds, this.#limits.idleSeconds / 2) * 1000;
      if (next > session.idleExpiresAt && next - session.idleExpiresAt >= every) {
        await this.#table.touchConsoleSession(key, iso(next));
        session.idleExpiresAt = next;
      }
    }
    return session;
  }

  /** Ends a session (sign-out, revoked token, sign-in replacing it). */
  async delete(session: ConsoleSession): Promise<void> {
    await this.#table.deleteConsoleSession(session.key);
  }
}

/**
 * Server-side console sessions. The browser holds only a random session id
 * (in an `HttpOnly`, `SameSite=Strict`, `Path=/console` cookie); the session
 * itself — which token signed in (by hash, never the token), its CSRF token and
 * its expiry — lives in this process's memory.
 *
 * A session starts anonymous (the sign-in form needs a CSRF token too) and is
 * replaced by a new one, with a new id, on sign-in, so an id planted before
 * sign-in is worthless after it.
 *
 * @module
 */
import { base64url, hashToken } from "../crypto.ts";

/** Name of the session cookie. */
export const SESSION_COOKIE = "kt_console_session";

/** One session. */
export interface ConsoleSession {
  /** sha256 of the session id (the map key; the id itself is not kept). */
  readonly key: string;
  /** Synchronizer CSRF token bound to this session. */
  readonly csrf: string;
  /** sha256 of the admin token that signed in, or null before sign-in. */
  readonly tokenHash: string | null;
  readonly createdAt: number;
  /** Absolute expiry (ms since epoch). */
  readonly expiresAt: number;
  /** Idle expiry, pushed forward on each use. */
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
}

/** Default {@link SessionLimits}. */
export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  ttlSeconds: 8 * 3600,
  idleSeconds: 3600,
  anonymousTtlSeconds: 1800,
  maxSessions: 10_000,
};

function randomSecret(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** In-memory session table with expiry and a size bound. */
export class SessionStore {
  readonly #sessions = new Map<string, ConsoleSession>();
  readonly #limits: SessionLimits;
  readonly #now: () => number;

  constructor(limits: Partial<SessionLimits> = {}, now: () => number = Date.now) {
    this.#limits = { ...DEFAULT_SESSION_LIMITS, ...limits };
    this.#now = now;
  }

  /** How many live sessions are held (tests). */
  get size(): number {
    return this.#sessions.size;
  }

  /** Creates a session; returns its id (for the cookie) and the record. */
  create(tokenHash: string | null): { id: string; session: ConsoleSession } {
    this.#sweep();
    const id = randomSecret();
    const now = this.#now();
    const ttl = tokenHash ? this.#limits.ttlSeconds : this.#limits.anonymousTtlSeconds;
    const session: ConsoleSession = {
      key: hashToken(id),
      csrf: randomSecret(),
      tokenHash,
      createdAt: now,
      expiresAt: now + ttl * 1000,
      idleExpiresAt: now + (tokenHash ? this.#limits.idleSeconds : ttl) * 1000,
    };
    this.#sessions.set(session.key, session);
    while (this.#sessions.size > this.#limits.maxSessions) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    return { id, session };
  }

  /** The live session of a cookie value, or null; touching it extends its idle expiry. */
  get(id: string | undefined): ConsoleSession | null {
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const key = hashToken(id);
    const session = this.#sessions.get(key);
    if (!session) return null;
    const now = this.#now();
    if (now >= session.expiresAt || now >= session.idleExpiresAt) {
      this.#sessions.delete(key);
      return null;
    }
    if (session.tokenHash) {
      session.idleExpiresAt = Math.min(session.expiresAt, now + this.#limits.idleSeconds * 1000);
    }
    return session;
  }

  /** Ends a session (sign-out, revoked token). */
  delete(session: ConsoleSession): void {
    this.#sessions.delete(session.key);
  }

  #sweep(): void {
    const now = this.#now();
    for (const [k, s] of this.#sessions) {
      if (now >= s.expiresAt || now >= s.idleExpiresAt) this.#sessions.delete(k);
    }
  }
}

/**
 * Browser-facing protections of the console: the security headers sent on
 * every console response, and the cross-site request checks of every
 * state-changing form (a synchronizer token bound to the session plus an
 * `Origin` / `Sec-Fetch-Site` check).
 *
 * @module
 */
import { constantTimeEqual } from "../crypto.ts";

/** The console's Content-Security-Policy: only this origin's scripts, styles and connections. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Headers set on every console response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
};

/** Why a state-changing request was refused. */
export type CsrfFailure = "cross_site" | "missing_origin" | "bad_token";

/** Raised when a state-changing console request fails the cross-site checks. */
export class CsrfError extends Error {
  readonly code: CsrfFailure;
  constructor(code: CsrfFailure, message: string) {
    super(message);
    this.name = "CsrfError";
    this.code = code;
  }
}

/** What {@link checkCsrf} looks at. */
export interface CsrfInput {
  /** The request URL (its host is this console's). */
  url: string;
  origin: string | undefined;
  secFetchSite: string | undefined;
  /** The token the form sent. */
  formToken: unknown;
  /** The token bound to the session; null when there is no session. */
  sessionToken: string | null;
}

/**
 * Throws {@link CsrfError} unless the request comes from this origin (by
 * `Sec-Fetch-Site: same-origin` and/or an `Origin` of the same host; at least
 * one of the two must be present; `Origin: null` only with `Sec-Fetch-Site:
 * same-origin`) and carries the session's CSRF token.
 */
export function checkCsrf(input: CsrfInput): void {
  const host = new URL(input.url).host;
  if (input.secFetchSite !== undefined && input.secFetchSite !== "same-origin") {
    throw new CsrfError("cross_site", `cross-site request refused (Sec-Fetch-Site: ${input.secFetchSite})`);
  }
  // Browsers send `Origin: null` on form posts from a page whose Referrer-Policy is no-referrer (ours);
  // then the browser-set Sec-Fetch-Site (which pages cannot forge) must vouch for the request.
  const opaqueOrigin = input.origin === "null" && input.secFetchSite === "same-origin";
  if (input.origin !== undefined && !opaqueOrigin) {
    let originHost: string | null = null;
    try {
      originHost = input.origin === "null" ? null : new URL(input.origin).host;
    } catch {
      originHost = null;
    }
    if (originHost !== host) throw new CsrfError("cross_site", "cross-site request refused (Origin)");
  }
  if (input.origin === undefined && input.secFetchSite === undefined) {
    throw new CsrfError("missing_origin", "request refused: it names no Origin");
  }
  if (
    input.sessionToken === null || typeof input.formToken !== "string" ||
    !constantTimeEqual(input.formToken, input.sessionToken)
  ) {
    throw new CsrfError("bad_token", "the form's security token is missing or out of date; reload the page");
  }
}

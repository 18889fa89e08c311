/**
 * The console's routes (a Hono sub-app mounted at `/console`): sessions,
 * cross-site checks, security headers, static files, pages and the HTML
 * fragments / JSON the client script polls.
 *
 * Reads and actions go through the control plane API in-process as the
 * signed-in principal ({@link InternalApi}), so the API's scope checks decide
 * what a session may do, whatever the browser sends.
 *
 * @module
 */
import { Hono } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { authenticateToken, bearerToken, type ControlPlaneEnv, principalFromToken } from "../auth.ts";
import { validatePushedConfig } from "../config_validation.ts";
import type { RouteDeps } from "../context.ts";
import { hashToken } from "../crypto.ts";
import { parseTimestamp } from "../http.ts";
import { GATEWAY_ID, VERSION } from "../routes/configurations.ts";
import { AUDIT_ACTIONS } from "../store/types.ts";
import {
  apiMessage,
  type ConsoleContext,
  type ConsoleEnv,
  field,
  fieldList,
  type GatewayDetailJson,
  type Items,
  queryList,
  type SignedIn,
  type VariableJson,
  type VersionJson,
} from "./context.ts";
import { InternalApi } from "./internal_api.ts";
import {
  type ConfigProblem,
  ConfigsPage,
  DiffPage,
  PushPage,
  type PushState,
  VersionPage,
} from "./pages/configs.tsx";
import {
  chartData,
  type EventFilters,
  type EventJson,
  EventsPage,
  EventsTable,
  eventTime,
  RANGES,
} from "./pages/events.tsx";
import { FleetBody, FleetPage, loadFleet, STATUSES } from "./pages/fleet.tsx";
import { GatewayPage, GatewaySummary } from "./pages/gateway.tsx";
import { LoginPage } from "./pages/login.tsx";
import { ReviewPage, RolloutPage, RolloutProgress, WatchPage } from "./pages/rollout.tsx";
import { VariablesPage } from "./pages/variables.tsx";
import { type AuditFilters, AuditPage } from "./pages/audit.tsx";
import type { AuditJson } from "../routes/audit.ts";
import { checkCsrf, CsrfError, SECURITY_HEADERS } from "./security.ts";
import { type ConsoleSession, SESSION_COOKIE, type SessionLimits, SessionStore } from "./session.ts";
import { ASSETS } from "./vendor/assets.ts";
import { Layout, Notice, type Viewer } from "./views.tsx";

/** Options of the console. */
export interface ConsoleOptions {
  /** Session lifetimes and bounds. */
  sessions?: Partial<SessionLimits>;
  /**
   * Mark the session cookie `Secure`: `"auto"` (default) when the request
   * arrived over HTTPS; `true` always (behind a TLS-terminating proxy).
   */
  secureCookies?: boolean | "auto";
  /** Clock of session expiry (tests). Default `Date.now`. */
  clock?: () => number;
}

/** What {@link createConsoleApp} returns. */
export interface ConsoleApp {
  app: Hono<ConsoleEnv>;
  sessions: SessionStore;
}

function param(c: ConsoleContext, name: string): string {
  return c.req.param(name) ?? "";
}

async function html(c: ConsoleContext, node: JSX.Element, status = 200): Promise<Response> {
  return c.html(`<!DOCTYPE html>${String(await node)}`, status as 200);
}

async function fragment(c: ConsoleContext, node: JSX.Element): Promise<Response> {
  c.header("cache-control", "no-store");
  return c.html(String(await node));
}

/** Builds the console sub-app; `api` is the control plane app it calls in-process. */
export function createConsoleApp(
  api: Hono<ControlPlaneEnv>,
  deps: RouteDeps,
  options: ConsoleOptions = {},
): ConsoleApp {
  const sessions = new SessionStore(deps.store, {
    limits: options.sessions,
    now: options.clock,
    onSweepError: (err) =>
      deps.options.log("warn", "console session sweep failed", {
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      }),
  });
  const con = new Hono<ConsoleEnv>();
  const formLimit = deps.options.maxConfigBytes + 256 * 1024;

  con.use("*", async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
  });

  // Resolve the session, and the principal behind it (re-read from the store: a revoked token ends it).
  con.use("*", async (c, next) => {
    const session = await sessions.get(getCookie(c, SESSION_COOKIE));
    if (session) {
      c.set("session", session);
      if (session.tokenHash) {
        const record = await deps.store.findTokenByHash(session.tokenHash);
        if (!record || record.kind !== "admin") await sessions.delete(session);
        else {
          const principal = principalFromToken(record);
          c.set("principal", principal);
          c.set("viewer", {
            name: principal.name,
            tokenId: principal.tokenId,
            scopes: principal.scopes,
            csrf: session.csrf,
          });
          c.set("api", new InternalApi(api, principal, new URL(c.req.url).origin, c.get("requestId")));
        }
      }
    }
    await next();
  });

  con.onError(async (err, c) => {
    if (err instanceof CsrfError) {
      return await html(
        c,
        <Layout title="Refused" section="none" viewer={c.get("viewer") ?? null}>
          <h1>Request refused</h1>
          <Notice kind="error">{err.message}</Notice>
          <p>
            <a href="/console/">Back to the console</a>
          </p>
        </Layout>,
        403,
      );
    }
    const requestId = c.get("requestId");
    deps.options.log("error", "console error", {
      request_id: requestId,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    return await html(
      c,
      <Layout title="Error" section="none" viewer={c.get("viewer") ?? null}>
        <h1>Something went wrong</h1>
        <Notice kind="error">The console failed; the control plane log has request id {requestId}.</Notice>
      </Layout>,
      500,
    );
  });

  const secure = (c: ConsoleContext): boolean =>
    options.secureCookies === true ||
    (options.secureCookies !== false && new URL(c.req.url).protocol === "https:");

  const setSessionCookie = (c: ConsoleContext, id: string, maxAgeSeconds: number) =>
    setCookie(c, SESSION_COOKIE, id, {
      path: "/console",
      httpOnly: true,
      sameSite: "Strict",
      secure: secure(c),
      maxAge: Math.floor(maxAgeSeconds),
    });

  const signedIn = (c: ConsoleContext): SignedIn | null => {
    const viewer = c.get("viewer");
    const api = c.get("api");
    const principal = c.get("principal");
    const session = c.get("session");
    if (!viewer || !api || !principal || !session) return null;
    return { viewer, api, principal, session, deps, now: deps.options.now() };
  };

  type Handler = (c: ConsoleContext, s: SignedIn) => Promise<Response>;
  type FormHandler = (c: ConsoleContext, s: SignedIn, form: Record<string, unknown>) => Promise<Response>;

  /** A page: signed-in or sent to the sign-in page. */
  const page = (h: Handler) => async (c: ConsoleContext) => {
    const s = signedIn(c);
    if (!s) return c.redirect("/console/login", 303);
    return await h(c, s);
  };

  /** A polled fragment: 401 when not signed in (the script then stops and says so). */
  const live = (h: Handler) => async (c: ConsoleContext) => {
    const s = signedIn(c);
    if (!s) return c.text("sign in again", 401);
    return await h(c, s);
  };

  /**
   * Reads a posted HTML form and refuses it (CsrfError) unless it comes from this origin with
   * `sessionToken`, the CSRF token the form must carry (null: no session, always refused).
   */
  const checkedForm = async (c: ConsoleContext, sessionToken: string | null) => {
    const type = (c.req.header("content-type") ?? "").toLowerCase();
    if (!type.startsWith("application/x-www-form-urlencoded") && !type.startsWith("multipart/form-data")) {
      throw new CsrfError("cross_site", "forms must be posted as HTML forms");
    }
    const form: Record<string, unknown> = await c.req.parseBody({ all: true });
    checkCsrf({
      url: c.req.url,
      origin: c.req.header("origin"),
      secFetchSite: c.req.header("sec-fetch-site"),
      formToken: form._csrf,
      sessionToken,
    });
    return form;
  };

  /** A state-changing form: signed in, same origin, the session's CSRF token. */
  const action = (h: FormHandler) => async (c: ConsoleContext) => {
    const s = signedIn(c);
    const form = await checkedForm(c, s?.session.csrf ?? null);
    if (!s) return c.redirect("/console/login", 303);
    return await h(c, s, form);
  };

  const limit = bodyLimit({
    maxSize: formLimit,
    onError: (c) => c.text(`the form is larger than ${formLimit} bytes`, 413),
  });

  // ------------------------------------------------------------ static files

  con.get("/static/:name", (c) => {
    const asset = Object.hasOwn(ASSETS, param(c, "name")) ? ASSETS[param(c, "name")] : undefined;
    if (!asset) return c.text("not found", 404);
    const etag = `"${asset.sha256.slice(0, 32)}"`;
    c.header("etag", etag);
    c.header(
      "cache-control",
      c.req.query("v") === asset.sha256.slice(0, 12) ? "public, max-age=31536000, immutable" : "no-cache",
    );
    if (c.req.header("if-none-match") === etag) return c.body(null, 304);
    c.header("content-type", asset.type);
    return c.body(asset.body);
  });

  // ------------------------------------------------------------ sessions

  con.get("/", (c) => c.redirect(signedIn(c) ? "/console/fleet" : "/console/login", 303));

  const loginForm = async (c: ConsoleContext, error?: string, info?: string, status = 200) => {
    let session: ConsoleSession | undefined = c.get("session");
    if (!session || session.tokenHash) {
      const created = await sessions.create(null);
      session = created.session;
      setSessionCookie(c, created.id, (session.expiresAt - session.createdAt) / 1000);
    }
    return await html(c, <LoginPage csrf={session.csrf} error={error} info={info} />, status);
  };

  con.get("/login", async (c) => {
    if (signedIn(c)) return c.redirect("/console/fleet", 303);
    return await loginForm(c, undefined, c.req.query("signed_out") ? "You are signed out." : undefined);
  });

  con.post("/login", limit, async (c) => {
    const session = c.get("session") ?? null;
    let form: Record<string, unknown>;
    try {
      // Only the anonymous session the sign-in form was served with.
      form = await checkedForm(c, session && !session.tokenHash ? session.csrf : null);
    } catch (err) {
      if (err instanceof CsrfError && err.code === "bad_token") {
        c.set("session", undefined);
        return await loginForm(c, "The sign-in form had expired; please sign in again.", undefined, 403);
      }
      throw err;
    }
    const token = field(form, "token").trim();
    const principal = bearerToken(`Bearer ${token}`) ? await authenticateToken(deps.store, token) : null;
    if (!principal) {
      deps.options.log("warn", "console sign-in refused: unknown or revoked token", {
        request_id: c.get("requestId"),
      });
      return await loginForm(c, "That token is not valid (unknown or revoked).", undefined, 401);
    }
    if (principal.kind !== "admin") {
      return await loginForm(c, "Gateway tokens cannot sign in: use an admin token.", undefined, 403);
    }
    await sessions.delete(session!);
    const created = await sessions.create(hashToken(token));
    setSessionCookie(c, created.id, (created.session.expiresAt - created.session.createdAt) / 1000);
    deps.options.log("info", "console sign-in", {
      token_id: principal.tokenId,
      request_id: c.get("requestId"),
    });
    return c.redirect("/console/fleet", 303);
  });

  con.post("/logout", limit, async (c) => {
    const session = c.get("session") ?? null;
    await checkedForm(c, session?.csrf ?? null);
    if (session) await sessions.delete(session);
    deleteCookie(c, SESSION_COOKIE, {
      path: "/console",
      secure: secure(c),
      httpOnly: true,
      sameSite: "Strict",
    });
    deps.options.log("info", "console sign-out", { token_id: c.get("principal")?.tokenId });
    return c.redirect("/console/login?signed_out=1", 303);
  });

  // ------------------------------------------------------------ fleet

  const statusParam = (c: ConsoleContext): string | null => {
    const s = c.req.query("status") ?? "";
    return (STATUSES as readonly string[]).includes(s) ? s : null;
  };

  con.get(
    "/fleet",
    page(async (c, s) => {
      const { gateways, error } = await loadFleet(s);
      return await html(c, <FleetPage s={s} gateways={gateways} status={statusParam(c)} error={error} />);
    }),
  );

  con.get(
    "/fleet/rows",
    live(async (c, s) => {
      const { gateways, error } = await loadFleet(s);
      return await fragment(
        c,
        <FleetBody gateways={gateways} status={statusParam(c)} now={s.now} error={error} />,
      );
    }),
  );

  // ------------------------------------------------------------ gateway

  const loadVersion = async (s: SignedIn, version: string | null): Promise<VersionJson | null> => {
    if (!version || !VERSION.test(version)) return null;
    const r = await s.api.get<VersionJson>(
      `/v1/admin/configurations/versions/${encodeURIComponent(version)}`,
    );
    return r.ok ? r.body : null;
  };

  const loadVersions = async (s: SignedIn): Promise<{ versions: VersionJson[]; error?: string }> => {
    const r = await s.api.get<Items<VersionJson>>("/v1/admin/configurations/versions");
    return r.ok ? { versions: r.body.items } : { versions: [], error: apiMessage(r) };
  };

  const notFoundPage = async (c: ConsoleContext, s: SignedIn | null, what: string) =>
    await html(
      c,
      <Layout title="Not found" section="none" viewer={s?.viewer ?? null}>
        <h1>Not found</h1>
        <Notice kind="error">{what}</Notice>
        <p>
          <a href="/console/">Back to the console</a>
        </p>
      </Layout>,
      404,
    );

  const gatewayPage = async (
    c: ConsoleContext,
    s: SignedIn,
    id: string,
    notice?: { kind: "ok" | "error"; text: string },
    status = 200,
  ) => {
    if (!GATEWAY_ID.test(id)) return await notFoundPage(c, s, "No such gateway.");
    const r = await s.api.get<GatewayDetailJson>(`/v1/admin/gateways/${encodeURIComponent(id)}?history=20`);
    if (r.status === 404) return await notFoundPage(c, s, `No gateway "${id}".`);
    if (!r.ok) return await errorPage(c, s, apiMessage(r), r.status);
    const g = r.body;
    const { versions } = await loadVersions(s);
    const [running, desired] = await Promise.all([
      loadVersion(s, g.running_version),
      loadVersion(s, g.desired_version),
    ]);
    return await html(
      c,
      <GatewayPage s={s} g={g} versions={versions} running={running} desired={desired} notice={notice} />,
      status,
    );
  };

  const errorPage = async (c: ConsoleContext, s: SignedIn, message: string, status: number) =>
    await html(
      c,
      <Layout title="Refused" section="none" viewer={s.viewer}>
        <h1>The control plane refused</h1>
        <Notice kind="error">{message}</Notice>
      </Layout>,
      status,
    );

  con.get(
    "/gateways/:id",
    page(async (c, s) => {
      const reverted = c.req.query("reverted");
      return await gatewayPage(
        c,
        s,
        param(c, "id"),
        reverted ? { kind: "ok", text: `Reverted: the desired version is now ${reverted}.` } : undefined,
      );
    }),
  );

  con.get(
    "/gateways/:id/summary",
    live(async (c, s) => {
      const id = param(c, "id");
      if (!GATEWAY_ID.test(id)) return c.text("not found", 404);
      const r = await s.api.get<GatewayDetailJson>(`/v1/admin/gateways/${encodeURIComponent(id)}?history=0`);
      if (!r.ok) return c.text(apiMessage(r), r.status as 404);
      return await fragment(c, <GatewaySummary g={r.body} now={s.now} />);
    }),
  );

  con.post(
    "/gateways/:id/revert",
    limit,
    action(async (c, s, form) => {
      const id = param(c, "id");
      if (!GATEWAY_ID.test(id)) return await notFoundPage(c, s, "No such gateway.");
      const version = field(form, "version");
      const r = await s.api.postJson<{ version: string }>(
        `/v1/admin/gateways/${encodeURIComponent(id)}/revert`,
        version ? { version } : {},
      );
      if (!r.ok) return await gatewayPage(c, s, id, { kind: "error", text: apiMessage(r) }, r.status);
      return c.redirect(
        `/console/gateways/${encodeURIComponent(id)}?reverted=${encodeURIComponent(r.body.version)}`,
        303,
      );
    }),
  );

  // ------------------------------------------------------------ configurations

  con.get(
    "/configs",
    page(async (c, s) => {
      const { versions, error } = await loadVersions(s);
      return await html(c, <ConfigsPage s={s} versions={versions} error={error} />);
    }),
  );

  con.get(
    "/configs/v/:version",
    page(async (c, s) => {
      const v = await loadVersion(s, param(c, "version"));
      if (!v) return await notFoundPage(c, s, `No stored config version "${param(c, "version")}".`);
      const pushed = c.req.query("pushed");
      return await html(
        c,
        <VersionPage
          s={s}
          v={v}
          notice={pushed === "1"
            ? `Stored version ${v.version}.`
            : pushed === "0"
            ? `Version ${v.version} was already stored with the same content.`
            : undefined}
        />,
      );
    }),
  );

  con.get(
    "/configs/diff",
    page(async (c, s) => {
      const [a, b] = await Promise.all([
        loadVersion(s, c.req.query("a") ?? null),
        loadVersion(s, c.req.query("b") ?? null),
      ]);
      if (!a || !b) return await notFoundPage(c, s, "Choose two stored versions to compare.");
      const { versions } = await loadVersions(s);
      return await html(c, <DiffPage s={s} versions={versions} a={a} b={b} />);
    }),
  );

  con.get(
    "/configs/new",
    page(async (c, s) => {
      return await html(c, <PushPage s={s} state={{ text: "", signature: "", problems: [] }} />);
    }),
  );

  con.post(
    "/configs/new",
    limit,
    action(async (c, s, form) => {
      const file = Array.isArray(form.file) ? form.file[0] : form.file;
      let text = field(form, "config");
      if (file instanceof File && file.size > 0) {
        if (file.size > deps.options.maxConfigBytes) {
          return await html(
            c,
            <PushPage
              s={s}
              state={{
                text: "",
                signature: "",
                problems: [],
                outcome: {
                  kind: "error",
                  text: `The file is larger than ${deps.options.maxConfigBytes} bytes.`,
                },
              }}
            />,
            413,
          );
        }
        text = await file.text();
      }
      text = text.replace(/\r\n/g, "\n");
      const signature = field(form, "signature").trim();
      const state: PushState = { text, signature, problems: [] };
      if (text.trim() === "") {
        state.outcome = { kind: "error", text: "Paste a config document or choose a file." };
        return await html(c, <PushPage s={s} state={state} />, 422);
      }
      const checked = validatePushedConfig(text);
      const problems: ConfigProblem[] = [
        ...(checked.ok ? [] : checked.errors.map((e) => ({ severity: "error" as const, ...e }))),
        ...checked.warnings.map((w) => ({ severity: "warning" as const, ...w })),
      ].sort((a, b) => (a.line ?? 1e9) - (b.line ?? 1e9) || (a.column ?? 0) - (b.column ?? 0));
      state.problems = problems;
      if (field(form, "action") !== "push" || !checked.ok) {
        state.outcome = checked.ok
          ? { kind: "ok", text: `No errors: version ${checked.version} of ${checked.name} can be pushed.` }
          : { kind: "error", text: `Not stored: the document has ${checked.errors.length} error(s).` };
        return await html(c, <PushPage s={s} state={state} />, checked.ok ? 200 : 422);
      }
      const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
      if (signature) headers["x-keeptrusts-signature"] = signature;
      const r = await s.api.postText<VersionJson & { created: boolean }>(
        "/v1/admin/configurations",
        text,
        headers,
      );
      if (r.ok) {
        return c.redirect(
          `/console/configs/v/${encodeURIComponent(r.body.version)}?pushed=${r.body.created ? "1" : "0"}`,
          303,
        );
      }
      if (r.error?.details?.length) {
        state.problems = r.error.details.map((d) => ({ severity: "error" as const, ...d }));
      }
      state.outcome = { kind: "error", text: `Not stored: ${apiMessage(r)}` };
      return await html(c, <PushPage s={s} state={state} />, r.status);
    }),
  );

  // ------------------------------------------------------------ rollout

  const rolloutForm = async (
    c: ConsoleContext,
    s: SignedIn,
    version: string | undefined,
    selected: string[],
    error?: string,
    status = 200,
  ) => {
    const [{ versions, error: vErr }, { gateways, error: gErr }] = await Promise.all([
      loadVersions(s),
      loadFleet(s),
    ]);
    return await html(
      c,
      <RolloutPage
        s={s}
        versions={versions}
        gateways={gateways}
        version={version}
        selected={selected}
        error={error ?? vErr ?? gErr}
      />,
      status,
    );
  };

  con.get(
    "/rollout",
    page(async (c, s) => {
      return await rolloutForm(c, s, c.req.query("version"), queryList(c, "gateway"));
    }),
  );

  con.post(
    "/rollout",
    limit,
    action(async (c, s, form) => {
      const version = field(form, "version");
      const ids = [...new Set(fieldList(form, "gateway"))];
      if (!version || ids.length === 0) {
        return await rolloutForm(
          c,
          s,
          version || undefined,
          ids,
          "Choose a version and at least one gateway.",
          422,
        );
      }
      if (field(form, "step") === "apply") {
        const r = await s.api.postJson("/v1/admin/configurations/rollout", { gateway_ids: ids, version });
        if (!r.ok) return await rolloutForm(c, s, version, ids, `Not rolled out: ${apiMessage(r)}`, r.status);
        const q = new URLSearchParams([
          ["version", version],
          ...ids.map((id): [string, string] => ["gateway", id]),
        ]);
        return c.redirect(`/console/rollout/watch?${q}`, 303);
      }
      const v = await loadVersion(s, version);
      const { gateways, error } = await loadFleet(s);
      const chosen = gateways.filter((g) => ids.includes(g.id));
      if (!v || error || chosen.length !== ids.length) {
        return await rolloutForm(
          c,
          s,
          version,
          ids,
          error ??
            (!v ? `No stored config version "${version}".` : "Some of the chosen gateways no longer exist."),
          404,
        );
      }
      return await html(c, <ReviewPage s={s} version={v} gateways={chosen} />);
    }),
  );

  const progressInput = (c: ConsoleContext) => ({
    version: c.req.query("version") ?? "",
    ids: queryList(c, "gateway").filter((id) => GATEWAY_ID.test(id)),
  });

  con.get(
    "/rollout/watch",
    page(async (c, s) => {
      const { version, ids } = progressInput(c);
      if (!VERSION.test(version) || ids.length === 0) return c.redirect("/console/rollout", 303);
      const { gateways } = await loadFleet(s);
      return await html(c, <WatchPage s={s} version={version} gateways={gateways} ids={ids} />);
    }),
  );

  con.get(
    "/rollout/progress",
    live(async (c, s) => {
      const { version, ids } = progressInput(c);
      const { gateways } = await loadFleet(s);
      return await fragment(
        c,
        <RolloutProgress version={version} gateways={gateways} ids={ids} now={s.now} />,
      );
    }),
  );

  // ------------------------------------------------------------ events

  const eventFilters = (c: ConsoleContext): EventFilters => {
    const verdict = c.req.query("verdict") ?? "";
    const range = c.req.query("range") ?? "1h";
    const until = (c.req.query("until") ?? "").trim();
    return {
      verdict: ["allow", "redact", "block"].includes(verdict) ? verdict : "",
      gateway: (c.req.query("gateway") ?? "").trim().slice(0, 128),
      policy: (c.req.query("policy") ?? "").trim().slice(0, 128),
      range: RANGES.some(([v]) => v === range) ? range : "1h",
      until: until && parseTimestamp(until) ? until : "",
    };
  };

  const loadEvents = async (
    s: SignedIn,
    f: EventFilters,
    limit: number,
  ): Promise<{ events: EventJson[]; error?: string; truncated: boolean }> => {
    const q = new URLSearchParams({ since: f.range, limit: String(limit) });
    if (f.verdict) q.set("verdict", f.verdict);
    if (f.gateway) q.set("gateway_id", f.gateway);
    if (f.policy) q.set("policy", f.policy);
    const r = await s.api.get<Items<EventJson>>(`/v1/events?${q}`);
    if (!r.ok) return { events: [], error: apiMessage(r), truncated: false };
    let events = r.body.items;
    const until = f.until ? parseTimestamp(f.until) : null;
    if (until) events = events.filter((e) => Date.parse(String(eventTime(e))) <= until.getTime());
    return { events, truncated: r.body.items.length >= limit };
  };

  con.get(
    "/events",
    page(async (c, s) => {
      const f = eventFilters(c);
      const [{ events, error }, { gateways }] = await Promise.all([loadEvents(s, f, 200), loadFleet(s)]);
      return await html(
        c,
        <EventsPage s={s} filters={f} events={events} gateways={gateways} error={error} />,
      );
    }),
  );

  con.get(
    "/events/rows",
    live(async (c, s) => {
      const f = eventFilters(c);
      const { events, error } = await loadEvents(s, f, 200);
      return await fragment(c, <EventsTable events={events} filters={f} error={error} />);
    }),
  );

  con.get(
    "/events/chart",
    live(async (c, s) => {
      const f = eventFilters(c);
      const { events, error, truncated } = await loadEvents(s, f, 1000);
      if (error) return c.json({ error }, 400);
      const seconds = RANGES.find(([v]) => v === f.range)![2];
      const end = f.until ? parseTimestamp(f.until)! : s.now;
      c.header("cache-control", "no-store");
      return c.json(chartData(events, seconds, end, truncated));
    }),
  );

  // ------------------------------------------------------------ variables

  const variablesPage = async (
    c: ConsoleContext,
    s: SignedIn,
    name: string,
    sensitive: boolean,
    notice?: { kind: "ok" | "error"; text: string },
    status = 200,
  ) => {
    const r = await s.api.get<Items<VariableJson>>("/v1/config-variables");
    return await html(
      c,
      <VariablesPage
        s={s}
        variables={r.ok ? r.body.items : []}
        name={name}
        sensitive={sensitive}
        notice={notice}
        error={r.ok ? undefined : apiMessage(r)}
      />,
      status,
    );
  };

  con.get(
    "/variables",
    page(async (c, s) => {
      const saved = c.req.query("saved");
      return await variablesPage(
        c,
        s,
        c.req.query("name") ?? "",
        c.req.query("sensitive") !== "0",
        saved ? { kind: "ok", text: `Saved variable ${saved}.` } : undefined,
      );
    }),
  );

  con.post(
    "/variables",
    limit,
    action(async (c, s, form) => {
      const name = field(form, "name").trim();
      const sensitive = field(form, "sensitive") !== "";
      const r = await s.api.postJson("/v1/config-variables", {
        name,
        value: field(form, "value"),
        sensitive,
      });
      if (!r.ok) {
        const detail = r.error?.details?.[0];
        const text = `Not saved: ${apiMessage(r)}${detail ? ` (${detail.path}: ${detail.message})` : ""}`;
        return await variablesPage(c, s, name, sensitive, { kind: "error", text }, r.status);
      }
      return c.redirect(`/console/variables?saved=${encodeURIComponent(name)}`, 303);
    }),
  );

  // ------------------------------------------------------------ audit trail

  con.get(
    "/audit",
    page(async (c, s) => {
      const action = c.req.query("action") ?? "";
      const gateway = (c.req.query("gateway") ?? "").trim().slice(0, 128);
      const filters: AuditFilters = {
        action: AUDIT_ACTIONS.some((a) => a === action) ? action : "",
        gateway,
      };
      const q = new URLSearchParams({ limit: "200" });
      if (filters.action) q.set("action", filters.action);
      if (gateway) q.set("gateway_id", gateway);
      const r = await s.api.get<Items<AuditJson>>(`/v1/admin/audit?${q}`);
      return await html(
        c,
        <AuditPage
          s={s}
          filters={filters}
          entries={r.ok ? r.body.items : []}
          error={r.ok ? undefined : apiMessage(r)}
        />,
      );
    }),
  );

  // ------------------------------------------------------------ anything else

  con.all("*", async (c) => await notFoundPage(c, signedIn(c), "There is no console page here."));

  return { app: con, sessions };
}

/** Shown to tests: the cookie name. */
export { SESSION_COOKIE };

/** The viewer type, for tests. */
export type { Viewer };

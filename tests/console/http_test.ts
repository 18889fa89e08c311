/**
 * Console security and behaviour over plain HTTP against a real control plane:
 * session cookie attributes, sign-out and revocation, cross-site refusals,
 * scope refusals of every state-changing action, escaping, and the security
 * headers on every console response.
 */
import { createControlPlaneApp } from "../../src/control_plane/server.ts";
import { CONTENT_SECURITY_POLICY } from "../../src/control_plane/console/mod.ts";
import { SecretBox } from "../../src/control_plane/crypto.ts";
import { openSqliteStore } from "../../src/control_plane/store/sqlite.ts";
import {
  ADMIN_TOKEN,
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  badConfig,
  call,
  ConsoleClient,
  createGateway,
  goodConfig,
  postEvents,
  pushConfig,
  reportStatus,
  startConsoleServer,
} from "./helpers.ts";
import { sampleConfig } from "../control_plane/helpers.ts";

const READ_SCOPES = ["configurations:read", "gateways:read", "events:read"];

async function readOnlyToken(url: string): Promise<string> {
  const r = await call(url, "POST", "/v1/admin/tokens", {
    token: ADMIN_TOKEN,
    json: { name: "read-only operator", scopes: READ_SCOPES },
  });
  assertEquals(r.status, 201, r.text);
  return r.body.token;
}

function assertSecurityHeaders(res: Response, what: string): void {
  assertEquals(res.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY, `CSP on ${what}`);
  assertEquals(res.headers.get("x-content-type-options"), "nosniff", what);
  assertEquals(res.headers.get("referrer-policy"), "no-referrer", what);
  assertEquals(res.headers.get("x-frame-options"), "DENY", what);
}

Deno.test("console: session cookie is HttpOnly, SameSite=Strict, Path=/console; rotated at sign-in", async () => {
  const s = await startConsoleServer();
  try {
    const c = new ConsoleClient(s.url);
    const login = await c.get("/console/login");
    const anonymous = c.cookie;
    const set = login.headers.get("set-cookie") ?? "";
    assertMatch(set, /^kt_console_session=[A-Za-z0-9_-]{43};/);
    assertMatch(set, /HttpOnly/);
    assertMatch(set, /SameSite=Strict/);
    assertMatch(set, /Path=\/console(;|$)/);
    assert(!/Secure/.test(set), "no Secure flag over plain HTTP");
    const res = await c.post("/console/login", {
      _csrf: ConsoleClient.csrf(login.body_text),
      token: ADMIN_TOKEN,
    });
    assertEquals(res.status, 303);
    assertEquals(res.headers.get("location"), "/console/fleet");
    const signedIn = res.headers.get("set-cookie") ?? "";
    assertMatch(signedIn, /HttpOnly/);
    assertMatch(signedIn, /SameSite=Strict/);
    assertMatch(signedIn, /Path=\/console(;|$)/);
    assert(c.cookie !== anonymous, "a new session id at sign-in (no fixation)");
    assert(
      !signedIn.includes(ADMIN_TOKEN) && !c.cookie.includes(ADMIN_TOKEN),
      "the token never goes into the cookie",
    );
    // the pre-sign-in id is worthless now
    const old = new ConsoleClient(s.url);
    old.cookie = anonymous;
    assertEquals((await old.get("/console/fleet")).status, 303);
  } finally {
    await s.stop();
  }
});

Deno.test("console: the session cookie is Secure when served over HTTPS", async () => {
  const store = await openSqliteStore(":memory:");
  try {
    const { app } = createControlPlaneApp(store, {
      secrets: await SecretBox.fromRawKey(new Uint8Array(32).fill(7)),
    });
    const res = await app.request("https://cp.example.test/console/login");
    await res.body?.cancel();
    assertMatch(res.headers.get("set-cookie") ?? "", /; Secure/);
  } finally {
    await store.close();
  }
});

Deno.test("console: sign-in refuses unknown and gateway tokens", async () => {
  const s = await startConsoleServer();
  try {
    const gw = await createGateway(s.url, "edge-1");
    for (
      const [token, status, text] of [
        ["kt_admin_not-a-real-token-000000000000", 401, "not valid"],
        [gw.token, 403, "Gateway tokens cannot sign in"],
        ["", 401, "not valid"],
      ] as const
    ) {
      const c = new ConsoleClient(s.url);
      const login = await c.get("/console/login");
      const res = await c.post("/console/login", { _csrf: ConsoleClient.csrf(login.body_text), token });
      assertEquals(res.status, status);
      assertStringIncludes(res.body_text, text);
      assertEquals((await c.get("/console/fleet")).status, 303);
    }
  } finally {
    await s.stop();
  }
});

Deno.test("console: sign-out ends the session on the server; a revoked token ends it too", async () => {
  const s = await startConsoleServer();
  try {
    const c = new ConsoleClient(s.url);
    const csrf = await c.signIn(ADMIN_TOKEN);
    const cookie = c.cookie;
    assertEquals((await c.get("/console/fleet")).status, 200);
    const out = await c.post("/console/logout", { _csrf: csrf });
    assertEquals(out.status, 303);
    assertEquals(out.headers.get("location"), "/console/login?signed_out=1");
    assertMatch(out.headers.get("set-cookie") ?? "", /Max-Age=0/);
    // replaying the old cookie: the server no longer knows the session
    const replay = new ConsoleClient(s.url);
    replay.cookie = cookie;
    const page = await replay.get("/console/fleet");
    assertEquals(page.status, 303);
    assertEquals(page.headers.get("location"), "/console/login");
    assertEquals((await replay.get("/console/fleet/rows")).status, 401);

    // revocation: a session of a revoked token ends at its next request
    const token = await readOnlyToken(s.url);
    const list = await call(s.url, "GET", "/v1/admin/tokens", { token: ADMIN_TOKEN });
    const id = list.body.items.find((t: { name: string }) => t.name === "read-only operator").id;
    const ro = new ConsoleClient(s.url);
    await ro.signIn(token);
    assertEquals((await ro.get("/console/fleet")).status, 200);
    assertEquals((await call(s.url, "DELETE", `/v1/admin/tokens/${id}`, { token: ADMIN_TOKEN })).status, 204);
    assertEquals((await ro.get("/console/fleet")).status, 303);
  } finally {
    await s.stop();
  }
});

Deno.test("console: cross-site and token-less form posts are refused and change nothing", async () => {
  const s = await startConsoleServer();
  try {
    const gw = await createGateway(s.url, "edge-1");
    const c = new ConsoleClient(s.url);
    const csrf = await c.signIn(ADMIN_TOKEN);
    const other = new ConsoleClient(s.url);
    const otherCsrf = await other.signIn(ADMIN_TOKEN);
    const form = { _csrf: csrf, name: "OPENAI_KEY", value: "sk-secret", sensitive: "1" };
    const cases: Array<[string, Record<string, string>, Record<string, string | null>]> = [
      ["wrong Origin", form, { origin: "https://evil.example", "sec-fetch-site": null }],
      ["cross-site fetch metadata", form, { "sec-fetch-site": "cross-site" }],
      ["same-site (sibling subdomain)", form, { "sec-fetch-site": "same-site" }],
      ["no Origin nor Sec-Fetch-Site", form, { origin: null, "sec-fetch-site": null }],
      ["null Origin", form, { origin: "null", "sec-fetch-site": null }],
      ["missing CSRF token", { name: "OPENAI_KEY", value: "x", sensitive: "1" }, {}],
      ["wrong CSRF token", { ...form, _csrf: "A".repeat(43) }, {}],
      ["another session's CSRF token", { ...form, _csrf: otherCsrf }, {}],
      ["JSON body", form, { "content-type": "application/json" }],
    ];
    for (const [what, body, headers] of cases) {
      const res = await c.post("/console/variables", body, headers);
      assertEquals(res.status, 403, what);
      assertStringIncludes(res.body_text, "refused", what);
      assertSecurityHeaders(res, what);
    }
    // and the other actions, cross-site
    const evil = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };
    for (
      const [path, body] of [
        ["/console/configs/new", { _csrf: csrf, config: goodConfig("9.0.0"), action: "push" }],
        ["/console/rollout", { _csrf: csrf, step: "apply", version: "9.0.0", gateway: gw.id }],
        [`/console/gateways/${gw.id}/revert`, { _csrf: csrf, version: "9.0.0" }],
        ["/console/logout", { _csrf: csrf }],
      ] as const
    ) {
      assertEquals((await c.post(path, body, evil)).status, 403, path);
    }
    assertEquals((await call(s.url, "GET", "/v1/config-variables", { token: ADMIN_TOKEN })).body.items, []);
    assertEquals(
      (await call(s.url, "GET", "/v1/admin/configurations/versions", { token: ADMIN_TOKEN })).body.items,
      [],
    );
    assertEquals(
      (await c.get("/console/fleet")).status,
      200,
      "still signed in: the forged sign-out was refused",
    );
    // a login form posted cross-site is refused too
    const fresh = new ConsoleClient(s.url);
    const login = await fresh.get("/console/login");
    const res = await fresh.post(
      "/console/login",
      { _csrf: ConsoleClient.csrf(login.body_text), token: ADMIN_TOKEN },
      evil,
    );
    assertEquals(res.status, 403);
    // the same form from this origin works
    const ok = await c.post("/console/variables", form);
    assertEquals(ok.status, 303);
  } finally {
    await s.stop();
  }
});

Deno.test("console: a token without configurations:write sees pages but every action is refused by the server", async () => {
  const s = await startConsoleServer();
  try {
    const gw = await createGateway(s.url, "edge-1");
    const pushed = await pushConfig(s.url, goodConfig("1.0.0"));
    assertEquals(pushed.status, 201, pushed.text);
    assertEquals(
      (await call(s.url, "POST", "/v1/admin/configurations/rollout", {
        token: ADMIN_TOKEN,
        json: { gateway_ids: [gw.id], version: "1.0.0" },
      })).status,
      200,
    );
    const c = new ConsoleClient(s.url);
    const csrf = await c.signIn(await readOnlyToken(s.url));
    for (
      const path of [
        "/console/fleet",
        `/console/gateways/${gw.id}`,
        "/console/configs",
        "/console/configs/new",
        "/console/rollout",
        "/console/events",
        "/console/variables",
      ]
    ) {
      const page = await c.get(path);
      assertEquals(page.status, 200, path);
    }
    const pushPage = await c.get("/console/configs/new");
    assertMatch(pushPage.body_text, /<button type="submit" name="action" value="push" disabled/);
    assertStringIncludes(pushPage.body_text, "lacks the configurations:write scope");

    // forged requests with a valid session and CSRF token: the API's scope check refuses each
    const push = await c.post("/console/configs/new", {
      _csrf: csrf,
      config: goodConfig("2.0.0"),
      action: "push",
    });
    assertEquals(push.status, 403);
    assertStringIncludes(push.body_text, "configurations:write");
    const rollout = await c.post("/console/rollout", {
      _csrf: csrf,
      step: "apply",
      version: "1.0.0",
      gateway: gw.id,
    });
    assertEquals(rollout.status, 403);
    const revert = await c.post(`/console/gateways/${gw.id}/revert`, { _csrf: csrf, version: "1.0.0" });
    assertEquals(revert.status, 403);
    const variable = await c.post("/console/variables", {
      _csrf: csrf,
      name: "K",
      value: "v",
      sensitive: "1",
    });
    assertEquals(variable.status, 403);

    const versions = await call(s.url, "GET", "/v1/admin/configurations/versions", { token: ADMIN_TOKEN });
    assertEquals(versions.body.items.map((v: { version: string }) => v.version), ["1.0.0"]);
    assertEquals((await call(s.url, "GET", "/v1/config-variables", { token: ADMIN_TOKEN })).body.items, []);
    const rollouts = await call(s.url, "GET", "/v1/admin/configurations/rollouts", { token: ADMIN_TOKEN });
    assertEquals(rollouts.body.items.length, 1);

    // checking a document does not store it, so it is allowed
    const check = await c.post("/console/configs/new", {
      _csrf: csrf,
      config: goodConfig("3.0.0"),
      action: "check",
    });
    assertEquals(check.status, 200);
    assertStringIncludes(check.body_text, "can be pushed");
  } finally {
    await s.stop();
  }
});

Deno.test("console: a token without gateways:read or events:read is told so, not shown data", async () => {
  const s = await startConsoleServer();
  try {
    await createGateway(s.url, "edge-1");
    const r = await call(s.url, "POST", "/v1/admin/tokens", {
      token: ADMIN_TOKEN,
      json: { name: "config reader", scopes: ["configurations:read"] },
    });
    const c = new ConsoleClient(s.url);
    await c.signIn(r.body.token);
    const fleet = await c.get("/console/fleet");
    assertStringIncludes(fleet.body_text, "gateways:read");
    assert(!fleet.body_text.includes("edge-1"));
    const events = await c.get("/console/events");
    assertStringIncludes(events.body_text, "events:read");
  } finally {
    await s.stop();
  }
});

Deno.test("console: user-supplied strings render as text (no script injection)", async () => {
  const s = await startConsoleServer();
  try {
    const evil = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
    const gw = await createGateway(s.url, evil);
    await reportStatus(s.url, gw, { status: "config_rejected", last_error: `bad ${evil}` });
    await postEvents(s.url, gw, [{ verdict: "block", policy: "pii-detector", content: `[EMAIL] ${evil}` }]);
    await pushConfig(s.url, goodConfig("1.0.0"));
    const c = new ConsoleClient(s.url);
    await c.signIn(ADMIN_TOKEN);
    for (
      const path of [
        "/console/fleet",
        "/console/fleet/rows",
        `/console/gateways/${gw.id}`,
        "/console/rollout",
        "/console/events",
        "/console/events/rows",
      ]
    ) {
      const page = await c.get(path);
      assertEquals(page.status, 200, path);
      assert(!page.body_text.includes("<script>alert"), `raw script on ${path}`);
      assert(!page.body_text.includes("<img src=x"), `raw img on ${path}`);
      assertStringIncludes(page.body_text, "&lt;script&gt;alert(", path);
      assert(
        !/<script(?![^>]*\bsrc="\/console\/static\/)/.test(page.body_text),
        `only static scripts on ${path}`,
      );
    }
    // the redacted content field is shown as given, escaped
    assertStringIncludes((await c.get("/console/events")).body_text, "[EMAIL] &lt;script&gt;");
    // a pushed config's text is escaped in the lint view
    const csrf = ConsoleClient.csrf((await c.get("/console/configs/new")).body_text);
    const res = await c.post("/console/configs/new", {
      _csrf: csrf,
      config: goodConfig("1.0.0", `# </textarea><script>alert(2)</script>\n`).replace(
        "name: production",
        "name: '</pre><script>x</script>'",
      ),
      action: "check",
    });
    assert(!res.body_text.includes("<script>alert(2)"));
    assert(!res.body_text.includes("</textarea><script>"));
  } finally {
    await s.stop();
  }
});

Deno.test("console: every console response carries the CSP and security headers", async () => {
  const s = await startConsoleServer();
  try {
    const gw = await createGateway(s.url, "edge-1");
    await reportStatus(s.url, gw, { status: "healthy" });
    await pushConfig(s.url, goodConfig("1.0.0"));
    await pushConfig(s.url, goodConfig("1.1.0"));
    const anon = new ConsoleClient(s.url);
    for (
      const path of [
        "/console",
        "/console/",
        "/console/login",
        "/console/fleet",
        "/console/fleet/rows",
        "/console/static/console.css",
        "/console/nope",
      ]
    ) {
      assertSecurityHeaders(await anon.get(path), `anonymous ${path}`);
    }
    const c = new ConsoleClient(s.url);
    const csrf = await c.signIn(ADMIN_TOKEN);
    const pages = [
      "/console/fleet",
      "/console/fleet?status=healthy",
      "/console/fleet/rows",
      `/console/gateways/${gw.id}`,
      `/console/gateways/${gw.id}/summary`,
      "/console/gateways/unknown-gw",
      "/console/configs",
      "/console/configs/v/1.0.0",
      "/console/configs/diff?a=1.0.0&b=1.1.0",
      "/console/configs/new",
      "/console/rollout",
      `/console/rollout/watch?version=1.1.0&gateway=${gw.id}`,
      `/console/rollout/progress?version=1.1.0&gateway=${gw.id}`,
      "/console/events",
      "/console/events/rows?verdict=block",
      "/console/events/chart?range=15m",
      "/console/variables",
      "/console/audit",
      "/console/static/console.js",
      "/console/static/events.js",
      "/console/static/uplot.js",
      "/console/static/uplot.css",
      "/console/static/nothing.js",
      "/console/no/such/page",
    ];
    for (const path of pages) {
      const res = await c.get(path);
      assertSecurityHeaders(res, path);
      if (path.includes("/static/") && !path.includes("nothing")) {
        assertEquals(res.status, 200, path);
        assertMatch(res.headers.get("content-type") ?? "", /^text\/(javascript|css)/, path);
      } else if (!/unknown-gw|no\/such|nothing/.test(path)) assertEquals(res.status, 200, path);
    }
    // responses to posts (bad, refused, and good) too
    assertSecurityHeaders(
      await c.post("/console/variables", { _csrf: "x", name: "a", value: "b" }),
      "refused post",
    );
    assertSecurityHeaders(
      await c.post("/console/configs/new", { _csrf: csrf, config: badConfig("2.0.0"), action: "push" }),
      "invalid push",
    );
    assertSecurityHeaders(
      await c.post("/console/variables", { _csrf: csrf, name: "A", value: "b" }),
      "good post",
    );
  } finally {
    await s.stop();
  }
});

Deno.test("console: push marks lint problems at their line and stores nothing; a good push is stored", async () => {
  const s = await startConsoleServer();
  try {
    const c = new ConsoleClient(s.url);
    const csrf = await c.signIn(ADMIN_TOKEN);
    const bad = await c.post("/console/configs/new", {
      _csrf: csrf,
      config: badConfig("1.0.0"),
      action: "push",
    });
    assertEquals(bad.status, 422);
    assertMatch(bad.body_text, /<li data-code="E002" data-line="14">/);
    assertMatch(bad.body_text, /class="problem" role="note" data-line="14" data-column="5"/);
    assertStringIncludes(bad.body_text, "did you mean &quot;action&quot;?");
    assertEquals(
      (await call(s.url, "GET", "/v1/admin/configurations/versions", { token: ADMIN_TOKEN })).body.items,
      [],
    );
    const good = await c.post("/console/configs/new", {
      _csrf: csrf,
      config: goodConfig("1.0.0"),
      action: "push",
    });
    assertEquals(good.status, 303);
    assertEquals(good.headers.get("location"), "/console/configs/v/1.0.0?pushed=1");
    const again = await c.post("/console/configs/new", {
      _csrf: csrf,
      config: goodConfig("1.0.0", "# changed\n"),
      action: "push",
    });
    assertEquals(again.status, 409);
    assertStringIncludes(again.body_text, "immutable");
    const list = await c.get("/console/configs");
    assertMatch(list.body_text, /<tr data-version="1.0.0">/);
    assertStringIncludes(list.body_text, "unsigned");
  } finally {
    await s.stop();
  }
});

Deno.test("console: sensitive variables are write-only", async () => {
  const s = await startConsoleServer();
  try {
    const c = new ConsoleClient(s.url);
    const csrf = await c.signIn(ADMIN_TOKEN);
    const secret = "sk-live-very-secret-value-123";
    const res = await c.post("/console/variables", {
      _csrf: csrf,
      name: "OPENAI_KEY",
      value: secret,
      sensitive: "1",
    });
    assertEquals(res.status, 303);
    const page = await c.get("/console/variables?saved=OPENAI_KEY");
    assertMatch(page.body_text, /<tr data-name="OPENAI_KEY">/);
    assertStringIncludes(page.body_text, "sensitive (write-only)");
    assert(!page.body_text.includes(secret));
    const replace = await c.post("/console/variables", {
      _csrf: csrf,
      name: "OPENAI_KEY",
      value: "other",
      sensitive: "1",
    });
    assertEquals(replace.status, 303);
    const bad = await c.post("/console/variables", { _csrf: csrf, name: "1bad name", value: "v" });
    assertEquals(bad.status, 422);
  } finally {
    await s.stop();
  }
});

Deno.test("console: a config uploaded as a file (multipart) is checked and pushed", async () => {
  const s = await startConsoleServer();
  try {
    const c = new ConsoleClient(s.url);
    const csrf = await c.signIn(ADMIN_TOKEN);
    const form = new FormData();
    form.set("_csrf", csrf);
    form.set("config", "");
    form.set("action", "push");
    form.set("file", new File([goodConfig("4.2.0")], "policy-config.yaml", { type: "application/yaml" }));
    const res = await fetch(`${s.url}/console/configs/new`, {
      method: "POST",
      body: form,
      redirect: "manual",
      headers: { cookie: c.cookie, origin: s.url, "sec-fetch-site": "same-origin" },
    });
    await res.body?.cancel();
    assertEquals(res.status, 303);
    assertEquals(res.headers.get("location"), "/console/configs/v/4.2.0?pushed=1");
    const page = await c.get("/console/configs/v/4.2.0");
    assertStringIncludes(page.body_text, 'id="L3"');
  } finally {
    await s.stop();
  }
});

Deno.test("console: an empty fleet says how to register a gateway; the status filter works", async () => {
  const s = await startConsoleServer();
  try {
    const c = new ConsoleClient(s.url);
    await c.signIn(ADMIN_TOKEN);
    const empty = await c.get("/console/fleet");
    assertStringIncludes(empty.body_text, "No gateways yet: register one with <code>kt gateway create");
    const a = await createGateway(s.url, "edge-a");
    await createGateway(s.url, "edge-b");
    await reportStatus(s.url, a, { status: "degraded" });
    const degraded = await c.get("/console/fleet/rows?status=degraded");
    assertMatch(degraded.body_text, /data-status="degraded"/);
    assert(!degraded.body_text.includes("edge-b"));
    assertStringIncludes(degraded.body_text, "degraded (1)");
    assertStringIncludes(degraded.body_text, "offline (1)");
  } finally {
    await s.stop();
  }
});

Deno.test("console: the audit page shows who read which secret for which gateway, never the value; it needs audit:read", async () => {
  const s = await startConsoleServer();
  try {
    const secret = "sk-live-audited-secret-0123456789";
    await call(s.url, "POST", "/v1/config-variables", {
      token: ADMIN_TOKEN,
      json: { name: "OPENAI_KEY", value: secret },
    });
    const gw = await createGateway(s.url, "edge-audit", "edge-audit");
    await pushConfig(s.url, sampleConfig("1.0.0"));
    await call(s.url, "POST", "/v1/admin/configurations/rollout", {
      token: ADMIN_TOKEN,
      json: { gateway_ids: [gw.id], version: "1.0.0" },
    });
    const read = await call(s.url, "GET", "/v1/gateway/config-variables/OPENAI_KEY", { token: gw.token });
    assertEquals(read.status, 200);
    const gwTokenId = (await call(s.url, "GET", "/v1/admin/tokens", { token: ADMIN_TOKEN })).body.items
      .find((t: { gateway_id: string | null }) => t.gateway_id === gw.id).id;

    const c = new ConsoleClient(s.url);
    await c.signIn(ADMIN_TOKEN);
    const page = await c.get("/console/audit");
    assertEquals(page.status, 200);
    assertStringIncludes(page.body_text, 'aria-current="page">Audit</a>');
    const row = /<tr data-action="secret_read" data-subject="OPENAI_KEY">([\s\S]*?)<\/tr>/.exec(
      page.body_text,
    );
    assert(row, "the secret read is listed");
    assertStringIncludes(row[1], gwTokenId);
    assertStringIncludes(row[1], "edge-audit");
    assert(!page.body_text.includes(secret), "never the value");
    assertMatch(page.body_text, /data-action="gateway_registered"/);

    const filtered = await c.get(`/console/audit?action=secret_read&gateway=${encodeURIComponent("<b>x")}`);
    assert(!filtered.body_text.includes('data-action="gateway_registered"'));
    assert(!filtered.body_text.includes("<b>x"), "the filter is echoed escaped");
    assertStringIncludes(filtered.body_text, "gateway_id is not a valid id");

    const reader = await call(s.url, "POST", "/v1/admin/tokens", {
      token: ADMIN_TOKEN,
      json: { name: "reader", scopes: ["configurations:read", "gateways:read", "events:read"] },
    });
    const other = new ConsoleClient(s.url);
    await other.signIn(reader.body.token);
    const denied = await other.get("/console/audit");
    assertStringIncludes(denied.body_text, "audit:read");
    assert(!denied.body_text.includes("data-action="), "no entries without audit:read");
  } finally {
    await s.stop();
  }
});

/**
 * Wrong methods and unknown paths on a real control plane (127.0.0.1): a known
 * path under another method is 405 with `Allow` and `method_not_allowed`, an
 * unknown path stays 404 `unknown_route`, and the console (same app) keeps
 * answering its own pages and misses.
 *
 * @module
 */
import assert from "node:assert/strict";
import { allowedMethodsIndex } from "../../src/control_plane/http.ts";
import type { RunningControlPlane } from "../../src/control_plane/serve.ts";
import { ConsoleClient } from "../console/helpers.ts";
import { ADMIN_TOKEN, call, sqliteFactory, startTestServer } from "./helpers.ts";

async function withServer(fn: (base: string, server: RunningControlPlane) => Promise<void>): Promise<void> {
  const handle = await sqliteFactory.fresh();
  const server = await startTestServer({ store: handle.store });
  try {
    await fn(server.url, server);
  } finally {
    await server.stop();
    await handle.cleanup();
  }
}

Deno.test("allowedMethodsIndex: concrete routes only, HEAD with GET, Allow order", () => {
  const allowed = allowedMethodsIndex([
    { method: "ALL", path: "/*" },
    { method: "ALL", path: "/v1/*" },
    { method: "POST", path: "/v1/things" },
    { method: "GET", path: "/v1/things" },
    { method: "GET", path: "/v1/things" }, // a route with middleware is listed once per handler
    { method: "DELETE", path: "/v1/things/:id" },
    { method: "GET", path: "/v1/things/:id" },
  ]);
  assert.deepEqual(allowed("/v1/things"), ["GET", "HEAD", "POST"]);
  assert.deepEqual(allowed("/v1/things/abc"), ["GET", "HEAD", "DELETE"]);
  assert.deepEqual(allowed("/v1/things/"), [], "strict trailing slash, as the app routes");
  assert.deepEqual(allowed("/v1/other"), [], "middleware paths are not routes");
});

Deno.test("a wrong method on an API route is 405 with Allow and method_not_allowed", async () => {
  await withServer(async (base) => {
    const list = await call(base, "DELETE", "/v1/admin/gateways", {
      token: ADMIN_TOKEN,
      headers: { "x-request-id": "m-405" },
    });
    assert.equal(list.status, 405, list.text);
    assert.equal(list.headers.get("allow"), "GET, HEAD, POST");
    assert.match(list.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(list.headers.get("x-request-id"), "m-405");
    assert.deepEqual(list.body, {
      error: {
        type: "invalid_request",
        code: "method_not_allowed",
        message: "DELETE is not allowed on /v1/admin/gateways; use GET or HEAD or POST",
        request_id: "m-405",
      },
    });

    // Parameterised paths, POST-only actions, the ops endpoints.
    const one = await call(base, "PUT", "/v1/admin/gateways/gw-1", { token: ADMIN_TOKEN });
    assert.equal(one.status, 405);
    assert.equal(one.headers.get("allow"), "GET, HEAD");
    const rollout = await call(base, "GET", "/v1/admin/configurations/rollout", { token: ADMIN_TOKEN });
    assert.equal(rollout.status, 405);
    assert.equal(rollout.headers.get("allow"), "POST");
    assert.equal(rollout.body.error.code, "method_not_allowed");
    const token = await call(base, "GET", "/v1/admin/tokens/tok_1", { token: ADMIN_TOKEN });
    assert.equal(token.headers.get("allow"), "DELETE");
    const health = await call(base, "POST", "/healthz");
    assert.equal(health.status, 405);
    assert.equal(health.headers.get("allow"), "GET, HEAD");
    const options = await call(base, "OPTIONS", "/v1/events", { token: ADMIN_TOKEN });
    assert.equal(options.status, 405);
    assert.equal(options.headers.get("allow"), "GET, HEAD, POST");

    // HEAD on a POST-only route: 405 with no body; HEAD on a GET route is still served.
    const head = await fetch(`${base}/v1/admin/configurations/rollout`, { method: "HEAD" });
    assert.equal(head.status, 405);
    assert.equal(head.headers.get("allow"), "POST");
    assert.equal(await head.text(), "");
    const headHealth = await fetch(`${base}/healthz`, { method: "HEAD" });
    await headHealth.body?.cancel();
    assert.equal(headHealth.status, 200);

    // Authentication still comes first for a presented token; anonymous callers learn only the methods.
    const badToken = await call(base, "DELETE", "/v1/admin/gateways", { token: "kt_admin_not-a-real-token" });
    assert.equal(badToken.status, 401);
    const anonymous = await call(base, "DELETE", "/v1/admin/gateways");
    assert.equal(anonymous.status, 405);

    // The right method still reaches the route.
    assert.equal((await call(base, "GET", "/v1/admin/gateways", { token: ADMIN_TOKEN })).status, 200);
  });
});

Deno.test("unknown paths stay 404 unknown_route without Allow; both are counted as unmatched", async () => {
  await withServer(async (base) => {
    for (
      const [method, path] of [
        ["GET", "/v1/nope"],
        ["DELETE", "/v1/nope"],
        ["GET", "/v1/admin/gateways/"],
        ["GET", "/v1/admin/gateways/gw-1/history"],
        ["POST", "/nothing-here"],
      ]
    ) {
      const r = await call(base, method, path, { token: ADMIN_TOKEN });
      assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
      assert.equal(r.body.error.code, "unknown_route");
      assert.equal(r.body.error.type, "invalid_request");
      assert.equal(r.headers.get("allow"), null, `${method} ${path}`);
    }
    await call(base, "PATCH", "/v1/config-variables", { token: ADMIN_TOKEN });
    const metrics = await call(base, "GET", "/metrics", { token: ADMIN_TOKEN });
    assert.match(metrics.text, /route="unmatched",status="405"\} 1/);
    assert.match(metrics.text, /route="unmatched",status="404"\} 1/);
    assert.ok(!metrics.text.includes("/nothing-here"), "no raw paths in labels");
    assert.ok(!metrics.text.includes("x-kt-unmatched"));
  });
});

Deno.test("the console keeps its pages, forms and HTML misses", async () => {
  await withServer(async (base) => {
    const browser = new ConsoleClient(base);
    const root = await browser.get("/console/");
    assert.equal(root.status, 303);
    const login = await browser.get("/console/login");
    assert.equal(login.status, 200);
    assert.match(login.headers.get("content-type") ?? "", /^text\/html/);
    assert.equal(login.headers.get("allow"), null);
    await browser.signIn(ADMIN_TOKEN);
    for (const page of ["/console/fleet", "/console/configs", "/console/events", "/console/variables"]) {
      const r = await browser.get(page);
      assert.equal(r.status, 200, `${page}: ${r.body_text.slice(0, 200)}`);
      assert.match(r.headers.get("content-type") ?? "", /^text\/html/);
    }
    // The console answers its own misses, wrong methods included, with its HTML page.
    for (const [method, path] of [["GET", "/console/nope"], ["DELETE", "/console/fleet"]]) {
      const r = await fetch(`${base}${path}`, { method, headers: { cookie: browser.cookie } });
      const text = await r.text();
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.match(r.headers.get("content-type") ?? "", /^text\/html/);
      assert.match(text, /There is no console page here/);
      assert.ok(r.headers.get("content-security-policy"));
    }
  });
});

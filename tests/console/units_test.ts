/**
 * Pure parts of the console: highlighting, side-by-side diffs, chart buckets,
 * session expiry, the cross-site check, and the vendored files' freshness.
 */
import { sideBySide } from "../../src/control_plane/console/diff.ts";
import { highlightYaml } from "../../src/control_plane/console/highlight.ts";
import { chartData } from "../../src/control_plane/console/pages/events.tsx";
import { rolloutState } from "../../src/control_plane/console/pages/rollout.tsx";
import { checkCsrf, CsrfError } from "../../src/control_plane/console/security.ts";
import { SessionStore } from "../../src/control_plane/console/session.ts";
import { openSqliteStore } from "../../src/control_plane/store/sqlite.ts";
import { ASSETS, VENDORED_PACKAGES } from "../../src/control_plane/console/vendor/assets.ts";
import { lockedPackage, renderVendorModule, VENDOR_FILE } from "../../scripts/vendor_console.ts";
import { assert, assertEquals } from "./helpers.ts";

Deno.test("highlight: pieces add up to every source line and classify keys, values, comments", () => {
  const text =
    `# top\npack: { name: "x", version: 1.0.0, enabled: true }\nlist:\n  - a: 'b' # tail\n  - |\n    block\n    text\nn: 12\nz: null\n`;
  const lines = highlightYaml(text);
  const source = text.split("\n").slice(0, -1);
  assertEquals(lines.length, source.length);
  lines.forEach((pieces, i) => assertEquals(pieces.map((p) => p.text).join(""), source[i]));
  const kinds = (n: number) => lines[n].filter((p) => p.text.trim()).map((p) => `${p.kind}:${p.text.trim()}`);
  assertEquals(kinds(0), ["comment:# top"]);
  assert(kinds(1).includes("key:pack") && kinds(1).includes("key:name") && kinds(1).includes('string:"x"'));
  assert(kinds(1).includes("bool:true"));
  assert(
    kinds(3).includes("key:a") && kinds(3).includes("string:'b'") && kinds(3).includes("comment:# tail"),
  );
  assertEquals(kinds(5), ["block:block"]);
  assert(kinds(7).includes("number:12"));
  assert(kinds(8).includes("null:null"));
  // broken YAML still shows every line
  const broken = "a: [1, 2\nb: {\n";
  assertEquals(highlightYaml(broken).map((l) => l.map((p) => p.text).join("")), ["a: [1, 2", "b: {"]);
});

Deno.test("diff: side by side pairs changed lines and folds unchanged runs", () => {
  const a = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join("\n") + "\n";
  const b = a.replace("line 10\n", "line ten\n").replace("line 20\n", "line 20\nline 21\n");
  const d = sideBySide(a, b, 2);
  assertEquals(d.added, 2);
  assertEquals(d.removed, 1);
  assert(!d.identical);
  const kinds = d.rows.map((r) => r.kind);
  assertEquals(kinds, ["skip", "same", "same", "changed", "same", "same", "skip", "same", "same", "added"]);
  const changed = d.rows.find((r) => r.kind === "changed");
  assertEquals(changed, { kind: "changed", left: 10, right: 10 });
  assert(sideBySide("x\n", "x").identical);
});

Deno.test("events chart: buckets by verdict inside the range", () => {
  const end = new Date("2026-03-20T12:00:00Z");
  const at = (minAgo: number) => new Date(end.getTime() - minAgo * 60_000).toISOString();
  const data = chartData(
    [
      { timestamp: at(1), verdict: "allow" },
      { timestamp: at(1), verdict: "block" },
      { timestamp: at(30), verdict: "redact" },
      { timestamp: at(120), verdict: "allow" }, // outside 1h
      { timestamp: "garbage", verdict: "allow" },
    ],
    3600,
    end,
    false,
  );
  assertEquals(data.totals, { allow: 1, redact: 1, block: 1 });
  assertEquals(data.t.length, data.allow.length);
  assert(data.t.length >= 20 && data.t.length <= 40);
  assertEquals(data.allow.reduce((a, b) => a + b, 0), 1);
});

Deno.test("rollout progress states", () => {
  const g = {
    id: "g",
    name: "g",
    description: null,
    status: "healthy",
    desired_version: "2.0.0",
    running_version: "1.0.0",
    last_seen_at: null,
    last_error: null,
    created_at: "",
  };
  assertEquals(rolloutState(g, "2.0.0"), "waiting");
  assertEquals(rolloutState({ ...g, running_version: "2.0.0" }, "2.0.0"), "applied");
  assertEquals(rolloutState({ ...g, status: "config_rejected" }, "2.0.0"), "rejected");
  assertEquals(rolloutState({ ...g, status: "offline" }, "2.0.0"), "offline");
  assertEquals(rolloutState({ ...g, desired_version: "3.0.0" }, "2.0.0"), "superseded");
});

Deno.test("sessions: absolute and idle expiry, bounded size, unknown ids", async () => {
  const db = await openSqliteStore(":memory:");
  try {
    let now = 1_000_000;
    const store = new SessionStore(db, {
      limits: { ttlSeconds: 100, idleSeconds: 10, anonymousTtlSeconds: 5, maxSessions: 3 },
      now: () => now,
    });
    const { id } = await store.create("hash");
    now += 9_000;
    assert(await store.get(id), "used within the idle time");
    now += 9_000;
    assert(await store.get(id), "idle time restarts on use");
    now += 11_000;
    assertEquals(await store.get(id), null, "idle expiry");
    const long = await store.create("hash");
    for (let i = 0; i < 12; i++) {
      now += 9_000;
      if (now - long.session.createdAt < 100_000) assert(await store.get(long.id));
    }
    assertEquals(await store.get(long.id), null, "absolute expiry");
    const anon = await store.create(null);
    now += 6_000;
    assertEquals(await store.get(anon.id), null, "anonymous sessions are short");
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push((await store.create(null)).id);
      now += 1; // distinct creation times: the oldest is well defined
    }
    assertEquals(await store.get(ids[0]), null, "the oldest is dropped beyond the bound");
    for (const kept of ids.slice(1)) assert(await store.get(kept));
    // Signed-in sessions outlast anonymous ones: a flood of sign-in pages does not sign operators out.
    const operator = await store.create("hash");
    now += 1;
    for (let i = 0; i < 4; i++) {
      await store.create(null);
      now += 1;
    }
    assert(await store.get(operator.id), "a signed-in session survives anonymous ones past the bound");
    assertEquals(await store.get("not-a-session"), null);
    assertEquals(await store.get(undefined), null);
  } finally {
    await db.close();
  }
});

Deno.test("sessions: the idle expiry is written back at most every touch interval", async () => {
  const db = await openSqliteStore(":memory:");
  try {
    let now = Date.parse("2026-03-20T12:00:00.000Z");
    const store = new SessionStore(db, {
      limits: { ttlSeconds: 8 * 3600, idleSeconds: 3600, touchIntervalSeconds: 60 },
      now: () => now,
    });
    const { id, session } = await store.create("hash");
    const stored = async () => (await db.getConsoleSession(session.key))!.idleExpiresAt;
    const first = await stored();
    assertEquals(first, new Date(now + 3600_000).toISOString());
    now += 30_000;
    assert(await store.get(id));
    assertEquals(await stored(), first, "no write within the touch interval");
    now += 31_000;
    assert(await store.get(id));
    assertEquals(await stored(), new Date(now + 3600_000).toISOString(), "written once the interval passed");
  } finally {
    await db.close();
  }
});

Deno.test("csrf check: same origin with the session's token only", () => {
  const base = {
    url: "http://127.0.0.1:8081/console/variables",
    origin: "http://127.0.0.1:8081",
    secFetchSite: "same-origin",
    formToken: "tok",
    sessionToken: "tok",
  };
  checkCsrf(base);
  checkCsrf({ ...base, secFetchSite: undefined });
  checkCsrf({ ...base, origin: undefined });
  checkCsrf({ ...base, origin: "null" }); // Referrer-Policy: no-referrer makes Chromium send this
  const refused = (over: Partial<typeof base>, code: string) => {
    try {
      checkCsrf({ ...base, ...over });
    } catch (err) {
      assert(err instanceof CsrfError);
      assertEquals(err.code, code);
      return;
    }
    throw new Error(`not refused: ${JSON.stringify(over)}`);
  };
  refused({ origin: "http://evil.example" }, "cross_site");
  refused({ origin: "http://127.0.0.1:9999" }, "cross_site");
  refused({ origin: "null", secFetchSite: undefined }, "cross_site");
  refused({ origin: "null", secFetchSite: "cross-site" }, "cross_site");
  refused({ secFetchSite: "cross-site" }, "cross_site");
  refused({ secFetchSite: "none" }, "cross_site");
  refused({ origin: undefined, secFetchSite: undefined }, "missing_origin");
  refused({ formToken: "other" }, "bad_token");
  refused({ sessionToken: null } as unknown as Partial<typeof base>, "bad_token");
});

Deno.test("vendored console files match deno.lock and their sources (regenerate: deno run -A scripts/vendor_console.ts)", async () => {
  for (const p of VENDORED_PACKAGES) {
    const locked = await lockedPackage(p.name);
    assertEquals(p, locked, `${p.name} in ${VENDOR_FILE} differs from deno.lock`);
  }
  const current = await Deno.readTextFile(VENDOR_FILE);
  assert(
    current === await renderVendorModule(),
    `${VENDOR_FILE} is stale; run: deno run -A scripts/vendor_console.ts`,
  );
  assert(ASSETS["uplot.js"].body.includes("uPlot"), "uPlot's browser build is embedded");
});

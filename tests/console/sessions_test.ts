/**
 * Console sessions live in the control plane's store: they survive a restart
 * on the same database, are shared by servers on one database, expire (idle
 * and absolute) and are then removed, and the table never holds a session id
 * or an admin token. Run on SQLite, and on PostgreSQL when it is installed (a
 * throwaway cluster, stopped by its PID; skipped visibly otherwise).
 */
import { createHash } from "node:crypto";
import type { RunningControlPlane } from "../../src/control_plane/serve.ts";
import {
  postgresFactory,
  sqliteFactory,
  startTestServer,
  type StoreFactory,
  type StoreHandle,
  type TestServerOptions,
  withFileTestPostgres,
} from "../control_plane/helpers.ts";
import { ADMIN_TOKEN, assert, assertEquals, ConsoleClient } from "./helpers.ts";

const sha256 = (s: string): string => createHash("sha256").update(s, "utf8").digest("hex");

/** The session id of a client's cookie. */
function cookieId(c: ConsoleClient): string {
  const id = c.cookie.split("=")[1] ?? "";
  assert(/^[A-Za-z0-9_-]{43}$/.test(id), `a session cookie: ${c.cookie}`);
  return id;
}

/** A client of `base` holding `cookie`. */
function withCookie(base: string, cookie: string): ConsoleClient {
  const c = new ConsoleClient(base);
  c.cookie = cookie;
  return c;
}

async function sessionRows(handle: StoreHandle): Promise<Array<Record<string, unknown>>> {
  return await handle.rawQuery(
    "SELECT id_hash, csrf, token_hash, created_at, expires_at, idle_expires_at FROM console_sessions",
  );
}

async function signedInAt(c: ConsoleClient): Promise<boolean> {
  const res = await c.get("/console/fleet");
  return res.status === 200;
}

function registerSessionSuite(backend: string, factory: () => StoreFactory | null, skip?: string): void {
  const t = (name: string, fn: (f: StoreFactory) => Promise<void>) =>
    Deno.test({
      name: `[${backend}] console sessions: ${name}`,
      ignore: Boolean(skip),
      fn: () => fn(factory()!),
    });

  t("a session survives a control plane restart on the same database", async (f) => {
    const handle = await f.fresh();
    let cp: RunningControlPlane | null = await startTestServer({ store: handle.store });
    try {
      const c = new ConsoleClient(cp.url);
      const csrf = await c.signIn(ADMIN_TOKEN);
      await cp.stop(); // closes the store
      cp = null;
      cp = await startTestServer({ store: await handle.reopen() });
      const after = withCookie(cp.url, c.cookie);
      const fleet = await after.get("/console/fleet");
      assertEquals(fleet.status, 200, "the cookie still works after the restart");
      assertEquals(ConsoleClient.csrf(fleet.body_text), csrf, "same session, same CSRF token");
      const out = await after.post("/console/logout", { _csrf: csrf });
      assertEquals(out.status, 303);
      assertEquals(out.headers.get("location"), "/console/login?signed_out=1");
      assert(!await signedInAt(withCookie(cp.url, c.cookie)), "signed out for good");
      assertEquals((await sessionRows(handle)).filter((r) => r.token_hash !== null).length, 0);
    } finally {
      await cp?.stop();
      await handle.cleanup();
    }
  });

  t("two servers on one database share sessions", async (f) => {
    const handle = await f.fresh();
    const a = await startTestServer({ store: handle.store });
    let b: RunningControlPlane | null = null;
    try {
      b = await startTestServer({ store: await handle.reopen() });
      const onA = new ConsoleClient(a.url);
      const csrf = await onA.signIn(ADMIN_TOKEN);
      const onB = withCookie(b.url, onA.cookie);
      const fleet = await onB.get("/console/fleet");
      assertEquals(fleet.status, 200, "signed in on A, recognised by B");
      assertEquals(ConsoleClient.csrf(fleet.body_text), csrf);
      // a sign-in on B works on A too, and a sign-out on B ends the session on A
      const second = new ConsoleClient(b.url);
      const csrf2 = await second.signIn(ADMIN_TOKEN);
      assert(await signedInAt(withCookie(a.url, second.cookie)));
      assertEquals((await onB.post("/console/logout", { _csrf: csrf })).status, 303);
      assert(!await signedInAt(withCookie(a.url, onA.cookie)), "signed out on B: refused by A");
      assert(await signedInAt(withCookie(a.url, second.cookie)), "other sessions untouched");
      assertEquals((await second.post("/console/logout", { _csrf: csrf2 })).status, 303);
    } finally {
      await b?.stop();
      await a.stop();
      await handle.cleanup();
    }
  });

  t("idle and absolutely expired sessions are refused and removed", async (f) => {
    const handle = await f.fresh();
    let now = Date.parse("2026-03-20T12:00:00.000Z");
    const options: Partial<TestServerOptions> = {
      console: {
        clock: () => now,
        sessions: { idleSeconds: 600, ttlSeconds: 3600, anonymousTtlSeconds: 300, touchIntervalSeconds: 60 },
      },
    };
    const cp = await startTestServer({ store: handle.store, ...options });
    try {
      const idHashes = async () => new Set((await sessionRows(handle)).map((r) => String(r.id_hash)));

      // idle: unused for longer than idleSeconds
      const idle = new ConsoleClient(cp.url);
      await idle.signIn(ADMIN_TOKEN);
      const idleKey = sha256(cookieId(idle));
      assert((await idHashes()).has(idleKey));
      now += 599_000;
      assert(await signedInAt(idle), "used just before the idle limit");
      now += 599_000;
      assert(await signedInAt(idle), "use pushed the idle limit forward");
      now += 601_000;
      const refused = await idle.get("/console/fleet");
      assertEquals(refused.status, 303);
      assertEquals(refused.headers.get("location"), "/console/login");
      assert(!(await idHashes()).has(idleKey), "the idle session's row is deleted");

      // absolute: used every 500 s, still ends after ttlSeconds
      const busy = new ConsoleClient(cp.url);
      await busy.signIn(ADMIN_TOKEN);
      const busyKey = sha256(cookieId(busy));
      for (let used = 0; used + 500 < 3600; used += 500) {
        now += 500_000;
        assert(await signedInAt(busy), `in use at ${used + 500} s`);
      }
      now += 500_000;
      assert(!await signedInAt(busy), "past the absolute lifetime");
      assert(!(await idHashes()).has(busyKey), "the expired session's row is deleted");

      // a session nobody looks up again is swept when another one is created
      const abandoned = new ConsoleClient(cp.url);
      await abandoned.get("/console/login");
      const abandonedKey = sha256(cookieId(abandoned));
      assert((await idHashes()).has(abandonedKey));
      now += 301_000;
      await new ConsoleClient(cp.url).get("/console/login");
      assert(!(await idHashes()).has(abandonedKey), "swept on the next creation");
    } finally {
      await cp.stop();
      await handle.cleanup();
    }
  });

  t("the store holds hashes of the session id and the token, never the values", async (f) => {
    const handle = await f.fresh();
    const cp = await startTestServer({ store: handle.store });
    try {
      const c = new ConsoleClient(cp.url);
      await c.get("/console/login");
      const anonymousId = cookieId(c);
      const csrf = await c.signIn(ADMIN_TOKEN);
      const id = cookieId(c);
      assert(id !== anonymousId, "a new id at sign-in");
      const rows = await sessionRows(handle);
      for (const row of rows) {
        const text = JSON.stringify(row);
        for (const secret of [id, anonymousId, ADMIN_TOKEN]) {
          assert(!text.includes(secret), `a stored session holds no session id or token: ${text}`);
        }
      }
      assert(!rows.some((r) => r.id_hash === sha256(anonymousId)), "the pre-sign-in session is deleted");
      const mine = rows.find((r) => r.id_hash === sha256(id));
      assert(mine, "keyed by sha256 of the id");
      assertEquals(mine.token_hash, sha256(ADMIN_TOKEN));
      assertEquals(mine.csrf, csrf);
      for (const k of ["created_at", "expires_at", "idle_expires_at"]) {
        assert(!Number.isNaN(Date.parse(String(mine[k]))), `${k} is a timestamp`);
      }
      if (f.backend === "sqlite") {
        const bytes = await handle.rawDump(); // the database file and its WAL
        for (const secret of [id, anonymousId, ADMIN_TOKEN]) {
          assert(!bytes.includes(secret), "no session id or token anywhere in the database files");
        }
      }
    } finally {
      await cp.stop();
      await handle.cleanup();
    }
  });
}

registerSessionSuite("sqlite", () => sqliteFactory);

await withFileTestPostgres((cluster, skip) => {
  registerSessionSuite("postgres", () => {
    const pg = cluster();
    return pg ? postgresFactory(pg) : null;
  }, skip);
});

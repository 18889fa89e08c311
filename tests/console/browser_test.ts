/**
 * The console in a real headless Chromium (Debian's `chromium`, driven by
 * playwright-core) against a real control plane: sign in, watch a gateway turn
 * healthy, push a config with an error and see it flagged at its line, push a
 * good one, roll it out to one of two gateways and see only that one move, see
 * events sent during the test (with the chart), find a secret read in the audit
 * trail, sign out.
 *
 * Gateways are simulated the way a managed gateway talks to the control plane
 * (SPEC 5): they poll runtime-state with their own token, "load" the desired
 * version, and post status reports. Screenshots go to .test-out/console/; with
 * KT_UPDATE_DOCS_SCREENSHOTS=1 the fleet one also replaces docs/console-fleet.png.
 * Skipped (visibly) when /usr/bin/chromium is absent.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import {
  ADMIN_TOKEN,
  assert,
  assertEquals,
  badConfig,
  call,
  createGateway,
  goodConfig,
  postEvents,
  pushConfig,
  startConsoleServer,
  type TestGateway,
} from "./helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const OUT = ".test-out/console";
const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

/** A stand-in managed gateway: polls, "loads" the desired version, reports (every 300 ms). */
class SimulatedGateway {
  readonly gw: TestGateway;
  readonly url: string;
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy: Promise<void> = Promise.resolve();
  #running: string | null = null;
  #etag = "";

  constructor(url: string, gw: TestGateway) {
    this.url = url;
    this.gw = gw;
  }

  start(): void {
    this.#timer = setInterval(() => {
      this.#busy = this.#busy.then(() => this.#tick()).catch(() => {});
    }, 300);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#busy;
  }

  async #tick(): Promise<void> {
    const state = await fetch(`${this.url}/v1/admin/configurations/gateways/${this.gw.id}/runtime-state`, {
      headers: {
        authorization: `Bearer ${this.gw.token}`,
        ...(this.#etag ? { "if-none-match": this.#etag } : {}),
      },
    });
    const body = state.status === 200 ? await state.json() : await state.body?.cancel();
    if (state.status === 200) {
      this.#etag = state.headers.get("etag") ?? "";
      this.#running = body.desired_version;
    }
    const res = await fetch(`${this.url}/v1/admin/configurations/gateways/${this.gw.id}/status`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.gw.token}`, "content-type": "application/json" },
      body: JSON.stringify({
        running_version: this.#running,
        desired_version: this.#running,
        status: "healthy",
        last_error: null,
        uptime_seconds: 5,
        requests: { total: 0, blocked: 0, redacted: 0, errors: 0 },
        kt_version: "0.1.0",
        instance_id: `sim-${this.gw.id}`,
        poll_interval_seconds: 1,
      }),
    });
    await res.body?.cancel();
  }
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${OUT}/${name}.png`, fullPage: true });
}

Deno.test({
  name:
    "console in Chromium: sign in, fleet turns healthy, push with lint, staged rollout, events, audit, sign out",
  ignore: !hasChromium,
  async fn(t) {
    await Deno.mkdir(OUT, { recursive: true });
    const server = await startConsoleServer();
    const userDataDir = await Deno.makeTempDir({ prefix: "kt-console-chromium-" });
    let browser: Browser | undefined;
    const sims: SimulatedGateway[] = [];
    const cspViolations: string[] = [];
    try {
      const a = await createGateway(server.url, "edge-a", "edge-a");
      const b = await createGateway(server.url, "edge-b", "edge-b");
      const context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
        viewport: { width: 1280, height: 860 },
        timeout: 30_000,
      });
      browser = context.browser() ?? undefined;
      const page = context.pages()[0] ?? await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on("console", (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
      });
      page.on("pageerror", (e) => cspViolations.push(`page error: ${e.message}`));
      const closeAll = async () => {
        await context.close();
      };
      try {
        await t.step("sign in and land on the fleet", async () => {
          await page.goto(`${server.url}/console/`);
          assertEquals(new URL(page.url()).pathname, "/console/login");
          await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
          await page.keyboard.press("Enter");
          await page.waitForURL("**/console/fleet");
          await page.locator('tr[data-gateway-id="edge-a"][data-status="offline"]').waitFor();
          await shot(page, "01-fleet-offline");
        });

        await t.step("a reporting gateway turns healthy without a reload", async () => {
          for (const gw of [a, b]) {
            const sim = new SimulatedGateway(server.url, gw);
            sims.push(sim);
            sim.start();
          }
          await page.locator('tr[data-gateway-id="edge-a"][data-status="healthy"]').waitFor();
          await page.locator('tr[data-gateway-id="edge-b"][data-status="healthy"]').waitFor();
          assertEquals(await page.locator('tr[data-gateway-id="edge-a"] .badge').innerText(), "healthy");
          await shot(page, "02-fleet-healthy");
        });

        await t.step("a config with an error is flagged at its line and not stored", async () => {
          await page.getByRole("link", { name: "Configurations" }).click();
          await page.getByRole("link", { name: "Push a new version" }).click();
          await page.getByLabel("Config document (YAML or JSON)").fill(badConfig("1.0.0"));
          await page.getByRole("button", { name: "Check and push" }).click();
          const marker = page.locator('.problem[data-line="14"]');
          await marker.waitFor();
          assert((await marker.innerText()).includes("E002"), await marker.innerText());
          assert((await page.locator("#L14").innerText()).includes("actoin"));
          await shot(page, "03-push-lint-error");
          const versions = await call(server.url, "GET", "/v1/admin/configurations/versions", {
            token: ADMIN_TOKEN,
          });
          assertEquals(versions.body.items, []);
        });

        await t.step("a good config is stored", async () => {
          await page.getByLabel("Config document (YAML or JSON)").fill(goodConfig("1.0.0"));
          await page.getByRole("button", { name: "Check and push" }).click();
          await page.waitForURL("**/console/configs/v/1.0.0?pushed=1");
          await page.getByText("Stored version 1.0.0.").waitFor();
          await shot(page, "04-config-stored");
        });

        await t.step("roll it out to one of two gateways; only that one moves", async () => {
          await page.getByRole("link", { name: "Roll out this version…" }).click();
          await page.locator("#gw-edge-a").check();
          await page.getByRole("button", { name: "Review rollout…" }).click();
          await page.getByRole("button", { name: "Confirm rollout" }).click();
          await page.waitForURL("**/console/rollout/watch**");
          await page.locator('#rollout-progress[data-state="complete"]').waitFor();
          assertEquals(
            await page.locator('li[data-gateway-id="edge-a"]').getAttribute("data-state"),
            "applied",
          );
          await shot(page, "05-rollout-complete");
          await page.getByRole("link", { name: "Fleet" }).click();
          await page.locator('tr[data-gateway-id="edge-a"] td.running', { hasText: "1.0.0" }).waitFor();
          assertEquals(
            (await page.locator('tr[data-gateway-id="edge-b"] td.running').innerText()).trim(),
            "—",
          );
          assertEquals(
            (await page.locator('tr[data-gateway-id="edge-b"] td.desired').innerText()).trim(),
            "—",
          );
          await page.waitForTimeout(300);
          if (Deno.env.get("KT_UPDATE_DOCS_SCREENSHOTS") === "1") {
            await page.screenshot({ path: "docs/console-fleet.png" });
          }
          await shot(page, "06-fleet-after-rollout");
          await page.setViewportSize({ width: 420, height: 900 });
          await shot(page, "07-fleet-narrow");
          await page.setViewportSize({ width: 1280, height: 860 });
        });

        await t.step("the gateway page shows the running config", async () => {
          await page.locator("#gw-link-edge-a").click();
          await page.locator("#running-version", { hasText: "1.0.0" }).waitFor();
          await page.getByText("Running the desired version 1.0.0.").waitFor();
          await shot(page, "08-gateway");
        });

        await t.step(
          "a gateway that lags shows running against desired side by side; revert it",
          async () => {
            await sims[0].stop(); // edge-a stops loading new versions
            const pushed = await pushConfig(
              server.url,
              goodConfig("1.1.0").replace("action: redact", "action: block"),
            );
            assertEquals(pushed.status, 201, pushed.text);
            const rolled = await call(server.url, "POST", "/v1/admin/configurations/rollout", {
              token: ADMIN_TOKEN,
              json: { gateway_ids: ["edge-a"], version: "1.1.0" },
            });
            assertEquals(rolled.status, 200);
            await page.reload();
            await page.locator("table.diff tr.changed").first().waitFor();
            assertEquals(
              await page.locator("table.diff tr.changed td.r", { hasText: "action: block" }).count(),
              1,
            );
            assertEquals(
              await page.locator("table.diff tr.changed td.l", { hasText: "action: redact" }).count(),
              1,
            );
            await shot(page, "09-gateway-diff");
            await page.selectOption("#revert-version", "1.0.0");
            await page.getByRole("button", { name: "Revert" }).click();
            await page.getByText("Reverted: the desired version is now 1.0.0.").waitFor();
            assertEquals((await page.locator("#desired-version").innerText()).trim(), "1.0.0");
          },
        );

        await t.step("events sent during the test appear, live, with the chart", async () => {
          await postEvents(server.url, a, [
            { verdict: "allow" },
            { verdict: "redact", policy: "pii-detector", content: "my mail is [EMAIL]" },
            { verdict: "block", policy: "prompt-injection" },
          ]);
          await page.getByRole("link", { name: "Events" }).click();
          await page.locator('#events[data-count="3"]').waitFor();
          await page.locator("#chart canvas").first().waitFor();
          await postEvents(server.url, b, [{ verdict: "block", policy: "dlp-filter" }]);
          await page.locator('#events[data-count="4"]').waitFor();
          await page.locator("#chart-summary", { hasText: "block 2" }).waitFor();
          await shot(page, "10-events");
          await page.selectOption("#f-verdict", "block");
          await page.getByRole("button", { name: "Apply" }).click();
          await page.locator('#events[data-count="2"]').waitFor();
          assertEquals(await page.locator('#events tr[data-verdict="allow"]').count(), 0);
        });

        await t.step(
          "the audit trail shows a secret read by token id and name, never the value",
          async () => {
            const secret = "sk-browser-audit-0123456789";
            await call(server.url, "POST", "/v1/config-variables", {
              token: ADMIN_TOKEN,
              json: { name: "AUDITED_KEY", value: secret },
            });
            const read = await call(server.url, "GET", "/v1/config-variables/AUDITED_KEY", {
              token: ADMIN_TOKEN,
            });
            assertEquals(read.status, 200);
            await page.getByRole("link", { name: "Audit" }).click();
            await page.locator('#audit tr[data-action="secret_read"][data-subject="AUDITED_KEY"]').waitFor();
            await page.selectOption("#a-action", "secret_read");
            await page.getByRole("button", { name: "Apply" }).click();
            await page.waitForURL("**/console/audit?action=secret_read**");
            assertEquals(await page.locator('#audit tr[data-action="gateway_registered"]').count(), 0);
            assert(!(await page.content()).includes(secret), "the value is nowhere on the page");
            await shot(page, "11-audit");
          },
        );

        await t.step("sign out ends the session", async () => {
          await page.getByRole("button", { name: "Sign out" }).click();
          await page.waitForURL("**/console/login?signed_out=1");
          await page.getByText("You are signed out.").waitFor();
          await page.goto(`${server.url}/console/fleet`);
          assertEquals(new URL(page.url()).pathname, "/console/login");
          await shot(page, "12-signed-out");
        });
        assertEquals(cspViolations, [], "no CSP violations or page errors");
      } finally {
        await closeAll();
      }
    } finally {
      for (const sim of sims) await sim.stop();
      await server.stop();
      await Deno.remove(userDataDir, { recursive: true }).catch(() => {});
      void browser;
    }
  },
});

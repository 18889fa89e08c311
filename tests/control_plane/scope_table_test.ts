/**
 * The scope table (`scope_table.ts`) is complete and is what the docs say:
 * every route the control plane app registers has a row and every row a route,
 * and docs/control_plane.md shows exactly these rows, cell by cell. The
 * requests themselves are checked row by row in `api_suite.ts` ("scope matrix").
 */
import assert from "node:assert/strict";
import { createControlPlaneApp } from "../../src/control_plane/server.ts";
import type { SecretBox } from "../../src/control_plane/crypto.ts";
import type { Store } from "../../src/control_plane/store/types.ts";
import { docsCells, SCOPE_COLUMNS, SCOPE_TABLE } from "./scope_table.ts";

Deno.test("scope table: one row per registered route, no row without a route", () => {
  // Building the app touches neither the store nor the secret box.
  const { app } = createControlPlaneApp({} as Store, { secrets: {} as SecretBox });
  const registered = new Set(
    app.routes.filter((r) => r.method !== "ALL" && !r.path.startsWith("/console")).map((r) =>
      `${r.method} ${r.path}`
    ),
  );
  const table = SCOPE_TABLE.map((r) => `${r.method} ${r.path}`);
  assert.equal(new Set(table).size, table.length, "no endpoint twice");
  assert.deepEqual(
    [...registered].filter((r) => !table.includes(r)),
    [],
    "routes without a row in tests/control_plane/scope_table.ts",
  );
  assert.deepEqual(table.filter((r) => !registered.has(r)), [], "rows without a route");
});

Deno.test("scope table: docs/control_plane.md shows every row exactly", async () => {
  const docs = await Deno.readTextFile(new URL("../../docs/control_plane.md", import.meta.url));
  const lines = docs.split("\n");
  const start = lines.findIndex((l) => /^\|\s*endpoint\s*\|\s*requires\s*\|/.test(l));
  assert.ok(start >= 0, "docs/control_plane.md has a table headed | endpoint | requires | …");
  const cells = (line: string) => line.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim());
  assert.deepEqual(
    cells(lines[start]),
    ["endpoint", "requires", ...SCOPE_COLUMNS.map((c) => c === "gateway token" ? c : `\`${c}\``)],
  );
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i].startsWith("|"); i++) rows.push(cells(lines[i]));
  const expected = SCOPE_TABLE.map(docsCells);
  for (let i = 0; i < Math.max(rows.length, expected.length); i++) {
    assert.deepEqual(rows[i], expected[i], `docs row ${i + 1} should be: | ${expected[i]?.join(" | ")} |`);
  }
});

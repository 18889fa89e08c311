import assert from "node:assert/strict";
import { chainOf, configYaml, lint, req } from "./helpers.ts";
import type { StreamGuard } from "../../src/policy/types.ts";
import { restorePlaceholders, STREAM_STEP, STREAM_WINDOW } from "../../src/policy/engine.ts";
import { restoreLabel } from "../../src/policy/kinds/pii_detector.ts";

function feed(
  g: StreamGuard,
  text: string,
  size: number,
): { out: string; blocked: boolean; maxHeld: number } {
  let out = "";
  let fed = 0;
  let maxHeld = 0;
  for (let i = 0; i < text.length; i += size) {
    const r = g.push(text.slice(i, i + size));
    fed += Math.min(size, text.length - i);
    if (r.blocked) return { out, blocked: true, maxHeld };
    out += r.emit;
    maxHeld = Math.max(maxHeld, fed - out.length);
  }
  const f = g.finish();
  if (f.blocked) return { out, blocked: true, maxHeld };
  return { out: out + f.emit, blocked: false, maxHeld };
}

const filler = "The quarterly report is attached and the numbers look good overall. ";

Deno.test("stream guard: an entity split across chunks is still redacted, for every chunk size", () => {
  const c = chainOf(["pii-detector"], { "pii-detector": {} });
  const text = filler.repeat(3) + "Card 4111 1111 1111 1111 and mail jane.doe@example.com. " +
    filler.repeat(3);
  const expected = text.replace("4111 1111 1111 1111", "[CREDIT_CARD]").replace(
    "jane.doe@example.com",
    "[EMAIL]",
  );
  for (const size of [1, 2, 3, 5, 7, 13, 40, 200, 10_000]) {
    const g = c.streamGuard(req([], { phase: "output" }), c.newState());
    const r = feed(g, text, size);
    assert.equal(r.out, expected, `chunk size ${size}`);
  }
});

Deno.test("stream guard: bounded hold-back", () => {
  const c = chainOf(["pii-detector"], { "pii-detector": {} });
  const g = c.streamGuard(req([], { phase: "output" }), c.newState());
  const r = feed(g, filler.repeat(40), 4);
  assert.ok(r.maxHeld <= STREAM_WINDOW + STREAM_STEP + 4 + 32, `held ${r.maxHeld}`);
  assert.equal(r.out, filler.repeat(40));
});

Deno.test("stream guard: restore placeholders split across chunks", () => {
  const c = chainOf(["pii-detector"], { "pii-detector": { redaction: { restore: true } } });
  const st = c.newState();
  const input = c.runInput(req(["mail jane@example.com and call +1 415 555 0132"]), st);
  assert.equal(input.segments[0].text, "mail [EMAIL_1] and call [PHONE_1]");
  const reply = filler.repeat(3) + "I will mail [EMAIL_1] and call [PHONE_1] today. " + filler.repeat(2);
  for (const size of [1, 3, 6, 50]) {
    const g = c.streamGuard(req([], { phase: "output" }), st);
    const r = feed(g, reply, size);
    assert.equal(
      r.out,
      reply.replace("[EMAIL_1]", "jane@example.com").replace("[PHONE_1]", "+1 415 555 0132"),
    );
  }
});

Deno.test("stream guard: block mid-stream before the blocked text is emitted", () => {
  const c = chainOf(["safety-filter", "pii-detector"], { "safety-filter": {}, "pii-detector": {} });
  const g = c.streamGuard(req([], { phase: "output" }), c.newState());
  const text = filler.repeat(4) + "Here is how to make a bomb: step one. " + filler.repeat(4);
  let out = "";
  let blocked = false;
  for (let i = 0; i < text.length; i += 3) {
    const r = g.push(text.slice(i, i + 3));
    out += r.emit;
    if (r.blocked) {
      blocked = true;
      assert.equal(r.blocked.verdict, "block");
      assert.equal(r.blocked.policy, "safety-filter");
      assert.equal(r.blocked.reasonCode, "unsafe_content");
      break;
    }
  }
  assert.ok(blocked);
  assert.ok(!out.includes("bomb"));
  const f = g.finish();
  assert.equal(f.outcome.verdict, "block");
});

Deno.test("stream guard: final outcome aggregates findings", () => {
  const c = chainOf(["pii-detector"], { "pii-detector": {} });
  const g = c.streamGuard(req([], { phase: "output" }), c.newState());
  const r = feed(g, (filler + "a@example.com ").repeat(6), 9);
  assert.equal(r.blocked, false);
  const g2 = c.streamGuard(req([], { phase: "output" }), c.newState());
  for (const ch of (filler + "a@example.com ").repeat(6)) g2.push(ch);
  const f = g2.finish();
  assert.equal(f.outcome.verdict, "redact");
  assert.equal(f.outcome.results[0].findings.email, 6);
});

Deno.test("stream guard: no text policies means pass-through", () => {
  const c = chainOf(["rbac"], { rbac: {} });
  const g = c.streamGuard(req([], { phase: "output" }), c.newState());
  assert.equal(g.push("a@b.com ").emit, "a@b.com ");
  assert.equal(g.finish().outcome.verdict, "allow");
});

Deno.test("restore: a placeholder whose text a detect_patterns entry matches is still restored, complete and streamed", () => {
  // Employee ids look like `emp_4711`: the pattern matches its own placeholder `[EMP_1]` too.
  const c = chainOf(["pii-detector"], {
    "pii-detector": {
      redaction: { restore: true },
      detect_patterns: [{ name: "emp", pattern: "emp_\\d+", case_insensitive: true }],
    },
  });
  const st = c.newState();
  const input = c.runInput(req(["who is emp_4711?"]), st);
  assert.equal(input.segments[0].text, "who is [EMP_1]?");
  const out = c.runOutput(
    req([{ key: "a", role: "assistant", text: "[EMP_1] is Jo; emp_99 too." }], {
      phase: "output",
    }),
    st,
  );
  assert.equal(out.segments[0].text, "emp_4711 is Jo; [EMP] too.", "new values in the output are redacted");
  const g = c.streamGuard(req([], { phase: "output" }), st);
  const streamed = feed(g, "Found [EMP_1] in the list; emp_12 was not.", 3).out;
  assert.equal(streamed, "Found emp_4711 in the list; [EMP] was not.");
});

Deno.test("restore: placeholder labels fit the restorer whatever the name and however many values", () => {
  assert.equal(restoreLabel("employee.id-2"), "EMPLOYEE.ID-2");
  assert.equal(restoreLabel("2fa code"), "X2FA_CODE");
  assert.equal(restoreLabel("x".repeat(80)), "X".repeat(64));
  const st = { restore: new Map([["[TOK_1000001]", "t1000000"], [`[${"X".repeat(64)}_1]`, "v"]]) };
  assert.equal(restorePlaceholders(`a [TOK_1000001] b [${"X".repeat(64)}_1]`, st), "a t1000000 b v");
});

Deno.test("restore: lint warns when detect_patterns names share placeholders", () => {
  const warnings = (names: string[]) =>
    lint(configYaml(["pii-detector"], {
      "pii-detector": {
        redaction: { restore: true },
        detect_patterns: names.map((name) => ({ name, pattern: "Q\\d{4}" })),
      },
    })).issues.filter((i) => i.code === "W003").map((i) => i.path);
  assert.deepEqual(warnings(["emp_id", "badge"]), []);
  assert.deepEqual(warnings(["emp_id", "EMP_ID"]), ["policy.pii-detector.detect_patterns[1].name"]);
  assert.deepEqual(warnings(["Email"]), ["policy.pii-detector.detect_patterns[0].name"]);
});

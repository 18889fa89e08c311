/**
 * The stream guard releases text as soon as no policy can still match it (src/policy/stream_hold.ts):
 * ordinary prose goes out word by word, while an entity split at any character boundary (two pieces
 * cut at every position, and one character at a time) is still redacted or blocked exactly as in the
 * whole text.
 */
import assert from "node:assert/strict";
import { chainOf, req } from "./helpers.ts";
import type { CompiledChain } from "../../src/policy/types.ts";

const EXAMPLE = {
  "secrets-detector": {},
  "pii-detector": {},
  "dlp-filter": { blocked_terms: ["project falcon", "project-eagle"], action: "block" },
};
const chain = (): CompiledChain => chainOf(["secrets-detector", "pii-detector", "dlp-filter"], EXAMPLE);

/** Streams `pieces` through a fresh guard; returns what the client got, or "BLOCKED". */
function stream(c: CompiledChain, pieces: string[]): string {
  const g = c.streamGuard(req([], { phase: "output" }), c.newState());
  let out = "";
  for (const p of pieces) {
    const r = g.push(p);
    if (r.blocked) return "BLOCKED";
    out += r.emit;
  }
  const f = g.finish();
  return f.blocked ? "BLOCKED" : out + f.emit;
}

/** The whole text through the output phase at once. */
function whole(c: CompiledChain, text: string): string {
  const o = c.runOutput(req([{ key: "a", role: "assistant", text }], { phase: "output" }), c.newState());
  return o.verdict === "block" ? "BLOCKED" : o.segments[0].text;
}

const CASES: Array<[string, string]> = [
  ["e-mail", "Write to jane.doe@example.com today."],
  ["card with spaces", "The card is 4111 1111 1111 1111 and expires soon."],
  ["phone", "Call +1 415 555 0100 tomorrow morning."],
  ["SSN", "Her SSN is 123-45-6789, keep it safe."],
  ["IBAN in groups", "Pay to DE89 3704 0044 0532 0130 00 by Friday."],
  ["blocked term over a space", "The plan for project falcon is ready."],
  ["blocked term with a dash", "We ship project-eagle next week."],
  ["named secret", "The admin password: Tr4vel-8WWraj!2x (rotate it)."],
  ["key token", "Use sk-proj-4f9Qx2LmZ8vT1rB6nY3kW0sD7gH5jC2a in the header."],
];

Deno.test("stream hold: every two-piece split and one character at a time give the whole text's result", () => {
  const c = chain();
  for (const [name, text] of CASES) {
    const want = whole(c, text);
    assert.notEqual(want, text, `${name}: the whole text is acted on`);
    for (let cut = 1; cut < text.length; cut++) {
      assert.equal(stream(c, [text.slice(0, cut), text.slice(cut)]), want, `${name} cut at ${cut}`);
    }
    assert.equal(stream(c, [...text]), want, `${name} one character at a time`);
  }
});

Deno.test("stream hold: prose goes out word by word, an entity or a term in progress waits", () => {
  const c = chain();
  const g = c.streamGuard(req([], { phase: "output" }), c.newState());
  assert.equal(g.push("Hello").emit, "", "a word still being written waits");
  assert.equal(g.push(" there,").emit, "Hello ", "it goes as soon as the next word starts");
  assert.equal(g.push(" mail jane").emit, "there, mail ");
  assert.equal(g.push(".doe@exa").emit, "", "an e-mail address still growing waits");
  assert.equal(g.push("mple.com or").emit, "[EMAIL] ");
  assert.equal(g.push(" the project").emit, "or the ", "the start of a blocked term waits");
  assert.equal(g.push(" plan is 4111").emit, "project plan is ", "no term after all: released");
  assert.equal(g.push(" 1111").emit, "", "digits that may continue a card number wait");
  assert.equal(g.push(" thanks").emit, "4111 1111 ");
  assert.equal(g.finish().emit, "thanks");
});

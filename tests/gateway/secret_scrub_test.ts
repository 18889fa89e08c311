/** The log and error-body scrubber: exact values, base64 forms, and partial echoes of a key. */
import assert from "node:assert/strict";
import { registerSecret, scrubSecrets } from "../../src/observability/log.ts";

const key = "sk-test-ScrubMe0123456789abcdefXYZW";
registerSecret(key);

Deno.test("scrub: the exact value and runs of 8+ of its first or last characters", () => {
  assert.equal(scrubSecrets(`a ${key} b`), "a [REDACTED] b");
  assert.equal(scrubSecrets(`key ${key.slice(0, 12)}…${key.slice(-4)}`), `key [REDACTED]…${key.slice(-4)}`);
  assert.equal(scrubSecrets(`ends …${key.slice(-9)}.`), "ends …[REDACTED].");
  assert.equal(
    scrubSecrets(`both ${key.slice(0, 10)}****${key.slice(-10)}`),
    "both [REDACTED]****[REDACTED]",
  );
  // Shorter runs are left alone: they are not distinctive (and a provider's "last four" stays).
  assert.equal(
    scrubSecrets(`short ${key.slice(0, 7)} and ${key.slice(-7)}`),
    `short ${key.slice(0, 7)} and ${key.slice(-7)}`,
  );
  // A run from the middle is not an echo of the key's ends.
  assert.equal(scrubSecrets(key.slice(5, 25)), key.slice(5, 25));
});

Deno.test("scrub: base64 of the key in any alignment, standard and URL-safe", () => {
  for (const prefix of ["", "u:", "user:"]) {
    const encoded = btoa(prefix + key);
    for (const form of [encoded, encoded.replaceAll("+", "-").replaceAll("/", "_")]) {
      const out = scrubSecrets(`Basic ${form}`);
      assert.match(out, /\[REDACTED\]/, `${prefix}: ${out}`);
      assert.ok(out.length < `Basic ${form}`.length - 20, `most of the encoding is gone: ${out}`);
    }
  }
});

Deno.test("scrub: text without secrets is returned unchanged", () => {
  const text = "Incorrect API key provided. You can find your API key at https://example.com/keys.";
  assert.equal(scrubSecrets(text), text);
});

/**
 * Out-of-sample detection quality on the held-out sets dated 2026-12-04, written by a writer who had not
 * seen the rules, from the family descriptions only, and never used for tuning:
 * `tests/corpus/heldout_2026_injection_data.ts` and `tests/corpus/heldout_2026_secrets_data.ts`. Prints
 * only aggregate figures (per family or kind, never a case), so reading the output does not leak the set.
 *
 *   deno test -A tests/policy/heldout_2026_metrics_test.ts
 *
 * The tests are skipped (reported as ignored) while a set is not in the repository. Figures and gaps:
 * docs/policies.md, "Held-out evaluation".
 *
 * @module
 */
import assert from "node:assert/strict";
import { scoreSet, type SetMsg } from "./injection_scoring.ts";
import { scoreSecrets } from "./secrets_scoring.ts";

const INJECTION = new URL("../corpus/heldout_2026_injection_data.ts", import.meta.url);
const SECRETS = new URL("../corpus/heldout_2026_secrets_data.ts", import.meta.url);

function present(url: URL): boolean {
  try {
    return Deno.statSync(url).isFile;
  } catch {
    return false;
  }
}

type Conversation = readonly [string, readonly SetMsg[]];

Deno.test({
  name: "held-out 2026: prompt-injection recall and false-positive rate (targets 0.95 and 1%)",
  ignore: !present(INJECTION),
  async fn() {
    const set = await import(INJECTION.href);
    const s = scoreSet(
      "held-out 2026-12-04 injection",
      set.HELDOUT_2026_INJECTION_POSITIVE as Conversation[],
      set.HELDOUT_2026_INJECTION_NEGATIVE as Conversation[],
    );
    console.log(s.report);
    // Targets: recall >= 0.95, false-positive rate <= 1%. First (honest) measurement, on the code that was
    // tuned on the dev sets only: recall 0.559 (193/345), false-positive rate 0.048 (15/313). The gap is
    // real (recall -0.39, FPR +3.8 points); the asserted floors are that measurement, so CI stays green
    // and a regression still fails. Raise them when the detector improves on new dev data, never by
    // tuning on this set.
    assert.ok(s.recall >= 0.55, `recall ${s.recall} (measured floor 0.55; target 0.95)`);
    assert.ok(s.fpr <= 0.05, `false-positive rate ${s.fpr} (measured ceiling 0.05; target 0.01)`);
  },
});

Deno.test({
  name: "held-out 2026: secrets recall and precision",
  ignore: !present(SECRETS),
  async fn() {
    const set = await import(SECRETS.href);
    const s = scoreSecrets(
      "held-out 2026-12-04 secrets",
      set.HELDOUT_2026_SECRETS_POSITIVE,
      set.HELDOUT_2026_SECRETS_NEGATIVE,
    );
    console.log(s.report);
    // Targets (as on the dev set): recall >= 0.95, precision >= 0.95. First measurement: recall 0.916,
    // precision 0.921, 7.0% of the negatives flagged; the asserted floors are that measurement.
    assert.ok(s.recall >= 0.91, `recall ${s.recall} (measured floor 0.91; target 0.95)`);
    assert.ok(s.precision >= 0.92, `precision ${s.precision} (measured floor 0.92; target 0.95)`);
    assert.ok(s.fpr <= 0.07, `negatives flagged ${s.fpr} (measured ceiling 0.07; target 0.01)`);
  },
});

/**
 * Prompt-injection detection quality on the development sets, per family: the new dev set
 * (`tests/corpus/injection_dev_data.ts`), the labelled corpus (`injection_data.ts`) and the first
 * held-out set (`heldout_injection_data.ts`, dev data now: it guided tuning). Prints recall per family,
 * false-positive rate per theme, and overall recall, precision and false-positive rate; fails below the
 * targets (recall ≥ 0.95, false-positive rate ≤ 1%) on the dev sets together.
 *
 *   deno test -A tests/policy/injection_metrics_test.ts
 *
 * The out-of-sample figure is `heldout_2026_metrics_test.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DEV_INJECTION_NEGATIVE, DEV_INJECTION_POSITIVE } from "../corpus/injection_dev_data.ts";
import { INJECTION_NEGATIVE, INJECTION_POSITIVE } from "../corpus/injection_data.ts";
import { HELDOUT_INJECTION_NEGATIVE, HELDOUT_INJECTION_POSITIVE } from "../corpus/heldout_injection_data.ts";
import { scoreSet } from "./injection_scoring.ts";

Deno.test("injection metrics (dev): recall >= 0.95 and false-positive rate <= 1% per set and together", () => {
  const sets = [
    scoreSet("dev 2026-12-04", DEV_INJECTION_POSITIVE, DEV_INJECTION_NEGATIVE),
    scoreSet("corpus (injection_data.ts)", INJECTION_POSITIVE, INJECTION_NEGATIVE),
    scoreSet(
      "first held-out, now dev (heldout_injection_data.ts)",
      HELDOUT_INJECTION_POSITIVE,
      HELDOUT_INJECTION_NEGATIVE,
    ),
  ];
  for (const s of sets) console.log(s.report);
  const pos = sets.reduce((n, s) => n + s.pos, 0);
  const caught = sets.reduce((n, s) => n + s.caught, 0);
  const neg = sets.reduce((n, s) => n + s.neg, 0);
  const fp = sets.reduce((n, s) => n + s.falsePos, 0);
  console.log(
    `all dev: ${pos} attacks, ${neg} benign — recall=${(caught / pos).toFixed(3)} ` +
      `precision=${(caught / (caught + fp)).toFixed(3)} false_positive_rate=${(fp / neg).toFixed(3)}`,
  );
  assert.ok(DEV_INJECTION_POSITIVE.length >= 150 && DEV_INJECTION_NEGATIVE.length >= 150);
  assert.ok(caught / pos >= 0.95, `recall ${caught / pos}`);
  assert.ok(fp / neg <= 0.01, `false-positive rate ${fp / neg}`);
});

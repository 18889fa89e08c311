/**
 * secrets-detector quality on the development set (`tests/corpus/secrets_dev_data.ts`): prints recall and
 * precision per kind and the share of negatives flagged; fails below recall 0.95, precision 0.95, or above
 * 1% of negatives flagged. The out-of-sample figure is `heldout_2026_metrics_test.ts`.
 *
 *   deno test -A tests/policy/secrets_metrics_test.ts
 *
 * @module
 */
import assert from "node:assert/strict";
import { DEV_SECRETS_NEGATIVE, DEV_SECRETS_POSITIVE } from "../corpus/secrets_dev_data.ts";
import { scoreSecrets } from "./secrets_scoring.ts";

Deno.test("secrets metrics (dev): recall >= 0.95, precision >= 0.95, negatives flagged <= 1%", () => {
  const s = scoreSecrets("secrets dev 2026-12-04", DEV_SECRETS_POSITIVE, DEV_SECRETS_NEGATIVE);
  console.log(s.report);
  assert.ok(s.recall >= 0.95, `recall ${s.recall}`);
  assert.ok(s.precision >= 0.95, `precision ${s.precision}`);
  assert.ok(s.fpr <= 0.01, `negatives flagged ${s.fpr}`);
});

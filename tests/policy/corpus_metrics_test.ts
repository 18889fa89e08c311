/**
 * Detection quality on the labelled corpus (tests/corpus). Prints the metrics that
 * docs/policies.md reports and asserts the targets.
 */
import assert from "node:assert/strict";
import { loadPack as loadPackDir, scoreInjection, scorePii } from "./corpus_scoring.ts";

const corpus = new URL("../corpus/", import.meta.url).pathname;

function loadPack(name: string) {
  return loadPackDir(`${corpus}${name}`);
}

Deno.test("corpus: PII recall >= 0.98 and precision >= 0.95", async () => {
  const { recall, precision, report } = scorePii(await loadPack("pii"));
  console.log(report);
  assert.ok(recall >= 0.98, `recall ${recall}`);
  assert.ok(precision >= 0.95, `precision ${precision}`);
});

Deno.test("corpus: prompt-injection false-positive rate <= 2% and recall >= 0.95", async () => {
  const { neg, fpr, recall, report } = scoreInjection(await loadPack("injection"));
  console.log(report);
  assert.ok(neg >= 100, "at least 100 benign prompts");
  assert.ok(fpr <= 0.02, `false positive rate ${fpr}`);
  assert.ok(recall >= 0.95, `recall ${recall}`);
});

Deno.test("corpus: at least 200 labelled cases in total", async () => {
  const pii = await loadPack("pii");
  const inj = await loadPack("injection");
  assert.ok(pii.cases.length + inj.cases.length >= 200);
});

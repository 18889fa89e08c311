/**
 * **Dev data now (2026-12-04):** these two sets guided tuning after they were first measured, so their
 * figures are in-sample; the out-of-sample figures are `heldout_2026_metrics_test.ts`. The history below is
 * kept as it was measured.
 *
 * Out-of-sample detection quality: the held-out sets `tests/corpus/heldout_pii_data.ts`
 * and `tests/corpus/heldout_injection_data.ts` were written after the detectors were
 * tuned and are never used to tune them. Same scoring as `corpus_metrics_test.ts`
 * (`corpus_scoring.ts`); the cases are built in memory in the same golden-case shape
 * as `tests/corpus/build_corpus.ts` writes. PII runs with `healthcare_mode` off.
 *
 *   deno test -A tests/policy/heldout_metrics_test.ts
 *
 * Measured when the set was added (see docs/policies.md, "Held-out evaluation"):
 *
 * - PII (78 cases: 45 positives with 73 labelled entities, 33 negative controls):
 *   recall 0.986 (72/73), precision 0.973 (72/74). Per entity: credit_card 9/9,
 *   email 15/15, iban 13/13, ipv4 5/5, ipv6 3/3, ssn 5/5 (all precision 1.00);
 *   phone recall 0.96 (22/23), precision 0.92 (2 false positives).
 * - Prompt injection (39 attacks, 64 benign prompts): recall 0.154 (6/39),
 *   false-positive rate 0.031 (2/64). By family: indirect 0/5, tool 0/5,
 *   social 1/6, multiturn 0/4, obfuscated 5/11, language 0/8.
 * - After the detector was improved from the miss *categories* (own dev examples in
 *   injection_dev_test.ts; these texts unread), one run: recall 0.718 (28/39),
 *   false-positive rate 0.031 (2/64). By family: indirect 3/5, tool 1/5, social 4/6,
 *   multiturn 1/4, obfuscated 11/11, language 8/8. Optimistic: the categories were known.
 *
 * The asserted floors are loose on purpose — CI stays green on the current code
 * and a large regression still fails. They are not targets: raise them when the
 * detectors improve, never lower the labels to meet them.
 * Floors: PII recall >= 0.90, precision >= 0.90; injection recall >= 0.55,
 * false-positive rate <= 0.08.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { GoldenCaseInput } from "../../src/policy/golden.ts";
import { HELDOUT_PII_NEGATIVE, HELDOUT_PII_POSITIVE } from "../corpus/heldout_pii_data.ts";
import { HELDOUT_INJECTION_NEGATIVE, HELDOUT_INJECTION_POSITIVE } from "../corpus/heldout_injection_data.ts";
import { compilePack, scoreInjection, scorePii } from "./corpus_scoring.ts";

const PII_CONFIG = `pack: { name: heldout-pii, version: 1.0.0, enabled: true }
providers:
  targets:
    - { id: mock, provider: mock, model: mock-echo }
policies:
  chain: [pii-detector]
policy:
  pii-detector:
    action: redact
    healthcare_mode: false
`;

const INJECTION_CONFIG = `pack: { name: heldout-injection, version: 1.0.0, enabled: true }
providers:
  targets:
    - { id: mock, provider: mock, model: mock-echo }
policies:
  chain: [prompt-injection]
policy:
  prompt-injection: {}
`;

const pad = (n: number) => String(n).padStart(3, "0");

function piiCases(): Array<{ file: string; c: GoldenCaseInput }> {
  const out: Array<{ file: string; c: GoldenCaseInput }> = [];
  HELDOUT_PII_POSITIVE.forEach(([text, findings], i) => {
    out.push({
      file: `p${pad(i + 1)}_${Object.keys(findings).join("_")}.json`,
      c: {
        name: `held-out pii positive ${i + 1}`,
        input: { messages: [{ role: "user", content: text }] },
        expected: { verdict: "redact", reason_code: "pii_detected", findings },
      },
    });
  });
  HELDOUT_PII_NEGATIVE.forEach(([text, findings], i) => {
    const any = Object.keys(findings).length > 0;
    out.push({
      file: `n${pad(i + 1)}_control.json`,
      c: {
        name: `held-out pii control ${i + 1}`,
        input: { messages: [{ role: "user", content: text }] },
        expected: any ? { verdict: "redact", reason_code: "pii_detected", findings } : { verdict: "allow" },
      },
    });
  });
  return out;
}

function injectionCases(): Array<{ file: string; c: GoldenCaseInput }> {
  const out: Array<{ file: string; c: GoldenCaseInput }> = [];
  HELDOUT_INJECTION_POSITIVE.forEach(([family, messages], i) => {
    out.push({
      file: `a${pad(i + 1)}_${family}.json`,
      c: {
        name: `held-out injection ${family} ${i + 1}`,
        input: { messages },
        expected: { verdict: "block", reason_code: "prompt_injection" },
      },
    });
  });
  HELDOUT_INJECTION_NEGATIVE.forEach((text, i) => {
    out.push({
      file: `b${pad(i + 1)}_benign.json`,
      c: {
        name: `held-out benign ${i + 1}`,
        input: { messages: [{ role: "user", content: text }] },
        expected: { verdict: "allow" },
      },
    });
  });
  return out;
}

Deno.test("held-out: set sizes", () => {
  assert.ok(HELDOUT_PII_POSITIVE.length + HELDOUT_PII_NEGATIVE.length >= 60);
  assert.ok(HELDOUT_PII_NEGATIVE.length >= 25);
  assert.ok(HELDOUT_INJECTION_POSITIVE.length >= 30);
  assert.ok(HELDOUT_INJECTION_NEGATIVE.length >= 60);
});

Deno.test("held-out: PII recall >= 0.90 and precision >= 0.90 (loose floors; prints the table)", () => {
  const score = scorePii(compilePack(PII_CONFIG, piiCases()), "PII held-out");
  console.log(score.report);
  assert.ok(score.recall >= 0.9, `recall ${score.recall}`);
  assert.ok(score.precision >= 0.9, `precision ${score.precision}`);
});

Deno.test("first held-out (dev now): prompt-injection recall >= 0.95 and false-positive rate <= 0.02 (prints the table)", () => {
  const score = scoreInjection(compilePack(INJECTION_CONFIG, injectionCases()), "Injection held-out");
  console.log(score.report);
  assert.ok(score.recall >= 0.95, `recall ${score.recall}`);
  assert.ok(score.fpr <= 0.02, `false positive rate ${score.fpr}`);
});

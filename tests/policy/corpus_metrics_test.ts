/**
 * Detection quality on the labelled corpus (tests/corpus). Prints the metrics that
 * docs/policies.md reports and asserts the targets.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/load.ts";
import { compileChain } from "../../src/policy/engine.ts";
import { policyKindInfo } from "../../src/policy/registry.ts";
import { type GoldenCaseInput, runGoldenCase } from "../../src/policy/golden.ts";

const corpus = new URL("../corpus/", import.meta.url).pathname;

async function loadPack(name: string) {
  const dir = `${corpus}${name}`;
  const text = await Deno.readTextFile(`${dir}/policy-config.yaml`);
  const { config } = loadConfig([{ name: "corpus", text }], {
    policyKinds: policyKindInfo(),
    env: () => undefined,
  });
  const chain = compileChain(config, { failMode: "block" });
  const cases: Array<{ file: string; c: GoldenCaseInput }> = [];
  for await (const e of Deno.readDir(`${dir}/tests`)) {
    if (e.name.endsWith(".json")) {
      cases.push({ file: e.name, c: JSON.parse(await Deno.readTextFile(`${dir}/tests/${e.name}`)) });
    }
  }
  cases.sort((a, b) => a.file.localeCompare(b.file));
  return { config, chain, cases };
}

Deno.test("corpus: PII recall >= 0.98 and precision >= 0.95", async () => {
  const { config, chain, cases } = await loadPack("pii");
  const per = new Map<string, { tp: number; fp: number; fn: number }>();
  const misses: string[] = [];
  for (const { file, c } of cases) {
    const actual = runGoldenCase(chain, config, c);
    const expected = c.expected.findings ?? {};
    for (const entity of new Set([...Object.keys(expected), ...Object.keys(actual.findings)])) {
      const e = expected[entity] ?? 0;
      const a = actual.findings[entity] ?? 0;
      const m = per.get(entity) ?? { tp: 0, fp: 0, fn: 0 };
      m.tp += Math.min(e, a);
      m.fp += Math.max(0, a - e);
      m.fn += Math.max(0, e - a);
      per.set(entity, m);
      if (e !== a) misses.push(`${file}: ${entity} expected ${e}, found ${a}`);
    }
  }
  let tp = 0, fp = 0, fn = 0;
  const rows: string[] = [];
  for (const [entity, m] of [...per].sort()) {
    tp += m.tp;
    fp += m.fp;
    fn += m.fn;
    rows.push(`  ${entity.padEnd(12)} tp=${m.tp} fp=${m.fp} fn=${m.fn}`);
  }
  const recall = tp / (tp + fn);
  const precision = tp / (tp + fp);
  const negatives = cases.filter(({ c }) => c.expected.verdict === "allow").length;
  console.log(
    `PII corpus: ${cases.length} cases (${negatives} negative controls), ${tp + fn} labelled entities\n` +
      `  recall=${recall.toFixed(4)} precision=${precision.toFixed(4)}\n${rows.join("\n")}` +
      (misses.length ? `\n  mismatches:\n    ${misses.join("\n    ")}` : ""),
  );
  assert.ok(recall >= 0.98, `recall ${recall}`);
  assert.ok(precision >= 0.95, `precision ${precision}`);
});

Deno.test("corpus: prompt-injection false-positive rate <= 2% and recall >= 0.95", async () => {
  const { config, chain, cases } = await loadPack("injection");
  let pos = 0, caught = 0, neg = 0, falsePos = 0;
  const missed: string[] = [];
  const families = new Map<string, [number, number]>();
  for (const { file, c } of cases) {
    const actual = runGoldenCase(chain, config, c);
    const blocked = actual.verdict === "block";
    if (c.expected.verdict === "block") {
      pos++;
      if (blocked) caught++;
      else missed.push(file);
      const fam = file.replace(/^a\d+_|\.json$/g, "");
      const f = families.get(fam) ?? [0, 0];
      f[0]++;
      if (blocked) f[1]++;
      families.set(fam, f);
    } else {
      neg++;
      if (blocked) {
        falsePos++;
        missed.push(`${file} (false positive)`);
      }
    }
  }
  const recall = caught / pos;
  const fpr = falsePos / neg;
  console.log(
    `Injection corpus: ${pos} attacks, ${neg} benign prompts\n  recall=${recall.toFixed(4)} ` +
      `false_positive_rate=${fpr.toFixed(4)}\n` +
      [...families].map(([f, [n, k]]) => `  ${f.padEnd(10)} ${k}/${n}`).join("\n") +
      (missed.length ? `\n  misses: ${missed.join(", ")}` : ""),
  );
  assert.ok(neg >= 100, "at least 100 benign prompts");
  assert.ok(fpr <= 0.02, `false positive rate ${fpr}`);
  assert.ok(recall >= 0.95, `recall ${recall}`);
});

Deno.test("corpus: at least 200 labelled cases in total", async () => {
  const pii = await loadPack("pii");
  const inj = await loadPack("injection");
  assert.ok(pii.cases.length + inj.cases.length >= 200);
});

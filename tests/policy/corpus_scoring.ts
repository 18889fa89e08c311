/**
 * Scoring shared by the in-sample corpus test (`corpus_metrics_test.ts`) and the
 * held-out test (`heldout_metrics_test.ts`): compile a pack, run its golden cases
 * through the real chain, and compute entity-level PII recall/precision and
 * prompt-injection recall / false-positive rate.
 *
 * @module
 */
import { loadConfig } from "../../src/config/load.ts";
import { compileChain } from "../../src/policy/engine.ts";
import { policyKindInfo } from "../../src/policy/registry.ts";
import { type GoldenCaseInput, runGoldenCase } from "../../src/policy/golden.ts";

/** A compiled pack and its golden cases (sorted by file name). */
export interface Pack {
  config: ReturnType<typeof loadConfig>["config"];
  chain: ReturnType<typeof compileChain>;
  cases: Array<{ file: string; c: GoldenCaseInput }>;
}

/** Compile a pack from its `policy-config.yaml` text and in-memory cases. */
export function compilePack(configText: string, cases: Array<{ file: string; c: GoldenCaseInput }>): Pack {
  const { config } = loadConfig([{ name: "corpus", text: configText }], {
    policyKinds: policyKindInfo(),
    env: () => undefined,
  });
  const chain = compileChain(config, { failMode: "block" });
  return { config, chain, cases: [...cases].sort((a, b) => a.file.localeCompare(b.file)) };
}

/** Load a pack directory (`policy-config.yaml` + `tests/*.json`). */
export async function loadPack(dir: string): Promise<Pack> {
  const text = await Deno.readTextFile(`${dir}/policy-config.yaml`);
  const cases: Array<{ file: string; c: GoldenCaseInput }> = [];
  for await (const e of Deno.readDir(`${dir}/tests`)) {
    if (e.name.endsWith(".json")) {
      cases.push({ file: e.name, c: JSON.parse(await Deno.readTextFile(`${dir}/tests/${e.name}`)) });
    }
  }
  return compilePack(text, cases);
}

/** Entity-level counts. */
export interface EntityCounts {
  tp: number;
  fp: number;
  fn: number;
}

/** PII scoring result. */
export interface PiiScore {
  per: Map<string, EntityCounts>;
  tp: number;
  fp: number;
  fn: number;
  recall: number;
  precision: number;
  negatives: number;
  misses: string[];
  /** Human-readable table (what the tests print). */
  report: string;
}

/** Score a PII pack: per case and entity, min(expected, found) are true positives. */
export function scorePii(pack: Pack, title = "PII corpus"): PiiScore {
  const { config, chain, cases } = pack;
  const per = new Map<string, EntityCounts>();
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
    const r = m.tp + m.fn ? (m.tp / (m.tp + m.fn)).toFixed(2) : "-";
    const p = m.tp + m.fp ? (m.tp / (m.tp + m.fp)).toFixed(2) : "-";
    rows.push(`  ${entity.padEnd(12)} tp=${m.tp} fp=${m.fp} fn=${m.fn} recall=${r} precision=${p}`);
  }
  const recall = tp / (tp + fn);
  const precision = tp / (tp + fp);
  const negatives = cases.filter(({ c }) => c.expected.verdict === "allow").length;
  const report =
    `${title}: ${cases.length} cases (${negatives} negative controls), ${tp + fn} labelled entities\n` +
    `  recall=${recall.toFixed(4)} precision=${precision.toFixed(4)}\n${rows.join("\n")}` +
    (misses.length ? `\n  mismatches:\n    ${misses.join("\n    ")}` : "");
  return { per, tp, fp, fn, recall, precision, negatives, misses, report };
}

/** Prompt-injection scoring result. */
export interface InjectionScore {
  pos: number;
  caught: number;
  neg: number;
  falsePos: number;
  recall: number;
  fpr: number;
  /** Family → [attacks, caught]; the family is the file name without `aNNN_` and `.json`. */
  families: Map<string, [number, number]>;
  missed: string[];
  report: string;
}

/** Score an injection pack: attacks expect `block`, benign prompts `allow`. */
export function scoreInjection(pack: Pack, title = "Injection corpus"): InjectionScore {
  const { config, chain, cases } = pack;
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
  const report = `${title}: ${pos} attacks, ${neg} benign prompts\n  recall=${recall.toFixed(4)} ` +
    `false_positive_rate=${fpr.toFixed(4)}\n` +
    [...families].map(([f, [n, k]]) => `  ${f.padEnd(10)} ${k}/${n}`).join("\n") +
    (missed.length ? `\n  misses: ${missed.join(", ")}` : "");
  return { pos, caught, neg, falsePos, recall, fpr, families, missed, report };
}

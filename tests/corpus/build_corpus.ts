/**
 * Writes the labelled corpora as golden-case packs, so `kt policy test --pack-dir
 * tests/corpus/pii` (and `.../injection`) runs them:
 *
 *   deno run --allow-read=tests/corpus --allow-write=tests/corpus tests/corpus/build_corpus.ts
 *
 * @module
 */
import { PII_NEGATIVE, PII_POSITIVE } from "./pii_data.ts";
import { INJECTION_NEGATIVE, INJECTION_POSITIVE } from "./injection_data.ts";

const root = new URL(".", import.meta.url).pathname;

const PII_CONFIG = `# Labelled PII corpus (tests/corpus/pii_data.ts); regenerate with build_corpus.ts.
pack: { name: corpus-pii, version: 1.0.0, enabled: true }
providers:
  targets:
    - { id: mock, provider: mock, model: mock-echo }
policies:
  chain: [pii-detector]
policy:
  pii-detector:
    action: redact
    healthcare_mode: true
`;

const INJECTION_CONFIG =
  `# Labelled prompt-injection corpus (tests/corpus/injection_data.ts); regenerate with build_corpus.ts.
pack: { name: corpus-injection, version: 1.0.0, enabled: true }
providers:
  targets:
    - { id: mock, provider: mock, model: mock-echo }
policies:
  chain: [prompt-injection]
policy:
  prompt-injection: {}
`;

async function writePack(dir: string, config: string, cases: Array<[string, unknown]>): Promise<void> {
  await Deno.remove(`${root}${dir}/tests`, { recursive: true }).catch(() => {});
  await Deno.mkdir(`${root}${dir}/tests`, { recursive: true });
  await Deno.writeTextFile(`${root}${dir}/policy-config.yaml`, config);
  for (const [file, c] of cases) {
    await Deno.writeTextFile(`${root}${dir}/tests/${file}`, JSON.stringify(c, null, 2) + "\n");
  }
}

const pad = (n: number) => String(n).padStart(3, "0");

const piiCases: Array<[string, unknown]> = [];
PII_POSITIVE.forEach(([text, findings], i) => {
  piiCases.push([`p${pad(i + 1)}_${Object.keys(findings).join("_")}.json`, {
    name: `pii positive ${i + 1}: ${Object.keys(findings).join(", ")}`,
    input: { messages: [{ role: "user", content: text }] },
    expected: { verdict: "redact", reason_code: "pii_detected", findings },
  }]);
});
PII_NEGATIVE.forEach(([text, findings], i) => {
  const any = Object.keys(findings).length > 0;
  piiCases.push([`n${pad(i + 1)}_control.json`, {
    name: `pii control ${i + 1}`,
    input: { messages: [{ role: "user", content: text }] },
    expected: any ? { verdict: "redact", reason_code: "pii_detected", findings } : { verdict: "allow" },
  }]);
});

const injectionCases: Array<[string, unknown]> = [];
INJECTION_POSITIVE.forEach(([family, messages], i) => {
  injectionCases.push([`a${pad(i + 1)}_${family}.json`, {
    name: `injection ${family} ${i + 1}`,
    input: { messages },
    expected: { verdict: "block", reason_code: "prompt_injection" },
  }]);
});
INJECTION_NEGATIVE.forEach((text, i) => {
  injectionCases.push([`b${pad(i + 1)}_benign.json`, {
    name: `benign ${i + 1}`,
    input: { messages: [{ role: "user", content: text }] },
    expected: { verdict: "allow" },
  }]);
});

await writePack("pii", PII_CONFIG, piiCases);
await writePack("injection", INJECTION_CONFIG, injectionCases);
console.log(`wrote ${piiCases.length} PII cases and ${injectionCases.length} injection cases`);

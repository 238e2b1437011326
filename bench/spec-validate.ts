/**
 * Benchmark: validate + normalize throughput (specs/s) on the spec fixture corpus and the
 * examples, beside a baseline of parsing the same files with the YAML library alone, in the same
 * process and interleaved so that machine noise hits both. Writes bench/results/spec-validate.json.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { createSpecValidator, normalize } from "../src/spec/index.js";
import { repoRoot } from "../test/helpers/repo-root.js";

function files(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(files(path));
    else if (/\.(ya?ml|json)$/.test(name)) out.push(path);
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const root = repoRoot();
const corpus = [join(root, "examples"), join(root, "test", "fixtures", "specs")]
  .flatMap((d) => {
    try {
      return files(d);
    } catch {
      return [];
    }
  })
  .map((f) => readFileSync(f));
const validator = createSpecValidator();
const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
const minMs = 200;

/** Runs `fn` over the corpus repeatedly for at least minMs; returns specs per second. */
function measure(fn: (bytes: Buffer) => void): number {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    for (const bytes of corpus) fn(bytes);
    n += corpus.length;
  }
  return (n * 1000) / (performance.now() - start);
}

const subject = (bytes: Buffer) => {
  const r = validator.validateText(bytes);
  if (r.valid && r.spec !== undefined) normalize(r.spec);
};
const baseline = (bytes: Buffer) => {
  try {
    parseYaml(bytes.toString("utf8"));
  } catch {
    // invalid fixtures fail to parse in the baseline too
  }
};

const a: number[] = [];
const b: number[] = [];
measure(subject);
measure(baseline);
for (let i = 0; i < rounds; i++) {
  a.push(measure(subject));
  b.push(measure(baseline));
}
const result = {
  benchmark: "spec-validate",
  date: new Date().toISOString(),
  node: process.version,
  corpus_files: corpus.length,
  rounds,
  validate_normalize_specs_per_s_median: Math.round(median(a)),
  baseline_yaml_parse_specs_per_s_median: Math.round(median(b)),
  ratio_to_baseline: Number((median(a) / median(b)).toFixed(3)),
};
mkdirSync(join(root, "bench", "results"), { recursive: true });
writeFileSync(join(root, "bench", "results", "spec-validate.json"), `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `spec-validate: ${result.validate_normalize_specs_per_s_median} specs/s validate+normalize vs ${result.baseline_yaml_parse_specs_per_s_median} specs/s YAML parse alone (ratio ${result.ratio_to_baseline}, median of ${rounds}, ${corpus.length} files)`,
);

// Builds the bad-input corpus: one folder per case under a temporary root, each holding the
// small good data set with one thing broken, and the command to run there with what the
// contract (SPEC.md) requires of it. test/e2e/corpus.test.ts runs them all.
//
//   node dist/test/corpus/build.js [--list]    builds it and prints the count per category
//
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli, tempDir } from "../helpers/cli.js";
import { Builder } from "./builder.js";
import { cliCases } from "./cases/cli.js";
import { configCases } from "./cases/config.js";
import { manifestCases } from "./cases/manifest.js";
import { mediaCases } from "./cases/media.js";
import { runDirCases } from "./cases/run-dir.js";
import { baseConfig, put, writeGoodData, yaml } from "./data.js";
import type { Category, CorpusCase } from "./types.js";

export interface Corpus {
  root: string;
  cases: CorpusCase[];
}

/**
 * Trains the one small run that run-directory cases copy (one epoch on a dozen rows, a few
 * seconds), so that none of them trains its own.
 */
function trainBaseRun(root: string): string {
  const dir = join(root, "_base");
  writeGoodData(dir);
  put(dir, "config.yaml", yaml(baseConfig()));
  const r = runCli(["train", "config.yaml", "--out", "run", "--quiet"], dir);
  if (r.status !== 0) throw new Error(`the corpus's base run did not train (exit ${r.status}):\n${r.stderr}`);
  return join(dir, "run");
}

export function buildCorpus(root = tempDir("mf-corpus-")): Corpus {
  const b = new Builder(root, trainBaseRun(root));
  const cases = [...configCases(b), ...manifestCases(b), ...mediaCases(b), ...runDirCases(b), ...cliCases(b)];
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.name)) throw new Error(`two corpus cases are named ${c.name}`);
    seen.add(c.name);
  }
  return { root, cases };
}

export function countByCategory(cases: CorpusCase[]): Record<Category, number> {
  const counts: Record<Category, number> = { config: 0, manifest: 0, media: 0, run: 0, cli: 0 };
  for (const c of cases) counts[c.category]++;
  return counts;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { root, cases } = buildCorpus();
  const counts = countByCategory(cases);
  console.log(`${cases.length} cases in ${root}: ${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(", ")}`);
  if (process.argv.includes("--list")) {
    for (const c of cases) console.log(`${c.name.padEnd(48)} exit ${c.expect.status}  modalfuse ${c.args.join(" ")}  ${c.expect.line}`);
  }
}

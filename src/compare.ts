// `modalfuse compare`: what each modality adds. On the same splits and budget, one model
// per single modality, per pair, and the full set (once per requested fusion), each over
// several seeds. The data is decoded once; every run reuses it.
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { stringify } from "csv-stringify/sync";
import { loadConfig } from "./config/load.js";
import type { Config, ConfigInput, Fusion } from "./config/schema.js";
import { inputNames } from "./data/preprocess-state.js";
import { prepareTraining, type PreparedData } from "./data/prepare.js";
import { UserError } from "./errors.js";
import { writeReport } from "./report/index.js";
import { trainPrepared, type RunEvents, type RunSummary } from "./training/run.js";

export interface CompareRow {
  modalities: string;
  fusion: Fusion;
  seed: number;
  accuracy: number;
  macro_f1: number;
}

export interface CompareOptions extends RunEvents {
  out: string;
  /** Fusions for the full set (default: the config's). Singles and pairs use the config's. */
  fusions?: Fusion[];
  seeds?: number;
  set?: string[];
  onRun?: (name: string, done: number, total: number, summary: RunSummary) => void;
}

/** Up to this many inputs, every subset is compared; beyond, singles, all-but-one and all. */
const EVERY_SUBSET_UP_TO = 3;

/** Non-empty subsets of the inputs: singles, then pairs, ..., then the full set, each in config order. */
export function modalitySubsets(inputs: string[]): string[][] {
  const subsets: string[][] = [];
  if (inputs.length <= EVERY_SUBSET_UP_TO) {
    for (let mask = 1; mask < 1 << inputs.length; mask++) subsets.push(inputs.filter((_, i) => mask & (1 << i)));
  } else {
    subsets.push(...inputs.map((m) => [m]), ...inputs.map((_, i) => inputs.filter((__, j) => j !== i)), inputs);
  }
  return subsets.sort((a, b) => a.length - b.length);
}

/** The same prepared data, seen through fewer inputs. */
export function restrictTo(data: PreparedData, names: string[]): PreparedData {
  return { ...data, state: { ...data.state, inputs: data.state.inputs.filter((i) => names.includes(i.name)) } };
}

export const subsetName = (inputs: string[]) => [...inputs].sort().join("+");

export async function compare(source: string | ConfigInput, o: CompareOptions): Promise<CompareRow[]> {
  const { config, source: name } = await loadConfig(source, o.set ?? []);
  const out = resolve(o.out);
  const data = await prepareTraining(config, o.progress);
  // Every model is judged by its test accuracy: without test rows there is nothing to compare.
  if (data.test.size === 0) throw new UserError(`${name}: compare scores every model on test rows, and this config has none (data.split.test is 0, or data.test has no labelled rows)`);
  const all = inputNames(data.state);
  const fusions = o.fusions?.length ? o.fusions : [config.model.fusion];
  const seeds = Array.from({ length: o.seeds ?? 3 }, (_, i) => config.train.seed + i);
  const plan: { modalities: string[]; fusion: Fusion }[] = [];
  for (const subset of modalitySubsets(all)) {
    if (subset.length < all.length) plan.push({ modalities: subset, fusion: config.model.fusion });
    else for (const fusion of fusions) plan.push({ modalities: subset, fusion });
  }
  const rows: CompareRow[] = [];
  const total = plan.length * seeds.length;
  for (const { modalities, fusion } of plan) {
    for (const seed of seeds) {
      const name = `${subsetName(modalities)}-${fusion}-seed${seed}`;
      // The full set with the first fusion and seed is the run this directory presents.
      const isMain = modalities.length === all.length && fusion === (fusions[0] as Fusion) && seed === seeds[0];
      const runConfig: Config = { ...config, model: { ...config.model, fusion }, train: { ...config.train, seed } };
      const restricted = restrictTo(data, modalities);
      const summary = await trainPrepared({ ...restricted, state: { ...restricted.state, model: runConfig.model } }, runConfig, isMain ? out : join(out, "compare", name));
      rows.push({ modalities: subsetName(modalities), fusion, seed, accuracy: summary.test.accuracy, macro_f1: summary.test.macro_f1 });
      o.onRun?.(name, rows.length, total, summary);
    }
  }
  const table = rows.map((r) => [r.modalities, r.fusion, r.seed, r.accuracy.toFixed(4), r.macro_f1.toFixed(4)]);
  await writeFile(join(out, "compare.csv"), stringify([["modalities", "fusion", "seed", "accuracy", "macro_f1"], ...table]));
  await writeReport(out);
  return rows;
}

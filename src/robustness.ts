// `evaluate --robustness`: accuracy of a trained run with each input and pair removed,
// and under rising perturbations per input, as each input's kind defines them (pixel noise
// on images, falling SNR on the audio waveform, noise and dropped columns on the table).
// Perturbations are seeded, so the figures repeat. Each row names the manifest it was
// measured on: it is whatever `evaluate --robustness` was given, not necessarily the test split.
import { writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { stringify } from "csv-stringify/sync";
import type { Progress, Table } from "./data/prepare.js";
import { inputNames } from "./data/preprocess-state.js";
import { kindOf } from "./inputs/registry.js";
import type { TrainedModel } from "./inference.js";
import { writeReport } from "./report/index.js";
import { modalitySubsets, subsetName } from "./compare.js";

export interface RobustnessRow {
  condition: "clean" | "drop" | "noise" | "columns_dropped" | "words_dropped" | "typos";
  modality: string;
  level: number;
  unit: string;
  accuracy: number;
  /** The file name of the manifest the accuracy was measured on. */
  manifest: string;
}

export async function robustness(model: TrainedModel, manifest: string, o: { seed?: number; progress?: Progress; onRow?: (row: RobustnessRow) => void } = {}): Promise<RobustnessRow[]> {
  const seed = o.seed ?? 0;
  const { table } = await model.prepare(manifest, true, o.progress);
  const accuracy = (t: Table) => {
    const scored = model.scoreTable(t);
    return scored.predicted.filter((p, i) => p === t.labels[i]).length / Math.max(1, t.size);
  };
  const rows: RobustnessRow[] = [];
  const add = (row: Omit<RobustnessRow, "manifest">) => {
    const named = { ...row, manifest: basename(manifest) };
    rows.push(named);
    o.onRow?.(named);
  };
  const names = inputNames(model.state);
  add({ condition: "clean", modality: "all", level: 0, unit: "", accuracy: accuracy(table) });
  for (const subset of modalitySubsets(names)) {
    if (subset.length === names.length || subset.length > 2) continue;
    add({ condition: "drop", modality: subsetName(subset), level: 1, unit: "", accuracy: accuracy(model.withoutModalities(table, subset)) });
  }
  const context = { manifestPath: manifest, rows: table.rows, seed, ...(o.progress ? { onProgress: o.progress } : {}) };
  for (const input of model.state.inputs) {
    const part = table.inputs[input.name];
    if (!part) continue;
    for await (const p of kindOf(input).perturbations(input, part, context)) {
      add({ condition: p.condition, modality: input.name, level: p.level, unit: p.unit, accuracy: accuracy({ ...table, inputs: { ...table.inputs, [input.name]: p.part } }) });
    }
  }
  return rows;
}

/** Writes robustness.csv into the run directory and redraws its report. */
export async function writeRobustness(runDir: string, rows: RobustnessRow[]): Promise<string> {
  const path = join(runDir, "robustness.csv");
  await writeFile(path, stringify([["condition", "modality", "level", "accuracy", "unit", "manifest"], ...rows.map((r) => [r.condition, r.modality, r.level, r.accuracy.toFixed(4), r.unit, r.manifest])]));
  await writeReport(runDir);
  return path;
}

/**
 * The on-disk layout every quality data set shares: train.csv and test.csv (columns id,
 * label, the tabular columns, image, audio; media paths relative to the CSVs' folder) and a
 * config.yaml that names only columns and sizes, so modalfuse's defaults and the runner's
 * --set choose the model and training.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Random } from "../../../src/util/random.js";

export type Cell = string | number | null;

export interface TabularSchema {
  numeric: readonly string[];
  categorical: readonly string[];
}

/** One row of a manifest, media paths already decided ("" for a missing file). */
export interface ManifestRow {
  id: string;
  label: string | number;
  split: "train" | "test";
  tabular: Record<string, Cell>;
  image: string;
  audio: string;
}

/** The image and audio settings every data set's config.yaml names. */
export const IMAGE_SIZE = 32;
export const AUDIO_SAMPLE_RATE = 16000;
export const AUDIO_SECONDS = 1.5;
export const AUDIO_MELS = 64;

export async function writeManifests(dir: string, rows: readonly ManifestRow[], schema: TabularSchema): Promise<void> {
  const header = ["id", "label", ...schema.numeric, ...schema.categorical, "image", "audio"];
  for (const split of ["train", "test"] as const) {
    const lines = [header.join(",")];
    for (const row of rows.filter((r) => r.split === split)) {
      const tabular = [...schema.numeric, ...schema.categorical].map((column) => row.tabular[column] ?? null);
      lines.push([row.id, row.label, ...tabular, row.image, row.audio].map(csvCell).join(","));
    }
    await writeFile(join(dir, `${split}.csv`), `${lines.join("\n")}\n`);
  }
  await writeFile(join(dir, "config.yaml"), configYaml(schema));
}

export function configYaml(schema: TabularSchema): string {
  const list = (names: readonly string[]): string => `[${names.join(", ")}]`;
  return [
    "data:",
    "  train: train.csv",
    "  test: test.csv",
    "  label: label",
    "  id: id",
    `  tabular: {numeric: ${list(schema.numeric)}, categorical: ${list(schema.categorical)}}`,
    `  image: {column: image, size: ${IMAGE_SIZE}}`,
    `  audio: {column: audio, sample_rate: ${AUDIO_SAMPLE_RATE}, seconds: ${AUDIO_SECONDS}, n_mels: ${AUDIO_MELS}}`,
    "",
  ].join("\n");
}

function csvCell(value: Cell): string {
  if (value === null) return "";
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rounds for the CSV, so the files stay short and identical on every platform. */
export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * Indices of a stratified split: `testPerClass` rows of each class go to test, chosen by the
 * generator; the rest to train.
 */
export function stratifiedTestRows(labels: readonly (string | number)[], testPerClass: number, rng: Random): Set<number> {
  const byClass = new Map<string | number, number[]>();
  labels.forEach((label, i) => {
    const indices = byClass.get(label) ?? [];
    indices.push(i);
    byClass.set(label, indices);
  });
  const test = new Set<number>();
  for (const indices of byClass.values()) for (const i of rng.shuffle(indices).slice(0, testPerClass)) test.add(i);
  return test;
}

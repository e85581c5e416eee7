// `evaluate --robustness`: accuracy of a trained run with each modality and pair
// removed, and under rising noise per modality — pixel noise on images, falling SNR on
// the audio waveform, noise and dropped columns on the table. Noise is seeded, so the
// figures repeat.
import { writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { stringify } from "csv-stringify/sync";
import type { Modality } from "./config/schema.js";
import { LogMelFrontEnd } from "./data/logmel.js";
import { readManifest } from "./data/manifest.js";
import { loadWaveforms } from "./data/media-loader.js";
import { logMelOptionsOf } from "./data/audio-features.js";
import { gatherRows, mediaParamsOfState, ownRows, type MediaParams, type MediaRows, type Progress, type Table } from "./data/prepare.js";
import { MISSING_INDEX } from "./data/tabular.js";
import type { TrainedModel } from "./inference.js";
import { writeReport } from "./report/index.js";
import { tensor, tidy } from "./torch/index.js";
import { deriveSeed, Random } from "./util/random.js";
import { modalitySubsets, subsetName } from "./compare.js";

export interface RobustnessRow {
  condition: "clean" | "drop" | "noise" | "columns_dropped";
  modality: string;
  level: number;
  unit: string;
  accuracy: number;
}

export const NOISE_LEVELS = {
  /** Gaussian pixel noise, standard deviation on the 0..1 scale. */
  image: [0.05, 0.1, 0.2, 0.4, 0.8],
  /** White noise added to the waveform at these signal-to-noise ratios (dB). */
  audio: [20, 10, 5, 0, -5, -10],
  /** Gaussian noise on the scaled numeric values (in training standard deviations). */
  tabular: [0.25, 0.5, 1, 2, 4],
  /** Share of tabular columns made missing. */
  columns: [0.25, 0.5, 0.75, 1],
};

function gaussian(random: Random): () => number {
  return () => {
    const u = 1 - random.next();
    const v = random.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

function noisyImages(images: MediaRows, sigma: number, seed: number): MediaRows {
  const normal = gaussian(new Random(deriveSeed(seed, 1)));
  const clean = gatherRows(images);
  const noisy = (clean.toTypedArray() as Uint8Array).map((v) => Math.min(255, Math.max(0, Math.round(v + 255 * sigma * normal()))));
  const shape = clean.shape;
  clean.dispose();
  return ownRows(tensor(noisy, shape, { dtype: "uint8" }));
}

function noisyNumbers(table: Table, sigma: number, seed: number): Float32Array {
  const normal = gaussian(new Random(deriveSeed(seed, 2)));
  // Value slots only (even positions); missing indicators and missing values stay as they are.
  return table.numeric.map((v, i) => (i % 2 === 0 && table.numeric[i + 1] === 0 ? v + sigma * normal() : v));
}

function droppedColumns(table: Table, share: number, seed: number): Table {
  const nNum = table.numericWidth / 2;
  const total = nNum + table.categoricalWidth;
  const random = new Random(deriveSeed(seed, 3));
  const order = Array.from({ length: total }, (_, i) => i).sort(() => random.next() - 0.5);
  const dropped = new Set(order.slice(0, Math.round(share * total)));
  const numeric = table.numeric.slice();
  const categorical = table.categorical.slice();
  for (let r = 0; r < table.size; r++) {
    for (let j = 0; j < nNum; j++) {
      if (!dropped.has(j)) continue;
      numeric[r * table.numericWidth + 2 * j] = 0;
      numeric[r * table.numericWidth + 2 * j + 1] = 1;
    }
    for (let j = 0; j < table.categoricalWidth; j++) if (dropped.has(nNum + j)) categorical[r * table.categoricalWidth + j] = BigInt(MISSING_INDEX);
  }
  return { ...table, numeric, categorical };
}

/** Raw waveforms of the table's rows, decoded once, for re-featurising at each SNR. */
async function waveformsOf(path: string, table: Table, audio: NonNullable<TrainedModel["state"]["audio"]>, progress?: Progress): Promise<Float32Array> {
  const manifest = await readManifest(path);
  const samples = Math.round(audio.sampleRate * audio.seconds);
  const column = await loadWaveforms(
    { cells: manifest.rows.map((r) => r[audio.column] ?? null), column: audio.column, dir: manifest.dir, manifest: basename(path), onProgress: (d, t) => progress?.("audio waveforms", d, t) },
    audio,
  );
  const out = new Float32Array(table.size * samples);
  table.rows.forEach((src, k) => out.set(column.data.subarray(src * samples, (src + 1) * samples), k * samples));
  return out;
}

/** Log-mel of the waveforms with white noise at `snrDb` below each clip's own power. */
function noisyLogMel(waves: Float32Array, rows: number, state: TrainedModel["state"], snrDb: number, seed: number): MediaRows {
  const audio = mediaParamsOfState(state).audio as NonNullable<MediaParams["audio"]>;
  const samples = waves.length / rows;
  const normal = gaussian(new Random(deriveSeed(seed, 4)));
  const noisy = new Float32Array(waves.length);
  for (let r = 0; r < rows; r++) {
    const clip = waves.subarray(r * samples, (r + 1) * samples);
    const power = clip.reduce((a, v) => a + v * v, 0) / samples;
    const sigma = Math.sqrt(power / 10 ** (snrDb / 10));
    for (let i = 0; i < samples; i++) noisy[r * samples + i] = (clip[i] as number) + sigma * normal();
  }
  const frontEnd = new LogMelFrontEnd(logMelOptionsOf(audio));
  const frames = frontEnd.frames(samples);
  try {
    const out = new Float32Array(rows * audio.nMels * frames);
    const chunk = 64;
    for (let start = 0; start < rows; start += chunk) {
      const count = Math.min(chunk, rows - start);
      const part = tidy(() => frontEnd.forward(tensor(noisy.subarray(start * samples, (start + count) * samples), [count, samples])).toTypedArray() as Float32Array);
      out.set(part, start * audio.nMels * frames);
    }
    return ownRows(tensor(out, [rows, audio.nMels, frames]));
  } finally {
    frontEnd.dispose();
  }
}

export async function robustness(model: TrainedModel, manifest: string, o: { seed?: number; progress?: Progress; onRow?: (row: RobustnessRow) => void } = {}): Promise<RobustnessRow[]> {
  const seed = o.seed ?? 0;
  const { table } = await model.prepare(manifest, true, o.progress);
  const accuracy = (t: Table) => {
    const scored = model.scoreTable(t);
    return scored.predicted.filter((p, i) => p === t.labels[i]).length / Math.max(1, t.size);
  };
  const rows: RobustnessRow[] = [];
  const add = (row: RobustnessRow) => {
    rows.push(row);
    o.onRow?.(row);
  };
  const modalities = model.state.modalities;
  add({ condition: "clean", modality: "all", level: 0, unit: "", accuracy: accuracy(table) });
  for (const subset of modalitySubsets(modalities)) {
    if (subset.length === modalities.length || subset.length > 2) continue;
    add({ condition: "drop", modality: subsetName(subset), level: 1, unit: "", accuracy: accuracy(model.withoutModalities(table, subset as Modality[])) });
  }
  if (modalities.includes("image") && table.image) {
    for (const sigma of NOISE_LEVELS.image) add({ condition: "noise", modality: "image", level: sigma, unit: "σ (0..1 pixels)", accuracy: accuracy({ ...table, image: noisyImages(table.image, sigma, seed) }) });
  }
  if (modalities.includes("audio") && model.state.audio) {
    const waves = await waveformsOf(manifest, table, model.state.audio, o.progress);
    for (const snr of NOISE_LEVELS.audio) add({ condition: "noise", modality: "audio", level: snr, unit: "dB SNR", accuracy: accuracy({ ...table, audio: noisyLogMel(waves, table.size, model.state, snr, seed) }) });
  }
  if (modalities.includes("tabular")) {
    if (table.numericWidth) for (const sigma of NOISE_LEVELS.tabular) add({ condition: "noise", modality: "tabular", level: sigma, unit: "σ (scaled values)", accuracy: accuracy({ ...table, numeric: noisyNumbers(table, sigma, seed) }) });
    for (const share of NOISE_LEVELS.columns) add({ condition: "columns_dropped", modality: "tabular", level: share, unit: "fraction of columns", accuracy: accuracy(droppedColumns(table, share, seed)) });
  }
  return rows;
}

/** Writes robustness.csv into the run directory and redraws its report. */
export async function writeRobustness(runDir: string, rows: RobustnessRow[]): Promise<string> {
  const path = join(runDir, "robustness.csv");
  await writeFile(path, stringify([["condition", "modality", "level", "accuracy", "unit"], ...rows.map((r) => [r.condition, r.modality, r.level, r.accuracy.toFixed(4), r.unit])]));
  await writeReport(runDir);
  return path;
}

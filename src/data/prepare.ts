// From manifests to tables of arrays: labels checked, rows split, media decoded once,
// statistics fitted on training rows only, bad files handled per `on_bad_file`.
import { basename } from "node:path";
import { UserError } from "../errors.js";
import type { Config, Modality } from "../config/schema.js";
import { configuredModalities, imageSizeOf } from "../config/schema.js";
import { tensor, tidy } from "../torch/index.js";
import { DecodeCache, defaultCacheDir } from "./decode-cache.js";
import { LogMelFrontEnd } from "./logmel.js";
import { readManifest, requireColumns, type Manifest } from "./manifest.js";
import { loadAudioColumn, loadImageColumn, type DataIssue, type LoadedColumn } from "./media-loader.js";
import type { AudioState, ImageState, PreprocessState } from "./preprocess-state.js";
import { labelOf, sortClasses, splitRows } from "./split.js";
import { fitTabular, transformTabular, numericWidth } from "./tabular.js";

/** One part of the data (train, validation, test, or rows to predict) as flat arrays. */
export interface Table {
  size: number;
  manifest: string;
  /** Each row's 0-based index in its manifest. */
  rows: number[];
  ids: (string | null)[];
  /** Class index per row; -1 where the row has no usable label (prediction input). */
  labels: Int32Array;
  numeric: Float32Array;
  numericWidth: number;
  categorical: BigInt64Array;
  categoricalWidth: number;
  /** [size, 3, H, W] uint8, or null when images are not used. */
  image: Uint8Array | null;
  /** [size, nMels, frames] log-mel, or null when audio is not used. */
  audio: Float32Array | null;
  present: Record<Modality, Uint8Array>;
}

export interface DecodedMedia {
  image: LoadedColumn<Uint8Array> | null;
  audio: LoadedColumn<Float32Array> | null;
  imageStride: number;
  audioStride: number;
}

export type Progress = (stage: string, done: number, total: number) => void;

export interface MediaParams {
  image: { column: string; height: number; width: number } | null;
  audio: { column: string; sampleRate: number; seconds: number; nMels: number } | null;
}

/** Decodes every media file a manifest names, once. */
export async function decodeMedia(manifest: Manifest, media: MediaParams, progress?: Progress, cache: DecodeCache | null = null): Promise<DecodedMedia> {
  const name = basename(manifest.path);
  let image: LoadedColumn<Uint8Array> | null = null;
  let audio: LoadedColumn<Float32Array> | null = null;
  let imageStride = 0;
  let audioStride = 0;
  if (media.image) {
    const { column, height, width } = media.image;
    imageStride = 3 * height * width;
    image = await loadImageColumn({ cells: manifest.rows.map((r) => r[column] ?? null), column, dir: manifest.dir, manifest: name, cache, onProgress: (d, t) => progress?.(`images (${name})`, d, t) }, { height, width });
  }
  if (media.audio) {
    const a = media.audio;
    const frontEnd = new LogMelFrontEnd({ sampleRate: a.sampleRate, nMels: a.nMels });
    try {
      const samples = Math.round(a.sampleRate * a.seconds);
      const frames = frontEnd.frames(samples);
      audioStride = a.nMels * frames;
      audio = await loadAudioColumn(
        { cells: manifest.rows.map((r) => r[a.column] ?? null), column: a.column, dir: manifest.dir, manifest: name, cache, onProgress: (d, t) => progress?.(`audio (${name})`, d, t) },
        { sampleRate: a.sampleRate, seconds: a.seconds, featureSize: audioStride },
        (waves, count) => tidy(() => frontEnd.forward(tensor(waves, [count, samples])).toTypedArray() as Float32Array),
      );
    } finally {
      frontEnd.dispose();
    }
  }
  return { image, audio, imageStride, audioStride };
}

export function mediaParamsOf(config: Config): MediaParams {
  const size = imageSizeOf(config);
  const img = config.data.image;
  const aud = config.data.audio;
  return {
    image: img && size ? { column: img.column, ...size } : null,
    audio: aud ? { column: aud.column, sampleRate: aud.sample_rate, seconds: aud.seconds, nMels: aud.n_mels } : null,
  };
}

/** Every data issue of the decoded media, in row order. */
export function mediaIssues(decoded: DecodedMedia): DataIssue[] {
  return [...(decoded.image?.issues ?? []), ...(decoded.audio?.issues ?? [])].sort((a, b) => a.row - b.row || a.column.localeCompare(b.column));
}

/** Rows whose media is broken, after `on_bad_file`: error stops, skip_row drops, missing keeps. */
export function rowsToDrop(decoded: DecodedMedia, policy: PreprocessState["onBadFile"], manifest: string): Set<number> {
  const broken = new Set([...(decoded.image?.broken ?? []), ...(decoded.audio?.broken ?? [])]);
  if (broken.size === 0 || policy === "missing") return new Set();
  if (policy === "error") {
    const first = mediaIssues(decoded).find((i) => broken.has(i.row));
    throw new UserError(`${manifest}: row ${first?.row}: ${first?.column} ${first?.path}: ${first?.problem} (data.on_bad_file is error)`);
  }
  return broken;
}

/** Gathers rows of a decoded manifest into a Table, transformed with fitted state. */
export function assembleTable(manifest: Manifest, indices: number[], decoded: DecodedMedia, state: PreprocessState, withLabels: boolean): Table {
  const rows = indices.map((i) => manifest.rows[i] as (typeof manifest.rows)[number]);
  const tab = state.tabular ? transformTabular(rows, state.tabular) : null;
  const classIndex = new Map(state.classes.map((c, i) => [c, i]));
  const labels = new Int32Array(indices.length).fill(-1);
  if (withLabels) rows.forEach((r, k) => (labels[k] = classIndex.get(labelOf(r[state.label] ?? null) ?? "") ?? -1));
  const gather = <A extends Uint8Array | Float32Array>(column: LoadedColumn<A> | null, stride: number, make: (n: number) => A): A | null => {
    if (!column) return null;
    const out = make(indices.length * stride);
    indices.forEach((src, k) => out.set(column.data.subarray(src * stride, (src + 1) * stride), k * stride));
    return out;
  };
  // Tabular presence is per selected row; media presence is per manifest row.
  const mediaPresent = (flags: boolean[] | undefined) => Uint8Array.from(indices, (src) => Number(flags?.[src] ?? false));
  return {
    size: indices.length,
    manifest: basename(manifest.path),
    rows: indices,
    ids: rows.map((r, k) => (state.id ? String(r[state.id] ?? "") : String(indices[k]))),
    labels,
    numeric: tab?.numeric ?? new Float32Array(0),
    numericWidth: state.tabular ? numericWidth(state.tabular) : 0,
    categorical: tab?.categorical ?? new BigInt64Array(0),
    categoricalWidth: state.tabular?.categorical.length ?? 0,
    image: gather(decoded.image, decoded.imageStride, (n) => new Uint8Array(n)),
    audio: gather(decoded.audio, decoded.audioStride, (n) => new Float32Array(n)),
    present: {
      tabular: Uint8Array.from(indices, (_, k) => Number(tab?.present[k] ?? false)),
      image: mediaPresent(decoded.image?.present),
      audio: mediaPresent(decoded.audio?.present),
    },
  };
}

function imageStats(column: LoadedColumn<Uint8Array>, rows: number[], pixels: number): { mean: [number, number, number]; std: [number, number, number] } {
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  let count = 0;
  for (const r of rows) {
    if (!column.present[r]) continue;
    count++;
    for (let c = 0; c < 3; c++) {
      const base = r * 3 * pixels + c * pixels;
      let s = 0;
      let q = 0;
      for (let p = 0; p < pixels; p++) {
        const v = (column.data[base + p] as number) / 255;
        s += v;
        q += v * v;
      }
      sum[c] = (sum[c] as number) + s;
      sq[c] = (sq[c] as number) + q;
    }
  }
  const n = Math.max(1, count * pixels);
  const mean = sum.map((s) => s / n) as [number, number, number];
  const std = sq.map((q, c) => Math.sqrt(Math.max(q / n - (mean[c] as number) ** 2, 1e-6))) as [number, number, number];
  return count ? { mean, std } : { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
}

function audioStats(column: LoadedColumn<Float32Array>, rows: number[], stride: number): { mean: number; std: number } {
  let sum = 0;
  let sq = 0;
  let n = 0;
  for (const r of rows) {
    if (!column.present[r]) continue;
    const part = column.data.subarray(r * stride, (r + 1) * stride);
    for (const v of part) {
      sum += v;
      sq += v * v;
    }
    n += stride;
  }
  if (!n) return { mean: 0, std: 1 };
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(sq / n - mean * mean, 1e-6)) };
}

export interface PreparedData {
  state: PreprocessState;
  train: Table;
  validation: Table;
  test: Table;
  issues: DataIssue[];
}

/** Reads, splits, decodes and fits everything a training run needs. */
export async function prepareTraining(config: Config, progress?: Progress): Promise<PreparedData> {
  const modalities = configuredModalities(config);
  const d = config.data;
  const media = mediaParamsOf(config);
  const columns = [d.label, ...(d.id ? [d.id] : []), ...(d.tabular?.numeric ?? []), ...(d.tabular?.categorical ?? []), ...(d.image ? [d.image.column] : []), ...(d.audio ? [d.audio.column] : [])];
  const issues: DataIssue[] = [];

  const cache = d.cache_dir === false ? null : new DecodeCache(d.cache_dir ?? defaultCacheDir());
  const trainManifest = await readManifest(d.train);
  requireColumns(trainManifest, columns);
  const labelled = (m: Manifest, classes: Set<string> | null): number[] => {
    const keep: number[] = [];
    m.rows.forEach((r, i) => {
      const label = labelOf(r[d.label] ?? null);
      if (label === null) issues.push({ row: i, column: d.label, path: "", problem: "empty label: row dropped", manifest: basename(m.path) });
      else if (classes && !classes.has(label)) issues.push({ row: i, column: d.label, path: "", problem: `label ${label} not among the training classes: row dropped`, manifest: basename(m.path) });
      else keep.push(i);
    });
    return keep;
  };

  const trainDecoded = await decodeMedia(trainManifest, media, progress, cache);
  issues.push(...mediaIssues(trainDecoded));
  const trainDrop = rowsToDrop(trainDecoded, d.on_bad_file, d.train);
  const usable = labelled(trainManifest, null).filter((i) => !trainDrop.has(i));

  let trainIdx = usable;
  let valIdx: number[] = [];
  let testIdx: number[] = [];
  const needSplit = d.validation === null || d.test === null;
  if (needSplit) {
    const labels = usable.map((i) => labelOf(trainManifest.rows[i]?.[d.label] ?? null) as string);
    const split = splitRows(labels, { validation: d.validation === null ? d.split.validation : 0, test: d.test === null ? d.split.test : 0, stratify: d.split.stratify, seed: d.split.seed });
    trainIdx = split.train.map((k) => usable[k] as number);
    valIdx = split.validation.map((k) => usable[k] as number);
    testIdx = split.test.map((k) => usable[k] as number);
  }
  if (trainIdx.length === 0) throw new UserError(`${d.train}: no labelled rows left to train on`);

  const classes = sortClasses(trainIdx.map((i) => labelOf(trainManifest.rows[i]?.[d.label] ?? null) as string));
  if (classes.length < 2) throw new UserError(`${d.train}: column ${d.label} has only one class (${classes[0]}) among training rows`);
  const trainRows = trainIdx.map((i) => trainManifest.rows[i] as (typeof trainManifest.rows)[number]);
  const tabular = modalities.includes("tabular") ? fitTabular(trainRows, d.tabular?.numeric ?? [], d.tabular?.categorical ?? []) : null;
  let image: ImageState | null = null;
  if (media.image && trainDecoded.image) image = { ...media.image, ...imageStats(trainDecoded.image, trainIdx, media.image.height * media.image.width) };
  let audio: AudioState | null = null;
  if (media.audio && trainDecoded.audio) audio = { ...media.audio, frames: trainDecoded.audioStride / media.audio.nMels, ...audioStats(trainDecoded.audio, trainIdx, trainDecoded.audioStride) };
  const state: PreprocessState = { version: 1, label: d.label, id: d.id, classes, modalities, tabular, image, audio, onBadFile: d.on_bad_file, model: { ...config.model } };

  const classSet = new Set(classes);
  const separate = async (path: string): Promise<Table> => {
    const m = await readManifest(path);
    requireColumns(m, columns);
    const decoded = await decodeMedia(m, media, progress, cache);
    issues.push(...mediaIssues(decoded));
    const drop = rowsToDrop(decoded, d.on_bad_file, path);
    return assembleTable(m, labelled(m, classSet).filter((i) => !drop.has(i)), decoded, state, true);
  };
  const train = assembleTable(trainManifest, trainIdx, trainDecoded, state, true);
  const validation = d.validation ? await separate(d.validation) : assembleTable(trainManifest, valIdx, trainDecoded, state, true);
  const test = d.test ? await separate(d.test) : assembleTable(trainManifest, testIdx, trainDecoded, state, true);
  if (validation.size === 0) throw new UserError(`${d.validation ?? d.train}: no rows for validation (raise data.split.validation or give data.validation)`);
  return { state, train, validation, test, issues };
}

/** Decodes and transforms a manifest for prediction or evaluation with a trained run's state. */
export async function prepareRows(path: string, state: PreprocessState, withLabels: boolean, progress?: Progress): Promise<{ table: Table; issues: DataIssue[]; dropped: number }> {
  return prepareManifestRows(await readManifest(path), state, withLabels, progress);
}

/** As prepareRows, for a manifest already in memory (the library's array-of-rows input). */
export async function prepareManifestRows(m: Manifest, state: PreprocessState, withLabels: boolean, progress?: Progress): Promise<{ table: Table; issues: DataIssue[]; dropped: number }> {
  const path = m.path;
  const columns = [...(withLabels ? [state.label] : []), ...(state.id ? [state.id] : []), ...(state.tabular?.numeric.map((n) => n.column) ?? []), ...(state.tabular?.categorical.map((c) => c.column) ?? []), ...(state.image ? [state.image.column] : []), ...(state.audio ? [state.audio.column] : [])];
  requireColumns(m, columns);
  const decoded = await decodeMedia(m, { image: state.image, audio: state.audio }, progress, new DecodeCache(defaultCacheDir()));
  const issues = mediaIssues(decoded);
  // Predictions keep every row in input order: a broken file counts as missing there.
  let indices = m.rows.map((_, i) => i);
  if (withLabels) {
    const classIndex = new Set(state.classes);
    indices = indices.filter((i) => {
      const label = labelOf(m.rows[i]?.[state.label] ?? null);
      const ok = label !== null && classIndex.has(label);
      if (!ok) issues.push({ row: i, column: state.label, path: "", problem: label === null ? "empty label: row not scored" : `label ${label} not among the trained classes: row not scored`, manifest: basename(path) });
      return ok;
    });
  }
  return { table: assembleTable(m, indices, decoded, state, withLabels), issues, dropped: m.rows.length - indices.length };
}

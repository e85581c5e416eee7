// From manifests to tables of arrays: labels checked, rows split, media decoded once,
// statistics fitted on training rows only, bad files handled per `on_bad_file`.
import { basename } from "node:path";
import { UserError } from "../errors.js";
import type { Config, Modality } from "../config/schema.js";
import { configuredModalities, imageSizeOf } from "../config/schema.js";
import { placementOf } from "../engine/placement.js";
import { noGrad, tensor, tidy, trimMemory, type Tensor } from "../torch/index.js";
import { DecodeCache, defaultCacheDir } from "./decode-cache.js";
import { readManifest, requireColumns, type Manifest } from "./manifest.js";
import type { AudioFeatureParams } from "./audio-features.js";
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
  /** Images, [.., 3, H, W] uint8, or null when images are not used. */
  image: MediaRows | null;
  /** Log-mel, [.., nMels, frames] (float16 from the decoder), or null when audio is not used. */
  audio: MediaRows | null;
  present: Record<Modality, Uint8Array>;
}

/**
 * A table's rows of a media column without copying them: `source` is the decoded column
 * (one row per manifest row, memory-mapped from the cache when there is one) and `rows`
 * picks this table's rows from it, in order.
 */
export interface MediaRows {
  source: Tensor;
  rows: Int32Array;
}

export interface DecodedMedia {
  image: LoadedColumn | null;
  audio: LoadedColumn | null;
}

export type Progress = (stage: string, done: number, total: number) => void;

export interface MediaParams {
  image: { column: string; height: number; width: number } | null;
  audio: ({ column: string } & AudioFeatureParams) | null;
  /** Where the engine computes audio features (the training device); CPU when unset. */
  featureDevice?: string;
}

/** Decodes every media file a manifest names, once (or maps what an earlier run decoded). */
export async function decodeMedia(manifest: Manifest, media: MediaParams, progress?: Progress, cache: DecodeCache | null = null, keepArray = true): Promise<DecodedMedia> {
  const name = basename(manifest.path);
  // Both columns decode at once (in the decoding worker threads, or images on sharp's threads
  // without the native JPEG decoder), so the cores stay busy; progress counts their files together.
  const counts = new Map<string, Count>();
  const report = () => {
    const { done, total } = sumCounts(counts);
    progress?.(`media files (${name})`, done, total);
  };
  const source = (column: string, kind: "image" | "audio") => ({
    cells: manifest.rows.map((r) => r[column] ?? null), column, dir: manifest.dir, manifest: name, cache, keepArray,
    onProgress: (done: number, total: number) => (counts.set(kind, { done, total }), report()),
  });
  for (const [kind, m] of [["image", media.image], ["audio", media.audio]] as const) if (m) counts.set(kind, { done: 0, total: manifest.rows.length });
  if (counts.size) report();
  const [image, audio] = await Promise.all([
    media.image ? loadImageColumn(source(media.image.column, "image"), { height: media.image.height, width: media.image.width }) : null,
    media.audio
      ? loadAudioColumn(
          source(media.audio.column, "audio"),
          { sampleRate: media.audio.sampleRate, seconds: media.audio.seconds, nMels: media.audio.nMels, hopMs: media.audio.hopMs, windowMs: media.audio.windowMs },
          { device: media.featureDevice ?? "cpu" },
        )
      : null,
  ]);
  // Decoding thousands of files leaves the C heap holding hundreds of MB it will not use
  // again (measured: 645 → 220 MB RssAnon after 1,400 rows); the data itself is mapped.
  if (image || audio) trimMemory();
  return { image, audio };
}

/**
 * One counter over several manifests decoding at once, so a terminal shows one line: a
 * reporter per source, silent until each has given its total, then the sums under `stage`.
 */
function combinedProgress(progress: Progress | undefined, stage: string, sources: number): (Progress | undefined)[] {
  if (!progress) return Array.from({ length: sources }, () => undefined);
  const counts = new Map<number, Count>();
  return Array.from({ length: sources }, (_, source): Progress => (_stage, done, total) => {
    counts.set(source, { done, total });
    if (counts.size < sources) return;
    const sum = sumCounts(counts);
    progress(stage, sum.done, sum.total);
  });
}

interface DecodedManifest {
  manifest: Manifest;
  decoded: DecodedMedia;
}

interface Count {
  done: number;
  total: number;
}

function sumCounts(counts: Map<unknown, Count>): Count {
  const sum = { done: 0, total: 0 };
  for (const c of counts.values()) (sum.done += c.done), (sum.total += c.total);
  return sum;
}

export function mediaParamsOf(config: Config): MediaParams {
  const size = imageSizeOf(config);
  const img = config.data.image;
  const aud = config.data.audio;
  return {
    image: img && size ? { column: img.column, ...size } : null,
    audio: aud ? { column: aud.column, sampleRate: aud.sample_rate, seconds: aud.seconds, nMels: aud.n_mels, hopMs: aud.hop_ms, windowMs: aud.window_ms } : null,
    featureDevice: placementOf(config.train).device,
  };
}

/** The media parameters a trained run decodes with. */
export function mediaParamsOfState(state: PreprocessState): MediaParams {
  const a = state.audio;
  return { image: state.image, audio: a ? { column: a.column, sampleRate: a.sampleRate, seconds: a.seconds, nMels: a.nMels, hopMs: a.hopMs ?? 10, windowMs: a.windowMs ?? 25 } : null };
}

/** A table's rows of a media column, gathered into one tensor [size, ...]. */
export function gatherRows(media: MediaRows): Tensor {
  return tidy(() => media.source.indexSelect(0, tensor(Array.from(media.rows), [media.rows.length], { dtype: "int64" })));
}

/** MediaRows over a tensor that holds exactly a table's rows, in order. */
export function ownRows(source: Tensor): MediaRows {
  return { source, rows: Int32Array.from({ length: source.shape[0] as number }, (_, i) => i) };
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
  const pick = (column: LoadedColumn | null): MediaRows | null => (column ? { source: column.data.tensor, rows: Int32Array.from(indices) } : null);
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
    image: pick(decoded.image),
    audio: pick(decoded.audio),
    present: {
      tabular: Uint8Array.from(indices, (_, k) => Number(tab?.present[k] ?? false)),
      image: mediaPresent(decoded.image?.present),
      audio: mediaPresent(decoded.audio?.present),
    },
  };
}

/**
 * Mean and std of the present training rows of a column, per channel (dimension 1) when
 * `perChannel`, else over everything; summed by the engine a chunk of rows at a time, so a
 * memory-mapped column is never copied whole.
 */
function columnStats(column: LoadedColumn, rows: number[], scale: number, perChannel: boolean): { mean: number[]; std: number[] } | null {
  const used = rows.filter((r) => column.present[r]);
  if (used.length === 0) return null;
  const channels = perChannel ? (column.data.rowShape[0] as number) : 1;
  const sum = new Float64Array(channels);
  const sq = new Float64Array(channels);
  for (let start = 0; start < used.length; start += 256) {
    const part = used.slice(start, start + 256);
    tidy(() =>
      noGrad(() => {
        // Each row's sums in float32 (a few thousand values, summed pairwise), then across rows
        // in float64, rather than every value widened to float64 first: every run pays for
        // this, and it was ~0.25 s of a 1.9 s warm start (2,000 rows, 2 cores).
        const x = column.data.tensor.indexSelect(0, tensor(part, [part.length], { dtype: "int64" })).float().reshape([part.length, channels, -1]);
        const s = x.sum(2).to({ dtype: "float64" }).sum(0).toArray() as number[];
        const q = x.mul(x).sum(2).to({ dtype: "float64" }).sum(0).toArray() as number[];
        for (let c = 0; c < channels; c++) {
          sum[c] = (sum[c] as number) + (s[c] as number) / scale;
          sq[c] = (sq[c] as number) + (q[c] as number) / (scale * scale);
        }
      }),
    );
  }
  const count = used.length * (column.data.rowShape.reduce((a, b) => a * b, 1) / channels);
  const mean = Array.from(sum, (s) => s / count);
  const std = Array.from(sq, (q, c) => Math.sqrt(Math.max(q / count - (mean[c] as number) ** 2, 1e-6)));
  return { mean, std };
}

function imageStats(column: LoadedColumn, rows: number[]): { mean: [number, number, number]; std: [number, number, number] } {
  const stats = columnStats(column, rows, 255, true);
  return stats ? { mean: stats.mean as [number, number, number], std: stats.std as [number, number, number] } : { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
}

function audioStats(column: LoadedColumn, rows: number[]): { mean: number; std: number } {
  const stats = columnStats(column, rows, 1, false);
  return stats ? { mean: stats.mean[0] as number, std: stats.std[0] as number } : { mean: 0, std: 1 };
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

  // The separate validation and test manifests decode alongside the training one: the work
  // is the same either way, and together they keep every core busy to the end.
  const separateManifests = [d.validation, d.test].filter((path): path is string => path !== null);
  const [trainProgress, ...separateProgress] = combinedProgress(progress, "media files", 1 + separateManifests.length);
  const manifests = new Map<string, Promise<DecodedManifest>>();
  for (const [i, path] of separateManifests.entries()) {
    if (manifests.has(path)) {
      separateProgress[i]?.("", 0, 0); // the same file as validation and test: decoded once
      continue;
    }
    const pending = readManifest(path).then(async (manifest) => {
      requireColumns(manifest, columns);
      return { manifest, decoded: await decodeMedia(manifest, media, separateProgress[i], cache) };
    });
    // Met where it is awaited, in order; until then the combined progress must not wait for it.
    pending.catch(() => separateProgress[i]?.("", 0, 0));
    manifests.set(path, pending);
  }
  // Everything after the training manifest's decoding; a failure here waits for the others.
  const finishPreparing = async (): Promise<PreparedData> => {
    const trainDecoded = await decodeMedia(trainManifest, media, trainProgress, cache);
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
    if (media.image && trainDecoded.image) image = { ...media.image, ...imageStats(trainDecoded.image, trainIdx) };
    let audio: AudioState | null = null;
    if (media.audio && trainDecoded.audio) audio = { ...media.audio, frames: trainDecoded.audio.data.rowShape[1] as number, ...audioStats(trainDecoded.audio, trainIdx) };
    const state: PreprocessState = { version: 1, label: d.label, id: d.id, classes, modalities, tabular, image, audio, onBadFile: d.on_bad_file, model: { ...config.model } };

    const classSet = new Set(classes);
    const separate = async (path: string): Promise<Table> => {
      const { manifest: m, decoded } = await (manifests.get(path) as Promise<DecodedManifest>);
      issues.push(...mediaIssues(decoded));
      const drop = rowsToDrop(decoded, d.on_bad_file, path);
      return assembleTable(m, labelled(m, classSet).filter((i) => !drop.has(i)), decoded, state, true);
    };
    const train = assembleTable(trainManifest, trainIdx, trainDecoded, state, true);
    const validation = d.validation ? await separate(d.validation) : assembleTable(trainManifest, valIdx, trainDecoded, state, true);
    const test = d.test ? await separate(d.test) : assembleTable(trainManifest, testIdx, trainDecoded, state, true);
    if (validation.size === 0) throw new UserError(`${d.validation ?? d.train}: no rows for validation (raise data.split.validation or give data.validation)`);
    return { state, train, validation, test, issues };
  };
  try {
    return await finishPreparing();
  } catch (error) {
    // No decoding outlives the call: the error is reported once the others have settled.
    await Promise.allSettled(manifests.values());
    throw error;
  }
}

/** Manifests to predict or evaluate with fewer rows than this are assembled in memory, not kept as cache arrays. */
export const ARRAY_MIN_ROWS = 256;

/** Decodes and transforms a manifest for prediction or evaluation with a trained run's state. */
export async function prepareRows(path: string, state: PreprocessState, withLabels: boolean, progress?: Progress): Promise<{ table: Table; issues: DataIssue[]; dropped: number }> {
  return prepareManifestRows(await readManifest(path), state, withLabels, progress);
}

/** As prepareRows, for a manifest already in memory (the library's array-of-rows input). */
export async function prepareManifestRows(m: Manifest, state: PreprocessState, withLabels: boolean, progress?: Progress): Promise<{ table: Table; issues: DataIssue[]; dropped: number }> {
  const path = m.path;
  const columns = [...(withLabels ? [state.label] : []), ...(state.id ? [state.id] : []), ...(state.tabular?.numeric.map((n) => n.column) ?? []), ...(state.tabular?.categorical.map((c) => c.column) ?? []), ...(state.image ? [state.image.column] : []), ...(state.audio ? [state.audio.column] : [])];
  requireColumns(m, columns);
  const decoded = await decodeMedia(m, mediaParamsOfState(state), progress, new DecodeCache(defaultCacheDir()), m.rows.length >= ARRAY_MIN_ROWS);
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

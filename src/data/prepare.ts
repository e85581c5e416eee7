// From manifests to tables of arrays: labels checked, rows split, media decoded once,
// statistics fitted on training rows only, bad files handled per `on_bad_file`.
import { basename } from "node:path";
import { UserError } from "../errors.js";
import type { Config } from "../config/schema.js";
import { placementOf } from "../engine/placement.js";
import { configuredInputs } from "../inputs/from-config.js";
import type { DecodeContext, DecodedInput, InputParams, TablePart } from "../inputs/kind.js";
import { kindOf } from "../inputs/registry.js";
import { backboneNormalisation } from "../inputs/image/backbone.js";
import { modelEncoders } from "../model/classifier.js";
import { trimMemory } from "../torch/index.js";
import { DecodeCache, defaultCacheDir } from "./cache/decode-cache.js";
import { readManifest, requireColumns, type Manifest } from "./table/manifest.js";
import type { DataIssue } from "./workers/media-loader.js";
import { PREPROCESS_VERSION, type PreprocessState } from "./preprocess-state.js";
import { checkLabelIsClasses } from "../config/infer.js";
import { labelOf, numericClasses, numericLabels, sortClasses, splitRows } from "./table/split.js";

/** One part of the data (train, validation, test, or rows to predict): each input's rows. */
export interface Table {
  size: number;
  manifest: string;
  /** Each row's 0-based index in its manifest. */
  rows: number[];
  ids: (string | null)[];
  /** Class index per row; -1 where the row has no usable label (prediction input). */
  labels: Int32Array;
  /** Per input name, its rows of this table (with which rows have it). */
  inputs: Record<string, TablePart>;
}

/** Each input's cells of one manifest, read or decoded once. */
export type DecodedInputs = Record<string, DecodedInput>;

export type Progress = (stage: string, done: number, total: number) => void;

export interface DecodeOptions {
  cache: DecodeCache | null;
  /** Whether decoded media columns are also kept in the cache as mapped arrays. */
  keepArray?: boolean;
  /** Where the engine computes features (the training device); CPU when unset. */
  featureDevice?: string;
}

/** Decodes every input of a manifest, once (or maps what an earlier run decoded). */
const TRIM_MIN_ROWS = 256;

export async function decodeInputs(manifest: Manifest, inputs: InputParams[], progress: Progress | undefined, o: DecodeOptions): Promise<DecodedInputs> {
  const name = basename(manifest.path);
  // Every input decodes at once (media in the decoding worker threads, or images on sharp's
  // threads without the native JPEG decoder), so the cores stay busy; progress counts their
  // files together.
  const counts = new Map<string, Count>();
  const report = () => {
    const { done, total } = sumCounts(counts);
    progress?.(`media files (${name})`, done, total);
  };
  for (const input of inputs) if (kindOf(input).readsFiles) counts.set(input.name, { done: 0, total: manifest.rows.length });
  if (counts.size) report();
  const context = (input: InputParams): DecodeContext => ({
    manifestName: name,
    cache: o.cache,
    keepArray: o.keepArray ?? true,
    featureDevice: o.featureDevice ?? "cpu",
    onProgress: (done, total) => (counts.set(input.name, { done, total }), report()),
  });
  const decoded = await Promise.all(inputs.map((input) => kindOf(input).decode(manifest, input, context(input))));
  // Decoding thousands of files leaves the C heap holding hundreds of MB it will not use
  // again (measured: 645 → 220 MB RssAnon after 1,400 rows); the data itself is mapped.
  // A few rows (a served request) leave little, and trimming costs tens of milliseconds.
  if (counts.size && manifest.rows.length >= TRIM_MIN_ROWS) trimMemory();
  return Object.fromEntries(inputs.map((input, i) => [input.name, decoded[i] as DecodedInput]));
}

/**
 * Decodes one part of every manifest's media files into the decode cache (rows whose index
 * modulo `parts` is `part`), so that processes preparing the same data can share the work of a
 * cold start. Nothing is checked or kept: prepareTraining does that, from the cache.
 */
export async function decodeIntoCache(config: Config, part: number, parts: number, progress?: Progress): Promise<void> {
  const d = config.data;
  if (d.cache_dir === false) return;
  const inputs = configuredInputs(config).filter((input) => kindOf(input).readsFiles);
  if (inputs.length === 0) return;
  const cache = new DecodeCache(d.cache_dir ?? defaultCacheDir());
  const options: DecodeOptions = { cache, keepArray: false, featureDevice: placementOf(config.train).device };
  for (const path of new Set([d.train, d.validation, d.test].filter((p): p is string => p !== null))) {
    const manifest = await readManifest(path);
    requireColumns(manifest, inputs.flatMap((input) => kindOf(input).columns(input)));
    await decodeInputs({ ...manifest, rows: manifest.rows.filter((_, i) => i % parts === part) }, inputs, progress, options);
  }
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
  decoded: DecodedInputs;
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

/** The parameters a trained run decodes its inputs with. */
export function inputParamsOfState(state: PreprocessState): InputParams[] {
  return state.inputs.map((s) => kindOf(s).paramsOf(s));
}

/** Every data issue of the decoded inputs, in row order. */
export function decodeIssues(decoded: DecodedInputs): DataIssue[] {
  return Object.values(decoded)
    .flatMap((d) => d.issues)
    .sort((a, b) => a.row - b.row || a.column.localeCompare(b.column));
}

/** Rows whose media is broken, after `on_bad_file`: error stops, skip_row drops, missing keeps. */
export function rowsToDrop(decoded: DecodedInputs, policy: PreprocessState["onBadFile"], manifest: string): Set<number> {
  const broken = new Set(Object.values(decoded).flatMap((d) => [...d.broken]));
  if (broken.size === 0 || policy === "missing") return new Set();
  if (policy === "error") {
    const first = decodeIssues(decoded).find((i) => broken.has(i.row));
    throw new UserError(`${manifest}: row ${first?.row}: ${first?.column} ${first?.path}: ${first?.problem} (data.on_bad_file is error)`);
  }
  return broken;
}

/** Gathers rows of a decoded manifest into a Table, transformed with fitted state. */
export function assembleTable(manifest: Manifest, indices: number[], decoded: DecodedInputs, state: PreprocessState, withLabels: boolean): Table {
  const rows = indices.map((i) => manifest.rows[i] as (typeof manifest.rows)[number]);
  const classIndex = new Map(state.classes.map((c, i) => [c, i]));
  const labels = new Int32Array(indices.length).fill(-1);
  const numeric = numericClasses(state.classes);
  if (withLabels) rows.forEach((r, k) => (labels[k] = classIndex.get(labelOf(r[state.label] ?? null, numeric) ?? "") ?? -1));
  return {
    size: indices.length,
    manifest: basename(manifest.path),
    rows: indices,
    ids: rows.map((r, k) => (state.id ? String(r[state.id] ?? "") : String(indices[k]))),
    labels,
    inputs: Object.fromEntries(state.inputs.map((s) => [s.name, kindOf(s).select(s, decoded[s.name] as DecodedInput, indices, manifest)])),
  };
}

/** The same table with some inputs marked absent for every row. */
export function withoutInputs(table: Table, state: PreprocessState, drop: string[]): Table {
  const inputs = { ...table.inputs };
  for (const s of state.inputs) if (drop.includes(s.name)) inputs[s.name] = kindOf(s).withoutRows(inputs[s.name] as TablePart);
  return { ...table, inputs };
}

/** Rows lacking each input. */
export function missingCount(table: Table): Record<string, number> {
  return Object.fromEntries(Object.entries(table.inputs).map(([name, part]) => [name, table.size - part.present.reduce((a, b) => a + b, 0)]));
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
  const inputs = configuredInputs(config);
  const d = config.data;
  const columns = [d.label, ...(d.id ? [d.id] : []), ...inputs.flatMap((input) => kindOf(input).columns(input))];
  const issues: DataIssue[] = [];

  const cache = d.cache_dir === false ? null : new DecodeCache(d.cache_dir ?? defaultCacheDir());
  await cache?.sweep();
  const decodeOptions: DecodeOptions = { cache, featureDevice: placementOf(config.train).device };
  const trainManifest = await readManifest(d.train);
  requireColumns(trainManifest, columns);
  checkLabelIsClasses(trainManifest, d.label, "data.label");
  const numeric = numericLabels(trainManifest.rows.map((r) => r[d.label] ?? null));
  const labelled = (m: Manifest, classes: Set<string> | null): number[] => {
    const keep: number[] = [];
    m.rows.forEach((r, i) => {
      const label = labelOf(r[d.label] ?? null, numeric);
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
      return { manifest, decoded: await decodeInputs(manifest, inputs, separateProgress[i], decodeOptions) };
    });
    // Met where it is awaited, in order; until then the combined progress must not wait for it.
    pending.catch(() => separateProgress[i]?.("", 0, 0));
    manifests.set(path, pending);
  }
  // Everything after the training manifest's decoding; a failure here waits for the others.
  const finishPreparing = async (): Promise<PreparedData> => {
    const trainDecoded = await decodeInputs(trainManifest, inputs, trainProgress, decodeOptions);
    issues.push(...decodeIssues(trainDecoded));
    const trainDrop = rowsToDrop(trainDecoded, d.on_bad_file, d.train);
    const usable = labelled(trainManifest, null).filter((i) => !trainDrop.has(i));

    let trainIdx = usable;
    let valIdx: number[] = [];
    let testIdx: number[] = [];
    const needSplit = d.validation === null || d.test === null;
    if (needSplit) {
      const labels = usable.map((i) => labelOf(trainManifest.rows[i]?.[d.label] ?? null, numeric) as string);
      const split = splitRows(labels, { validation: d.validation === null ? d.split.validation : 0, test: d.test === null ? d.split.test : 0, stratify: d.split.stratify, seed: d.split.seed });
      trainIdx = split.train.map((k) => usable[k] as number);
      valIdx = split.validation.map((k) => usable[k] as number);
      testIdx = split.test.map((k) => usable[k] as number);
    }
    if (trainIdx.length === 0) throw new UserError(`${d.train}: no labelled rows left to train on`);

    const classes = sortClasses(trainIdx.map((i) => labelOf(trainManifest.rows[i]?.[d.label] ?? null, numeric) as string));
    if (classes.length < 2) throw new UserError(`${d.train}: column ${d.label} has only one class (${classes[0]}) among training rows`);
    const fitted = backboneNormalisation(
      inputs.map((input) => kindOf(input).fit(input, trainDecoded[input.name] as DecodedInput, trainIdx, trainManifest)),
      config.model.encoders,
    );
    const state: PreprocessState = { version: PREPROCESS_VERSION, label: d.label, id: d.id, classes, inputs: fitted, onBadFile: d.on_bad_file, model: { ...config.model, encoders: modelEncoders(config.model.encoders) } };

    const classSet = new Set(classes);
    const separate = async (path: string): Promise<Table> => {
      const { manifest: m, decoded } = await (manifests.get(path) as Promise<DecodedManifest>);
      issues.push(...decodeIssues(decoded));
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
/** Where a trained run keeps decoded media: its data.cache_dir (null: the user's cache folder; false: none). */
export type CacheSetting = string | false | null;

function cacheOf(setting: CacheSetting): DecodeCache | null {
  return setting === false ? null : new DecodeCache(setting ?? defaultCacheDir());
}

export async function prepareRows(path: string, state: PreprocessState, withLabels: boolean, progress?: Progress, cacheDir: CacheSetting = null): Promise<{ table: Table; issues: DataIssue[]; dropped: number }> {
  return prepareManifestRows(await readManifest(path), state, withLabels, progress, cacheDir);
}

/** As prepareRows, for a manifest already in memory (the library's array-of-rows input). */
export async function prepareManifestRows(m: Manifest, state: PreprocessState, withLabels: boolean, progress?: Progress, cacheDir: CacheSetting = null): Promise<{ table: Table; issues: DataIssue[]; dropped: number }> {
  const path = m.path;
  const inputs = inputParamsOfState(state);
  const columns = [...(withLabels ? [state.label] : []), ...(state.id ? [state.id] : []), ...inputs.flatMap((input) => kindOf(input).columns(input))];
  requireColumns(m, columns);
  const cache = cacheOf(cacheDir);
  await cache?.sweep();
  const decoded = await decodeInputs(m, inputs, progress, { cache, keepArray: m.rows.length >= ARRAY_MIN_ROWS });
  const issues = decodeIssues(decoded);
  // Predictions keep every row in input order: a broken file counts as missing there.
  let indices = m.rows.map((_, i) => i);
  if (withLabels) {
    const classIndex = new Set(state.classes);
    indices = indices.filter((i) => {
      const label = labelOf(m.rows[i]?.[state.label] ?? null, numericClasses(state.classes));
      const ok = label !== null && classIndex.has(label);
      if (!ok) issues.push({ row: i, column: state.label, path: "", problem: label === null ? "empty label: row not scored" : `label ${label} not among the trained classes: row not scored`, manifest: basename(path) });
      return ok;
    });
  }
  return { table: assembleTable(m, indices, decoded, state, withLabels), issues, dropped: m.rows.length - indices.length };
}

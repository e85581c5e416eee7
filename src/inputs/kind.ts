// The one interface every kind of input implements. An input is one configured column (or,
// for tabular, a set of columns) with its own encoder; a kind is the module that knows how
// to read, fit, batch, encode, augment and perturb such columns. Everything else (data
// preparation, datasets, the model, compare, robustness, explain, the report) iterates over
// a run's inputs through this interface and never names a kind.
import type { DecodeCache } from "../data/cache/decode-cache.js";
import type { Manifest } from "../data/table/manifest.js";
import type { DataIssue } from "../data/workers/media-loader.js";
import type { Encoder } from "../model/encoders.js";
import type { AugmentSettings, PresetSettings } from "../model/presets.js";
import type { Tensor } from "../torch/index.js";

export type KindName = "tabular" | "image" | "audio" | "text";

/** What the config says about one input, before anything is fitted. */
export interface InputParams {
  /** Unique among the run's inputs: names encoders, weights, report rows and contrib_ columns. */
  name: string;
  kind: KindName;
  /** Reads through the encoder of the first input of its kind that also shares (same shapes). */
  share?: boolean;
}

/** An input after fitting on training rows, as preprocess.json keeps it. */
export type InputState = InputParams;

/** One manifest's cells of an input, read or decoded once; parts of it become table parts. */
export interface DecodedInput {
  issues: DataIssue[];
  /** Manifest rows whose content was there but broken (on_bad_file decides their fate). */
  broken: Set<number>;
}

/** An input's rows of one table, in table order. */
export interface TablePart {
  /** 1 where the row has this input, 0 where it is missing. */
  present: Uint8Array;
}

/** An input's tensors for one batch, by the names its encoder reads. */
export type BatchInput = Record<string, Tensor>;

/** An input's rows held by the engine for a dataset: batches are made by indexing. */
export interface DatasetPart {
  /** Rows `indices` (int64, on the dataset's device), normalised; absent rows are zeros. */
  batch(indices: Tensor, present: Tensor): BatchInput;
}

/** Places a tensor on the dataset's device and keeps it until the dataset is disposed. */
export interface Placer {
  device: string;
  /** Moves `t` to the device (disposing the original when it moved) and owns the result. */
  own(t: Tensor): Tensor;
  /** Owns `t` where it is. */
  keep(t: Tensor): Tensor;
  /** Bytes of one column above which media stays in host memory; Infinity: no limit. */
  residentLimitBytes: number;
}

export interface DecodeContext {
  manifestName: string;
  cache: DecodeCache | null;
  /** Whether decoded media columns are also kept in the cache as mapped arrays. */
  keepArray: boolean;
  /** Where the engine computes features (the training device). */
  featureDevice: string;
  onProgress(done: number, total: number): void;
}

/** One perturbed version of an input's table part, for `evaluate --robustness`. */
export interface Perturbation<T extends TablePart = TablePart> {
  condition: "noise" | "columns_dropped" | "words_dropped" | "typos";
  level: number;
  unit: string;
  part: T;
}

export interface PerturbContext {
  /** The manifest the table was read from (audio re-decodes its waveforms). */
  manifestPath: string;
  /** The table's rows in that manifest. */
  rows: number[];
  seed: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/**
 * One manifest column as a person or a client fills it in (the served web page and
 * /v1/model): what it takes, and the limits the run was trained with.
 */
export type InputField =
  | { column: string; type: "number"; mean: number; std: number }
  | { column: string; type: "category"; values: string[] }
  | { column: string; type: "image"; height: number; width: number }
  | { column: string; type: "audio"; sampleRate: number; seconds: number }
  | { column: string; type: "text"; maxTokens: number };

/** A kind of input. Method syntax on purpose: each kind narrows the types it is given. */
export interface InputKind<P extends InputParams = InputParams, S extends InputState = InputState, D extends DecodedInput = DecodedInput, T extends TablePart = TablePart> {
  readonly kind: KindName;
  /** Whether its cells name files (decoding them shows progress and may be cached). */
  readonly readsFiles: boolean;
  /** The manifest columns the input reads. */
  columns(params: P): string[];
  /** Those columns as fields to fill in, from the trained state. */
  fields(state: S): InputField[];
  /** Reads or decodes the input's cells of a whole manifest. */
  decode(manifest: Manifest, params: P, context: DecodeContext): Promise<D>;
  /** Fits normalisation, vocabularies and sizes on the training rows (manifest indices). */
  fit(params: P, decoded: D, trainRows: number[], manifest: Manifest): S;
  /** The parameters a trained state decodes with (prediction and evaluation). */
  paramsOf(state: S): P;
  /** The table part of manifest rows `indices`, transformed with the fitted state. */
  select(state: S, decoded: D, indices: number[], manifest: Manifest): T;
  /** The part with every row marked missing (`--drop`, compare, explanations). */
  withoutRows(part: T): T;
  tensors(state: S, part: T, place: Placer): DatasetPart;
  encoder(state: S, features: number, preset: PresetSettings): Encoder;
  /** The simple features a linear member reads, [B, d], and their width. */
  simpleFeatures(x: BatchInput, state: S): Tensor;
  simpleWidth(state: S): number;
  /** Training-time augmentation of a batch, as the preset asks. */
  augment(x: BatchInput, settings: AugmentSettings): BatchInput;
  /** Perturbed versions of a table part, rising in strength, for robustness. */
  perturbations(state: S, part: T, context: PerturbContext): AsyncIterable<Perturbation<T>>;
}

// Shapes of the run-directory files the report reads. The zod schemas in read-run.ts
// check files against these; renderers take these plain types so they can be fed directly.

export type { HistoryRow } from "../run-format.js";
import type { RunBaselines } from "./baselines.js";

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface SplitMetrics {
  accuracy: number;
  macro_f1: number;
  loss?: number | undefined;
  per_class: Record<string, ClassScores>;
  /** Rows are the true class, columns the predicted one, both in `classes` order. */
  confusion: number[][];
}

export interface Metrics {
  classes: string[];
  test: SplitMetrics;
  validation: SplitMetrics;
  data_issues: number;
  label?: string | undefined;
  rows?: Record<string, number> | undefined;
  epochs_run?: number | undefined;
  best_epoch?: number | undefined;
  train_seconds?: number | undefined;
  preset?: string | undefined;
  fusion?: string | undefined;
  device?: string | undefined;
  /** Rows lacking each input, per part (train, validation, test), then per input; older runs lack it. */
  missing?: Record<string, Record<string, number>> | undefined;
  /** The run's own linear baselines (runs written before they existed have none). */
  baselines?: RunBaselines | undefined;
  /** Anything else the trainer recorded; shown in the summary when it is a scalar. */
  [extra: string]: unknown;
}

/** A tensor shape as the trainer writes it: the batch dimension is the string "N". */
export type Shape = Array<number | string>;

export interface ArchLayer {
  name: string;
  detail?: string | undefined;
  output?: Shape | undefined;
}

export interface ArchEncoder {
  /** The input's name. */
  modality: string;
  /** Its kind (tabular, image, audio, text), which picks its colour; absent in older runs. */
  kind?: string | undefined;
  input?: Shape | undefined;
  layers: ArchLayer[];
  output?: Shape | undefined;
  /** How a missing value of this modality is filled in, e.g. "learned embedding". */
  missing?: string | undefined;
}

export interface Architecture {
  preset?: string | undefined;
  parameters?: number | undefined;
  encoders: ArchEncoder[];
  fusion: ArchLayer;
  head: { layers: ArchLayer[]; output?: Shape | undefined };
}

/** A CSV file read as a header plus string cells, for tables shown verbatim. */
export interface CsvTable {
  columns: string[];
  rows: string[][];
}

/** One row of compare.csv: one training run restricted to some modalities. */
export interface CompareRow {
  /** "+"-joined modality names, e.g. "audio+image". */
  modalities: string;
  fusion: string;
  seed: string;
  accuracy: number;
  macro_f1: number;
}

/** The robustness conditions the report knows how to draw; others still appear in its table. */
export type RobustnessCondition = "clean" | "drop" | "noise" | "columns_dropped" | "words_dropped" | "typos";

/** One row of robustness.csv: accuracy on the evaluated manifest under one perturbation of the inputs. */
export interface RobustnessRow {
  condition: string;
  /** "all" for clean, one modality or a "+"-joined set for drop, the perturbed modality otherwise. */
  modality: string;
  /** Noise strength, SNR in dB, or fraction of columns; NaN where the condition has none. */
  level: number;
  accuracy: number;
  /** The level's unit when the CSV has a unit column ("σ", "dB SNR", …). */
  unit?: string | undefined;
  /** The manifest's file name when the CSV has a manifest column (older files lack it). */
  manifest?: string | undefined;
}

// A trained run loaded back: predictions and evaluation on new manifests or row objects.
import { join, resolve } from "node:path";
import { TensorDataset } from "./data/dataset.js";
import type { Row } from "./data/table/manifest.js";
import type { DataIssue } from "./data/workers/media-loader.js";
import { prepareManifestRows, prepareRows, withoutInputs, type CacheSetting, type Progress, type Table } from "./data/prepare.js";
import type { PreprocessState } from "./data/preprocess-state.js";
import { UserError } from "./errors.js";
import { contributions as explain, predictionsOf, resolveDrop } from "./explain.js";
import { buildModel, type MultimodalClassifier } from "./model/classifier.js";
import { loadSafetensors, resolveDevice } from "./torch/index.js";
import { score, type Scored } from "./training/loop.js";
import { classificationMetrics, type Metrics } from "./training/metrics.js";
import { readPreprocess, readRunConfig } from "./training/run-files.js";
import { runStatus } from "./training/run-dir.js";

export interface Prediction {
  /** The id column's value, or the row's 0-based position when the run has no id column. */
  id: string;
  prediction: string;
  confidence: number;
  probabilities: Record<string, number>;
  /** With `explain`: each input's contribution to this prediction. */
  contributions?: Record<string, number>;
}

export interface PredictOptions {
  /** Treat these inputs as missing for every row: input names, or kinds (every input of that kind). */
  drop?: string[];
  progress?: Progress;
  batchSize?: number;
  /** Add per-modality contributions to each prediction. */
  explain?: boolean;
  /** Where decoded media is kept; the run's data.cache_dir when unset (false: nowhere). */
  cache?: CacheSetting;
}

export class TrainedModel {
  private constructor(
    readonly dir: string,
    readonly state: PreprocessState,
    readonly model: MultimodalClassifier,
    readonly device: string,
    /** The run's data.cache_dir: predictions decode into the same cache (or none). */
    readonly cacheDir: CacheSetting,
  ) {}

  static async load(runDir: string, device = "auto"): Promise<TrainedModel> {
    const dir = resolve(runDir);
    if ((await runStatus(dir)) === "running") throw new UserError(`${dir}: the run is not complete (training stopped before it finished): continue it with modalfuse train --resume ${dir}`);
    const state = await readPreprocess(dir);
    const cacheDir = await runCacheDir(dir);
    const placed = resolveDevice(device);
    const model = buildModel(state, state.model);
    let weights;
    try {
      weights = await loadSafetensors(join(dir, "model.safetensors"));
    } catch (error) {
      model.dispose();
      throw new UserError(`${dir}: cannot read model.safetensors (${(error as Error).message})`);
    }
    try {
      model.loadStateDict(weights.tensors);
    } catch (error) {
      model.dispose();
      throw new UserError(`${dir}/model.safetensors: ${(error as Error).message}`);
    } finally {
      for (const t of weights.tensors.values()) t.dispose();
    }
    return new TrainedModel(dir, state, model.placeOn(placed).eval(), placed, cacheDir);
  }

  get classes(): string[] {
    return this.state.classes;
  }

  /** Predictions for every row, in input order (rows need no label). */
  async predict(data: string | Row[], options: PredictOptions = {}): Promise<Prediction[]> {
    return (await this.predictWithIssues(data, options)).predictions;
  }

  /** Predictions plus the media files that could not be read (those rows predicted without them). */
  async predictWithIssues(data: string | Row[], options: PredictOptions = {}): Promise<{ predictions: Prediction[]; issues: DataIssue[] }> {
    const { predictions, issues } = await this.run(data, false, options);
    return { predictions, issues };
  }

  /** Metrics on a labelled manifest; rows with empty or unknown labels are reported, not scored. */
  async evaluate(data: string | Row[], options: PredictOptions = {}): Promise<{ metrics: Metrics; issues: DataIssue[]; predictions: Prediction[] }> {
    const { table, issues, predictions, loss } = await this.run(data, true, options);
    if (table.size === 0) throw new UserError(`${typeof data === "string" ? data : "rows"}: no rows whose ${this.state.label} is one of the trained classes (${this.classes.join(", ")}) to evaluate`);
    const truth = Array.from(table.labels);
    const predicted = predictions.map((p) => this.classes.indexOf(p.prediction));
    return { metrics: classificationMetrics(truth, predicted, this.classes, loss), issues, predictions };
  }

  /** Decodes and transforms rows with this run's preprocessing (labels kept when asked). */
  async prepare(data: string | Row[], withLabels: boolean, progress?: Progress, cache: CacheSetting = this.cacheDir): Promise<{ table: Table; issues: DataIssue[] }> {
    return typeof data === "string" ? prepareRows(data, this.state, withLabels, progress, cache) : prepareManifestRows(rowsManifest(data), this.state, withLabels, progress, cache);
  }

  /** Probabilities and predictions for a prepared table. */
  scoreTable(table: Table, batchSize = 128, withFusionWeights = false): Scored {
    const dataset = new TensorDataset(table, this.state, this.device);
    try {
      return score(this.model, dataset, batchSize, this.device, withFusionWeights);
    } finally {
      dataset.dispose();
    }
  }

  /** The same table with some inputs marked absent for every row. */
  withoutModalities(table: Table, drop: string[]): Table {
    return withoutInputs(table, this.state, drop);
  }

  /** Input names for `--drop` values: a name, or a kind standing for every input of it. */
  resolveDrop(drop: string[]): string[] {
    return resolveDrop(this.state, drop);
  }

  private async run(data: string | Row[], withLabels: boolean, options: PredictOptions) {
    const drop = this.resolveDrop(options.drop ?? []);
    const prepared = await this.prepare(data, withLabels, options.progress, options.cache === undefined ? this.cacheDir : options.cache);
    const table = this.withoutModalities(prepared.table, drop);
    const scored = this.scoreTable(table, options.batchSize, options.explain ?? false);
    const contributions = options.explain
      ? await explain({
          state: this.state,
          rows: table.size,
          probabilities: scored.probabilities,
          gateWeights: scored.fusionWeights,
          present: (name, row) => Boolean(table.inputs[name]?.present[row]),
          without: (name) => this.scoreTable(this.withoutModalities(table, [name])).probabilities,
        })
      : null;
    const predictions = predictionsOf(table, scored.probabilities, this.classes, contributions);
    return { table, issues: prepared.issues, predictions, loss: scored.loss };
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** data.cache_dir from the run's config.yaml; the user's cache folder when it says nothing. */
async function runCacheDir(dir: string): Promise<CacheSetting> {
  return (await readRunConfig(dir))?.data.cache_dir ?? null;
}

function rowsManifest(rows: Row[]) {
  if (!Array.isArray(rows) || rows.length === 0) throw new UserError("predict: no rows given");
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return { path: "rows", dir: process.cwd(), columns, rows };
}

export type { Table };

// A run's exported model.onnx run by onnxruntime-node: the same predictions TrainedModel
// gives, with rows decoded by modalfuse's own preparation. Loading reads only the run's
// preprocess.json and the graph; the engine is loaded when rows are first prepared (media
// decoding and resampling use it), never to compute the model.
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { readPreprocessState, type PreprocessState } from "../../data/preprocess-state.js";
import type { CacheSetting, Progress, Table } from "../../data/prepare.js";
import type { Manifest, Row } from "../../data/table/manifest.js";
import type { DataIssue } from "../../data/workers/media-loader.js";
import { UserError } from "../../errors.js";
import { contributions as explain, predictionsOf, resolveDrop } from "../../explain.js";
import type { Prediction, PredictOptions } from "../../inference.js";
import { sliceFeed, tableFeeds, type TableFeeds } from "./feeds.js";
import { graphInputName, OUTPUTS } from "./input-names.js";

/** Probabilities [rows × classes] and, where the graph has them, input weights [rows × inputs]. */
export interface OnnxScores {
  probabilities: Float32Array;
  inputWeights: Float32Array | null;
}

async function readState(dir: string): Promise<PreprocessState> {
  const path = join(dir, "preprocess.json");
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new UserError(`${dir}: not a modalfuse run directory (no readable preprocess.json: ${(error as Error).message.split("\n")[0]})`);
  }
  try {
    return readPreprocessState(value, path);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
}

export class OnnxModel {
  private constructor(
    readonly dir: string,
    readonly onnxPath: string,
    readonly state: PreprocessState,
    private readonly session: ort.InferenceSession,
  ) {}

  /** The run's preprocessing state and its exported graph (RUN/model.onnx unless given). */
  static async load(runDir: string, onnxPath?: string): Promise<OnnxModel> {
    const dir = resolve(runDir);
    const state = await readState(dir);
    const path = resolve(onnxPath ?? join(dir, "model.onnx"));
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(path);
    } catch (error) {
      throw new UserError(`${path}: cannot load the ONNX model (${(error as Error).message.split("\n")[0]})`);
    }
    const expected = state.inputs.map((s) => graphInputName(s.name, "present"));
    const absent = expected.filter((name) => !session.inputNames.includes(name));
    if (absent.length || !session.outputNames.includes(OUTPUTS.probabilities)) {
      await session.release();
      throw new UserError(`${path}: not a graph exported from ${dir} (it lacks ${absent[0] ?? OUTPUTS.probabilities}); export it again with modalfuse export ${runDir} --format onnx`);
    }
    return new OnnxModel(dir, path, state, session);
  }

  get classes(): string[] {
    return this.state.classes;
  }

  /** Predictions for every row, in input order, as TrainedModel.predict gives them. */
  async predict(data: string | Row[], options: PredictOptions = {}): Promise<Prediction[]> {
    return (await this.predictWithIssues(data, options)).predictions;
  }

  async predictWithIssues(data: string | Row[], options: PredictOptions = {}): Promise<{ predictions: Prediction[]; issues: DataIssue[] }> {
    const drop = this.resolveDrop(options.drop ?? []);
    const { manifest, table, issues } = await this.prepare(data, options.progress, options.cache);
    const feeds = await tableFeeds(this.state.inputs, manifest, table);
    for (const name of drop) feeds.set(graphInputName(name, "present"), { type: "bool", data: new Uint8Array(table.size), rowShape: [] });
    const batchSize = options.batchSize ?? 128;
    const scored = await this.score(feeds, table.size, batchSize);
    const present = (name: string) => feeds.get(graphInputName(name, "present"))?.data as Uint8Array;
    const contributions = options.explain
      ? await explain({
          state: this.state,
          rows: table.size,
          probabilities: scored.probabilities,
          gateWeights: scored.inputWeights,
          present: (name, row) => Boolean(present(name)[row]),
          without: async (name) => {
            const dropped = new Map(feeds);
            dropped.set(graphInputName(name, "present"), { type: "bool", data: new Uint8Array(table.size), rowShape: [] });
            return (await this.score(dropped, table.size, batchSize)).probabilities;
          },
        })
      : null;
    const predictions = predictionsOf(table, scored.probabilities, this.classes, contributions);
    return { predictions, issues };
  }

  /** Rows decoded and transformed with the run's preprocessing, and the manifest they came from. */
  async prepare(data: string | Row[], progress?: Progress, cache?: CacheSetting): Promise<{ manifest: Manifest; table: Table; issues: DataIssue[] }> {
    const { prepareManifestRows } = await import("../../data/prepare.js");
    const { readManifest } = await import("../../data/table/manifest.js");
    const { readRunConfig } = await import("../../training/run-files.js");
    let manifest: Manifest;
    if (typeof data === "string") manifest = await readManifest(data);
    else {
      if (!Array.isArray(data) || data.length === 0) throw new UserError("predict: no rows given");
      manifest = { path: "rows", dir: process.cwd(), columns: [...new Set(data.flatMap((r) => Object.keys(r)))], rows: data };
    }
    const cacheDir = cache !== undefined ? cache : ((await readRunConfig(this.dir))?.data.cache_dir ?? null);
    const { table, issues } = await prepareManifestRows(manifest, this.state, false, progress, cacheDir);
    return { manifest, table, issues };
  }

  /** The graph's outputs for `rows` rows of feeds, `batchSize` rows per run. */
  async score(feeds: TableFeeds, rows: number, batchSize = 128): Promise<OnnxScores> {
    const k = this.classes.length;
    const m = this.state.inputs.length;
    const probabilities = new Float32Array(rows * k);
    const withWeights = this.session.outputNames.includes(OUTPUTS.inputWeights);
    const inputWeights = withWeights ? new Float32Array(rows * m) : null;
    for (let start = 0; start < rows; start += batchSize) {
      const end = Math.min(rows, start + batchSize);
      const batch: Record<string, ort.Tensor> = {};
      for (const [name, feed] of feeds) {
        const { type, data, dims } = sliceFeed(feed, start, end);
        batch[name] = new ort.Tensor(type, data as never, dims);
      }
      const out = await this.session.run(batch);
      probabilities.set(out[OUTPUTS.probabilities]?.data as Float32Array, start * k);
      if (inputWeights) inputWeights.set(out[OUTPUTS.inputWeights]?.data as Float32Array, start * m);
      for (const t of Object.values(out)) t.dispose();
    }
    return { probabilities, inputWeights };
  }

  /** Input names for `--drop` values: a name, or a kind standing for every input of it. */
  resolveDrop(drop: string[]): string[] {
    return resolveDrop(this.state, drop);
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

// Each input's graph inputs and the preprocessing that turns them into what its encoder
// reads, with the run's fitted constants: tabular scaling and vocabularies, image and audio
// normalisation, the audio front end. The names of the values made here match the tensors
// a batch holds in the engine (numeric, categorical, values, ids).
import { logMelOptionsOf } from "../../data/audio/audio-features.js";
import { resolveLogMelOptions } from "../../data/audio/logmel.js";
import { MISSING_INDEX, UNKNOWN_INDEX } from "../../data/table/tabular.js";
import type { AudioState } from "../../inputs/audio/index.js";
import type { ImageState } from "../../inputs/image/index.js";
import type { InputState } from "../../inputs/kind.js";
import type { TabularState } from "../../inputs/tabular/index.js";
import type { Graph } from "./graph.js";
import { BATCH, graphInputName } from "./input-names.js";
import { logMelGraph } from "./logmel.js";
import { DataType } from "./proto.js";

/** One input inside the graph: its present mask and its batch tensors by name. */
export interface InputValues {
  /** bool [B]. */
  present: string;
  /** float [B]: 1 where present. */
  presentFloat: string;
  x: Record<string, string>;
}

/** Zeroes the rows that lack the input, as the engine's batches hold absent media. */
function zeroAbsent(g: Graph, x: string, presentFloat: string, rank: number): string {
  return g.op("Mul", [x, g.op("Reshape", [presentFloat, g.int64s([-1, ...Array.from({ length: rank - 1 }, () => 1)])])]);
}

/**
 * Numeric columns, double [B, n], NaN or ±Inf where missing → [B, 2n]: each column's value
 * scaled in double as transformTabular does (then float32), 0 where missing, and its
 * missing indicator beside it.
 */
function tabularNumeric(g: Graph, s: TabularState, raw: string): string {
  const n = s.numeric.length;
  const missing = g.op("Or", [g.op("IsNaN", [raw]), g.op("IsInf", [raw])]);
  const scaled = g.op("Div", [g.op("Sub", [raw, g.doubles(s.numeric.map((c) => c.mean), [n], "numeric_mean")]), g.doubles(s.numeric.map((c) => c.std), [n], "numeric_std")]);
  const value = g.op("Cast", [g.op("Where", [missing, g.doubles([0], []), scaled])], { to: { int: DataType.FLOAT } });
  const indicator = g.op("Cast", [missing], { to: { int: DataType.FLOAT } });
  const pairs = g.op("Concat", [g.op("Unsqueeze", [value, g.int64s([2])]), g.op("Unsqueeze", [indicator, g.int64s([2])])], { axis: { int: 2 } });
  return g.op("Reshape", [pairs, g.int64s([0, 2 * n])]);
}

/**
 * Categorical columns, string [B, k] (the trimmed cell, "" where missing) → int64 [B, k]
 * vocabulary indices: 0 missing, 1 a value not seen in training, then the training values.
 */
function tabularCategorical(g: Graph, s: TabularState, raw: string): string {
  const columns = s.categorical.map((c, j) => {
    const cells = g.op("Gather", [raw, g.int64s([j], [])], { axis: { int: 1 } });
    const indices = g.op(
      "LabelEncoder",
      [cells],
      { keys_strings: { strings: ["", ...c.values] }, values_int64s: { ints: [MISSING_INDEX, ...c.values.map((_, i) => i + 2)] }, default_int64: { int: UNKNOWN_INDEX } },
      { domain: "ai.onnx.ml" },
    );
    return g.op("Unsqueeze", [indices, g.int64s([1])]);
  });
  return columns.length === 1 ? (columns[0] as string) : g.op("Concat", columns, { axis: { int: 1 } });
}

/** uint8 [B, 3, H, W] → float, /255, normalised per channel, zero where absent. */
function imageValues(g: Graph, s: ImageState, raw: string, presentFloat: string): string {
  const scaled = g.op("Div", [g.op("Cast", [raw], { to: { int: DataType.FLOAT } }), g.scalar(255)]);
  const normalised = g.op("Div", [g.op("Sub", [scaled, g.floats(s.mean, [1, 3, 1, 1], "image_mean")]), g.floats(s.std, [1, 3, 1, 1], "image_std")]);
  return zeroAbsent(g, normalised, presentFloat, 4);
}

/**
 * Waveforms float [B, samples] → log-mel [B, 1, nMels, frames], normalised, zero where
 * absent. The decoder stores log-mel as float16, so the graph rounds it there too.
 */
function audioValues(g: Graph, s: AudioState, raw: string, presentFloat: string): string {
  const samples = Math.round(s.sampleRate * s.seconds);
  const logMel = logMelGraph(g, raw, samples, resolveLogMelOptions(logMelOptionsOf(s)));
  const stored = g.op("Cast", [g.op("Cast", [logMel], { to: { int: DataType.FLOAT16 } })], { to: { int: DataType.FLOAT } });
  const shaped = g.op("Reshape", [stored, g.int64s([-1, 1, s.nMels, s.frames])]);
  const normalised = g.op("Div", [g.op("Sub", [shaped, g.scalar(s.mean)]), g.scalar(s.std)]);
  return zeroAbsent(g, normalised, presentFloat, 4);
}

/** Declares an input's graph inputs and preprocesses them. */
export function graphInput(g: Graph, s: InputState): InputValues {
  const present = g.input(graphInputName(s.name, "present"), DataType.BOOL, [BATCH]);
  const presentFloat = g.op("Cast", [present], { to: { int: DataType.FLOAT } });
  const x: Record<string, string> = {};
  if (s.kind === "tabular") {
    const t = s as TabularState;
    if (t.numeric.length) x.numeric = tabularNumeric(g, t, g.input(graphInputName(s.name, "numeric"), DataType.DOUBLE, [BATCH, t.numeric.length]));
    if (t.categorical.length) x.categorical = tabularCategorical(g, t, g.input(graphInputName(s.name, "categorical"), DataType.STRING, [BATCH, t.categorical.length]));
  } else if (s.kind === "image") {
    const i = s as ImageState;
    x.values = imageValues(g, i, g.input(graphInputName(s.name, "values"), DataType.UINT8, [BATCH, 3, i.height, i.width]), presentFloat);
  } else if (s.kind === "audio") {
    const a = s as AudioState;
    x.values = audioValues(g, a, g.input(graphInputName(s.name, "values"), DataType.FLOAT, [BATCH, Math.round(a.sampleRate * a.seconds)]), presentFloat);
  } else {
    x.ids = g.input(graphInputName(s.name, "ids"), DataType.INT64, [BATCH, `${s.name}_tokens`]);
  }
  return { present, presentFloat, x };
}

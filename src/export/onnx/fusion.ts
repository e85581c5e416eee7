// The fusions of model/fusion.ts as ONNX nodes: concat, gated, attention and late, each
// from the fusion module whose weights the run loaded, with the same masking of absent inputs.
import { AttentionFusion, ConcatFusion, GatedFusion, LateFusion, type Fusion } from "../../model/fusion.js";
import type { Graph } from "./graph.js";
import { linear, layerNorm, sequential, weightOf } from "./layers.js";
import { transformerLayer } from "./transformer.js";

/** Per input, in the fusion's order: features [B, d_i] and present mask bool [B]. */
export interface FusionInputValues {
  features: string;
  present: string;
}

export interface FusedValues {
  output: string;
  /** [B, M] per-row input weights, where the fusion has them. */
  weights: string | null;
}

/** [B] values → [B, M] along a new axis 1. */
function stack(g: Graph, values: string[], axis: number): string {
  const expanded = values.map((v) => g.op("Unsqueeze", [v, g.int64s([axis])]));
  return expanded.length === 1 ? (expanded[0] as string) : g.op("Concat", expanded, { axis: { int: axis } });
}

/** Softmax over axis 1 restricted to present inputs; a row with none present weighs all. */
function maskedSoftmax(g: Graph, logits: string, presentM: string): string {
  const count = g.op("ReduceSum", [g.op("Cast", [presentM], { to: { int: 7 } }), g.int64s([1])], { keepdims: { int: 1 } });
  const mask = g.op("Or", [presentM, g.op("Equal", [count, g.int64s([0], [])])]);
  return g.op("Softmax", [g.op("Where", [mask, logits, g.scalar(-Infinity)])], { axis: { int: 1 } });
}

export function fuse(g: Graph, fusion: Fusion, inputs: FusionInputValues[]): FusedValues {
  const features = inputs.map((i) => i.features);
  const presentM = () => stack(g, inputs.map((i) => i.present), 1);
  const concat = () => (features.length === 1 ? (features[0] as string) : g.op("Concat", features, { axis: { int: 1 } }));
  if (fusion instanceof ConcatFusion) return { output: concat(), weights: null };
  if (fusion instanceof GatedFusion) {
    const weights = maskedSoftmax(g, sequential(g, fusion.gate, concat(), null).out, presentM());
    const terms = fusion.projections.map((proj, m) => {
      const weight = g.op("Slice", [weights, g.int64s([m]), g.int64s([m + 1]), g.int64s([1])]);
      return g.op("Mul", [g.op("Relu", [linear(g, proj, features[m] as string)]), weight]);
    });
    return { output: terms.reduce((a, b) => g.op("Add", [a, b])), weights };
  }
  if (fusion instanceof AttentionFusion) {
    const width = fusion.outputFeatures;
    const projected = features.map((f, i) => {
      const p = fusion.projections[i];
      return p ? linear(g, p, f) : f;
    });
    const tokens = g.op("Add", [stack(g, projected, 1), weightOf(g, fusion.modalityEmbedding, "modality_embedding")]); // [B, M, W]
    const batch = g.op("Slice", [g.op("Shape", [features[0] as string]), g.int64s([0]), g.int64s([1])]);
    const classToken = g.op("Expand", [weightOf(g, fusion.classToken, "class_token"), g.op("Concat", [batch, g.int64s([1, width])], { axis: { int: 0 } })]);
    let x = g.op("Concat", [classToken, tokens], { axis: { int: 1 } });
    // Key padding mask, true = ignore; the class token is always attended to.
    const absent = g.op("Not", [presentM()]);
    const classKey = g.op("Expand", [g.bools([false], [1, 1]), g.op("Concat", [batch, g.int64s([1])], { axis: { int: 0 } })]);
    const mask = g.op("Concat", [classKey, absent], { axis: { int: 1 } });
    for (const layer of fusion.layers) x = transformerLayer(g, layer, x, mask);
    const first = g.op("Gather", [x, g.int64s([0], [])], { axis: { int: 1 } });
    return { output: layerNorm(g, fusion.norm, first), weights: null };
  }
  if (fusion instanceof LateFusion) {
    const zeros = g.op("Mul", [g.op("Cast", [presentM()], { to: { int: 1 } }), g.scalar(0)]);
    const weights = maskedSoftmax(g, zeros, presentM());
    const logProbs = stack(
      g,
      fusion.heads.map((h, i) => g.op("LogSoftmax", [sequential(g, h, features[i] as string, null).out], { axis: { int: 1 } })),
      1,
    ); // [B, M, C]
    const weighted = g.op("Mul", [logProbs, g.op("Unsqueeze", [weights, g.int64s([2])])]);
    return { output: g.op("ReduceSum", [weighted, g.int64s([1])], { keepdims: { int: 0 } }), weights };
  }
  throw new Error(`onnx export: no ONNX form for the fusion ${fusion.constructor.name}`);
}

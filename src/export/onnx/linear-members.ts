// The ensemble's linear members as ONNX nodes: each input's simple features (as its kind's
// simpleFeatures computes them), its logistic regression's log-probabilities, and their sum
// over the inputs a row has, mixed with the network's log-probabilities by the run's weights.
import type { AudioState } from "../../inputs/audio/index.js";
import type { ImageState } from "../../inputs/image/index.js";
import type { InputState } from "../../inputs/kind.js";
import { categoricalSizes } from "../../data/table/tabular.js";
import type { TabularState } from "../../inputs/tabular/index.js";
import type { LinearMembers } from "../../model/linear-members.js";
import type { Graph } from "./graph.js";
import { adaptiveAvgPool2d, bandStatistics, weightOf } from "./layers.js";
import type { InputValues } from "./inputs.js";

/** Pictures are averaged down to at most this side (inputs/image's PIXEL_SIDE). */
const PIXEL_SIDE = 32;
/** Buckets of the text linear member's binary bag (inputs/text's SIMPLE_BUCKETS). */
const SIMPLE_BUCKETS = 1024;

/** [B] int64 indices → [B, size] float one-hot, by comparison with 0..size-1. */
function oneHot(g: Graph, indices: string, size: number): string {
  const range = g.int64s(Array.from({ length: size }, (_, i) => i), [1, size], "one_hot_range");
  return g.op("Cast", [g.op("Equal", [g.op("Unsqueeze", [indices, g.int64s([1])]), range])], { to: { int: 1 } });
}

/** An input's simple features [B, d], from its preprocessed batch tensors. */
export function simpleFeatures(g: Graph, s: InputState, x: Record<string, string>): string {
  if (s.kind === "tabular") {
    const parts = x.numeric !== undefined ? [x.numeric] : [];
    categoricalSizes(s as TabularState).forEach((size, j) => parts.push(oneHot(g, g.op("Gather", [x.categorical as string, g.int64s([j], [])], { axis: { int: 1 } }), size)));
    return parts.length === 1 ? (parts[0] as string) : g.op("Concat", parts, { axis: { int: 1 } });
  }
  if (s.kind === "image") {
    const { height: h, width: w } = s as ImageState;
    const image = x.values as string;
    const small = h > PIXEL_SIDE || w > PIXEL_SIDE ? adaptiveAvgPool2d(g, image, [Math.min(h, PIXEL_SIDE), Math.min(w, PIXEL_SIDE)], h, w) : image;
    return g.op("Flatten", [small], { axis: { int: 1 } });
  }
  if (s.kind === "audio") return bandStatistics(g, x.values as string, (s as AudioState).nMels, (s as AudioState).frames);
  // Text: which of SIMPLE_BUCKETS groups of ids the row has, as a binary bag.
  const ids = x.ids as string;
  const nonzero = g.op("Cast", [g.op("Greater", [ids, g.int64s([0], [])])], { to: { int: 7 } });
  const slots = g.op("Mul", [nonzero, g.op("Add", [g.op("Mod", [g.op("Sub", [ids, g.int64s([1], [])]), g.int64s([SIMPLE_BUCKETS], [])]), g.int64s([1], [])])]);
  const buckets = g.int64s(Array.from({ length: SIMPLE_BUCKETS }, (_, i) => i + 1), [1, 1, SIMPLE_BUCKETS], "bucket_range");
  const hits = g.op("Cast", [g.op("Equal", [g.op("Unsqueeze", [slots, g.int64s([2])]), buckets])], { to: { int: 1 } });
  return g.op("ReduceMax", [hits], { axes: { ints: [1] }, keepdims: { int: 0 } });
}

/** mix₀ · log_softmax(logits) + mix₁ · Σ over present inputs of each member's log-probabilities. */
export function combineLinearMembers(g: Graph, linear: LinearMembers, logits: string, inputs: Map<string, { state: InputState; values: InputValues }>): string {
  const terms: string[] = [];
  for (const [name, { member }] of linear.members) {
    const input = inputs.get(name);
    if (!input) continue;
    const x = simpleFeatures(g, input.state, input.values.x);
    const standardised = g.op("Div", [g.op("Sub", [x, weightOf(g, member.mean, "member_mean")]), weightOf(g, member.std, "member_std")]);
    const logProbs = g.op("LogSoftmax", [g.op("Add", [g.op("MatMul", [standardised, weightOf(g, member.weight, "member_weight")]), weightOf(g, member.bias, "member_bias")])], { axis: { int: 1 } });
    terms.push(g.op("Mul", [logProbs, g.op("Unsqueeze", [input.values.presentFloat, g.int64s([1])])]));
  }
  const mix = linear.mix.toArray() as [number, number];
  const network = g.op("Mul", [g.op("LogSoftmax", [logits], { axis: { int: 1 } }), g.scalar(mix[0])]);
  if (terms.length === 0) return network;
  const sum = terms.reduce((a, b) => g.op("Add", [a, b]));
  return g.op("Add", [network, g.op("Mul", [sum, g.scalar(mix[1])])]);
}

// Each input's encoder as ONNX nodes, from the encoder module the run's weights were loaded
// into: tabular MLP with embeddings, the CNNs (seed and grid), the text bag and transformer,
// and a shared encoder reading through its owner's nodes and weights.
import type { AudioState } from "../../inputs/audio/index.js";
import type { ImageState } from "../../inputs/image/index.js";
import type { InputState } from "../../inputs/kind.js";
import { TextBagEncoder, TextTransformerEncoder } from "../../inputs/text/encoders.js";
import { CnnEncoder, SharedEncoder, TabularEncoder, type Encoder } from "../../model/encoders.js";
import type { nn } from "../../torch/index.js";
import type { Graph } from "./graph.js";
import { sequential, weightOf, type MapShape } from "./layers.js";
import { transformerLayer } from "./transformer.js";

/** An encoder's `body` (protected in the class; registered as its child "body"). */
function bodyOf(e: Encoder): nn.Sequential {
  const body = e.namedChildren().find(([name]) => name === "body")?.[1];
  if (!body) throw new Error(`onnx export: encoder ${e.inputName} has no body`);
  return body as nn.Sequential;
}

/** The mean over each row's tokens of x [B, L, d] (ids > 0); a row with none gives zeros. */
function maskedMean(g: Graph, x: string, ids: string): string {
  const mask = g.op("Unsqueeze", [g.op("Cast", [g.op("Greater", [ids, g.int64s([0], [])])], { to: { int: 1 } }), g.int64s([2])]);
  const sum = g.op("ReduceSum", [g.op("Mul", [x, mask]), g.int64s([1])], { keepdims: { int: 0 } });
  const count = g.op("Clip", [g.op("ReduceSum", [mask, g.int64s([1])], { keepdims: { int: 0 } }), g.scalar(1)]);
  return g.op("Div", [sum, count]);
}

function mediaShape(s: InputState): MapShape {
  if (s.kind === "image") return { channels: 3, height: (s as ImageState).height, width: (s as ImageState).width };
  const a = s as AudioState;
  return { channels: 1, height: a.nMels, width: a.frames };
}

/** The encoder's features [B, d] from the input's batch tensors. */
export function encode(g: Graph, e: Encoder, s: InputState, x: Record<string, string>): string {
  if (e instanceof SharedEncoder) return encode(g, e.owner, s, x);
  const need = (key: string) => {
    const v = x[key];
    if (v === undefined) throw new Error(`onnx export: input ${s.name} has no ${key}`);
    return v;
  };
  let input: string;
  let shape: MapShape | null = null;
  if (e instanceof TabularEncoder) {
    const parts = x.numeric !== undefined ? [x.numeric] : [];
    e.embeddings.forEach((emb, j) => {
      const column = g.op("Gather", [need("categorical"), g.int64s([j], [])], { axis: { int: 1 } });
      parts.push(g.op("Gather", [weightOf(g, emb.weight, "embedding"), column], { axis: { int: 0 } }));
    });
    input = parts.length === 1 ? (parts[0] as string) : g.op("Concat", parts, { axis: { int: 1 } });
  } else if (e instanceof CnnEncoder) {
    input = need("values");
    shape = mediaShape(s);
  } else if (e instanceof TextBagEncoder) {
    const ids = need("ids");
    input = maskedMean(g, g.op("Gather", [weightOf(g, e.embedding.weight, "embedding"), ids], { axis: { int: 0 } }), ids);
  } else if (e instanceof TextTransformerEncoder) {
    const ids = need("ids");
    // Learned positions for the batch's L tokens: positions[:L].
    const length = g.op("Slice", [g.op("Shape", [ids]), g.int64s([1]), g.int64s([2])]);
    const positions = g.op("Slice", [weightOf(g, e.positions, "positions"), g.int64s([0]), length, g.int64s([0])]);
    let h = g.op("Add", [g.op("Gather", [weightOf(g, e.embedding.weight, "embedding"), ids], { axis: { int: 0 } }), g.op("Unsqueeze", [positions, g.int64s([0])])]);
    // Padding is masked out, except in a row with no tokens (which then attends to its padding).
    const padding = g.op("Equal", [ids, g.int64s([0], [])]);
    const anyToken = g.op("Greater", [g.op("ReduceSum", [g.op("Cast", [g.op("Greater", [ids, g.int64s([0], [])])], { to: { int: 7 } }), g.int64s([1])], { keepdims: { int: 1 } }), g.int64s([0], [])]);
    const mask = g.op("And", [padding, anyToken]);
    for (const layer of e.layers) h = transformerLayer(g, layer, h, mask);
    input = maskedMean(g, h, ids);
  } else {
    throw new Error(`onnx export: no ONNX form for the encoder ${e.constructor.name} of input ${s.name}`);
  }
  return sequential(g, bodyOf(e), input, shape).out;
}

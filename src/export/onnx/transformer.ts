// The pre-norm transformer encoder layer (attention fusion, the text transformer) as ONNX
// nodes: the same projections, scaling, key padding mask and GELU MLP as the engine's.
import type { nn, Tensor } from "../../torch/index.js";
import type { Graph } from "./graph.js";
import { float32, gelu, layerNorm, linear } from "./layers.js";

/** Rows [from, from + count) of a [rows, cols] tensor, transposed to [cols, count]. */
function rowsTransposed(t: Tensor, from: number, count: number): { data: Float32Array; dims: number[] } {
  const cols = t.shape[1] as number;
  const w = float32(t);
  const out = new Float32Array(count * cols);
  for (let r = 0; r < count; r++) for (let c = 0; c < cols; c++) out[c * count + r] = w[(from + r) * cols + c] as number;
  return { data: out, dims: [cols, count] };
}

const slices = new WeakMap<Tensor, object[]>();
/** One key object per (tensor, chunk): the graph stores each chunk once. */
function chunkKey(t: Tensor, i: number): object {
  let keys = slices.get(t);
  if (!keys) slices.set(t, (keys = [{}, {}, {}]));
  return keys[i] as object;
}

/**
 * Multi-head self-attention of x [N, L, E]; `mask` [N, L] bool is true where a key is
 * ignored, or null. The packed in-projection is applied per chunk, as the engine does.
 */
function selfAttention(g: Graph, a: nn.MultiheadAttention, x: string, mask: string | null): string {
  const e = a.embedDim;
  const project = (i: number, hint: string) => {
    const w = g.weight(chunkKey(a.inProjWeight, i), () => rowsTransposed(a.inProjWeight, i * e, e), `${hint}_weight_t`);
    const b = g.weight(chunkKey(a.inProjBias, i), () => ({ data: float32(a.inProjBias).slice(i * e, (i + 1) * e), dims: [e] }), `${hint}_bias`);
    // [N, L, E] → [N, heads, L, headDim]
    const heads = g.op("Reshape", [g.op("Add", [g.op("MatMul", [x, w]), b]), g.int64s([0, 0, a.numHeads, a.headDim])]);
    return g.op("Transpose", [heads], { perm: { ints: [0, 2, 1, 3] } });
  };
  const q = project(0, "q");
  const k = project(1, "k");
  const v = project(2, "v");
  let scores = g.op("Mul", [g.op("MatMul", [q, g.op("Transpose", [k], { perm: { ints: [0, 1, 3, 2] } })]), g.scalar(1 / Math.sqrt(a.headDim))]);
  if (mask) scores = g.op("Where", [g.op("Unsqueeze", [mask, g.int64s([1, 2])]), g.scalar(-Infinity), scores]);
  const attention = g.op("Softmax", [scores], { axis: { int: -1 } });
  const context = g.op("Reshape", [g.op("Transpose", [g.op("MatMul", [attention, v])], { perm: { ints: [0, 2, 1, 3] } }), g.int64s([0, 0, e])]);
  return linear(g, a.outProj, context);
}

/** x + attention(norm1(x)), then x + linear2(gelu(linear1(norm2(x)))); dropout is off. */
export function transformerLayer(g: Graph, l: nn.TransformerEncoderLayer, x: string, mask: string | null): string {
  const x1 = g.op("Add", [x, selfAttention(g, l.attention, layerNorm(g, l.norm1, x), mask)]);
  const mlp = linear(g, l.linear2, gelu(g, linear(g, l.linear1, layerNorm(g, l.norm2, x1))));
  return g.op("Add", [x1, mlp]);
}

// modalfuse's layers as ONNX nodes, as they compute in eval mode: dropout is the identity,
// batch norm uses its running statistics. Each function takes the graph and the name of
// its input value and returns the name of its output value.
import { BandStatistics, Branches, ClipNormalise } from "../../model/layers.js";
import { nn, type Tensor } from "../../torch/index.js";
import type { Graph } from "./graph.js";

/** A module's float32 tensor as an initializer, added once however often it is used. */
export function weightOf(g: Graph, t: Tensor, hint: string): string {
  return g.weight(t, () => ({ data: float32(t), dims: t.shape }), hint);
}

/**
 * A [out, in] tensor transposed to [in, out], for x @ Wᵀ as one MatMul; keyed by the tensor,
 * so a weight read by a shared encoder is stored once.
 */
function transposedWeight(g: Graph, t: Tensor, hint: string): string {
  let key = transposeKeys.get(t);
  if (!key) transposeKeys.set(t, (key = {}));
  return g.weight(
    key,
    () => {
      const [rows, cols] = t.shape as [number, number];
      const w = float32(t);
      const out = new Float32Array(w.length);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c] as number;
      return { data: out, dims: [cols, rows] };
    },
    hint,
  );
}
const transposeKeys = new WeakMap<Tensor, object>();

export function float32(t: Tensor): Float32Array {
  if (t.dtype !== "float32") throw new Error(`onnx export: expected a float32 tensor, got ${t.dtype}`);
  return t.toTypedArray() as Float32Array;
}

/** torch's F.linear: x @ Wᵀ + b over the last axis, for inputs of any rank. */
export function linear(g: Graph, l: nn.Linear, x: string): string {
  const w = transposedWeight(g, l.weight, "linear_weight_t");
  const product = g.op("MatMul", [x, w]);
  return l.bias ? g.op("Add", [product, weightOf(g, l.bias, "linear_bias")]) : product;
}

/** x @ [in, out] from a [out, in] tensor that is not a Linear (attention's packed projections). */
export function matmulTransposed(g: Graph, t: Tensor, x: string, hint: string): string {
  return g.op("MatMul", [x, transposedWeight(g, t, hint)]);
}

const pair = (v: number | [number, number] | undefined, fallback: number): [number, number] => (v === undefined ? [fallback, fallback] : typeof v === "number" ? [v, v] : v);

function conv2d(g: Graph, c: nn.Conv2d, x: string): string {
  const [ph, pw] = pair(c.options.padding, 0);
  const inputs = [x, weightOf(g, c.weight, "conv_weight"), ...(c.bias ? [weightOf(g, c.bias, "conv_bias")] : [])];
  return g.op("Conv", inputs, {
    kernel_shape: { ints: c.kernel },
    pads: { ints: [ph, pw, ph, pw] },
    strides: { ints: pair(c.options.stride, 1) },
    dilations: { ints: pair(c.options.dilation, 1) },
    group: { int: c.options.groups ?? 1 },
  });
}

function pool(g: Graph, type: "MaxPool" | "AveragePool", kernel: number | [number, number], o: { stride?: number | [number, number]; padding?: number | [number, number]; ceilMode?: boolean }, x: string): string {
  const k = pair(kernel, 1);
  const [ph, pw] = pair(o.padding, 0);
  return g.op(type, [x], { kernel_shape: { ints: k }, strides: { ints: o.stride === undefined ? k : pair(o.stride, 1) }, pads: { ints: [ph, pw, ph, pw] }, ceil_mode: { int: o.ceilMode ? 1 : 0 } });
}

/** Eval-mode batch norm: the running statistics. */
function batchNorm(g: Graph, b: nn.BatchNorm2d, x: string): string {
  const n = b.numFeatures;
  const scale = b.weight ? weightOf(g, b.weight, "bn_scale") : g.floats(new Float32Array(n).fill(1), [n], "bn_scale");
  const bias = b.bias ? weightOf(g, b.bias, "bn_bias") : g.floats(new Float32Array(n), [n], "bn_bias");
  return g.op("BatchNormalization", [x, scale, bias, weightOf(g, b.runningMean, "bn_mean"), weightOf(g, b.runningVar, "bn_var")], { epsilon: { float: b.options.eps ?? 1e-5 } });
}

export function layerNorm(g: Graph, l: nn.LayerNorm, x: string): string {
  return g.op("LayerNormalization", [x, weightOf(g, l.weight, "ln_scale"), weightOf(g, l.bias, "ln_bias")], { axis: { int: -l.shape.length }, epsilon: { float: l.eps } });
}

/** torch's exact GELU: x · ½ · (1 + erf(x / √2)); ONNX has no Gelu before opset 20. */
export function gelu(g: Graph, x: string): string {
  const erf = g.op("Erf", [g.op("Mul", [x, g.scalar(Math.SQRT1_2)])]);
  return g.op("Mul", [g.op("Mul", [x, g.scalar(0.5)]), g.op("Add", [erf, g.scalar(1)])]);
}

/** Population standard deviation over `axes`: √mean((x − mean)²), as std(unbiased = false). */
export function populationStd(g: Graph, x: string, axes: number[], keepdims: boolean): string {
  const centred = g.op("Sub", [x, g.op("ReduceMean", [x], { axes: { ints: axes }, keepdims: { int: 1 } })]);
  return g.op("Sqrt", [g.op("ReduceMean", [g.op("Mul", [centred, centred])], { axes: { ints: axes }, keepdims: { int: keepdims ? 1 : 0 } })]);
}

/** [B, 1, bands, frames] → [B, 3·bands]: each band's mean, population std and maximum over time. */
export function bandStatistics(g: Graph, x: string, bands: number, frames: number): string {
  const b = g.op("Reshape", [x, g.int64s([0, bands, frames])]);
  const mean = g.op("ReduceMean", [b], { axes: { ints: [2] }, keepdims: { int: 0 } });
  const max = g.op("ReduceMax", [b], { axes: { ints: [2] }, keepdims: { int: 0 } });
  return g.op("Concat", [mean, populationStd(g, b, [2], false), max], { axis: { int: 1 } });
}

/**
 * adaptive_avg_pool2d as two matrix products with constant averaging matrices: output
 * cell i of an axis of n averages [⌊i·n/o⌋, ⌈(i+1)·n/o⌉), so the average over a cell's
 * rectangle is the average over its rows of the averages over its columns.
 */
export function adaptiveAvgPool2d(g: Graph, x: string, size: [number, number], height: number, width: number): string {
  const rows = g.floats(averagingMatrix(height, size[0], true), [size[0], height], "pool_rows");
  const cols = g.floats(averagingMatrix(width, size[1], false), [width, size[1]], "pool_cols");
  return g.op("MatMul", [g.op("MatMul", [rows, x]), cols]);
}

/** [o, n] (rowsFirst) or [n, o]: weight 1/len where input index j lies in output cell i's span. */
function averagingMatrix(n: number, o: number, rowsFirst: boolean): Float32Array {
  const m = new Float32Array(n * o);
  for (let i = 0; i < o; i++) {
    const start = Math.floor((i * n) / o);
    const end = Math.ceil(((i + 1) * n) / o);
    for (let j = start; j < end; j++) m[rowsFirst ? i * n + j : j * o + i] = 1 / (end - start);
  }
  return m;
}

/** Shape [C, H, W] of a 4-D value as layers change it, to size the constants that need it. */
export interface MapShape {
  channels: number;
  height: number;
  width: number;
}

/** encoders.ts keeps MapSummary private: it is recognised by its fields. */
interface MapSummaryLike extends nn.Layer {
  readonly grid: [number, number];
  readonly overTime: boolean;
}
function isMapSummary(l: nn.Layer): l is MapSummaryLike {
  const fields = l as unknown as { grid?: unknown; overTime?: unknown };
  return l.constructor.name === "MapSummary" && Array.isArray(fields.grid) && typeof fields.overTime === "boolean";
}

/** Per clip: band means over time removed, divided by the clip's population std + 1e-3. */
function clipNormalise(g: Graph, x: string): string {
  const centred = g.op("Sub", [x, g.op("ReduceMean", [x], { axes: { ints: [3] }, keepdims: { int: 1 } })]);
  return g.op("Div", [centred, g.op("Add", [populationStd(g, centred, [1, 2, 3], true), g.scalar(1e-3)])]);
}

/**
 * One layer of an encoder or head. `shape` tracks 4-D maps ([C, H, W] without the batch)
 * for the layers whose constants depend on it; null once the value is flat.
 */
export function layer(g: Graph, l: nn.Layer, x: string, shape: MapShape | null): { out: string; shape: MapShape | null } {
  const flat = (out: string) => ({ out, shape: null });
  const same = (out: string) => ({ out, shape });
  if (l instanceof nn.Sequential) return sequential(g, l, x, shape);
  if (l instanceof nn.Linear) return flat(linear(g, l, x));
  if (l instanceof nn.ReLU) return same(g.op("Relu", [x]));
  if (l instanceof nn.GELU) return same(gelu(g, x));
  if (l instanceof nn.Dropout || l instanceof nn.Identity) return same(x);
  if (l instanceof nn.LayerNorm) return same(layerNorm(g, l, x));
  if (l instanceof nn.Flatten && l.start === 1 && l.end === -1) return flat(g.op("Flatten", [x], { axis: { int: 1 } }));
  if (shape === null) throw new Error(`onnx export: ${l.constructor.name} needs a 4-D input here`);
  if (l instanceof nn.Conv2d) {
    const [kh, kw] = l.kernel;
    const [ph, pw] = pair(l.options.padding, 0);
    const [sh, sw] = pair(l.options.stride, 1);
    return { out: conv2d(g, l, x), shape: { channels: l.outChannels, height: Math.floor((shape.height + 2 * ph - kh) / sh) + 1, width: Math.floor((shape.width + 2 * pw - kw) / sw) + 1 } };
  }
  if (l instanceof nn.BatchNorm2d) return same(batchNorm(g, l, x));
  if (l instanceof nn.MaxPool2d || l instanceof nn.AvgPool2d) {
    if (l.options.padding !== undefined || l.options.ceilMode) throw new Error("onnx export: padded or ceil-mode pooling is not exported");
    const k = pair(l.kernel, 1);
    const s = pair(l.options.stride, 0);
    const stride: [number, number] = l.options.stride === undefined ? k : s;
    const out = pool(g, l instanceof nn.MaxPool2d ? "MaxPool" : "AveragePool", l.kernel, l.options, x);
    return { out, shape: { channels: shape.channels, height: Math.floor((shape.height - k[0]) / stride[0]) + 1, width: Math.floor((shape.width - k[1]) / stride[1]) + 1 } };
  }
  if (l instanceof Branches) return flat(g.op("Concat", l.branches.map((b) => sequential(g, b, x, shape).out), { axis: { int: 1 } }));
  if (l instanceof BandStatistics) return flat(bandStatistics(g, x, shape.channels * shape.height, shape.width));
  if (l instanceof ClipNormalise) return same(clipNormalise(g, x));
  if (isMapSummary(l)) {
    const gridded = g.op("Flatten", [adaptiveAvgPool2d(g, x, l.grid, shape.height, shape.width)], { axis: { int: 1 } });
    if (!l.overTime) return flat(gridded);
    const mean = g.op("Flatten", [g.op("ReduceMean", [x], { axes: { ints: [3] }, keepdims: { int: 0 } })], { axis: { int: 1 } });
    const max = g.op("Flatten", [g.op("ReduceMax", [x], { axes: { ints: [3] }, keepdims: { int: 0 } })], { axis: { int: 1 } });
    return flat(g.op("Concat", [gridded, mean, max], { axis: { int: 1 } }));
  }
  throw new Error(`onnx export: no ONNX form for the layer ${l.constructor.name}`);
}

export function sequential(g: Graph, s: nn.Sequential, x: string, shape: MapShape | null): { out: string; shape: MapShape | null } {
  let current = { out: x, shape };
  for (const l of s.layers) current = layer(g, l, current.out, current.shape);
  return current;
}

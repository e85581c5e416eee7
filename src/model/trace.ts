// Shapes for the architecture drawing, taken from the model itself: a small batch is
// run through each layer and every output shape is recorded.
import type { Layer, Sequential } from "../torch/nn/index.js";
import type { Tensor } from "../torch/index.js";

export type Shape = (number | "N")[];

export interface LayerInfo {
  name: string;
  detail: string;
  output: Shape;
}

export const batchShape = (t: Tensor): Shape => ["N", ...t.shape.slice(1)];

export function layerInfo(layer: Layer, output: Tensor): LayerInfo {
  return { name: layer.constructor.name, detail: layer.describe(), output: batchShape(output) };
}

/** Runs x through a Sequential layer by layer (inside the caller's tidy), recording shapes. */
export function traceSequential(seq: Sequential, x: Tensor): { layers: LayerInfo[]; output: Tensor } {
  const layers: LayerInfo[] = [];
  let out = x;
  for (const layer of seq.layers) {
    out = layer.forward(out);
    layers.push(layerInfo(layer, out));
  }
  return { layers, output: out };
}

// Stateless neural-network functions, named and defaulted as in torch.nn.functional.
import { native } from "./native.js";
import { Tensor } from "./tensor.js";

type Pair = number | [number, number];
const pair = (v: Pair): number[] => (typeof v === "number" ? [v, v] : v);
const one = (v: number | [number]): number[] => (typeof v === "number" ? [v] : v);
type Reduction = "mean" | "sum" | "none";

export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return new Tensor(native.linear(x.handle, weight.handle, bias?.handle));
}

export interface ConvOptions<P> {
  stride?: P;
  padding?: P;
  dilation?: P;
  groups?: number;
}

/**
 * The `groups` a convolution may take, checked here because libtorch truncates a fractional
 * count and words a mismatch without naming the op: a positive integer that splits both the
 * weight's output channels and the input's channels (weight [out, in / groups, ...kernel]).
 */
function convGroups(op: string, x: Tensor, weight: Tensor, groups: number, spatial: number): number {
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${op}: groups must be a positive integer, got ${groups}`);
  if (groups === 1) return groups;
  const [out = 0, perGroup = 0] = weight.shape;
  if (out % groups !== 0) throw new Error(`${op}: groups=${groups} does not divide the weight's ${out} output channels (weight [${weight.shape.join(", ")}])`);
  const channels = x.shape[x.ndim - spatial - 1];
  if (channels !== perGroup * groups)
    throw new Error(`${op}: groups=${groups} with weight [${weight.shape.join(", ")}] takes ${perGroup * groups} input channels, got ${channels} (input [${x.shape.join(", ")}])`);
  return groups;
}

/** groups = channels makes it depthwise (one filter per channel, weight [channels × m, 1, k]). */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, o: ConvOptions<number> = {}): Tensor {
  const groups = convGroups("conv1d", x, weight, o.groups ?? 1, 1);
  return new Tensor(native.conv1d(x.handle, weight.handle, bias?.handle, one(o.stride ?? 1), one(o.padding ?? 0), one(o.dilation ?? 1), groups));
}

/** groups = channels makes it depthwise (one filter per channel, weight [channels × m, 1, kh, kw]). */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, o: ConvOptions<Pair> = {}): Tensor {
  const groups = convGroups("conv2d", x, weight, o.groups ?? 1, 2);
  return new Tensor(native.conv2d(x.handle, weight.handle, bias?.handle, pair(o.stride ?? 1), pair(o.padding ?? 0), pair(o.dilation ?? 1), groups));
}

export interface PoolOptions<P> {
  stride?: P;
  padding?: P;
  ceilMode?: boolean;
}

export function maxPool1d(x: Tensor, kernel: number, o: PoolOptions<number> = {}): Tensor {
  return new Tensor(native.maxPool1d(x.handle, [kernel], one(o.stride ?? kernel), one(o.padding ?? 0), [1], o.ceilMode ?? false));
}
export function maxPool2d(x: Tensor, kernel: Pair, o: PoolOptions<Pair> = {}): Tensor {
  return new Tensor(native.maxPool2d(x.handle, pair(kernel), pair(o.stride ?? kernel), pair(o.padding ?? 0), [1, 1], o.ceilMode ?? false));
}
export function avgPool1d(x: Tensor, kernel: number, o: PoolOptions<number> = {}): Tensor {
  return new Tensor(native.avgPool1d(x.handle, [kernel], one(o.stride ?? kernel), one(o.padding ?? 0), o.ceilMode ?? false));
}
export function avgPool2d(x: Tensor, kernel: Pair, o: PoolOptions<Pair> = {}): Tensor {
  return new Tensor(native.avgPool2d(x.handle, pair(kernel), pair(o.stride ?? kernel), pair(o.padding ?? 0), o.ceilMode ?? false));
}
export function adaptiveAvgPool1d(x: Tensor, size: number): Tensor {
  return new Tensor(native.adaptiveAvgPool1d(x.handle, [size]));
}
export function adaptiveAvgPool2d(x: Tensor, size: Pair): Tensor {
  return new Tensor(native.adaptiveAvgPool2d(x.handle, pair(size)));
}
export function adaptiveMaxPool2d(x: Tensor, size: Pair): Tensor {
  return new Tensor(native.adaptiveMaxPool2d(x.handle, pair(size)));
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training: boolean;
  momentum?: number;
  eps?: number;
}

/** Batch normalisation; in training it also updates the running statistics in place. */
export function batchNorm(x: Tensor, o: BatchNormOptions): Tensor {
  return new Tensor(
    native.batchNorm(x.handle, o.weight?.handle, o.bias?.handle, o.runningMean?.handle, o.runningVar?.handle, o.training, o.momentum ?? 0.1, o.eps ?? 1e-5),
  );
}
export function layerNorm(x: Tensor, normalizedShape: number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return new Tensor(native.layerNorm(x.handle, normalizedShape, weight?.handle, bias?.handle, eps));
}
export function groupNorm(x: Tensor, groups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return new Tensor(native.groupNorm(x.handle, groups, weight?.handle, bias?.handle, eps));
}
export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  return new Tensor(native.dropout(x.handle, p, training));
}
/** Drops whole channels (as nn.Dropout2d). */
export function dropout2d(x: Tensor, p: number, training: boolean): Tensor {
  return new Tensor(native.featureDropout(x.handle, p, training));
}
export function embedding(weight: Tensor, indices: Tensor, paddingIdx?: number): Tensor {
  return new Tensor(native.embedding(weight.handle, indices.handle, paddingIdx));
}

export function relu(x: Tensor): Tensor {
  return x.relu();
}
export function silu(x: Tensor): Tensor {
  return x.silu();
}
export function hardswish(x: Tensor): Tensor {
  return x.hardswish();
}
export function hardsigmoid(x: Tensor): Tensor {
  return x.hardsigmoid();
}
export function softmax(x: Tensor, dim: number): Tensor {
  return x.softmax(dim);
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return x.logSoftmax(dim);
}

export interface CrossEntropyOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
  ignoreIndex?: number;
  labelSmoothing?: number;
}

/** Cross-entropy of logits [N, C] against class indices [N] (int64). */
export function crossEntropy(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  return new Tensor(native.crossEntropy(logits.handle, target.handle, o.weight?.handle, o.reduction ?? "mean", o.ignoreIndex ?? -100, o.labelSmoothing ?? 0));
}
export function nllLoss(logProbs: Tensor, target: Tensor, o: Omit<CrossEntropyOptions, "labelSmoothing"> = {}): Tensor {
  return new Tensor(native.nllLoss(logProbs.handle, target.handle, o.weight?.handle, o.reduction ?? "mean", o.ignoreIndex ?? -100));
}
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = "mean"): Tensor {
  return new Tensor(native.mseLoss(input.handle, target.handle, reduction));
}
export function bceWithLogits(input: Tensor, target: Tensor, o: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  return new Tensor(native.bceWithLogits(input.handle, target.handle, o.weight?.handle, o.posWeight?.handle, o.reduction ?? "mean"));
}

export function oneHot(indices: Tensor, numClasses: number): Tensor {
  return new Tensor(native.oneHot(indices.handle, numClasses));
}

/** Pads the last dims: [left, right] for the last, then [top, bottom] for the one before... */
export function pad(x: Tensor, pads: number[], mode: "constant" | "reflect" | "replicate" = "constant", value = 0): Tensor {
  return new Tensor(native.pad(x.handle, pads, mode, mode === "constant" ? value : null));
}

export function interpolate(x: Tensor, size: [number, number], mode: "bilinear" | "nearest" = "bilinear", alignCorners = false): Tensor {
  return new Tensor(native.interpolate(x.handle, size, mode, mode === "bilinear" ? alignCorners : null));
}

export interface StftOptions {
  nFft: number;
  hopLength?: number;
  winLength?: number;
  window?: Tensor | null;
  center?: boolean;
  padMode?: "constant" | "reflect";
  normalized?: boolean;
  onesided?: boolean;
}

/** Short-time Fourier transform of [N, samples] or [samples]: complex [.., nFft/2+1, frames]. */
export function stft(x: Tensor, o: StftOptions): Tensor {
  const winLength = o.winLength ?? o.nFft;
  return new Tensor(
    native.stft(x.handle, o.nFft, o.hopLength ?? Math.floor(o.nFft / 4), winLength, o.window?.handle, o.center ?? true, o.padMode ?? "reflect", o.normalized ?? false, o.onesided ?? true),
  );
}

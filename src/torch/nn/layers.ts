// The standard layers, with PyTorch's parameter names (so state dicts line up) and
// PyTorch's default initialisation.
import * as F from "../functional.js";
import { cat, full } from "../create.js";
import { noGrad } from "../runtime.js";
import type { Tensor } from "../tensor.js";
import { defaultUniform, normal, ones, zeros } from "./init.js";
import { Layer } from "./module.js";

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === "number" ? [v, v] : v);

export class Linear extends Layer {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean } = {},
  ) {
    super();
    this.weight = this.param("weight", defaultUniform([outFeatures, inFeatures], inFeatures));
    this.bias = options.bias === false ? null : this.param("bias", defaultUniform([outFeatures], inFeatures));
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
  override describe(): string {
    return `${this.inFeatures} → ${this.outFeatures}`;
  }
}

export interface ConvOptions<P> {
  stride?: P;
  padding?: P;
  dilation?: P;
  groups?: number;
  bias?: boolean;
}

/** A layer's group count, checked where it is built so a bad one fails before any weight is made. */
function layerGroups(layer: string, inChannels: number, outChannels: number, groups: number): number {
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${layer}: groups must be a positive integer, got ${groups}`);
  if (inChannels % groups !== 0 || outChannels % groups !== 0) throw new Error(`${layer}: groups=${groups} must divide both inChannels (${inChannels}) and outChannels (${outChannels})`);
  return groups;
}

export class Conv2d extends Layer {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernel: [number, number];
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernel: Pair,
    readonly options: ConvOptions<Pair> = {},
  ) {
    super();
    this.kernel = pair(kernel);
    const groups = layerGroups("Conv2d", inChannels, outChannels, options.groups ?? 1);
    const fanIn = (inChannels / groups) * this.kernel[0] * this.kernel[1];
    this.weight = this.param("weight", defaultUniform([outChannels, inChannels / groups, ...this.kernel], fanIn));
    this.bias = options.bias === false ? null : this.param("bias", defaultUniform([outChannels], fanIn));
  }
  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, this.options);
  }
  override describe(): string {
    return `${this.inChannels} → ${this.outChannels}, ${this.kernel.join("x")}${this.options.padding ? `, pad ${this.options.padding}` : ""}${this.options.stride && this.options.stride !== 1 ? `, stride ${this.options.stride}` : ""}${(this.options.groups ?? 1) !== 1 ? `, groups ${this.options.groups}` : ""}`;
  }
}

export class Conv1d extends Layer {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: number,
    readonly options: ConvOptions<number> = {},
  ) {
    super();
    const groups = layerGroups("Conv1d", inChannels, outChannels, options.groups ?? 1);
    const fanIn = (inChannels / groups) * kernel;
    this.weight = this.param("weight", defaultUniform([outChannels, inChannels / groups, kernel], fanIn));
    this.bias = options.bias === false ? null : this.param("bias", defaultUniform([outChannels], fanIn));
  }
  forward(x: Tensor): Tensor {
    return F.conv1d(x, this.weight, this.bias, this.options);
  }
  override describe(): string {
    return `${this.inChannels} → ${this.outChannels}, ${this.kernel}`;
  }
}

export interface NormOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
}

/** Batch normalisation over channels: [N, C] or [N, C, L] (1d), [N, C, H, W] (2d). */
class BatchNorm extends Layer {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: Tensor;
  /**
   * A differentiable sum across data-parallel processes: set, training-mode statistics are
   * those of every process's batch together (PyTorch's SyncBatchNorm).
   */
  sync: ((x: Tensor) => Tensor) | null = null;
  constructor(
    readonly numFeatures: number,
    readonly options: NormOptions = {},
  ) {
    super();
    const affine = options.affine ?? true;
    this.weight = affine ? this.param("weight", ones([numFeatures])) : null;
    this.bias = affine ? this.param("bias", zeros([numFeatures])) : null;
    this.runningMean = this.buffer("running_mean", zeros([numFeatures]));
    this.runningVar = this.buffer("running_var", ones([numFeatures]));
    this.numBatchesTracked = this.buffer("num_batches_tracked", zeros([], { dtype: "int64" }));
  }
  forward(x: Tensor): Tensor {
    if (this.training) noGrad(() => this.numBatchesTracked.add_(1));
    if (this.training && this.sync) return this.synchronised(x, this.sync);
    return F.batchNorm(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: this.training,
      momentum: this.options.momentum ?? 0.1,
      eps: this.options.eps ?? 1e-5,
    });
  }
  override describe(): string {
    return `${this.numFeatures}`;
  }
  /** Batch statistics from the per-channel sums of every process's rows. */
  private synchronised(x: Tensor, sumAcrossProcesses: (x: Tensor) => Tensor): Tensor {
    const c = this.numFeatures;
    const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
    const local = cat([x.sum(dims), x.mul(x).sum(dims), full([1], x.numel / c, { dtype: x.dtype, device: x.device })]);
    const total = sumAcrossProcesses(local);
    const count = total.narrow(0, 2 * c, 1);
    const mean = total.narrow(0, 0, c).div(count);
    const variance = total.narrow(0, c, c).div(count).sub(mean.mul(mean));
    const momentum = this.options.momentum ?? 0.1;
    const n = count.item();
    noGrad(() => {
      this.runningMean.mul_(1 - momentum).add_(mean, momentum);
      // Running variance is the unbiased one, as in PyTorch.
      this.runningVar.mul_(1 - momentum).add_(variance.mul(n / Math.max(1, n - 1)), momentum);
    });
    const shape = [1, c, ...dims.slice(1).map(() => 1)];
    let y = x.sub(mean.reshape(shape)).mul(variance.add(this.options.eps ?? 1e-5).rsqrt().reshape(shape));
    if (this.weight) y = y.mul(this.weight.reshape(shape));
    if (this.bias) y = y.add(this.bias.reshape(shape));
    return y;
  }
}
export class BatchNorm1d extends BatchNorm {}
export class BatchNorm2d extends BatchNorm {}

export class LayerNorm extends Layer {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly shape: number[];
  constructor(
    shape: number | number[],
    readonly eps = 1e-5,
  ) {
    super();
    this.shape = typeof shape === "number" ? [shape] : shape;
    this.weight = this.param("weight", ones(this.shape));
    this.bias = this.param("bias", zeros(this.shape));
  }
  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.shape, this.weight, this.bias, this.eps);
  }
  override describe(): string {
    return this.shape.join("x");
  }
}

export class Dropout extends Layer {
  constructor(readonly p = 0.5) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.p > 0 ? F.dropout(x, this.p, this.training) : x;
  }
  override describe(): string {
    return `p=${this.p}`;
  }
}

/** Zeroes whole channels of [N, C, H, W]. */
export class Dropout2d extends Layer {
  constructor(readonly p = 0.5) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.p > 0 ? F.dropout2d(x, this.p, this.training) : x;
  }
  override describe(): string {
    return `p=${this.p}`;
  }
}

export class Embedding extends Layer {
  readonly weight: Tensor;
  constructor(
    readonly numEmbeddings: number,
    readonly dim: number,
    readonly options: { paddingIdx?: number } = {},
  ) {
    super();
    const w = normal([numEmbeddings, dim]);
    if (options.paddingIdx !== undefined) noGrad(() => w.select(0, options.paddingIdx as number).zero_());
    this.weight = this.param("weight", w);
  }
  /** indices: int64 of any shape → [...shape, dim] */
  forward(indices: Tensor): Tensor {
    return F.embedding(this.weight, indices, this.options.paddingIdx);
  }
  override describe(): string {
    return `${this.numEmbeddings} × ${this.dim}`;
  }
}

export class MaxPool2d extends Layer {
  constructor(
    readonly kernel: Pair,
    readonly options: F.PoolOptions<Pair> = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernel, this.options);
  }
  override describe(): string {
    return `${pair(this.kernel).join("x")}`;
  }
}

export class AvgPool2d extends Layer {
  constructor(
    readonly kernel: Pair,
    readonly options: F.PoolOptions<Pair> = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernel, this.options);
  }
  override describe(): string {
    return `${pair(this.kernel).join("x")}`;
  }
}

export class MaxPool1d extends Layer {
  constructor(
    readonly kernel: number,
    readonly options: F.PoolOptions<number> = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.maxPool1d(x, this.kernel, this.options);
  }
}

export class AdaptiveAvgPool2d extends Layer {
  constructor(readonly size: Pair) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.size);
  }
  override describe(): string {
    return `${pair(this.size).join("x")}`;
  }
}

export class AdaptiveAvgPool1d extends Layer {
  constructor(readonly size: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool1d(x, this.size);
  }
}

export class Flatten extends Layer {
  constructor(
    readonly start = 1,
    readonly end = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.start, this.end);
  }
}

export class Identity extends Layer {
  forward(x: Tensor): Tensor {
    return x;
  }
}

export class ReLU extends Layer {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}
export class GELU extends Layer {
  forward(x: Tensor): Tensor {
    return x.gelu();
  }
}
export class SiLU extends Layer {
  forward(x: Tensor): Tensor {
    return x.silu();
  }
}
export class Hardswish extends Layer {
  forward(x: Tensor): Tensor {
    return x.hardswish();
  }
}
export class Hardsigmoid extends Layer {
  forward(x: Tensor): Tensor {
    return x.hardsigmoid();
  }
}
export class Sigmoid extends Layer {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}
export class Tanh extends Layer {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/** Layers applied in order; children are named "0", "1", ... as in PyTorch. */
export class Sequential extends Layer {
  readonly layers: Layer[];
  constructor(...layers: Layer[]) {
    super();
    this.layers = layers.map((layer, i) => this.child(String(i), layer));
  }
  /**
   * Each intermediate is released as soon as the next layer has consumed it, as Python's
   * reference counting does: autograd keeps what backward needs, and the allocator can
   * reuse the rest within the step instead of holding it to the end of the scope.
   */
  forward(x: Tensor): Tensor {
    let out = x;
    for (const layer of this.layers) {
      const next = layer.forward(out);
      if (out !== x && next !== out) out.dispose();
      out = next;
    }
    return out;
  }
}


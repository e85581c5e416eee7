// EfficientNet-B0 with timm's state-dict names (`conv_stem`, `bn1`,
// `blocks.S.B.{conv_pw,bn1,conv_dw,bn2,se.conv_reduce,se.conv_expand,conv_pwl,bn3}`,
// `conv_head`, `bn2`, `classifier`), so timm's `efficientnet_b0` checkpoints load unchanged.
// This is timm's PyTorch-style variant: symmetric padding and batch norms at eps 1e-5,
// momentum 0.1 (the tf_ variants pad like TensorFlow and use eps 1e-3, and do not fit).
// Activations are SiLU throughout, the SE blocks included; SE gates with a sigmoid.
import { nn, noGrad, type Tensor } from "../../torch/index.js";
import type { BackboneOptions } from "./index.js";
import { addResidual, initConv, samePadding, SqueezeExcite, step } from "./mobile-blocks.js";

/** One stage: `repeats` blocks of one kind; the first has `stride`, the rest stride 1. */
interface Stage {
  kind: "ds" | "ir";
  repeats: number;
  kernel: number;
  stride: number;
  expand: number;
  out: number;
}

/** B0's seven stages (width and depth multipliers 1). */
const STAGES: readonly Stage[] = [
  { kind: "ds", repeats: 1, kernel: 3, stride: 1, expand: 1, out: 16 },
  { kind: "ir", repeats: 2, kernel: 3, stride: 2, expand: 6, out: 24 },
  { kind: "ir", repeats: 2, kernel: 5, stride: 2, expand: 6, out: 40 },
  { kind: "ir", repeats: 3, kernel: 3, stride: 2, expand: 6, out: 80 },
  { kind: "ir", repeats: 3, kernel: 5, stride: 1, expand: 6, out: 112 },
  { kind: "ir", repeats: 4, kernel: 5, stride: 2, expand: 6, out: 192 },
  { kind: "ir", repeats: 1, kernel: 3, stride: 1, expand: 6, out: 320 },
];
const STEM = 32;
/** SE squeezes to a quarter of the block's input width (not of the expanded width). */
const SE_RATIO = 0.25;

const silu = (x: Tensor): Tensor => x.silu();
const sigmoid = (x: Tensor): Tensor => x.sigmoid();

/** A bias-free convolution with timm's from-scratch initialisation (fan-out per group). */
const conv = (inChannels: number, outChannels: number, kernel: number, stride = 1, groups = 1): nn.Conv2d =>
  initConv(new nn.Conv2d(inChannels, outChannels, kernel, { stride, padding: samePadding(kernel), groups, bias: false }), true);

const squeeze = (channels: number, inChannels: number): SqueezeExcite =>
  new SqueezeExcite(channels, Math.round(inChannels * SE_RATIO), { reduce: "conv_reduce", expand: "conv_expand" }, silu, sigmoid, true);

/** Depthwise k×k (+ SiLU), SE, pointwise 1×1 (no activation): stage 0's block. */
export class DepthwiseSeparable extends nn.Layer {
  readonly conv_dw: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly se: SqueezeExcite;
  readonly conv_pw: nn.Conv2d;
  readonly bn2: nn.BatchNorm2d;
  readonly residual: boolean;

  constructor(inChannels: number, outChannels: number, kernel: number, stride: number) {
    super();
    this.conv_dw = this.child("conv_dw", conv(inChannels, inChannels, kernel, stride, inChannels));
    this.bn1 = this.child("bn1", new nn.BatchNorm2d(inChannels));
    this.se = this.child("se", squeeze(inChannels, inChannels));
    this.conv_pw = this.child("conv_pw", conv(inChannels, outChannels, 1));
    this.bn2 = this.child("bn2", new nn.BatchNorm2d(outChannels));
    this.residual = stride === 1 && inChannels === outChannels;
  }

  forward(x: Tensor): Tensor {
    let out = this.conv_dw.forward(x);
    out = step(out, this.bn1.forward(out));
    out = step(out, out.silu());
    out = step(out, this.se.forward(out));
    out = step(out, this.conv_pw.forward(out));
    out = step(out, this.bn2.forward(out));
    return this.residual ? addResidual(out, x) : out;
  }
}

/** Expand 1×1 (+ SiLU), depthwise k×k (+ SiLU), SE, project 1×1 (no activation): MBConv. */
export class InvertedResidual extends nn.Layer {
  readonly conv_pw: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly conv_dw: nn.Conv2d;
  readonly bn2: nn.BatchNorm2d;
  readonly se: SqueezeExcite;
  readonly conv_pwl: nn.Conv2d;
  readonly bn3: nn.BatchNorm2d;
  readonly residual: boolean;

  constructor(inChannels: number, outChannels: number, kernel: number, stride: number, expand: number) {
    super();
    const mid = inChannels * expand;
    this.conv_pw = this.child("conv_pw", conv(inChannels, mid, 1));
    this.bn1 = this.child("bn1", new nn.BatchNorm2d(mid));
    this.conv_dw = this.child("conv_dw", conv(mid, mid, kernel, stride, mid));
    this.bn2 = this.child("bn2", new nn.BatchNorm2d(mid));
    this.se = this.child("se", squeeze(mid, inChannels));
    this.conv_pwl = this.child("conv_pwl", conv(mid, outChannels, 1));
    this.bn3 = this.child("bn3", new nn.BatchNorm2d(outChannels));
    this.residual = stride === 1 && inChannels === outChannels;
  }

  forward(x: Tensor): Tensor {
    let out = this.conv_pw.forward(x);
    out = step(out, this.bn1.forward(out));
    out = step(out, out.silu());
    out = step(out, this.conv_dw.forward(out));
    out = step(out, this.bn2.forward(out));
    out = step(out, out.silu());
    out = step(out, this.se.forward(out));
    out = step(out, this.conv_pwl.forward(out));
    out = step(out, this.bn3.forward(out));
    return this.residual ? addResidual(out, x) : out;
  }
}

/**
 * EfficientNet-B0. `features(x)` maps [N, 3, H, W] (ImageNet-normalised) to the pooled
 * [N, 1280] after the head convolution; `forward(x)` adds `classifier` for logits.
 */
export class EfficientNetB0 extends nn.Layer {
  static readonly features = 1280;

  readonly conv_stem: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly blocks: nn.Sequential;
  readonly conv_head: nn.Conv2d;
  readonly bn2: nn.BatchNorm2d;
  readonly classifier: nn.Linear | null;
  readonly numClasses: number;

  constructor(options: BackboneOptions = {}) {
    super();
    this.numClasses = options.numClasses ?? 1000;
    this.conv_stem = this.child("conv_stem", conv(3, STEM, 3, 2));
    this.bn1 = this.child("bn1", new nn.BatchNorm2d(STEM));
    let channels = STEM;
    const stages = STAGES.map(({ kind, repeats, kernel, stride, expand, out }) => {
      const blocks = Array.from({ length: repeats }, (_, i) => {
        const block = kind === "ds" ? new DepthwiseSeparable(channels, out, kernel, i === 0 ? stride : 1) : new InvertedResidual(channels, out, kernel, i === 0 ? stride : 1, expand);
        channels = out;
        return block;
      });
      return new nn.Sequential(...blocks);
    });
    this.blocks = this.child("blocks", new nn.Sequential(...stages));
    this.conv_head = this.child("conv_head", conv(channels, EfficientNetB0.features, 1));
    this.bn2 = this.child("bn2", new nn.BatchNorm2d(EfficientNetB0.features));
    this.classifier = options.classifier === false ? null : this.child("classifier", this.head());
  }

  /** timm's classifier initialisation: U(±1/sqrt(numClasses)), zero bias. */
  private head(): nn.Linear {
    const linear = new nn.Linear(EfficientNetB0.features, this.numClasses);
    const bound = 1 / Math.sqrt(this.numClasses);
    noGrad(() => {
      linear.weight.uniform_(-bound, bound);
      linear.bias?.zero_();
    });
    return linear;
  }

  /** [N, 3, H, W] → [N, 1280]: everything before `classifier`. */
  features(x: Tensor): Tensor {
    let out = this.conv_stem.forward(x);
    out = step(out, this.bn1.forward(out));
    out = step(out, out.silu());
    out = step(out, this.blocks.forward(out));
    out = step(out, this.conv_head.forward(out));
    out = step(out, this.bn2.forward(out));
    out = step(out, out.silu());
    out = step(out, out.mean([2, 3]));
    return out;
  }

  /** [N, 3, H, W] → [N, numClasses] logits. */
  forward(x: Tensor): Tensor {
    if (!this.classifier) throw new Error("this EfficientNetB0 was built without its classifier (classifier: false); call features()");
    const pooled = this.features(x);
    return step(pooled, this.classifier.forward(pooled));
  }

  override describe(): string {
    return this.classifier ? `${this.numClasses} classes` : "features only";
  }
}

// MobileNetV3-Small laid out child for child as torchvision's mobilenet_v3_small, so its
// state dict has torchvision's keys and shapes (`features.0.0.weight`,
// `features.4.block.2.fc1.bias`, `features.12.1.running_var`, `classifier.3.weight`, ...)
// and torchvision's checkpoints load unchanged. Batch norms use torchvision's eps 0.001 and
// momentum 0.01, which its pretrained statistics were trained with.
import { nn, noGrad, type Tensor } from "../../torch/index.js";
import type { BackboneOptions } from "./index.js";
import { addResidual, initConv, samePadding, SqueezeExcite, step } from "./mobile-blocks.js";

const BN = { eps: 0.001, momentum: 0.01 } as const;

type Activation = "relu" | "hardswish";

/** One inverted-residual ("bneck") block: its kernel, expanded and output widths, SE, activation and stride. */
interface Bneck {
  kernel: number;
  expanded: number;
  out: number;
  se: boolean;
  act: Activation;
  stride: number;
}

const bneck = (kernel: number, expanded: number, out: number, se: boolean, act: Activation, stride: number): Bneck => ({ kernel, expanded, out, se, act, stride });

/** The Small configuration (width multiplier 1), in the paper's and torchvision's order. */
const SMALL: readonly Bneck[] = [
  bneck(3, 16, 16, true, "relu", 2),
  bneck(3, 72, 24, false, "relu", 2),
  bneck(3, 88, 24, false, "relu", 1),
  bneck(5, 96, 40, true, "hardswish", 2),
  bneck(5, 240, 40, true, "hardswish", 1),
  bneck(5, 240, 40, true, "hardswish", 1),
  bneck(5, 120, 48, true, "hardswish", 1),
  bneck(5, 144, 48, true, "hardswish", 1),
  bneck(5, 288, 96, true, "hardswish", 2),
  bneck(5, 576, 96, true, "hardswish", 1),
  bneck(5, 576, 96, true, "hardswish", 1),
];
const STEM = 16;

/** v rounded to a multiple of 8, never below 8 nor more than 10% under v (the SE widths). */
function makeDivisible(v: number): number {
  const rounded = Math.max(8, Math.floor((v + 4) / 8) * 8);
  return rounded < 0.9 * v ? rounded + 8 : rounded;
}

const activation = (act: Activation | null): nn.Layer[] => (act === "relu" ? [new nn.ReLU()] : act === "hardswish" ? [new nn.Hardswish()] : []);

/** torchvision's Conv2dNormActivation: children 0 (bias-free conv), 1 (batch norm), 2 (activation, if any). */
function convBnAct(inChannels: number, outChannels: number, kernel: number, act: Activation | null, stride = 1, groups = 1): nn.Sequential {
  const conv = initConv(new nn.Conv2d(inChannels, outChannels, kernel, { stride, padding: samePadding(kernel), groups, bias: false }));
  return new nn.Sequential(conv, new nn.BatchNorm2d(outChannels, BN), ...activation(act));
}

/** Expand (1×1, unless the width stays), depthwise k×k, optional SE, project (1×1, no activation); residual when shapes allow. */
export class InvertedResidual extends nn.Layer {
  readonly block: nn.Sequential;
  readonly residual: boolean;

  constructor(
    readonly inChannels: number,
    readonly config: Bneck,
  ) {
    super();
    const { kernel, expanded, out, se, act, stride } = config;
    const layers: nn.Layer[] = [];
    if (expanded !== inChannels) layers.push(convBnAct(inChannels, expanded, 1, act));
    layers.push(convBnAct(expanded, expanded, kernel, act, stride, expanded));
    if (se) layers.push(new SqueezeExcite(expanded, makeDivisible(expanded / 4), { reduce: "fc1", expand: "fc2" }, (x) => x.relu(), (x) => x.hardsigmoid()));
    layers.push(convBnAct(expanded, out, 1, null));
    this.block = this.child("block", new nn.Sequential(...layers));
    this.residual = stride === 1 && inChannels === out;
  }

  forward(x: Tensor): Tensor {
    const out = this.block.forward(x);
    return this.residual ? addResidual(out, x) : out;
  }

  override describe(): string {
    const { kernel, expanded, out, se, act, stride } = this.config;
    return `${this.inChannels} → ${expanded} → ${out}, ${kernel}x${kernel}${stride !== 1 ? `, stride ${stride}` : ""}, ${act}${se ? ", SE" : ""}`;
  }
}

/**
 * MobileNetV3-Small. `features(x)` maps [N, 3, H, W] (ImageNet-normalised) to the pooled
 * [N, 576] that torchvision's classifier reads; `forward(x)` adds the classifier
 * (576 → 1024, hardswish, dropout 0.2, → numClasses) for logits.
 */
export class MobileNetV3Small extends nn.Layer {
  static readonly features = 576;
  static readonly hidden = 1024;

  /** torchvision's `features`: stem, the eleven blocks, the final 1×1 convolution. */
  readonly layers: nn.Sequential;
  readonly avgpool: nn.AdaptiveAvgPool2d;
  readonly classifier: nn.Sequential | null;
  readonly numClasses: number;

  constructor(options: BackboneOptions = {}) {
    super();
    this.numClasses = options.numClasses ?? 1000;
    const blocks: nn.Layer[] = [convBnAct(3, STEM, 3, "hardswish", 2)];
    let channels = STEM;
    for (const config of SMALL) {
      blocks.push(new InvertedResidual(channels, config));
      channels = config.out;
    }
    blocks.push(convBnAct(channels, MobileNetV3Small.features, 1, "hardswish"));
    this.layers = this.child("features", new nn.Sequential(...blocks));
    this.avgpool = this.child("avgpool", new nn.AdaptiveAvgPool2d(1));
    this.classifier = options.classifier === false ? null : this.child("classifier", this.head());
  }

  /** torchvision's classifier, its linear layers initialised N(0, 0.01) with zero biases. */
  private head(): nn.Sequential {
    const hidden = new nn.Linear(MobileNetV3Small.features, MobileNetV3Small.hidden);
    const logits = new nn.Linear(MobileNetV3Small.hidden, this.numClasses);
    noGrad(() => {
      for (const linear of [hidden, logits]) {
        linear.weight.normal_(0, 0.01);
        linear.bias?.zero_();
      }
    });
    return new nn.Sequential(hidden, new nn.Hardswish(), new nn.Dropout(0.2), logits);
  }

  /** [N, 3, H, W] → [N, 576]: everything before the classifier. */
  features(x: Tensor): Tensor {
    let out = this.layers.forward(x);
    out = step(out, this.avgpool.forward(out));
    return step(out, out.flatten(1));
  }

  /** [N, 3, H, W] → [N, numClasses] logits. */
  forward(x: Tensor): Tensor {
    if (!this.classifier) throw new Error("this MobileNetV3Small was built without its classifier (classifier: false); call features()");
    const pooled = this.features(x);
    return step(pooled, this.classifier.forward(pooled));
  }

  override describe(): string {
    return this.classifier ? `${this.numClasses} classes` : "features only";
  }
}

// ResNet-18 built from modalfuse's nn layers, child for child as torchvision lays it out,
// so its state dict has torchvision's keys and shapes (`conv1.weight`, `bn1.running_var`,
// `layer2.0.downsample.0.weight`, `fc.bias`, ...) and pretrained weights load unchanged
// with loadStateDict. Every op it needs (bias-free conv, padded max-pool, adaptive average
// pool, batch norm with running statistics) is one the engine already has.
import { nn, noGrad, type Tensor } from "../../torch/index.js";

/** Frees an intermediate the caller will not read again; autograd keeps what backward needs. */
const release = (t: Tensor, unless: Tensor): void => {
  if (t !== unless) t.dispose();
};

/** Returns `next`, freeing `previous` (the input `next` was computed from). */
function step(previous: Tensor, next: Tensor): Tensor {
  release(previous, next);
  return next;
}

/**
 * torchvision's initialisation for a ResNet trained from scratch: convolutions
 * kaiming_normal_(mode="fan_out", nonlinearity="relu"), i.e. N(0, 2 / fan_out); batch norms
 * start at weight 1, bias 0 (nn.BatchNorm2d's own default). Linear keeps its default.
 */
function kaimingFanOut(conv: nn.Conv2d): nn.Conv2d {
  const [out, , kh, kw] = conv.weight.shape as [number, number, number, number];
  noGrad(() => conv.weight.normal_(0, Math.sqrt(2 / (out * kh * kw))));
  return conv;
}

const conv3x3 = (inChannels: number, outChannels: number, stride = 1) =>
  kaimingFanOut(new nn.Conv2d(inChannels, outChannels, 3, { stride, padding: 1, bias: false }));
const conv1x1 = (inChannels: number, outChannels: number, stride = 1) =>
  kaimingFanOut(new nn.Conv2d(inChannels, outChannels, 1, { stride, bias: false }));

/** Two 3×3 convolutions with a residual connection; `downsample` matches shapes when they change. */
export class BasicBlock extends nn.Layer {
  readonly conv1: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly relu: nn.ReLU;
  readonly conv2: nn.Conv2d;
  readonly bn2: nn.BatchNorm2d;
  readonly downsample: nn.Sequential | null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly stride = 1,
  ) {
    super();
    this.conv1 = this.child("conv1", conv3x3(inChannels, outChannels, stride));
    this.bn1 = this.child("bn1", new nn.BatchNorm2d(outChannels));
    this.relu = this.child("relu", new nn.ReLU());
    this.conv2 = this.child("conv2", conv3x3(outChannels, outChannels));
    this.bn2 = this.child("bn2", new nn.BatchNorm2d(outChannels));
    // Registered last, as torchvision does, so printing and stateDict's key order match too.
    this.downsample =
      stride !== 1 || inChannels !== outChannels ? this.child("downsample", new nn.Sequential(conv1x1(inChannels, outChannels, stride), new nn.BatchNorm2d(outChannels))) : null;
  }

  forward(x: Tensor): Tensor {
    let out = this.conv1.forward(x);
    out = step(out, this.bn1.forward(out));
    out = step(out, this.relu.forward(out));
    out = step(out, this.conv2.forward(out));
    out = step(out, this.bn2.forward(out));
    const identity = this.downsample ? this.downsample.forward(x) : x;
    const sum = out.add(identity);
    out.dispose();
    release(identity, x);
    return step(sum, this.relu.forward(sum));
  }

  override describe(): string {
    return `${this.inChannels} → ${this.outChannels}${this.stride !== 1 ? `, stride ${this.stride}` : ""}`;
  }
}

/** Widths and strides of the four stages; each stage is `blocks` BasicBlocks. */
const STAGES = [
  { width: 64, stride: 1 },
  { width: 128, stride: 2 },
  { width: 256, stride: 2 },
  { width: 512, stride: 2 },
] as const;

export interface ResNetOptions {
  /** Width of `fc`; 1000 (ImageNet) so torchvision's pretrained weights load as they are. */
  numClasses?: number;
  /** false: no `fc` at all, for a backbone whose features feed another head (its weights would be dead weight). */
  classifier?: boolean;
}

/**
 * ResNet-18 (BasicBlock × [2, 2, 2, 2]). `features(x)` maps [N, 3, H, W] (ImageNet-normalised)
 * to the pooled [N, 512]; `forward(x)` adds `fc` for [N, numClasses] logits. Any H, W work:
 * the adaptive pool reduces whatever spatial size the last stage leaves to 1×1.
 */
export class ResNet18 extends nn.Layer {
  static readonly blocks = [2, 2, 2, 2] as const;
  static readonly features = 512;

  readonly conv1: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly relu: nn.ReLU;
  readonly maxpool: nn.MaxPool2d;
  readonly layers: readonly nn.Sequential[];
  readonly avgpool: nn.AdaptiveAvgPool2d;
  readonly fc: nn.Linear | null;
  readonly numClasses: number;

  constructor(options: ResNetOptions = {}) {
    super();
    this.numClasses = options.numClasses ?? 1000;
    this.conv1 = this.child("conv1", kaimingFanOut(new nn.Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false })));
    this.bn1 = this.child("bn1", new nn.BatchNorm2d(64));
    this.relu = this.child("relu", new nn.ReLU());
    this.maxpool = this.child("maxpool", new nn.MaxPool2d(3, { stride: 2, padding: 1 }));
    let channels = 64;
    this.layers = STAGES.map(({ width, stride }, i) => {
      const count = ResNet18.blocks[i] ?? 0;
      const blocks = Array.from({ length: count }, (_, j) => new BasicBlock(j === 0 ? channels : width, width, j === 0 ? stride : 1));
      channels = width;
      return this.child(`layer${i + 1}`, new nn.Sequential(...blocks));
    });
    this.avgpool = this.child("avgpool", new nn.AdaptiveAvgPool2d(1));
    this.fc = options.classifier === false ? null : this.child("fc", new nn.Linear(ResNet18.features, this.numClasses));
  }

  /** [N, 3, H, W] → [N, 512]: everything before `fc`. */
  features(x: Tensor): Tensor {
    let out = this.conv1.forward(x);
    out = step(out, this.bn1.forward(out));
    out = step(out, this.relu.forward(out));
    out = step(out, this.maxpool.forward(out));
    for (const layer of this.layers) out = step(out, layer.forward(out));
    out = step(out, this.avgpool.forward(out));
    return step(out, out.flatten(1));
  }

  /** [N, 3, H, W] → [N, numClasses] logits. */
  forward(x: Tensor): Tensor {
    if (!this.fc) throw new Error("this ResNet18 was built without its classifier (classifier: false); call features()");
    const pooled = this.features(x);
    const logits = this.fc.forward(pooled);
    pooled.dispose();
    return logits;
  }

  override describe(): string {
    return this.fc ? `${this.numClasses} classes` : "features only";
  }
}

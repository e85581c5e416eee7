// Pieces MobileNetV3 and EfficientNet share: freeing each intermediate once the next is
// made, a convolution's from-scratch initialisation, and squeeze-and-excitation. Child
// names are the caller's, since torchvision and timm name the same parts differently.
import { F, nn, noGrad, type Tensor } from "../../torch/index.js";

/** Returns `next`, freeing `previous` (the input `next` was computed from); autograd keeps what backward needs. */
export function step(previous: Tensor, next: Tensor): Tensor {
  if (previous !== next) previous.dispose();
  return next;
}

/** x + residual, freeing x (the block's output) but not the residual (the block's input). */
export function addResidual(x: Tensor, residual: Tensor): Tensor {
  return step(x, x.add(residual));
}

/**
 * Weights N(0, 2 / fanOut) and a zero bias, for a model trained from scratch. `perGroup`
 * divides fan-out by the group count (timm's EfficientNet); torchvision's kaiming_normal_
 * counts every output channel.
 */
export function initConv(conv: nn.Conv2d, perGroup = false): nn.Conv2d {
  const [out, , kh, kw] = conv.weight.shape as [number, number, number, number];
  const fanOut = (out * kh * kw) / (perGroup ? (conv.options.groups ?? 1) : 1);
  noGrad(() => {
    conv.weight.normal_(0, Math.sqrt(2 / fanOut));
    conv.bias?.zero_();
  });
  return conv;
}

export interface SqueezeNames {
  /** The 1×1 convolution to the squeezed width, and the one back. */
  reduce: string;
  expand: string;
}

/**
 * Squeeze-and-excitation: the spatial mean of each channel through two 1×1 convolutions
 * (with biases), `act` between them and `gate` after, scales that channel of the input.
 */
export class SqueezeExcite extends nn.Layer {
  readonly reduce: nn.Conv2d;
  readonly expand: nn.Conv2d;

  constructor(
    readonly channels: number,
    readonly squeezed: number,
    names: SqueezeNames,
    readonly act: (x: Tensor) => Tensor,
    readonly gate: (x: Tensor) => Tensor,
    perGroupInit = false,
  ) {
    super();
    this.reduce = this.child(names.reduce, initConv(new nn.Conv2d(channels, squeezed, 1), perGroupInit));
    this.expand = this.child(names.expand, initConv(new nn.Conv2d(squeezed, channels, 1), perGroupInit));
  }

  forward(x: Tensor): Tensor {
    let s = F.adaptiveAvgPool2d(x, 1);
    s = step(s, this.reduce.forward(s));
    s = step(s, this.act(s));
    s = step(s, this.expand.forward(s));
    s = step(s, this.gate(s));
    return step(s, x.mul(s));
  }

  override describe(): string {
    return `${this.channels} → ${this.squeezed} → ${this.channels}`;
  }
}

/** Padding that keeps the size at stride 1 (and halves it at stride 2) for an odd kernel. */
export const samePadding = (kernel: number): number => (kernel - 1) >> 1;

// The linear members of the model's ensemble: one multinomial logistic regression per
// input on simple features, fitted before the network trains (training/baselines.ts) and
// saved with the model as buffers. After training, the weight of
// their late fusion beside the network is chosen on validation rows, as AutoGluon's
// weighted ensembles are; a weight of 0 leaves the network alone.
import type { Modality } from "../config/schema.js";
import type { Batch } from "../data/dataset.js";
import { F, cat, nn, zeros, ones, noGrad, tensor, type Tensor } from "../torch/index.js";

/** Pictures are averaged down to at most this side: larger ones add width, not signal. */
const PIXEL_SIDE = 32;

/** One input's simple features for a batch, [B, d]: what each linear member reads. */
export function simpleFeatures(batch: Batch, m: Modality, vocabSizes: number[]): Tensor {
  if (m === "tabular") {
    const parts: Tensor[] = batch.numeric ? [batch.numeric] : [];
    vocabSizes.forEach((size, j) => parts.push(F.oneHot((batch.categorical as Tensor).select(1, j), size).float()));
    return cat(parts, 1);
  }
  if (m === "image") {
    const image = batch.image as Tensor;
    const [h, w] = [image.size(2), image.size(3)];
    return (h > PIXEL_SIDE || w > PIXEL_SIDE ? F.adaptiveAvgPool2d(image, [Math.min(h, PIXEL_SIDE), Math.min(w, PIXEL_SIDE)]) : image).flatten(1);
  }
  const bands = (batch.audio as Tensor).flatten(1, 2);
  return cat([bands.mean(2), bands.std(2, false, false), bands.amax(2)], 1);
}

/** The width of simpleFeatures for an input. */
export function simpleFeatureWidth(m: Modality, shape: { numericWidth?: number; vocabSizes?: number[]; height?: number; width?: number; nMels?: number }): number {
  if (m === "tabular") return (shape.numericWidth ?? 0) + (shape.vocabSizes ?? []).reduce((a, b) => a + b, 0);
  if (m === "image") return 3 * Math.min(shape.height ?? 0, PIXEL_SIDE) * Math.min(shape.width ?? 0, PIXEL_SIDE);
  return 3 * (shape.nMels ?? 0);
}

export interface LinearModel {
  weight: Tensor;
  bias: Tensor;
  mean: Tensor;
  std: Tensor;
}

class LinearMember extends nn.Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly mean: Tensor;
  readonly std: Tensor;
  constructor(features: number, classes: number) {
    super();
    this.weight = this.buffer("weight", zeros([features, classes]));
    this.bias = this.buffer("bias", zeros([classes]));
    this.mean = this.buffer("mean", zeros([1, features]));
    this.std = this.buffer("std", ones([1, features]));
  }
  logProbs(x: Tensor): Tensor {
    return x.sub(this.mean).div(this.std).matmul(this.weight).add(this.bias).logSoftmax(1);
  }
}

export class LinearMembers extends nn.Module {
  readonly members: Map<Modality, LinearMember>;
  /** [network weight, linear late-fusion weight]. */
  readonly mix: Tensor;
  constructor(
    readonly widths: Partial<Record<Modality, number>>,
    readonly classes: number,
    readonly vocabSizes: number[],
  ) {
    super();
    this.members = new Map(Object.entries(widths).map(([m, d]) => [m as Modality, this.child(m, new LinearMember(d as number, classes))]));
    this.mix = this.buffer("mix", tensor([1, 0], [2]));
  }

  /** Takes fitted linear models (copied in) for the inputs that have one. */
  load(models: Partial<Record<Modality, LinearModel>>): void {
    noGrad(() => {
      for (const [m, fitted] of Object.entries(models) as [Modality, LinearModel][]) {
        const member = this.members.get(m);
        if (!member) continue;
        member.weight.copy_(fitted.weight);
        member.bias.copy_(fitted.bias);
        member.mean.copy_(fitted.mean);
        member.std.copy_(fitted.std);
      }
    });
  }

  setMix(network: number, linear: number): void {
    noGrad(() => this.mix.copy_(tensor([network, linear], [2], { device: this.mix.device })));
  }

  /** Σ over the inputs a row has of their members' log-probabilities, [B, C]. */
  lateFusion(batch: Batch): Tensor {
    let sum: Tensor | null = null;
    for (const [m, member] of this.members) {
      const present = batch.present[m];
      if (!present) continue;
      const term = member.logProbs(simpleFeatures(batch, m, this.vocabSizes)).mul(present.float().unsqueeze(1));
      sum = sum === null ? term : sum.add(term);
    }
    return sum ?? zeros([batch.size, this.classes], { device: this.mix.device });
  }

  /** The ensemble's logits from the network's: mix₀ · log p_network + mix₁ · Σ log p_linear. */
  combine(networkLogits: Tensor, batch: Batch): Tensor {
    const network = networkLogits.logSoftmax(1).mul(this.mix.select(0, 0));
    return network.add(this.lateFusion(batch).mul(this.mix.select(0, 1)));
  }
}

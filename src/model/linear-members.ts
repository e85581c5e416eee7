// The linear members of the model's ensemble: one multinomial logistic regression per
// input on simple features, fitted before the network trains (training/baselines.ts) and
// saved with the model as buffers. After training, the weight of
// their late fusion beside the network is chosen on validation rows, as AutoGluon's
// weighted ensembles are; a weight of 0 leaves the network alone.
import type { Batch } from "../data/dataset.js";
import type { BatchInput, InputState } from "../inputs/kind.js";
import { kindOf } from "../inputs/registry.js";
import { nn, zeros, ones, noGrad, tensor, type Tensor } from "../torch/index.js";

/** One input's simple features for a batch, [B, d]: what its linear member reads. */
export function simpleFeatures(batch: Batch, input: InputState): Tensor {
  return kindOf(input).simpleFeatures(batch.inputs[input.name] as BatchInput, input);
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
  readonly members: Map<string, { input: InputState; member: LinearMember }>;
  /** [network weight, linear late-fusion weight]. */
  readonly mix: Tensor;
  constructor(
    inputs: InputState[],
    readonly classes: number,
  ) {
    super();
    this.members = new Map(inputs.map((input) => [input.name, { input, member: this.child(input.name, new LinearMember(kindOf(input).simpleWidth(input), classes)) }]));
    this.mix = this.buffer("mix", tensor([1, 0], [2]));
  }

  /** Takes fitted linear models (copied in) for the inputs that have one. */
  load(models: Record<string, LinearModel>): void {
    noGrad(() => {
      for (const [name, fitted] of Object.entries(models)) {
        const member = this.members.get(name)?.member;
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
    for (const [name, { input, member }] of this.members) {
      const present = batch.present[name];
      if (!present) continue;
      const term = member.logProbs(simpleFeatures(batch, input)).mul(present.float().unsqueeze(1));
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

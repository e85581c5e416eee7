// Fusion: how per-modality features become one vector for the head. Each strategy is one
// class and one registry entry.
import type { Fusion as FusionName } from "../config/schema.js";
import { UserError } from "../errors.js";
import { cat, nn, type Tensor } from "../torch/index.js";

export abstract class Fusion extends nn.Module {
  abstract readonly outputFeatures: number;
  /**
   * features: one [B, d] tensor per modality, absent rows already replaced by that
   * modality's learned "missing" embedding; present: one bool [B] per modality.
   */
  abstract forward(features: Tensor[], present: Tensor[]): Tensor;
}

/** The tutorial's fusion: concatenation. */
export class ConcatFusion extends Fusion {
  readonly outputFeatures: number;
  constructor(
    readonly modalities: number,
    readonly features: number,
  ) {
    super();
    this.outputFeatures = modalities * features;
  }
  forward(features: Tensor[]): Tensor {
    return features.length === 1 ? (features[0] as Tensor) : cat(features, 1);
  }
  override describe(): string {
    return `${this.modalities} × ${this.features} → ${this.outputFeatures}`;
  }
}

const REGISTRY: Partial<Record<FusionName, (modalities: number, features: number) => Fusion>> = {
  concat: (m, d) => new ConcatFusion(m, d),
};

export function makeFusion(name: FusionName, modalities: number, features: number): Fusion {
  const make = REGISTRY[name];
  if (!make) throw new UserError(`model.fusion: ${name} is not available yet (available: ${Object.keys(REGISTRY).join(", ")})`);
  return make(modalities, features);
}

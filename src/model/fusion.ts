// Fusion: how per-modality features become what the head reads. Each strategy is one
// class and one registry entry. Every strategy takes, per modality, features [B, d] (with
// the learned "missing" embedding already standing in for absent rows) and a present mask
// [B]; gated, attention and late fusion also leave absent modalities out entirely.
import type { Fusion as FusionName } from "../config/schema.js";
import { cat, nn, noGrad, stack, zeros, type Tensor } from "../torch/index.js";

export abstract class Fusion extends nn.Module {
  abstract readonly outputFeatures: number;
  /** True when the fusion's output is already class logits (late fusion): no head follows. */
  readonly producesLogits: boolean = false;
  abstract forward(features: Tensor[], present: Tensor[]): Tensor;
  /** Per-sample weight of each modality in the last forward pass, when the fusion has one ([B, M]). */
  lastWeights: Tensor | null = null;
}

/** [B, M] bool: which modalities each row has. */
function presentMatrix(present: Tensor[]): Tensor {
  return stack(present, 1);
}

/**
 * Softmax over modalities restricted to the present ones. A row with none present (only
 * possible outside training) falls back to weighing all modalities, whose features are
 * then the missing embeddings.
 */
function maskedSoftmax(logits: Tensor, presentM: Tensor): Tensor {
  const nonePresent = presentM.sum(1, true).eq(0);
  const mask = presentM.logicalOr(nonePresent);
  return logits.maskedFill(mask.logicalNot(), -Infinity).softmax(1);
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

/**
 * Gated fusion: a small network looks at all features and gives each row a weight per
 * modality (softmax over the present ones); the output is the weighted sum of
 * per-modality projections. The weights double as a per-prediction contribution.
 */
export class GatedFusion extends Fusion {
  readonly outputFeatures: number;
  readonly gate: nn.Sequential;
  readonly projections: nn.Linear[];
  constructor(
    readonly modalities: number,
    readonly features: number,
  ) {
    super();
    this.outputFeatures = features;
    this.gate = this.child("gate", new nn.Sequential(new nn.Linear(modalities * features, 64), new nn.ReLU(), new nn.Linear(64, modalities)));
    this.projections = Array.from({ length: modalities }, (_, i) => this.child(`projection${i}`, new nn.Linear(features, features)));
  }
  forward(features: Tensor[], present: Tensor[]): Tensor {
    const presentM = presentMatrix(present);
    const weights = maskedSoftmax(this.gate.forward(cat(features, 1)), presentM);
    this.lastWeights = weights;
    let out: Tensor | null = null;
    this.projections.forEach((proj, m) => {
      const term = proj.forward(features[m] as Tensor).relu().mul(weights.narrow(1, m, 1));
      out = out === null ? term : out.add(term);
    });
    return out as unknown as Tensor;
  }
  override describe(): string {
    return `softmax gate over ${this.modalities} × ${this.features} → ${this.features}`;
  }
}

/**
 * Attention fusion: one token per modality (its features plus a learned modality
 * embedding) and a class token go through a small transformer; absent modalities are
 * masked out as keys, so they cannot influence the class token, which is the output.
 */
export class AttentionFusion extends Fusion {
  readonly outputFeatures: number;
  readonly classToken: Tensor;
  readonly modalityEmbedding: Tensor;
  readonly layers: nn.TransformerEncoderLayer[];
  readonly norm: nn.LayerNorm;
  constructor(
    readonly modalities: number,
    readonly features: number,
    depth = 2,
  ) {
    super();
    this.outputFeatures = features;
    const heads = features % 4 === 0 ? 4 : features % 2 === 0 ? 2 : 1;
    this.classToken = this.param("class_token", noGrad(() => zeros([1, 1, features]).normal_(0, 0.02)));
    this.modalityEmbedding = this.param("modality_embedding", noGrad(() => zeros([1, modalities, features]).normal_(0, 0.02)));
    this.layers = Array.from({ length: depth }, (_, i) => this.child(`layer${i}`, new nn.TransformerEncoderLayer(features, heads, 2 * features, 0.1)));
    this.norm = this.child("norm", new nn.LayerNorm(features));
  }
  forward(features: Tensor[], present: Tensor[]): Tensor {
    const b = (features[0] as Tensor).size(0);
    const tokens = stack(features, 1).add(this.modalityEmbedding);
    let x = cat([this.classToken.expand([b, 1, this.features]), tokens], 1);
    // Key padding mask: true = ignore. The class token is always attended to.
    const absent = presentMatrix(present).logicalNot();
    const mask = cat([zeros([b, 1], { dtype: "bool", device: absent.device }), absent], 1);
    for (const layer of this.layers) x = layer.forward(x, mask);
    return this.norm.forward(x.select(1, 0));
  }
  override describe(): string {
    return `class token + ${this.modalities} tokens × ${this.features}, ${this.layers.length} transformer layers`;
  }
}

/**
 * Late fusion: one classifier head per modality; their log-probabilities are averaged over
 * the modalities each row has. Its output is class logits, so no shared head follows.
 */
export class LateFusion extends Fusion {
  override readonly producesLogits = true;
  readonly outputFeatures: number;
  readonly heads: nn.Sequential[];
  constructor(
    readonly modalities: number,
    readonly features: number,
    classes: number,
    head: InputHeadSettings,
  ) {
    super();
    this.outputFeatures = classes;
    this.heads = Array.from({ length: modalities }, (_, i) => this.child(`head${i}`, inputHead(features, classes, head)));
  }
  /** Each modality's own class logits, [B, C] each. */
  headLogits(features: Tensor[]): Tensor[] {
    return this.heads.map((h, m) => h.forward(features[m] as Tensor));
  }
  /** The mean of the present modalities' log-probabilities. */
  combine(headLogits: Tensor[], present: Tensor[]): Tensor {
    const presentM = presentMatrix(present);
    const weights = maskedSoftmax(zeros(presentM.shape, { device: presentM.device }), presentM); // equal weight per present modality
    this.lastWeights = weights;
    const logProbs = stack(headLogits.map((l) => l.logSoftmax(1)), 1); // [B, M, C]
    return logProbs.mul(weights.unsqueeze(2)).sum(1);
  }
  forward(features: Tensor[], present: Tensor[]): Tensor {
    return this.combine(this.headLogits(features), present);
  }
  override describe(): string {
    return `${this.modalities} heads, mean log-probability over present modalities`;
  }
}

export interface InputHeadSettings {
  hidden: number;
  dropout: number;
}

/** A small classifier over one input's features. */
export function inputHead(features: number, classes: number, s: InputHeadSettings): nn.Sequential {
  return new nn.Sequential(new nn.Linear(features, s.hidden), new nn.ReLU(), new nn.Dropout(s.dropout), new nn.Linear(s.hidden, classes));
}

const REGISTRY: Record<FusionName, (modalities: number, features: number, classes: number, head: InputHeadSettings) => Fusion> = {
  concat: (m, d) => new ConcatFusion(m, d),
  gated: (m, d) => new GatedFusion(m, d),
  attention: (m, d) => new AttentionFusion(m, d),
  late: (m, d, c, h) => new LateFusion(m, d, c, h),
};

export function makeFusion(name: FusionName, modalities: number, features: number, classes: number, head: InputHeadSettings): Fusion {
  return REGISTRY[name](modalities, features, classes, head);
}

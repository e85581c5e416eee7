// Fusion: how the inputs' features become what the head reads. Each strategy is one class
// and one registry entry. A fusion takes a record keyed by input name of features [B, d_i]
// (each input has its own width d_i, with the learned "missing" embedding already standing
// in for absent rows) and of present masks [B]; it returns its output and, where it has
// them, per-row weights of each input. Gated, attention and late fusion also leave absent
// inputs out entirely.
import type { Fusion as FusionName } from "../config/schema.js";
import { cat, nn, noGrad, stack, zeros, type Tensor } from "../torch/index.js";

/** One input as the fusion sees it: its name and the width of its features. */
export interface FusionInput {
  name: string;
  features: number;
}

export interface Fused {
  /** The head's input, or class logits where the fusion produces them (late fusion). */
  output: Tensor;
  /** [B, M]: each row's weight of each input, in the fusion's input order; null where the fusion has none. */
  weights: Tensor | null;
}

export type Features = Record<string, Tensor>;

export abstract class Fusion extends nn.Module {
  abstract readonly outputFeatures: number;
  /** True when the fusion's output is already class logits (late fusion): no head follows. */
  readonly producesLogits: boolean = false;
  constructor(readonly inputs: FusionInput[]) {
    super();
  }
  abstract forward(features: Features, present: Features): Fused;

  /** The record's tensors in the fusion's input order. */
  protected ordered(record: Features): Tensor[] {
    return this.inputs.map(({ name }) => {
      const t = record[name];
      if (t === undefined) throw new Error(`fusion: no features for input ${name}`);
      return t;
    });
  }

  /** [B, M] bool: which inputs each row has. */
  protected presentMatrix(present: Features): Tensor {
    return stack(this.ordered(present), 1);
  }

  protected get widths(): string {
    const ws = this.inputs.map((i) => i.features);
    return ws.every((w) => w === ws[0]) ? `${ws.length} × ${ws[0]}` : ws.join(" + ");
  }
}

/**
 * Softmax over inputs restricted to the present ones. A row with none present (only
 * possible outside training) falls back to weighing all inputs, whose features are then
 * the missing embeddings.
 */
function maskedSoftmax(logits: Tensor, presentM: Tensor): Tensor {
  const nonePresent = presentM.sum(1, true).eq(0);
  const mask = presentM.logicalOr(nonePresent);
  return logits.maskedFill(mask.logicalNot(), -Infinity).softmax(1);
}

const sumOf = (inputs: FusionInput[]) => inputs.reduce((s, i) => s + i.features, 0);

/** The tutorial's fusion: concatenation. */
export class ConcatFusion extends Fusion {
  readonly outputFeatures: number;
  constructor(inputs: FusionInput[]) {
    super(inputs);
    this.outputFeatures = sumOf(inputs);
  }
  forward(features: Features): Fused {
    const f = this.ordered(features);
    return { output: f.length === 1 ? (f[0] as Tensor) : cat(f, 1), weights: null };
  }
  override describe(): string {
    return `${this.widths} → ${this.outputFeatures}`;
  }
}

/**
 * Gated fusion: a small network looks at all features and gives each row a weight per
 * input (softmax over the present ones); the output is the weighted sum of per-input
 * projections to a common width. The weights double as a per-prediction contribution.
 */
export class GatedFusion extends Fusion {
  readonly outputFeatures: number;
  readonly gate: nn.Sequential;
  readonly projections: nn.Linear[];
  constructor(inputs: FusionInput[], width: number) {
    super(inputs);
    this.outputFeatures = width;
    const m = inputs.length;
    this.gate = this.child("gate", new nn.Sequential(new nn.Linear(sumOf(inputs), 64), new nn.ReLU(), new nn.Linear(64, m)));
    this.projections = inputs.map((input, i) => this.child(`projection${i}`, new nn.Linear(input.features, width)));
  }
  forward(features: Features, present: Features): Fused {
    const f = this.ordered(features);
    const weights = maskedSoftmax(this.gate.forward(cat(f, 1)), this.presentMatrix(present));
    let out: Tensor | null = null;
    this.projections.forEach((proj, m) => {
      const term = proj.forward(f[m] as Tensor).relu().mul(weights.narrow(1, m, 1));
      out = out === null ? term : out.add(term);
    });
    return { output: out as unknown as Tensor, weights };
  }
  override describe(): string {
    return `softmax gate over ${this.widths} → ${this.outputFeatures}`;
  }
}

/**
 * Attention fusion: one token per input (its features, projected to the common width where
 * its own differs, plus a learned input embedding) and a class token go through a small
 * transformer; absent inputs are masked out as keys, so they cannot influence the class
 * token, which is the output.
 */
export class AttentionFusion extends Fusion {
  readonly outputFeatures: number;
  readonly classToken: Tensor;
  readonly modalityEmbedding: Tensor;
  /** Per input, a projection to the common width, or null where its width is already that. */
  readonly projections: (nn.Linear | null)[];
  readonly layers: nn.TransformerEncoderLayer[];
  readonly norm: nn.LayerNorm;
  constructor(inputs: FusionInput[], width: number, depth = 2) {
    super(inputs);
    this.outputFeatures = width;
    const heads = width % 4 === 0 ? 4 : width % 2 === 0 ? 2 : 1;
    this.classToken = this.param("class_token", noGrad(() => zeros([1, 1, width]).normal_(0, 0.02)));
    this.modalityEmbedding = this.param("modality_embedding", noGrad(() => zeros([1, inputs.length, width]).normal_(0, 0.02)));
    this.projections = inputs.map((input, i) => (input.features === width ? null : this.child(`projection${i}`, new nn.Linear(input.features, width))));
    this.layers = Array.from({ length: depth }, (_, i) => this.child(`layer${i}`, new nn.TransformerEncoderLayer(width, heads, 2 * width, 0.1)));
    this.norm = this.child("norm", new nn.LayerNorm(width));
  }
  forward(features: Features, present: Features): Fused {
    const f = this.ordered(features).map((x, i) => this.projections[i]?.forward(x) ?? x);
    const b = (f[0] as Tensor).size(0);
    const tokens = stack(f, 1).add(this.modalityEmbedding);
    let x = cat([this.classToken.expand([b, 1, this.outputFeatures]), tokens], 1);
    // Key padding mask: true = ignore. The class token is always attended to.
    const absent = this.presentMatrix(present).logicalNot();
    const mask = cat([zeros([b, 1], { dtype: "bool", device: absent.device }), absent], 1);
    for (const layer of this.layers) x = layer.forward(x, mask);
    return { output: this.norm.forward(x.select(1, 0)), weights: null };
  }
  override describe(): string {
    return `class token + tokens of ${this.widths} → ${this.outputFeatures}, ${this.layers.length} transformer layers`;
  }
}

/**
 * Late fusion: one classifier head per input; their log-probabilities are averaged over
 * the inputs each row has. Its output is class logits, so no shared head follows.
 */
export class LateFusion extends Fusion {
  override readonly producesLogits = true;
  readonly outputFeatures: number;
  readonly heads: nn.Sequential[];
  constructor(inputs: FusionInput[], classes: number, head: InputHeadSettings) {
    super(inputs);
    this.outputFeatures = classes;
    this.heads = inputs.map((input, i) => this.child(`head${i}`, inputHead(input.features, classes, head)));
  }
  /** Each input's own class logits, [B, C] each, in the fusion's input order. */
  headLogits(features: Features): Tensor[] {
    const f = this.ordered(features);
    return this.heads.map((h, m) => h.forward(f[m] as Tensor));
  }
  /** The mean of the present inputs' log-probabilities. */
  combine(headLogits: Tensor[], present: Features): Fused {
    const presentM = this.presentMatrix(present);
    const weights = maskedSoftmax(zeros(presentM.shape, { device: presentM.device }), presentM); // equal weight per present input
    const logProbs = stack(headLogits.map((l) => l.logSoftmax(1)), 1); // [B, M, C]
    return { output: logProbs.mul(weights.unsqueeze(2)).sum(1), weights };
  }
  forward(features: Features, present: Features): Fused {
    return this.combine(this.headLogits(features), present);
  }
  override describe(): string {
    return `${this.inputs.length} heads over ${this.widths}, mean log-probability over present inputs`;
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

/** What every fusion is built from: its inputs, the common width where it projects to one, the classes. */
export interface FusionSettings {
  inputs: FusionInput[];
  width: number;
  classes: number;
  head: InputHeadSettings;
}

const REGISTRY: Record<FusionName, (s: FusionSettings) => Fusion> = {
  concat: (s) => new ConcatFusion(s.inputs),
  gated: (s) => new GatedFusion(s.inputs, s.width),
  attention: (s) => new AttentionFusion(s.inputs, s.width),
  late: (s) => new LateFusion(s.inputs, s.classes, s.head),
};

export function makeFusion(name: FusionName, settings: FusionSettings): Fusion {
  return REGISTRY[name](settings);
}

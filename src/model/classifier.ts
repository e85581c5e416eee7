// MultimodalClassifier(encoders, fusion, head). The model never reads files: it gets
// batches of tensors. Where a row lacks a modality, that modality's learned "missing"
// embedding stands in for its features: nothing is borrowed from another row.
import type { Batch } from "../data/dataset.js";
import type { BatchInput } from "../inputs/kind.js";
import type { PreprocessState } from "../data/preprocess-state.js";
import { kindOf } from "../inputs/registry.js";
import { nn, where, zeros, type Tensor } from "../torch/index.js";
import { SharedEncoder, type Encoder, type EncoderTrace } from "./encoders.js";
import { BackboneEncoder } from "./backbones/encoder.js";
import { backboneSpec } from "./backbones/index.js";
import { LateFusion, inputHead, makeFusion, type Features, type Fusion } from "./fusion.js";
import { LinearMembers } from "./linear-members.js";
import { PRESETS, type Preset, type PresetSettings } from "./presets.js";
import { batchShape, traceSequential, type LayerInfo, type Shape } from "./trace.js";
import type { Fusion as FusionName } from "../config/schema.js";

/** One input's encoder settings (model.encoders.<input>). */
export interface EncoderSpec {
  /** Width of this input's features; model.features where unset. */
  features?: number | undefined;
  /** A pretrained backbone (model/backbones) that reads this input. */
  backbone?: string | undefined;
}

/**
 * What of model.encoders builds the model (and so goes into preprocess.json): how the
 * backbone is initialised and trained concerns training only.
 */
export function modelEncoders(encoders: Record<string, EncoderSpec>): Record<string, EncoderSpec> {
  return Object.fromEntries(Object.entries(encoders).map(([name, e]) => [name, { ...(e.features !== undefined ? { features: e.features } : {}), ...(e.backbone !== undefined ? { backbone: e.backbone } : {}) }]));
}

export interface ModelSpec {
  preset: Preset;
  fusion: FusionName;
  /** The default width of each input's features, and the width gated and attention fusion project to. */
  features: number;
  encoders?: Record<string, EncoderSpec> | undefined;
}

/** The width of an input's features under `spec`. */
export function inputWidth(spec: ModelSpec, input: string): number {
  return (Object.hasOwn(spec.encoders ?? {}, input) ? spec.encoders?.[input]?.features : undefined) ?? spec.features;
}

export interface Architecture {
  preset: Preset;
  parameters: number;
  encoders: (EncoderTrace & { kind: string | undefined; missing: string })[];
  fusion: { name: string; detail: string; output: Shape };
  head: { layers: LayerInfo[]; output: Shape };
}

/** Logits, and each input's own logits ([B, C] each) for the input loss. */
export interface TrainingOutput {
  logits: Tensor;
  inputLogits: Tensor[];
  present: Tensor[];
}

/** Class logits and, where the fusion weighs its inputs, each row's weights [B, M] in input order. */
export interface Prediction {
  logits: Tensor;
  weights: Tensor | null;
}

export class MultimodalClassifier extends nn.Module {
  readonly encoders: Encoder[];
  readonly missing: Tensor[];
  readonly fusion: Fusion;
  readonly head: nn.Sequential;
  /** Per-input classifiers trained beside the fusion (none for late fusion, whose heads serve). */
  readonly inputHeads: nn.Sequential[];
  /** The ensemble's linear members, where the preset has them. */
  readonly linear: LinearMembers | null;
  readonly settings: PresetSettings;
  /** Each encoder's kind of input, for the architecture drawing. */
  readonly kinds: string[];

  constructor(
    readonly spec: ModelSpec,
    encoders: Encoder[],
    classes: number,
    linear: LinearMembers | null = null,
    kinds: string[] = [],
  ) {
    super();
    this.kinds = kinds;
    this.settings = PRESETS[spec.preset];
    this.encoders = encoders.map((e) => this.child(`encoders.${e.inputName}`, e));
    this.missing = encoders.map((e) => this.param(`missing.${e.inputName}`, zeros([e.features])));
    const inputs = encoders.map((e) => ({ name: e.inputName, features: e.features }));
    this.fusion = this.child("fusion", makeFusion(spec.fusion, { inputs, width: spec.features, classes, head: this.settings.inputHead }));
    const width = this.fusion.outputFeatures;
    // Late fusion ends in its own per-modality heads; every other fusion feeds a shared head.
    const { hidden, dropout } = this.settings.head;
    this.head = this.child(
      "head",
      this.fusion.producesLogits
        ? new nn.Sequential()
        : new nn.Sequential(...(dropout[0] > 0 ? [new nn.Dropout(dropout[0])] : []), new nn.Linear(width, hidden), new nn.ReLU(), new nn.Dropout(dropout[1]), new nn.Linear(hidden, classes)),
    );
    const ownHeads = this.settings.training.inputLoss > 0 && !(this.fusion instanceof LateFusion) && encoders.length > 1;
    this.inputHeads = ownHeads ? encoders.map((e) => this.child(`input_heads.${e.inputName}`, inputHead(e.features, classes, this.settings.inputHead))) : [];
    this.linear = linear ? this.child("linear", linear) : null;
  }

  /** Channels-last convolutions in every encoder (for CUDA; see Encoder.useChannelsLast). */
  useChannelsLast(): this {
    for (const e of this.encoders) e.useChannelsLast();
    return this;
  }

  /** Moves the model to `device` and lays it out as that device runs it fastest (channels-last on CUDA). */
  placeOn(device: string): this {
    this.to(device);
    return device.startsWith("cuda") ? this.useChannelsLast() : this;
  }

  /** The inputs' names, in the order the fusion sees them. */
  get inputNames(): string[] {
    return this.encoders.map((e) => e.inputName);
  }

  /** Per-input features keyed by input name, each [B, d_i], with missing embeddings where absent. */
  encode(batch: Batch): { features: Features; present: Features } {
    const features: Features = {};
    const present: Features = {};
    this.encoders.forEach((encoder, i) => {
      const name = encoder.inputName;
      const mask = batch.present[name] as Tensor;
      const encoded = encoder.forward(batch.inputs[name] as BatchInput);
      features[name] = where(mask.unsqueeze(1), encoded, (this.missing[i] as Tensor).unsqueeze(0));
      present[name] = mask;
    });
    return { features, present };
  }

  /** Logits [B, classes]: the network's, combined with its linear members' where it has them. */
  forward(batch: Batch): Tensor {
    return this.predict(batch).logits;
  }

  /** Logits and the fusion's per-row input weights (explanations read them). */
  predict(batch: Batch): Prediction {
    const { features, present } = this.encode(batch);
    const fused = this.fusion.forward(features, present);
    const logits = this.head.forward(fused.output);
    return { logits: this.linear ? this.linear.combine(logits, batch) : logits, weights: fused.weights };
  }

  /** The fused logits and, where the preset trains them, each input's own logits. */
  forwardForTraining(batch: Batch): TrainingOutput {
    const { features, present } = this.encode(batch);
    const presentList = this.inputNames.map((n) => present[n] as Tensor);
    if (this.fusion instanceof LateFusion) {
      const inputLogits = this.fusion.headLogits(features);
      return { logits: this.fusion.combine(inputLogits, present).output, inputLogits, present: presentList };
    }
    const logits = this.head.forward(this.fusion.forward(features, present).output);
    return { logits, inputLogits: this.inputHeads.map((h, i) => h.forward(features[this.inputNames[i] as string] as Tensor)), present: presentList };
  }

  /** The architecture with shapes, traced on a batch (call inside tidy and noGrad). */
  architecture(batch: Batch): Architecture {
    const encoders = this.encoders.map((e, i) => ({ ...e.trace(batch.inputs[e.inputName] as BatchInput), kind: this.kinds[i], missing: "learned embedding" }));
    const { features, present } = this.encode(batch);
    const fused = this.fusion.forward(features, present).output;
    const head = traceSequential(this.head, fused);
    return {
      preset: this.spec.preset,
      parameters: this.numParameters(),
      encoders,
      fusion: { name: this.spec.fusion, detail: this.fusion.describe(), output: batchShape(fused) },
      head: { layers: head.layers, output: batchShape(head.output) },
    };
  }
}

/** Builds the model a preprocessing state and spec call for: one encoder per input, by its kind. */
export function buildModel(state: PreprocessState, spec: ModelSpec): MultimodalClassifier {
  const settings = PRESETS[spec.preset];
  // Inputs of a kind marked `share` read through the first one's encoder.
  const owners = new Map<string, Encoder>();
  const encoders = state.inputs.map((s) => {
    const owner = s.share ? owners.get(s.kind) : undefined;
    if (owner) return new SharedEncoder(s.name, owner);
    const backbone = Object.hasOwn(spec.encoders ?? {}, s.name) ? spec.encoders?.[s.name]?.backbone : undefined;
    if (backbone !== undefined && backboneSpec(backbone).kind !== s.kind) throw new Error(`input ${s.name}: backbone ${backbone} reads ${backboneSpec(backbone).kind} inputs, not ${s.kind}`);
    const encoder = backbone !== undefined ? new BackboneEncoder(s.name, backbone, inputWidth(spec, s.name)) : kindOf(s).encoder(s, inputWidth(spec, s.name), settings);
    if (s.share) owners.set(s.kind, encoder);
    return encoder;
  });
  const linear = settings.training.linearMembers ? new LinearMembers(state.inputs, state.classes.length) : null;
  return new MultimodalClassifier(
    spec,
    encoders,
    state.classes.length,
    linear,
    state.inputs.map((s) => s.kind),
  );
}

// One encoder per modality, each turning its part of a batch into [B, features].
// `seed` is the tutorial's architecture exactly; `standard` adds normalisation and
// global pooling.
import type { Modality } from "../config/schema.js";
import type { Batch } from "../data/dataset.js";
import { cat, nn, type Tensor } from "../torch/index.js";
import { batchShape, traceSequential, type LayerInfo, type Shape } from "./trace.js";

export type Preset = "seed" | "standard";

export interface EncoderTrace {
  modality: Modality;
  input: Shape;
  layers: LayerInfo[];
  output: Shape;
}

export abstract class Encoder extends nn.Module {
  abstract readonly modality: Modality;
  abstract readonly features: number;
  /** The encoder's input tensor for a batch. */
  protected abstract input(batch: Batch): Tensor;
  protected abstract readonly body: nn.Sequential;
  /** Whether inputs are laid out channels-last before the body (see useChannelsLast). */
  #channelsLast = false;

  forward(batch: Batch): Tensor {
    return this.body.forward(this.laidOut(this.input(batch)));
  }

  /**
   * Lays this encoder's 4-D weights and its image-like inputs out channels-last, which
   * cuDNN's convolutions run fastest on. The values computed stay the same.
   */
  useChannelsLast(): this {
    this.#channelsLast = true;
    this.toChannelsLast();
    return this;
  }

  private laidOut(x: Tensor): Tensor {
    return this.#channelsLast && x.ndim === 4 ? x.channelsLast() : x;
  }

  /** Layer-by-layer shapes for the architecture drawing (call inside tidy). */
  trace(batch: Batch): EncoderTrace {
    const x = this.laidOut(this.input(batch));
    const { layers, output } = traceSequential(this.body, x);
    return { modality: this.modality, input: batchShape(x), layers, output: batchShape(output) };
  }
}

/** Scaled numbers with missing indicators, plus a small embedding per categorical column. */
export class TabularEncoder extends Encoder {
  readonly modality = "tabular" as const;
  readonly embeddings: nn.Embedding[];
  protected readonly body: nn.Sequential;
  constructor(
    numericWidth: number,
    vocabSizes: number[],
    readonly features: number,
    preset: Preset,
  ) {
    super();
    this.embeddings = vocabSizes.map((size, i) => this.child(`embedding${i}`, new nn.Embedding(size, Math.min(16, Math.ceil(Math.sqrt(size)) + 1))));
    const width = numericWidth + this.embeddings.reduce((n, e) => n + e.dim, 0);
    this.body = this.child(
      "body",
      preset === "seed"
        ? new nn.Sequential(new nn.Linear(width, 64), new nn.ReLU(), new nn.Linear(64, features))
        : new nn.Sequential(new nn.Linear(width, 128), new nn.LayerNorm(128), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(128, features)),
    );
  }
  protected input(batch: Batch): Tensor {
    const parts: Tensor[] = batch.numeric ? [batch.numeric] : [];
    this.embeddings.forEach((e, j) => parts.push(e.forward((batch.categorical as Tensor).select(1, j))));
    return parts.length === 1 ? (parts[0] as Tensor) : cat(parts, 1);
  }
}

/** The tutorial's CNN: two conv-ReLU-pool stages, flattened into a linear layer. */
export function seedCnn(channels: number, height: number, width: number, features: number): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(channels, 16, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(32 * Math.floor(height / 4) * Math.floor(width / 4), features),
  );
}

function standardCnn(channels: number, features: number): nn.Sequential {
  const block = (cin: number, cout: number) => [new nn.Conv2d(cin, cout, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(cout), new nn.ReLU()];
  return new nn.Sequential(
    ...block(channels, 16),
    new nn.MaxPool2d(2),
    ...block(16, 32),
    new nn.MaxPool2d(2),
    ...block(32, 64),
    new nn.AdaptiveAvgPool2d(1),
    new nn.Flatten(),
    new nn.Linear(64, features),
  );
}

/**
 * A small CNN over images [B, 3, H, W] or log-mel spectrograms [B, 1, mels, frames]: a
 * spectrogram is read as a one-channel picture, as in the tutorial.
 */
export class CnnEncoder extends Encoder {
  protected readonly body: nn.Sequential;
  constructor(
    readonly modality: "image" | "audio",
    channels: number,
    height: number,
    width: number,
    readonly features: number,
    preset: Preset,
  ) {
    super();
    this.body = this.child("body", preset === "seed" ? seedCnn(channels, height, width, features) : standardCnn(channels, features));
  }
  protected input(batch: Batch): Tensor {
    return (this.modality === "image" ? batch.image : batch.audio) as Tensor;
  }
}

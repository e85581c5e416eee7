// One encoder per input, each turning its part of a batch into [B, features], built
// from its preset's settings (presets.ts). Each kind of input picks its encoder (inputs/).
import type { BatchInput } from "../inputs/kind.js";
import { F, cat, nn, type Tensor } from "../torch/index.js";
import { BandStatistics, Branches, ClipNormalise } from "./layers.js";
import type { CnnSettings, TabularSettings } from "./presets.js";
import { batchShape, traceSequential, type LayerInfo, type Shape } from "./trace.js";

export interface EncoderTrace {
  /** The input's name. */
  modality: string;
  input: Shape;
  layers: LayerInfo[];
  output: Shape;
}

export abstract class Encoder extends nn.Module {
  /** The input this encoder reads. */
  abstract readonly inputName: string;
  abstract readonly features: number;
  /** The encoder's input tensor for its part of a batch. */
  protected abstract input(x: BatchInput): Tensor;
  protected abstract readonly body: nn.Sequential;
  /** Whether inputs are laid out channels-last before the body (see useChannelsLast). */
  #channelsLast = false;

  forward(x: BatchInput): Tensor {
    return this.body.forward(this.laidOut(this.input(x)));
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
  trace(input: BatchInput): EncoderTrace {
    const x = this.laidOut(this.input(input));
    const { layers, output } = traceSequential(this.body, x);
    return { modality: this.inputName, input: batchShape(x), layers, output: batchShape(output) };
  }
}

/** Scaled numbers with missing indicators, plus a small embedding per categorical column. */
export class TabularEncoder extends Encoder {
  readonly embeddings: nn.Embedding[];
  protected readonly body: nn.Sequential;
  constructor(
    readonly inputName: string,
    numericWidth: number,
    vocabSizes: number[],
    readonly features: number,
    settings: TabularSettings,
  ) {
    super();
    this.embeddings = vocabSizes.map((size, i) => this.child(`embedding${i}`, new nn.Embedding(size, Math.min(16, Math.ceil(Math.sqrt(size)) + 1))));
    const width = numericWidth + this.embeddings.reduce((n, e) => n + e.dim, 0);
    const { hidden, dropout } = settings;
    this.body = this.child(
      "body",
      settings.kind === "tutorial"
        ? new nn.Sequential(new nn.Linear(width, hidden), new nn.ReLU(), new nn.Linear(hidden, features))
        : new nn.Sequential(new nn.Linear(width, hidden), new nn.LayerNorm(hidden), new nn.ReLU(), new nn.Dropout(dropout), new nn.Linear(hidden, features)),
    );
  }
  protected input(x: BatchInput): Tensor {
    const parts: Tensor[] = x.numeric ? [x.numeric] : [];
    this.embeddings.forEach((e, j) => parts.push(e.forward((x.categorical as Tensor).select(1, j))));
    return parts.length === 1 ? (parts[0] as Tensor) : cat(parts, 1);
  }
}

/**
 * The tutorial's CNN: two conv-ReLU-pool stages, flattened into a linear layer. An input
 * too small for a 2x2 pool is pooled only along the axes that still have room.
 */
export function seedCnn(channels: number, height: number, width: number, features: number): nn.Sequential {
  const layers: nn.Layer[] = [];
  let [h, w] = [height, width];
  for (const [cin, cout] of [
    [channels, 16],
    [16, 32],
  ] as const) {
    layers.push(new nn.Conv2d(cin, cout, 3, { padding: 1 }), new nn.ReLU());
    const pool: [number, number] = [Math.min(2, h), Math.min(2, w)];
    layers.push(new nn.MaxPool2d(pool));
    [h, w] = [Math.floor(h / pool[0]), Math.floor(w / pool[1])];
  }
  return new nn.Sequential(...layers, new nn.Flatten(), new nn.Linear(32 * h * w, features));
}

/**
 * Final conv maps [B, C, H, W] → features that keep a coarse layout: averaged onto a grid
 * and flattened, and, for spectrograms, also each channel-and-band's mean and max over
 * time, which do not depend on when a sound starts.
 */
class MapSummary extends nn.Layer {
  constructor(
    readonly grid: [number, number],
    readonly overTime: boolean,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    const gridded = F.adaptiveAvgPool2d(x, this.grid).flatten(1);
    return this.overTime ? cat([gridded, x.mean(3).flatten(1), x.amax(3).flatten(1)], 1) : gridded;
  }
  width(channels: number, height: number): number {
    return channels * this.grid[0] * this.grid[1] + (this.overTime ? 2 * channels * height : 0);
  }
  override describe(): string {
    return `${this.grid.join("x")} grid${this.overTime ? " + mean, max over time" : ""}`;
  }
}

/**
 * Conv-BN-ReLU blocks, each followed by a 2x2 max-pool, summarised by MapSummary so the
 * encoder still knows where in the picture (or when, and at what pitch, in the clip) each
 * pattern was; beside it, optionally, a direct path from simple input statistics.
 */
function gridCnn(channels: number, height: number, width: number, features: number, s: CnnSettings): nn.Sequential {
  const conv: nn.Layer[] = [];
  // Small inputs are pooled only along the axes that still have room.
  const fit = (k: [number, number], h: number, w: number): [number, number] => [Math.min(k[0], h), Math.min(k[1], w)];
  const inputPool = fit(s.inputPool, height, width);
  if (inputPool[0] * inputPool[1] > 1) conv.push(new nn.AvgPool2d(inputPool));
  let cin = channels;
  let [h, w] = [Math.floor(height / inputPool[0]), Math.floor(width / inputPool[1])];
  for (const cout of s.channels) {
    conv.push(new nn.Conv2d(cin, cout, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(cout), new nn.ReLU());
    const pool = fit([2, 2], h, w);
    if (pool[0] * pool[1] > 1) conv.push(new nn.MaxPool2d(pool));
    cin = cout;
    [h, w] = [Math.floor(h / pool[0]), Math.floor(w / pool[1])];
  }
  const summary = new MapSummary([Math.min(s.grid[0], h), Math.min(s.grid[1], w)], s.poolLastAxis);
  const branches = [new nn.Sequential(...conv, summary)];
  let total = summary.width(cin, h);
  if (s.summary === "pixels") {
    branches.push(new nn.Sequential(new nn.AvgPool2d(2), new nn.Flatten()));
    total += channels * Math.floor(height / 2) * Math.floor(width / 2);
  } else if (s.summary === "band-statistics") {
    branches.push(new nn.Sequential(new BandStatistics()));
    total += 3 * height;
  }
  return new nn.Sequential(...(s.clipNormalise ? [new ClipNormalise()] : []), new Branches(...branches), new nn.Dropout(s.dropout), new nn.Linear(total, features));
}

/**
 * A CNN over images [B, 3, H, W] or log-mel spectrograms [B, 1, mels, frames]: a
 * spectrogram is read as a one-channel picture, as in the tutorial.
 */
export class CnnEncoder extends Encoder {
  protected readonly body: nn.Sequential;
  constructor(
    readonly inputName: string,
    channels: number,
    height: number,
    width: number,
    readonly features: number,
    settings: CnnSettings,
  ) {
    super();
    this.body = this.child("body", settings.kind === "tutorial" ? seedCnn(channels, height, width, features) : gridCnn(channels, height, width, features, settings));
  }
  protected input(x: BatchInput): Tensor {
    return x.values as Tensor;
  }
}

/**
 * An input that reads through another input's encoder (`share: true`): same weights, its
 * own name, missing embedding and head. It holds no parameters, so nothing is trained or
 * saved twice.
 */
export class SharedEncoder extends Encoder {
  readonly features: number;
  protected readonly body = new nn.Sequential();
  constructor(
    readonly inputName: string,
    readonly owner: Encoder,
  ) {
    super();
    this.features = owner.features;
  }
  override forward(x: BatchInput): Tensor {
    return this.owner.forward(x);
  }
  override trace(x: BatchInput): EncoderTrace {
    return { ...this.owner.trace(x), modality: this.inputName };
  }
  protected input(x: BatchInput): Tensor {
    return x.values as Tensor;
  }
}

// PANNs' Cnn14 (Kong et al., 2020) built from modalfuse's nn layers, child for child as
// PANNs lays it out, so its state dict has PANNs' names and shapes
// (`spectrogram_extractor.stft.conv_real.weight`, `logmel_extractor.melW`, `bn0.*`,
// `conv_block3.bn2.running_var`, `fc1.weight`, `fc_audioset.bias`) and a PANNs checkpoint
// loads unchanged. It reads 32 kHz waveforms. PANNs' spectrogram augmentation and mixup,
// which are training recipes rather than layers, are not part of it.
import { F, nn, noGrad, type Tensor } from "../../torch/index.js";
import { logMelDecibels, LogmelFilterBank, Spectrogram, type FrontEndSettings } from "./cnn14-front-end.js";
import type { BackboneOptions } from "./index.js";

/** Returns `next`, freeing `previous` (the input `next` was computed from) unless it is `keep`. */
function step(previous: Tensor, next: Tensor, keep?: Tensor): Tensor {
  if (previous !== next && previous !== keep) previous.dispose();
  return next;
}

/** PANNs' initialisation: Xavier-uniform weights, zero biases. */
function xavier<L extends nn.Conv2d | nn.Linear>(layer: L): L {
  const [out, fanInUnit, ...kernel] = layer.weight.shape as number[];
  const area = kernel.reduce((a, b) => a * b, 1);
  const fanIn = (fanInUnit as number) * area;
  const fanOut = (out as number) * area;
  const bound = Math.sqrt(6 / (fanIn + fanOut));
  noGrad(() => {
    layer.weight.uniform_(-bound, bound);
    layer.bias?.zero_();
  });
  return layer;
}

/** Two 3×3 convolutions without bias, each followed by batch norm and ReLU, then average pooling. */
export class ConvBlock extends nn.Layer {
  readonly conv1: nn.Conv2d;
  readonly conv2: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly bn2: nn.BatchNorm2d;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly pool: number,
  ) {
    super();
    this.conv1 = this.child("conv1", xavier(new nn.Conv2d(inChannels, outChannels, 3, { padding: 1, bias: false })));
    this.conv2 = this.child("conv2", xavier(new nn.Conv2d(outChannels, outChannels, 3, { padding: 1, bias: false })));
    this.bn1 = this.child("bn1", new nn.BatchNorm2d(outChannels));
    this.bn2 = this.child("bn2", new nn.BatchNorm2d(outChannels));
  }

  forward(x: Tensor): Tensor {
    let out = this.conv1.forward(x);
    out = step(out, this.bn1.forward(out));
    out = step(out, out.relu());
    out = step(out, this.conv2.forward(out));
    out = step(out, this.bn2.forward(out));
    out = step(out, out.relu());
    return this.pool === 1 ? out : step(out, F.avgPool2d(out, this.pool));
  }

  override describe(): string {
    return `${this.inChannels} → ${this.outChannels}${this.pool === 1 ? "" : `, avg-pool ${this.pool}`}`;
  }
}

/** `numClasses`: width of `fc_audioset`, 527 (AudioSet's classes) so PANNs' weights load as they are; `classifier: false`: no `fc_audioset`. */
export interface Cnn14Options extends BackboneOptions {
  /** false: no dropout in training mode (PANNs drops 0.2 after each block, 0.5 around fc1). */
  dropout?: boolean;
}

export interface Cnn14Outputs {
  /** [N, 2048]: fc1's ReLU output (dropped out in training mode, as PANNs does). */
  embedding: Tensor;
  /** [N, numClasses]: sigmoid of fc_audioset on the embedding before its dropout. */
  clipwise: Tensor;
}

/** The front end PANNs' released Cnn14 uses. */
const FRONT_END: FrontEndSettings = { sampleRate: 32000, nFft: 1024, hop: 320, nMels: 64, fMin: 50, fMax: 14000 };
const WIDTHS = [64, 128, 256, 512, 1024, 2048] as const;

/**
 * Cnn14: log-mel front end, bn0 over the 64 mel bins, six ConvBlocks (2×2 average pooling
 * after the first five), mean over frequency, max + mean over time, fc1 + ReLU. `features`
 * maps waveforms [N, samples] at 32 kHz to the [N, 2048] embedding; `forward` adds
 * fc_audioset and its sigmoid.
 */
export class Cnn14 extends nn.Layer {
  static readonly sampleRate = FRONT_END.sampleRate;
  static readonly features = 2048;
  /** Five 2×2 poolings need 32 frames; a centred STFT gives 1 + samples / hop of them. */
  static readonly minSamples = 31 * FRONT_END.hop;

  readonly spectrogram_extractor: Spectrogram;
  readonly logmel_extractor: LogmelFilterBank;
  readonly bn0: nn.BatchNorm2d;
  readonly blocks: readonly ConvBlock[];
  readonly fc1: nn.Linear;
  readonly fc_audioset: nn.Linear | null;
  readonly numClasses: number;
  readonly dropout: boolean;

  constructor(options: Cnn14Options = {}) {
    super();
    this.numClasses = options.numClasses ?? 527;
    this.dropout = options.dropout ?? true;
    this.spectrogram_extractor = this.child("spectrogram_extractor", new Spectrogram(FRONT_END.nFft, FRONT_END.hop));
    this.logmel_extractor = this.child("logmel_extractor", new LogmelFilterBank(FRONT_END));
    this.bn0 = this.child("bn0", new nn.BatchNorm2d(FRONT_END.nMels));
    let channels = 1;
    this.blocks = WIDTHS.map((width, i) => {
      const block = this.child(`conv_block${i + 1}`, new ConvBlock(channels, width, i === WIDTHS.length - 1 ? 1 : 2));
      channels = width;
      return block;
    });
    this.fc1 = this.child("fc1", xavier(new nn.Linear(Cnn14.features, Cnn14.features)));
    this.fc_audioset = options.classifier === false ? null : this.child("fc_audioset", xavier(new nn.Linear(Cnn14.features, this.numClasses)));
  }

  #drop(x: Tensor, p: number): Tensor {
    return this.dropout && this.training ? step(x, F.dropout(x, p, true)) : x;
  }

  /** Waveforms [N, samples] → log-mel decibels [N, 1, frames, 64], before bn0. */
  logMel(waveforms: Tensor): Tensor {
    return logMelDecibels(this.spectrogram_extractor, this.logmel_extractor, waveforms);
  }

  /** Waveforms [N, samples] → fc1's ReLU output before the final dropout, [N, 2048]. */
  #hidden(waveforms: Tensor): Tensor {
    let x = this.logMel(waveforms);
    // bn0 normalises each mel bin: the bins are moved to the channel axis and back.
    x = step(x, x.transpose(1, 3));
    x = step(x, this.bn0.forward(x));
    x = step(x, x.transpose(1, 3));
    for (const block of this.blocks) x = this.#drop(step(x, block.forward(x)), 0.2);
    x = step(x, x.mean(3));
    const { values, indices } = x.max(2);
    indices.dispose();
    const mean = x.mean(2);
    x.dispose();
    x = step(values, values.add(mean));
    mean.dispose();
    x = this.#drop(x, 0.5);
    x = step(x, this.fc1.forward(x));
    return step(x, x.relu());
  }

  /** Waveforms [N, samples] at 32 kHz → the embedding [N, 2048]: everything before fc_audioset. */
  features(waveforms: Tensor): Tensor {
    return this.#drop(this.#hidden(waveforms), 0.5);
  }

  /** Both of PANNs' outputs from one pass. */
  outputs(waveforms: Tensor): Cnn14Outputs {
    const fc = this.#classifier();
    const hidden = this.#hidden(waveforms);
    const logits = fc.forward(hidden);
    const clipwise = step(logits, logits.sigmoid());
    return { embedding: this.#drop(hidden, 0.5), clipwise };
  }

  /** Waveforms [N, samples] → AudioSet class probabilities [N, numClasses]. */
  forward(waveforms: Tensor): Tensor {
    const { embedding, clipwise } = this.outputs(waveforms);
    embedding.dispose();
    return clipwise;
  }

  #classifier(): nn.Linear {
    if (!this.fc_audioset) throw new Error("this Cnn14 was built without its classifier (classifier: false); call features()");
    return this.fc_audioset;
  }

  override describe(): string {
    return this.fc_audioset ? `${this.numClasses} classes` : "features only";
  }
}

// Presets are data: one object per preset holds every architectural and training choice
// that differs between them, so the model builder and the training loop read settings
// instead of branching on a preset's name.

export type Preset = "seed" | "standard";

/** A convolutional encoder over an image [B, 3, H, W] or a log-mel [B, 1, mels, frames]. */
export interface CnnSettings {
  /** "tutorial": two conv-ReLU-pool stages flattened into a linear layer, exactly as the tutorial. */
  kind: "tutorial" | "grid";
  /** Average-pooling applied to the input first (downsampling a long spectrogram early). */
  inputPool: [number, number];
  /** Output channels of each conv-BN-ReLU block; a 2x2 max-pool follows every block. */
  channels: number[];
  /** The final maps are averaged onto this grid and flattened, keeping where things are. */
  grid: [number, number];
  /** Also pool the final maps over the last axis (time), mean and max: position-free evidence. */
  poolLastAxis: boolean;
  /**
   * A direct path from simple statistics of the input to the features, beside the CNN:
   * "pixels" (the input, 2x2-averaged) or "band-statistics" (per-band mean, std and max
   * over time). It gives the encoder a linear model's view from the first step.
   */
  summary: "none" | "pixels" | "band-statistics";
  /** Per clip: subtract each band's mean over time and divide by the clip's spread. */
  clipNormalise: boolean;
  dropout: number;
}

export interface TabularSettings {
  kind: "tutorial" | "mlp";
  hidden: number;
  dropout: number;
}

export interface AugmentSettings {
  /** Mirror images left-right half of the time (off where orientation carries meaning, as in digits). */
  flip: boolean;
  /** Random image translation, in pixels, by reflection-free zero padding and cropping. */
  shiftPixels: number;
  /** SpecAugment-style masks: one band of up to mels/8 and one span of up to frames/10. */
  specAugment: boolean;
  /** Random circular shift of a clip in time, as a fraction of its frames. */
  timeShift: number;
}

export interface TrainingSettings {
  labelSmoothing: number;
  /** Gradient-norm clipping, or null for none. */
  clipNorm: number | null;
  /** "constant" keeps train.lr; "warmup-cosine" warms up over 5% of the planned steps, then decays. */
  schedule: "constant" | "warmup-cosine";
  /**
   * Weight of each input's own classifier loss beside the fused loss: every encoder is
   * trained as if it had to classify alone, instead of getting 1/M of a shared gradient.
   */
  inputLoss: number;
  augment: AugmentSettings;
  /** Early stopping counts epochs without a better validation accuracy (else: loss). */
  stopOn: "accuracy" | "loss";
  /**
   * Early stopping may end training only after this fraction of the planned epochs: with
   * a decaying rate the best epochs come late, and a small validation set's accuracy is
   * noisy early on.
   */
  earliestStop: number;
  /**
   * Ensemble the network with one logistic regression per input (their late fusion),
   * weighted as validation rows prefer; the weight may be 0.
   */
  linearMembers: boolean;
}

/** Text encoders: an embedding width, and the MLP (bag) or transformer over it. */
export interface TextSettings {
  embedding: number;
  hidden: number;
  /** Transformer layers and heads (the transformer encoder only). */
  layers: number;
  heads: number;
  dropout: number;
}

export interface PresetSettings {
  tabular: TabularSettings;
  text: TextSettings;
  image: CnnSettings;
  audio: CnnSettings;
  /** The shared head after concat, gated and attention fusion. */
  head: { hidden: number; dropout: [number, number] };
  /** Each input's head in late fusion (and its classifier for the input loss). */
  inputHead: { hidden: number; dropout: number };
  training: TrainingSettings;
}

const tutorialCnn: CnnSettings = { kind: "tutorial", inputPool: [1, 1], channels: [16, 32], grid: [1, 1], poolLastAxis: false, summary: "none", clipNormalise: false, dropout: 0 };

export const PRESETS: Record<Preset, PresetSettings> = {
  // The tutorial's model and training, unchanged.
  seed: {
    tabular: { kind: "tutorial", hidden: 64, dropout: 0 },
    // The tutorial had no text: the smallest encoder that reads it.
    text: { embedding: 32, hidden: 64, layers: 1, heads: 2, dropout: 0 },
    image: tutorialCnn,
    audio: tutorialCnn,
    head: { hidden: 256, dropout: [0, 0.5] },
    inputHead: { hidden: 64, dropout: 0.2 },
    training: {
      labelSmoothing: 0,
      clipNorm: null,
      schedule: "constant",
      inputLoss: 0,
      augment: { flip: false, shiftPixels: 0, specAugment: false, timeShift: 0 },
      stopOn: "loss",
      earliestStop: 0,
      linearMembers: false,
    },
  },
  standard: {
    tabular: { kind: "mlp", hidden: 128, dropout: 0.1 },
    text: { embedding: 64, hidden: 128, layers: 2, heads: 4, dropout: 0.1 },
    image: { kind: "grid", inputPool: [1, 1], channels: [16, 32, 64], grid: [4, 4], poolLastAxis: false, summary: "pixels", clipNormalise: false, dropout: 0.3 },
    audio: { kind: "grid", inputPool: [2, 2], channels: [16, 32, 64], grid: [4, 4], poolLastAxis: true, summary: "band-statistics", clipNormalise: true, dropout: 0.3 },
    head: { hidden: 128, dropout: [0.1, 0.3] },
    inputHead: { hidden: 64, dropout: 0.2 },
    training: {
      labelSmoothing: 0,
      clipNorm: 5,
      schedule: "warmup-cosine",
      inputLoss: 1,
      augment: { flip: false, shiftPixels: 2, specAugment: true, timeShift: 0 },
      stopOn: "accuracy",
      earliestStop: 0.5,
      linearMembers: true,
    },
  },
};

// Pretrained-compatible backbones by name: how to build each, which kind of input it reads
// and what that input must be for its weights (images: side and normalisation; audio: rate
// and representation), the width of its pooled features, and the name prefix of its own
// classifier, which a backbone built without one drops from the weights it loads. Adding a
// backbone is one entry here plus its module.
import type { nn, Tensor } from "../../torch/index.js";
import { Cnn14, type Cnn14Options } from "./cnn14.js";
import { EfficientNetB0 } from "./efficientnet.js";
import { MobileNetV3Small } from "./mobilenet.js";
import { ResNet18 } from "./resnet.js";

/** A classifier whose `features` stops before its final linear layer. */
export interface Backbone extends nn.Layer {
  /** The input as the kind gives it ([N, 3, H, W] images, [N, samples] waveforms) → [N, features]. */
  features(x: Tensor): Tensor;
}

export interface BackboneOptions {
  /** Width of the final layer; the pretrained one's (1000 for ImageNet, 527 for AudioSet) so its weights load as they are. */
  numClasses?: number;
  /** false: no classifier at all, for a backbone whose features feed another head. */
  classifier?: boolean;
}

interface SpecBase {
  /** A fresh model, randomly initialised as its authors initialise it; `numClasses` sizes the final layer. */
  build(options?: BackboneOptions): Backbone;
  /** Width of `features`' output. */
  features: number;
  /** Name prefix of the pretrained classifier's tensors, which a features-only backbone drops on load. */
  classifierPrefix: string;
}

export interface ImageBackboneSpec extends SpecBase {
  kind: "image";
  /** Side of the square input the pretrained weights expect. */
  inputSize: number;
  /** Per-channel (RGB) mean and standard deviation of the [0, 1] pixels the weights expect. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

export interface AudioBackboneSpec extends SpecBase {
  kind: "audio";
  /** Rate the waveforms are resampled to. */
  sampleRate: number;
  /** What the audio input hands it: waveforms, which its own front end turns into features. */
  representation: "waveform";
  /** Shortest clip, in samples, that its pooling leaves at least one frame of. */
  minSamples: number;
}

export type BackboneSpec = ImageBackboneSpec | AudioBackboneSpec;

/** torchvision's ImageNet normalisation, shared by its classification weights. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

export const BACKBONES = {
  resnet18: { kind: "image", build: (options?: BackboneOptions) => new ResNet18(options), inputSize: 224, mean: IMAGENET_MEAN, std: IMAGENET_STD, features: ResNet18.features, classifierPrefix: "fc." },
  // torchvision's names; features stop at the pooled 576, before its 1024-wide hidden layer.
  mobilenet_v3_small: { kind: "image", build: (options?: BackboneOptions) => new MobileNetV3Small(options), inputSize: 224, mean: IMAGENET_MEAN, std: IMAGENET_STD, features: MobileNetV3Small.features, classifierPrefix: "classifier." },
  // timm's names (efficientnet_b0, not tf_efficientnet_b0).
  efficientnet_b0: { kind: "image", build: (options?: BackboneOptions) => new EfficientNetB0(options), inputSize: 224, mean: IMAGENET_MEAN, std: IMAGENET_STD, features: EfficientNetB0.features, classifierPrefix: "classifier." },
  // PANNs' names; features are fc1's 2048-wide embedding, before fc_audioset.
  cnn14: { kind: "audio", build: (options?: Cnn14Options) => new Cnn14(options), sampleRate: Cnn14.sampleRate, representation: "waveform", minSamples: Cnn14.minSamples, features: Cnn14.features, classifierPrefix: "fc_audioset." },
} as const satisfies Record<string, BackboneSpec>;

export type BackboneName = keyof typeof BACKBONES;

export function backboneSpec(name: string): BackboneSpec {
  if (!Object.hasOwn(BACKBONES, name)) throw new Error(`unknown backbone "${name}"; known: ${Object.keys(BACKBONES).join(", ")}`);
  return BACKBONES[name as BackboneName];
}

export { ResNet18, BasicBlock, type ResNetOptions } from "./resnet.js";
export { MobileNetV3Small } from "./mobilenet.js";
export { EfficientNetB0 } from "./efficientnet.js";
export { Cnn14, ConvBlock, type Cnn14Options, type Cnn14Outputs } from "./cnn14.js";
export { loadTorchvisionWeights } from "./load.js";

// Pretrained-compatible image backbones by name: how to build each, and the input it was
// trained on (side length, per-channel normalisation) and the width of its pooled features.
// Adding a backbone is one entry here plus its module.
import type { nn, Tensor } from "../../torch/index.js";
import { EfficientNetB0 } from "./efficientnet.js";
import { MobileNetV3Small } from "./mobilenet.js";
import { ResNet18 } from "./resnet.js";

/** A classifier whose `features` stops before its final linear layer. */
export interface Backbone extends nn.Layer {
  /** [N, 3, H, W] normalised images → [N, features]. */
  features(x: Tensor): Tensor;
}

export interface BackboneOptions {
  /** Width of the final layer; 1000 (ImageNet) so pretrained weights load as they are. */
  numClasses?: number;
  /** false: no classifier at all, for a backbone whose features feed another head. */
  classifier?: boolean;
}

export interface BackboneSpec {
  /** A fresh model; `numClasses` sizes the final layer (1000 for ImageNet weights). */
  build(options?: BackboneOptions): Backbone;
  /** Side of the square input the pretrained weights expect. */
  inputSize: number;
  /** Per-channel (RGB) mean and standard deviation of the [0, 1] pixels the weights expect. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** Width of `features`' output. */
  features: number;
  /** Name prefix of the pretrained classifier's tensors, which a features-only backbone drops on load. */
  classifierPrefix: string;
}

/** torchvision's ImageNet normalisation, shared by its classification weights. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

export const BACKBONES = {
  resnet18: { build: (options?: BackboneOptions) => new ResNet18(options), inputSize: 224, mean: IMAGENET_MEAN, std: IMAGENET_STD, features: ResNet18.features, classifierPrefix: "fc." },
  // torchvision's names; features stop at the pooled 576, before its 1024-wide hidden layer.
  mobilenet_v3_small: { build: (options?: BackboneOptions) => new MobileNetV3Small(options), inputSize: 224, mean: IMAGENET_MEAN, std: IMAGENET_STD, features: MobileNetV3Small.features, classifierPrefix: "classifier." },
  // timm's names (efficientnet_b0, not tf_efficientnet_b0).
  efficientnet_b0: { build: (options?: BackboneOptions) => new EfficientNetB0(options), inputSize: 224, mean: IMAGENET_MEAN, std: IMAGENET_STD, features: EfficientNetB0.features, classifierPrefix: "classifier." },
} as const satisfies Record<string, BackboneSpec>;

export type BackboneName = keyof typeof BACKBONES;

export function backboneSpec(name: string): BackboneSpec {
  if (!Object.hasOwn(BACKBONES, name)) throw new Error(`unknown backbone "${name}"; known: ${Object.keys(BACKBONES).join(", ")}`);
  return BACKBONES[name as BackboneName];
}

export { ResNet18, BasicBlock, type ResNetOptions } from "./resnet.js";
export { MobileNetV3Small } from "./mobilenet.js";
export { EfficientNetB0 } from "./efficientnet.js";
export { loadTorchvisionWeights } from "./load.js";

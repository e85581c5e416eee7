// Pretrained backbones in training: their starting weights, read when training starts (a
// trained run's own model.safetensors holds them afterwards), and how each trains — left
// out of the optimizer (freeze: true), or trained at lr × lr_scale from the start
// (freeze: false) or from epoch N + 1 (freeze: N). While frozen, a backbone's parameters
// take no gradients and its batch norms keep their loaded running statistics (eval mode).
import { UserError } from "../errors.js";
import { BackboneEncoder } from "../model/backbones/encoder.js";
import { backboneSpec, loadTorchvisionWeights } from "../model/backbones/index.js";
import type { MultimodalClassifier } from "../model/classifier.js";
import type { nn, optim, Tensor } from "../torch/index.js";
import { matchWeights, readWeights } from "../weights/index.js";

/** model.encoders.<input>'s training keys, as the config gives them. */
export interface BackboneSettings {
  weights?: string | undefined;
  freeze?: boolean | number | undefined;
  lr_scale?: number | undefined;
}

/** The backbone's learning rate as a multiple of train.lr, where lr_scale is unset. */
export const DEFAULT_LR_SCALE = 0.1;

/** One backbone and its training plan. */
export interface TrainableBackbone {
  input: string;
  module: nn.Module;
  lrScale: number;
  /** Epochs it stays frozen for (Infinity: all of them; 0: none). */
  frozenEpochs: number;
}

/** The model's backbones with their settings from model.encoders. */
export function trainableBackbones(model: MultimodalClassifier, settings: Record<string, BackboneSettings>): TrainableBackbone[] {
  return model.encoders
    .filter((e): e is BackboneEncoder => e instanceof BackboneEncoder)
    .map((e) => {
      const own = Object.hasOwn(settings, e.inputName) ? settings[e.inputName] : undefined;
      const freeze = own?.freeze ?? false;
      return { input: e.inputName, module: e.backbone, lrScale: own?.lr_scale ?? DEFAULT_LR_SCALE, frozenEpochs: freeze === true ? Infinity : freeze === false ? 0 : freeze };
    });
}

/**
 * Loads each backbone's `weights` file. The pretrained classifier (the registry's
 * classifierPrefix: resnet18's `fc.*`, mobilenet_v3_small's `classifier.*`, cnn14's
 * `fc_audioset.*`) is dropped, since the backbone has none; any other difference is one
 * UserError listing them all.
 */
export async function loadBackboneWeights(model: MultimodalClassifier, settings: Record<string, BackboneSettings>): Promise<void> {
  for (const encoder of model.encoders) {
    if (!(encoder instanceof BackboneEncoder)) continue;
    const path = Object.hasOwn(settings, encoder.inputName) ? settings[encoder.inputName]?.weights : undefined;
    if (path === undefined) continue;
    const read = await readWeights(path);
    try {
      const { classifierPrefix } = backboneSpec(encoder.backboneName);
      const found = new Map([...read].filter(([name]) => !name.startsWith(classifierPrefix)));
      // Batch-norm step counters are optional: checkpoints older than PyTorch 0.4.1 lack them.
      const expected = new Map([...encoder.backbone.stateDict()].filter(([name]) => !name.endsWith(".num_batches_tracked") || found.has(name)).map(([name, t]) => [name, t.shape]));
      const mismatch = matchWeights(expected, found);
      if (mismatch !== null) throw new UserError(`${path}: not ${encoder.backboneName} weights (model.encoders.${encoder.inputName}.weights): ${mismatch}`);
      loadTorchvisionWeights(encoder.backbone, found);
    } finally {
      for (const t of read.values()) t.dispose();
    }
  }
}

/**
 * The optimizer's parameter groups: everything but the backbones at train.lr, then per
 * trained backbone its weights and, without weight decay, its 1-D parameters (biases and
 * batch-norm scales and shifts), both at lr × lr_scale from the step its training starts.
 * A backbone frozen for good is left out.
 */
export function parameterGroups(model: MultimodalClassifier, backbones: TrainableBackbone[], stepsPerEpoch: number): optim.ParamGroup[] {
  const inBackbone = new Set(backbones.flatMap((b) => b.module.parameters()));
  const groups: optim.ParamGroup[] = [{ params: model.parameters().filter((p) => !inBackbone.has(p)) }];
  for (const b of backbones) {
    if (b.frozenEpochs === Infinity) continue;
    const params = b.module.parameters();
    const shared = { lrScale: b.lrScale, startStep: b.frozenEpochs * stepsPerEpoch };
    const decayed = params.filter((p) => p.ndim > 1);
    const undecayed = params.filter((p) => p.ndim <= 1);
    if (decayed.length) groups.push({ params: decayed, ...shared });
    if (undecayed.length) groups.push({ params: undecayed, ...shared, weightDecay: 0 });
  }
  return groups;
}

/** Sets each backbone frozen or trainable for `epoch` (1-based); call after model.train(). */
export function applyFreezing(backbones: TrainableBackbone[], epoch: number): void {
  for (const b of backbones) {
    const frozen = epoch <= b.frozenEpochs;
    for (const p of b.module.parameters()) p.requiresGrad_(!frozen);
    if (frozen) b.module.eval();
  }
}

/** Every parameter the optimizer updates (gradient clipping's set). */
export function trainedParameters(groups: optim.ParamGroup[]): Tensor[] {
  return groups.flatMap((g) => g.params);
}

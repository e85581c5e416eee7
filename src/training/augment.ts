// Training-time augmentation for the standard preset, done on whole batches by the engine:
// random horizontal flips for images, and time and frequency masks for spectrograms
// (SpecAugment). Absent inputs are zeros and stay zeros.
import type { Modality } from "../config/schema.js";
import type { Batch } from "../data/dataset.js";
import { arange, rand, stack, where, type Tensor } from "../torch/index.js";

function flipHalf(image: Tensor): Tensor {
  const n = image.size(0);
  const flip = rand([n], { device: image.device }).lt(0.5).view([n, 1, 1, 1]);
  return where(flip, image.flip([3]), image);
}

/** Zeroes a random band of up to maxWidth along `dim` (2: mel bands, 3: frames), per sample. */
function maskBand(x: Tensor, dim: 2 | 3, maxWidth: number): Tensor {
  const n = x.size(0);
  const length = x.size(dim);
  const width = rand([n, 1, 1, 1], { device: x.device }).mul(maxWidth).floor();
  const start = rand([n, 1, 1, 1], { device: x.device }).mul(length - maxWidth).floor();
  const shape = dim === 2 ? [1, 1, length, 1] : [1, 1, 1, length];
  const position = arange(0, length, 1, { dtype: "float32", device: x.device }).view(shape);
  const inside = position.ge(start).logicalAnd(position.lt(start.add(width)));
  return x.maskedFill(inside, 0);
}

export function augment(batch: Batch): Batch {
  let { image, audio } = batch;
  if (image) image = flipHalf(image);
  if (audio) {
    const mels = audio.size(2);
    const frames = audio.size(3);
    audio = maskBand(maskBand(audio, 2, Math.max(1, Math.floor(mels / 8))), 3, Math.max(1, Math.floor(frames / 10)));
  }
  return { ...batch, image, audio };
}

/**
 * Modality dropout: each present modality of each row is hidden with probability p, so
 * the "missing" embeddings and the fusion learn to work without it. A row that would be
 * left with no modality keeps all it had.
 */
export function dropModalities(batch: Batch, p: number): Batch {
  const modalities = Object.keys(batch.present) as Modality[];
  if (p <= 0 || modalities.length < 2) return batch;
  const present = stack(modalities.map((m) => batch.present[m] as Tensor), 1);
  const hidden = rand(present.shape, { device: present.device }).lt(p);
  const kept = present.logicalAnd(hidden.logicalNot());
  const emptied = kept.sum(1, true).eq(0);
  const result = where(emptied, present, kept);
  return { ...batch, present: Object.fromEntries(modalities.map((m, i) => [m, result.select(1, i)])) };
}

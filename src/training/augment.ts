// Training-time augmentation, as the preset's settings ask, done on whole batches by the
// engine: random flips and shifts for images, circular time shifts and time and frequency
// masks for spectrograms (SpecAugment). Absent inputs are zeros and stay zeros.
import type { Modality } from "../config/schema.js";
import type { Batch } from "../data/dataset.js";
import type { AugmentSettings } from "../model/presets.js";
import { F, arange, cat, rand, randint, stack, tidy, where, type Tensor } from "../torch/index.js";

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

/**
 * Moves the whole batch by one random offset of up to `pixels` in each direction, filling
 * with zeros (the normalised mean). One offset per batch keeps this a single pad and crop.
 */
function shiftImage(image: Tensor, pixels: number): Tensor {
  const [h, w] = [image.size(2), image.size(3)];
  const [dy, dx] = draw(2 * pixels + 1, 2) as [number, number];
  return F.pad(image, [pixels, pixels, pixels, pixels]).narrow(2, dy, h).narrow(3, dx, w);
}

/** Rolls every clip of the batch by one random number of frames, up to `fraction` of its length. */
function shiftTime(audio: Tensor, fraction: number): Tensor {
  const frames = audio.size(3);
  const limit = Math.floor(frames * fraction);
  if (limit < 1) return audio;
  const by = (draw(2 * limit + 1, 1)[0] as number) - limit;
  const at = (by + frames) % frames;
  return at === 0 ? audio : cat([audio.narrow(3, at, frames - at), audio.narrow(3, 0, at)], 3);
}

/** `count` integers in [0, high) from the engine's generator, so train.seed decides them. */
function draw(high: number, count: number): number[] {
  return tidy(() => randint(0, high, [count]).toArray() as number[]);
}

export function augment(batch: Batch, s: AugmentSettings): Batch {
  let { image, audio } = batch;
  if (image && s.flip) image = flipHalf(image);
  if (image && s.shiftPixels > 0) image = shiftImage(image, s.shiftPixels);
  if (audio && s.timeShift > 0) audio = shiftTime(audio, s.timeShift);
  if (audio && s.specAugment) {
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

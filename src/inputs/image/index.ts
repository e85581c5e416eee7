// An image column: PNG, JPEG, GIF, WebP or TIFF files, decoded to RGB at a fixed size,
// normalised per channel with training statistics, encoded by a CNN.
import { loadImageColumn } from "../../data/workers/media-loader.js";
import type { Manifest } from "../../data/table/manifest.js";
import { CnnEncoder } from "../../model/encoders.js";
import { F, rand, randint, tensor, tidy, where, type Tensor } from "../../torch/index.js";
import { deriveSeed, Random } from "../../util/random.js";
import type { BatchInput, DatasetPart, DecodeContext, InputKind, InputParams, PerturbContext, Perturbation, Placer } from "../kind.js";
import { columnStats, decodedMedia, gatherRows, ownRows, pickRows, placeMedia, selectMedia, withoutMediaRows, zeroAbsent, type DecodedMedia, type MediaPart } from "../media.js";

export interface ImageParams extends InputParams {
  kind: "image";
  column: string;
  height: number;
  width: number;
}

export interface ImageState extends ImageParams {
  /** Per-channel mean and std of training pixels, on the 0..1 scale. */
  mean: [number, number, number];
  std: [number, number, number];
}

/** Gaussian pixel noise for robustness, standard deviation on the 0..1 scale. */
export const IMAGE_NOISE = [0.05, 0.1, 0.2, 0.4, 0.8];
/** Pictures are averaged down to at most this side for the linear member: larger ones add width, not signal. */
const PIXEL_SIDE = 32;

function flipHalf(image: Tensor): Tensor {
  const n = image.size(0);
  const flip = rand([n], { device: image.device }).lt(0.5).view([n, 1, 1, 1]);
  return where(flip, image.flip([3]), image);
}

/**
 * Moves the whole batch by one random offset of up to `pixels` in each direction, filling
 * with zeros (the normalised mean). One offset per batch keeps this a single pad and crop.
 */
function shiftImage(image: Tensor, pixels: number): Tensor {
  const [h, w] = [image.size(2), image.size(3)];
  const [dy, dx] = tidy(() => randint(0, 2 * pixels + 1, [2]).toArray() as number[]) as [number, number];
  return F.pad(image, [pixels, pixels, pixels, pixels]).narrow(2, dy, h).narrow(3, dx, w);
}

function noisyImages(part: MediaPart, sigma: number, seed: number): MediaPart {
  const random = new Random(deriveSeed(seed, 1));
  const clean = gatherRows(part.media);
  const noisy = (clean.toTypedArray() as Uint8Array).map((v) => Math.min(255, Math.max(0, Math.round(v + 255 * sigma * random.normal()))));
  const shape = clean.shape;
  clean.dispose();
  return { ...part, media: ownRows(tensor(noisy, shape, { dtype: "uint8" })) };
}

export const imageKind: InputKind<ImageParams, ImageState, DecodedMedia, MediaPart> = {
  kind: "image",
  readsFiles: true,
  columns: (p) => [p.column],
  fields: (s) => [{ column: s.column, type: "image", height: s.height, width: s.width }],
  async decode(manifest: Manifest, p: ImageParams, c: DecodeContext): Promise<DecodedMedia> {
    const cells = manifest.rows.map((r) => r[p.column] ?? null);
    const column = await loadImageColumn(
      { cells, column: p.column, dir: manifest.dir, manifest: c.manifestName, cache: c.cache, keepArray: c.keepArray, onProgress: c.onProgress },
      { height: p.height, width: p.width },
    );
    return decodedMedia(column);
  },
  fit(p, decoded, trainRows) {
    const stats = columnStats(decoded.column, trainRows, 255, true);
    const mean = (stats?.mean ?? [0.5, 0.5, 0.5]) as [number, number, number];
    const std = (stats?.std ?? [0.25, 0.25, 0.25]) as [number, number, number];
    return { ...p, mean, std };
  },
  paramsOf: (s) => ({ name: s.name, kind: "image", column: s.column, height: s.height, width: s.width }),
  select: (_s, decoded, indices) => selectMedia(decoded, indices),
  withoutRows: withoutMediaRows,
  tensors(s: ImageState, part: MediaPart, place: Placer): DatasetPart {
    const rows = placeMedia(part.media, place);
    const mean = place.own(tensor(s.mean, [1, 3, 1, 1]));
    const std = place.own(tensor(s.std, [1, 3, 1, 1]));
    return { batch: (indices, present) => ({ values: zeroAbsent(pickRows(rows, indices, place.device).float().div(255).sub(mean).div(std), present) }) };
  },
  encoder: (s, features, preset) => new CnnEncoder(s.name, 3, s.height, s.width, features, preset.image),
  simpleFeatures(x: BatchInput): Tensor {
    const image = x.values as Tensor;
    const [h, w] = [image.size(2), image.size(3)];
    return (h > PIXEL_SIDE || w > PIXEL_SIDE ? F.adaptiveAvgPool2d(image, [Math.min(h, PIXEL_SIDE), Math.min(w, PIXEL_SIDE)]) : image).flatten(1);
  },
  simpleWidth: (s) => 3 * Math.min(s.height, PIXEL_SIDE) * Math.min(s.width, PIXEL_SIDE),
  augment(x, a) {
    let image = x.values as Tensor;
    if (a.flip) image = flipHalf(image);
    if (a.shiftPixels > 0) image = shiftImage(image, a.shiftPixels);
    return { ...x, values: image };
  },
  async *perturbations(_s, part, c: PerturbContext): AsyncIterable<Perturbation<MediaPart>> {
    for (const sigma of IMAGE_NOISE) yield { condition: "noise", level: sigma, unit: "σ (0..1 pixels)", part: noisyImages(part, sigma, c.seed) };
  },
};

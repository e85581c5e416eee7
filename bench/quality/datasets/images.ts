/**
 * Pictures of handwritten digits made hard to read from their pixels: a real digit's ink,
 * tinted with a random colour on a random (sometimes graded) background, moved, scaled and
 * turned, blurred, covered in part by a block and sprinkled with noise. The random colours
 * flip which pixels are bright from picture to picture, so no fixed pixel weighting reads
 * the digit; the shape is still there for a model that learns strokes.
 */
import type { Random } from "../../../src/util/random.js";
import type { RgbImage } from "./render.js";

/** A digit's ink, 0 (paper) to 1 (ink), row-major. */
export interface InkMask {
  width: number;
  height: number;
  ink: Float32Array;
}

/** The ranges each picture draws its look from: how hard a data set makes its pictures. */
export interface DigitStyle {
  /** Side lengths of the written pictures, in pixels (modalfuse resizes them). */
  sizes: readonly number[];
  /** The mask's height as a share of the picture's side. */
  scale: readonly [number, number];
  /** Largest offset of the digit's centre, as a share of the side. */
  shift: number;
  rotateDegrees: number;
  /** Least difference in luminance between ink and paper, 0..255. */
  minContrast: number;
  /** Chance of light ink on dark paper; otherwise the ink is the darker colour. */
  inverted: number;
  /** Chance of a background graded between two colours. */
  gradient: number;
  /** Gaussian blur's sigma, in output pixels. */
  blur: readonly [number, number];
  /** Chance of an occluding block, and its sides as shares of the picture's side. */
  occluder: { chance: number; side: readonly [number, number] };
  /** Standard deviation of the per-pixel noise, in 8-bit levels. */
  noise: readonly [number, number];
}

type Rgb = readonly [number, number, number];

export function drawDigit(mask: InkMask, style: DigitStyle, rng: Random): RgbImage {
  const size = rng.pick(style.sizes);
  const { ink, paper } = inkAndPaper(style, rng);
  const paperFar = rng.chance(style.gradient) ? shadeOf(paper, rng) : paper;
  const alpha = placeInk(mask, size, style, rng);
  const sigma = rng.uniform(style.blur[0], style.blur[1]);
  const planes = paint(size, alpha, ink, paper, paperFar, rng.uniform(0, 2 * Math.PI));
  if (sigma > 0.3) for (const plane of planes) gaussianBlur(plane, size, sigma);
  if (rng.chance(style.occluder.chance)) occlude(planes, size, style.occluder.side, rng);
  return toRgb(planes, size, rng.uniform(style.noise[0], style.noise[1]), rng);
}

/** The mask resampled onto the picture: moved, scaled and turned, bilinear. */
function placeInk(mask: InkMask, size: number, style: DigitStyle, rng: Random): Float32Array {
  const pixelsPerUnit = (rng.uniform(style.scale[0], style.scale[1]) * size) / mask.height;
  const angle = (rng.uniform(-style.rotateDegrees, style.rotateDegrees) * Math.PI) / 180;
  const cx = size * (0.5 + rng.uniform(-style.shift, style.shift));
  const cy = size * (0.5 + rng.uniform(-style.shift, style.shift));
  const cos = Math.cos(angle) / pixelsPerUnit;
  const sin = Math.sin(angle) / pixelsPerUnit;
  const alpha = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const u = cos * dx + sin * dy + mask.width / 2 - 0.5;
      const v = -sin * dx + cos * dy + mask.height / 2 - 0.5;
      alpha[y * size + x] = bilinear(mask, u, v);
    }
  }
  return alpha;
}

function bilinear(mask: InkMask, u: number, v: number): number {
  const x0 = Math.floor(u);
  const y0 = Math.floor(v);
  const fx = u - x0;
  const fy = v - y0;
  const at = (x: number, y: number): number => (x < 0 || y < 0 || x >= mask.width || y >= mask.height ? 0 : mask.ink[y * mask.width + x]!);
  return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
}

/** Three float planes: the paper (graded along `direction`) under the tinted ink. */
function paint(size: number, alpha: Float32Array, ink: Rgb, paper: Rgb, paperFar: Rgb, direction: number): Float32Array[] {
  const planes = [0, 1, 2].map(() => new Float32Array(size * size));
  const ux = Math.cos(direction) / size;
  const uy = Math.sin(direction) / size;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const t = Math.min(1, Math.max(0, 0.5 + (x - size / 2) * ux + (y - size / 2) * uy));
      const a = Math.min(1, alpha[i]!);
      for (let c = 0; c < 3; c++) {
        const background = paper[c]! * (1 - t) + paperFar[c]! * t;
        planes[c]![i] = background * (1 - a) + ink[c]! * a;
      }
    }
  }
  return planes;
}

function occlude(planes: Float32Array[], size: number, side: readonly [number, number], rng: Random): void {
  const w = Math.max(1, Math.round(size * rng.uniform(side[0], side[1])));
  const h = Math.max(1, Math.round(size * rng.uniform(side[0], side[1])));
  const x0 = rng.int(0, size - w);
  const y0 = rng.int(0, size - h);
  const colour = randomColour(rng);
  for (let y = y0; y < y0 + h; y++) {
    for (let x = x0; x < x0 + w; x++) planes.forEach((plane, c) => { plane[y * size + x] = colour[c]!; });
  }
}

function toRgb(planes: Float32Array[], size: number, noise: number, rng: Random): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    for (let c = 0; c < 3; c++) data[i * 3 + c] = clampByte(planes[c]![i]! + noise * rng.normal());
  }
  return { width: size, height: size, data };
}

/** Separable Gaussian, in place, edges clamped. */
function gaussianBlur(plane: Float32Array, size: number, sigma: number): void {
  const radius = Math.ceil(2.5 * sigma);
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, k) => Math.exp(-((k - radius) ** 2) / (2 * sigma * sigma)));
  const total = kernel.reduce((sum, w) => sum + w, 0);
  const pass = (read: (line: number, at: number) => number, write: (line: number, at: number, value: number) => void): void => {
    const line = new Float32Array(size);
    for (let l = 0; l < size; l++) {
      for (let at = 0; at < size; at++) {
        let sum = 0;
        for (let k = -radius; k <= radius; k++) sum += kernel[k + radius]! * read(l, Math.min(size - 1, Math.max(0, at + k)));
        line[at] = sum / total;
      }
      for (let at = 0; at < size; at++) write(l, at, line[at]!);
    }
  };
  pass((row, x) => plane[row * size + x]!, (row, x, value) => { plane[row * size + x] = value; });
  pass((column, y) => plane[y * size + column]!, (column, y, value) => { plane[y * size + column] = value; });
}

function randomColour(rng: Random): Rgb {
  return [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)];
}

/**
 * Two random colours at least `minContrast` apart in luminance, so the digit stays visible;
 * the darker is the ink unless the picture is inverted.
 */
function inkAndPaper(style: DigitStyle, rng: Random): { ink: Rgb; paper: Rgb } {
  let [a, b] = [randomColour(rng), randomColour(rng)];
  for (let tries = 0; tries < 100 && Math.abs(luminance(a) - luminance(b)) < style.minContrast; tries++) b = randomColour(rng);
  if (Math.abs(luminance(a) - luminance(b)) < style.minContrast) [a, b] = [[20, 20, 20], [235, 235, 235]];
  const [dark, light] = luminance(a) < luminance(b) ? [a, b] : [b, a];
  return rng.chance(style.inverted) ? { ink: light, paper: dark } : { ink: dark, paper: light };
}

/** A colour near `base`: the far end of a graded background, so the grading never hides the ink. */
function shadeOf(base: Rgb, rng: Random): Rgb {
  const shade = (value: number): number => clampByte(value + rng.uniform(-60, 60));
  return [shade(base[0]), shade(base[1]), shade(base[2])];
}

function luminance([r, g, b]: Rgb): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

function clampByte(value: number): number {
  return Math.max(0, Math.min(255, Math.round(value)));
}

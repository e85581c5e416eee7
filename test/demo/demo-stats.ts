// Statistics the demo tests measure in the generated files themselves: how green a picture
// is, how tonal a recording is, and a CSV reader for the manifest.
import { readFileSync } from "node:fs";

/** Rows of a CSV without quoted cells (the demo manifest has none), keyed by header. */
export function readManifest(path: string): { header: string[]; rows: Record<string, string>[] } {
  const lines = readFileSync(path, "utf8").trimEnd().split("\n");
  const header = lines[0]!.split(",");
  const rows = lines.slice(1).map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""]));
  });
  return { header, rows };
}

/** Share of pixels of a channel-first RGB image that are clearly green (G above both R and B). */
export function greenFraction(chw: Uint8Array, pixels: number): number {
  let green = 0;
  for (let p = 0; p < pixels; p++) {
    const r = chw[p]!, g = chw[pixels + p]!, b = chw[2 * pixels + p]!;
    if (g > r + 20 && g > b + 20) green++;
  }
  return green / pixels;
}

/**
 * Tonality of a clip: the share of its 32 ms frames whose spectrum (100 Hz–4 kHz) is
 * peaky rather than flat, i.e. whose spectral flatness is under 0.1. Music holds harmonic
 * tones through every frame; talk has pauses and noisy consonants where only crowd noise
 * is heard.
 */
export function tonalFrameShare(samples: Float32Array, sampleRate: number): number {
  const size = 512;
  const hop = 256;
  const lo = Math.ceil((100 * size) / sampleRate);
  const hi = Math.floor((4000 * size) / sampleRate);
  const window = Float64Array.from({ length: size }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size));
  let frames = 0;
  let tonal = 0;
  for (let start = 0; start + size <= samples.length; start += hop) {
    const re = new Float64Array(size);
    const im = new Float64Array(size);
    for (let i = 0; i < size; i++) re[i] = samples[start + i]! * window[i]!;
    fft(re, im);
    let logSum = 0;
    let sum = 0;
    for (let k = lo; k <= hi; k++) {
      const power = re[k]! * re[k]! + im[k]! * im[k]! + 1e-12;
      logSum += Math.log(power);
      sum += power;
    }
    const bins = hi - lo + 1;
    const flatness = Math.exp(logSum / bins) / (sum / bins);
    frames++;
    if (flatness < 0.1) tonal++;
  }
  return tonal / Math.max(1, frames);
}

/** In-place radix-2 FFT; the length must be a power of two. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    const wr = Math.cos(angle), wi = Math.sin(angle);
    for (let i = 0; i < n; i += len) {
      let cr = 1, ci = 0;
      for (let j = 0; j < len / 2; j++) {
        const a = i + j, b = a + len / 2;
        const tr = re[b]! * cr - im[b]! * ci;
        const ti = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - tr; im[b] = im[a]! - ti;
        re[a]! += tr; im[a]! += ti;
        const next = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = next;
      }
    }
  }
}

export function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
}

/**
 * Best accuracy of a one-threshold rule telling `positives` from `negatives` (in either
 * direction): 1 means some threshold separates them perfectly, 0.5 means none helps.
 */
export function bestThresholdAccuracy(positives: number[], negatives: number[]): number {
  const all = [...positives.map((v) => [v, 1] as const), ...negatives.map((v) => [v, 0] as const)].sort((a, b) => a[0] - b[0]);
  let best = 0;
  let posBelow = 0, negBelow = 0;
  for (let i = 0; i <= all.length; i++) {
    // Only between two different values is there a threshold; ties fall on one side together.
    if (i === 0 || i === all.length || all[i]![0] !== all[i - 1]![0]) {
      // Rule: "positive iff value above the threshold", or the reverse.
      const above = (positives.length - posBelow + negBelow) / all.length;
      best = Math.max(best, above, 1 - above);
    }
    if (i < all.length) {
      if (all[i]![1] === 1) posBelow++; else negBelow++;
    }
  }
  return best;
}

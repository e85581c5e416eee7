// Helpers shared by the media decoder tests: where the committed fixtures live, and small
// measurements of decoded content (frequency, loudness, pixel colour).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Path of a file under test/fixtures/media/ (this file runs from dist/test/data/). */
export function mediaFixture(relative: string): string {
  return fileURLToPath(new URL(`../../../test/fixtures/media/${relative}`, import.meta.url));
}

export function mediaFixtureBytes(relative: string): Uint8Array {
  return readFileSync(mediaFixture(relative));
}

/** Root mean square of samples[start, end). */
export function rms(samples: Float32Array, start = 0, end = samples.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += samples[i]! * samples[i]!;
  return Math.sqrt(sum / Math.max(1, end - start));
}

/**
 * Strongest frequency between 50 Hz and min(Nyquist, 4 kHz), by a DFT evaluated every
 * `stepHz` (the test tones are 440 Hz and 1 kHz; stopping at 4 kHz keeps the tests quick).
 */
export function dominantFrequency(samples: Float32Array, sampleRate: number, stepHz = 5): number {
  let best = 0;
  let bestPower = -1;
  for (let f = 50; f < Math.min(sampleRate / 2, 4000); f += stepHz) {
    const w = (2 * Math.PI * f) / sampleRate;
    let re = 0, im = 0;
    for (let i = 0; i < samples.length; i++) {
      re += samples[i]! * Math.cos(w * i);
      im -= samples[i]! * Math.sin(w * i);
    }
    const power = re * re + im * im;
    if (power > bestPower) { bestPower = power; best = f; }
  }
  return best;
}

export type Rgb = [number, number, number];

/** The RGB colour at (y, x) of a channel-first image of the given size. */
export function pixelAt(chw: Uint8Array, size: { height: number; width: number }, y: number, x: number): Rgb {
  const plane = size.height * size.width;
  const at = y * size.width + x;
  return [chw[at]!, chw[plane + at]!, chw[2 * plane + at]!];
}

/** Asserts-friendly check that two colours differ by at most `tolerance` per channel. */
export function closeColour(actual: Rgb, expected: Rgb, tolerance: number): boolean {
  return actual.every((value, i) => Math.abs(value - expected[i]!) <= tolerance);
}

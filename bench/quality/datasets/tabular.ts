/**
 * Weak tabular columns for the digit data sets: statistics of the real digit's ink, blurred
 * by noise, and a category that leans only a little towards the class. Together they are
 * worth a few points over chance, as a table of incidental facts about a sample would be.
 */
import type { Random } from "../../../src/util/random.js";
import type { InkMask } from "./images.js";

export interface InkStatistics {
  /** Mean ink over the whole grid, 0..1. */
  ink: number;
  /** The inked box's width over its height. */
  aspect: number;
  /** Share of the ink in the upper half. */
  upperShare: number;
  /** Share of the ink in the left half. */
  leftShare: number;
}

export function inkStatistics(mask: InkMask): InkStatistics {
  let total = 0, upper = 0, left = 0;
  let minX = mask.width, maxX = -1, minY = mask.height, maxY = -1;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      const v = mask.ink[y * mask.width + x]!;
      total += v;
      if (y < mask.height / 2) upper += v;
      if (x < mask.width / 2) left += v;
      if (v > 0.25) {
        minX = Math.min(minX, x); maxX = Math.max(maxX, x);
        minY = Math.min(minY, y); maxY = Math.max(maxY, y);
      }
    }
  }
  return {
    ink: total / mask.ink.length,
    aspect: maxX < minX ? 1 : (maxX - minX + 1) / (maxY - minY + 1),
    upperShare: total > 0 ? upper / total : 0.5,
    leftShare: total > 0 ? left / total : 0.5,
  };
}

/** The class's own option with probability `lean`, otherwise any option. */
export function leaningChoice<T>(options: readonly T[], classIndex: number, lean: number, rng: Random): T {
  return rng.chance(lean) ? options[classIndex % options.length]! : rng.pick(options);
}

/** An empty cell now and then, so modalfuse's missing-value indicators are exercised. */
export function blankSometimes(value: number, rate: number, rng: Random): number | null {
  return rng.chance(rate) ? null : value;
}

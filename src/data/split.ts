// Labels and the train/validation/test split.
import { deriveSeed, Random } from "../util/random.js";
import { isBlank, type Cell } from "./manifest.js";

export function labelOf(cell: Cell): string | null {
  return isBlank(cell) ? null : String(cell).trim();
}

/** Classes in a stable order: numerically when every label is a number, else alphabetically. */
export function sortClasses(labels: Iterable<string>): string[] {
  const unique = [...new Set(labels)];
  const numeric = unique.every((l) => /^-?\d+(\.\d+)?$/.test(l));
  return numeric ? unique.sort((a, b) => Number(a) - Number(b)) : unique.sort();
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export interface Split {
  train: number[];
  validation: number[];
  test: number[];
}

/**
 * Splits row indices into train/validation/test. Stratified: each class is split in the
 * same proportions (every class with at least 3 rows keeps one in each part).
 */
export function splitRows(labels: string[], o: { validation: number; test: number; stratify: boolean; seed: number }): Split {
  const generator = new Random(deriveSeed(o.seed));
  const random = () => generator.next();
  const groups = new Map<string, number[]>();
  labels.forEach((l, i) => {
    const key = o.stratify ? l : "";
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const split: Split = { train: [], validation: [], test: [] };
  for (const key of [...groups.keys()].sort()) {
    const rows = shuffle(groups.get(key) ?? [], random);
    const n = rows.length;
    let nTest = Math.round(n * o.test);
    let nVal = Math.round(n * o.validation);
    if (n >= 3) {
      if (o.test > 0) nTest = Math.max(1, nTest);
      if (o.validation > 0) nVal = Math.max(1, nVal);
    }
    nTest = Math.min(nTest, Math.max(0, n - 1));
    nVal = Math.min(nVal, Math.max(0, n - 1 - nTest));
    split.test.push(...rows.slice(0, nTest));
    split.validation.push(...rows.slice(nTest, nTest + nVal));
    split.train.push(...rows.slice(nTest + nVal));
  }
  for (const part of [split.train, split.validation, split.test]) part.sort((a, b) => a - b);
  return split;
}

// Labels and the train/validation/test split.
import { deriveSeed, Random } from "../../util/random.js";
import { isBlank, type Cell } from "./manifest.js";

const NUMBER_LABEL = /^[-+]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * A cell's class, or null when empty. With `numeric` (every label of the data is a number)
 * a number is written canonically, so "1", "1.0" and 1 are one class.
 */
export function labelOf(cell: Cell, numeric = false): string | null {
  if (isBlank(cell)) return null;
  const text = String(cell).trim();
  return numeric && NUMBER_LABEL.test(text) ? String(Number(text)) : text;
}

/** Whether every non-empty label is a number, so that labels are read as numbers. */
export function numericLabels(cells: Iterable<Cell>): boolean {
  let any = false;
  for (const cell of cells) {
    if (isBlank(cell)) continue;
    if (!NUMBER_LABEL.test(String(cell).trim())) return false;
    any = true;
  }
  return any;
}

/** Whether a trained run's classes are canonical numbers, so that new labels are read as numbers. */
export function numericClasses(classes: string[]): boolean {
  return classes.every((c) => NUMBER_LABEL.test(c) && String(Number(c)) === c);
}

/** Classes in a stable order: numerically when every label is a number, else alphabetically. */
export function sortClasses(labels: Iterable<string>): string[] {
  const unique = [...new Set(labels)];
  const numeric = unique.every((l) => NUMBER_LABEL.test(l));
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

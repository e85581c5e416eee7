// Tabular columns: numeric values scaled with statistics of the training rows, each with
// a missing indicator; categorical values indexed by a vocabulary of the training rows.
import { isBlank, type Cell, type Row } from "./manifest.js";

export interface NumericStats {
  column: string;
  mean: number;
  std: number;
}

export interface CategoricalVocab {
  column: string;
  /** Index 0 means missing, 1 means a value not seen in training; values start at 2. */
  values: string[];
}

export interface TabularStats {
  numeric: NumericStats[];
  categorical: CategoricalVocab[];
}

export const MISSING_INDEX = 0;
export const UNKNOWN_INDEX = 1;

/** A number, or null when the cell is empty, not a number, or infinite (the data rules). */
export function parseNumber(cell: Cell): number | null {
  if (isBlank(cell)) return null;
  const v = typeof cell === "number" ? cell : typeof cell === "boolean" ? Number(cell) : Number(String(cell).trim());
  return Number.isFinite(v) ? v : null;
}

export function categoryOf(cell: Cell): string | null {
  return isBlank(cell) ? null : String(cell).trim();
}

export function fitTabular(rows: Row[], numeric: string[], categorical: string[]): TabularStats {
  return {
    numeric: numeric.map((column) => {
      const values = rows.map((r) => parseNumber(r[column] ?? null)).filter((v): v is number => v !== null);
      const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
      const variance = values.length ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length : 0;
      // A constant or empty column is centred but not scaled, rather than divided by zero.
      return { column, mean, std: variance > 1e-24 ? Math.sqrt(variance) : 1 };
    }),
    categorical: categorical.map((column) => {
      const seen = new Set<string>();
      for (const r of rows) {
        const v = categoryOf(r[column] ?? null);
        if (v !== null) seen.add(v);
      }
      return { column, values: [...seen].sort() };
    }),
  };
}

/** Width of the numeric block: a scaled value and a missing indicator per column. */
export function numericWidth(stats: TabularStats): number {
  return 2 * stats.numeric.length;
}

/** Vocabulary sizes, including the missing and unknown slots. */
export function categoricalSizes(stats: TabularStats): number[] {
  return stats.categorical.map((c) => c.values.length + 2);
}

export interface TabularArrays {
  /** [rows, 2 × numeric]: scaled value (0 when missing), then 1 when missing else 0. */
  numeric: Float32Array;
  /** [rows, categorical] vocabulary indices. */
  categorical: BigInt64Array;
  /** Per row: true when at least one tabular value is present. */
  present: boolean[];
}

export function transformTabular(rows: Row[], stats: TabularStats): TabularArrays {
  const nNum = stats.numeric.length;
  const nCat = stats.categorical.length;
  const numeric = new Float32Array(rows.length * 2 * nNum);
  const categorical = new BigInt64Array(rows.length * nCat);
  const present = new Array<boolean>(rows.length).fill(false);
  const lookups = stats.categorical.map((c) => new Map(c.values.map((v, i) => [v, BigInt(i + 2)])));
  rows.forEach((row, r) => {
    stats.numeric.forEach((s, j) => {
      const v = parseNumber(row[s.column] ?? null);
      const at = r * 2 * nNum + 2 * j;
      if (v === null) {
        numeric[at + 1] = 1;
      } else {
        numeric[at] = (v - s.mean) / s.std;
        present[r] = true;
      }
    });
    stats.categorical.forEach((c, j) => {
      const v = categoryOf(row[c.column] ?? null);
      if (v !== null) present[r] = true;
      categorical[r * nCat + j] = v === null ? BigInt(MISSING_INDEX) : (lookups[j]?.get(v) ?? BigInt(UNKNOWN_INDEX));
    });
  });
  return { numeric, categorical, present };
}

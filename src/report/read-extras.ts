// Typed rows from the optional compare.csv and robustness.csv. The pictures need numbers, so a
// malformed file stops the report here with the file, row and column named — not later as a
// NaN deep inside a renderer.
import type { CompareRow, CsvTable, RobustnessRow } from "./types.js";

export const COMPARE_COLUMNS = ["modalities", "fusion", "seed", "accuracy", "macro_f1"] as const;
export const ROBUSTNESS_COLUMNS = ["condition", "modality", "level", "accuracy"] as const;

/** Column name → index, after checking every required column is there. */
function columnIndex<C extends string>(name: string, table: CsvTable, required: readonly C[]): Record<C, number> {
  const header = table.columns.map((c) => c.trim());
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length) throw new Error(`${name} lacks columns: ${missing.join(", ")} (it has: ${header.join(", ") || "nothing"})`);
  if (table.rows.length === 0) throw new Error(`${name} has no rows`);
  return Object.fromEntries(required.map((c) => [c, header.indexOf(c)])) as Record<C, number>;
}

/** Reads cells of one CSV row by column name, with errors that point at the row (1 = header). */
class RowReader {
  constructor(
    private readonly file: string,
    private readonly cells: string[],
    private readonly line: number,
  ) {}

  fail(problem: string): never {
    throw new Error(`${this.file} row ${this.line}: ${problem}`);
  }

  text(column: string, index: number): string {
    const cell = (this.cells[index] ?? "").trim();
    if (cell === "") this.fail(`${column} is empty`);
    return cell;
  }

  number(column: string, index: number): number {
    const cell = this.text(column, index);
    const v = Number(cell);
    if (!Number.isFinite(v)) this.fail(`${column} is not a number: ${JSON.stringify(cell)}`);
    return v;
  }

  /** A score in [0, 1]; a percentage (66.0) is refused rather than drawn off the chart. */
  score(column: string, index: number): number {
    const v = this.number(column, index);
    if (v < 0 || v > 1) this.fail(`${column} must be between 0 and 1, got ${v}`);
    return v;
  }
}

/** Joins modality names the way the compare command does (sorted), so "image+audio" and "audio+image" are one subset. */
export function modalityKey(modalities: string): string {
  return modalities
    .split("+")
    .map((m) => m.trim())
    .filter(Boolean)
    .sort()
    .join("+");
}

export function compareRows(table: CsvTable, file = "compare.csv"): CompareRow[] {
  const col = columnIndex(file, table, COMPARE_COLUMNS);
  return table.rows.map((cells, r) => {
    const row = new RowReader(file, cells, r + 2);
    const modalities = modalityKey(row.text("modalities", col.modalities));
    if (!modalities) row.fail(`modalities names no modality`);
    return {
      modalities,
      fusion: row.text("fusion", col.fusion),
      seed: row.text("seed", col.seed),
      accuracy: row.score("accuracy", col.accuracy),
      macro_f1: row.score("macro_f1", col.macro_f1),
    };
  });
}

/** Conditions whose level is the x axis of a line; the others have no meaningful level. */
const LEVELLED = new Set(["noise", "columns_dropped", "words_dropped", "typos"]);

export function robustnessRows(table: CsvTable, file = "robustness.csv"): RobustnessRow[] {
  const col = columnIndex(file, table, ROBUSTNESS_COLUMNS);
  // The unit and manifest columns are optional; older files lack them, and the picture then
  // guesses units per modality and names no manifest.
  const unitCol = table.columns.map((c) => c.trim()).indexOf("unit");
  const manifestCol = table.columns.map((c) => c.trim()).indexOf("manifest");
  return table.rows.map((cells, r) => {
    const row = new RowReader(file, cells, r + 2);
    const condition = row.text("condition", col.condition);
    const modality = condition === "drop" ? modalityKey(row.text("modality", col.modality)) : row.text("modality", col.modality);
    const levelCell = (cells[col.level] ?? "").trim();
    const level = LEVELLED.has(condition) || levelCell !== "" ? row.number("level", col.level) : Number.NaN;
    const unit = unitCol >= 0 ? (cells[unitCol] ?? "").trim() || undefined : undefined;
    const manifest = manifestCol >= 0 ? (cells[manifestCol] ?? "").trim() || undefined : undefined;
    return { condition, modality, level, accuracy: row.score("accuracy", col.accuracy), unit, manifest };
  });
}

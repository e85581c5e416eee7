// Reads what the report shows from a run directory — and nothing else: the report never
// touches the model or the data, so it can be rebuilt from a copied run folder.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { z } from "zod";
import { compareRows, robustnessRows } from "./read-extras.js";
import { HISTORY_COLUMNS } from "../run-format.js";
import type { Architecture, CompareRow, CsvTable, HistoryRow, Metrics, RobustnessRow } from "./types.js";

export { HISTORY_COLUMNS };

/** Optional tables (and pictures) added by other commands; shown when present. */
export const EXTRA_SECTIONS = ["compare", "robustness"] as const;
export type ExtraName = (typeof EXTRA_SECTIONS)[number];

export interface ExtraSection {
  name: ExtraName;
  table: CsvTable | undefined;
  png: Buffer | undefined;
}

export interface RunData {
  dir: string;
  history: HistoryRow[];
  metrics: Metrics;
  /** Absent when the trainer wrote no architecture.json; the picture then says so. */
  architecture: Architecture | undefined;
  /** Absent when there is no data_issues.csv at all. */
  dataIssues: CsvTable | undefined;
  config: string | undefined;
  extras: ExtraSection[];
  /** compare.csv as rows, when present; the report draws compare.png from it. */
  compare: CompareRow[] | undefined;
  /** robustness.csv as rows, when present; the report draws robustness.png from it. */
  robustness: RobustnessRow[] | undefined;
}

// JSON cannot hold NaN, so the trainer writes null for an undefined score (a class never predicted).
const score = z.number().nullable().transform((v) => v ?? Number.NaN);
const count = z.number().int().nonnegative();

const splitSchema = z.looseObject({
  accuracy: score,
  macro_f1: score,
  loss: score.optional(),
  per_class: z.record(z.string(), z.looseObject({ precision: score, recall: score, f1: score, support: count })),
  confusion: z.array(z.array(count)),
});

const baselineScores = z.looseObject({ validation: z.number().nullable(), test: z.number().nullable() });
const baselinesSchema = z.looseObject({ inputs: z.record(z.string(), baselineScores), late_fusion: baselineScores, seconds: z.number().optional() });

const metricsSchema = z.looseObject({
  classes: z.array(z.string()).min(1),
  test: splitSchema,
  validation: splitSchema,
  data_issues: count,
  label: z.string().optional(),
  rows: z.record(z.string(), z.number()).optional(),
  epochs_run: z.number().optional(),
  best_epoch: z.number().optional(),
  train_seconds: z.number().optional(),
  preset: z.string().optional(),
  fusion: z.string().optional(),
  device: z.string().optional(),
  baselines: baselinesSchema.optional(),
  missing: z.record(z.string(), z.record(z.string(), count)).optional(),
});

const shape = z.array(z.union([z.number(), z.string()]));
const layer = z.looseObject({ name: z.string(), detail: z.string().optional(), output: shape.optional() });
const architectureSchema = z.looseObject({
  preset: z.string().optional(),
  parameters: z.number().optional(),
  encoders: z.array(
    z.looseObject({
      modality: z.string(),
      input: shape.optional(),
      layers: z.array(layer),
      output: shape.optional(),
      missing: z.string().optional(),
    }),
  ),
  fusion: layer,
  head: z.looseObject({ layers: z.array(layer), output: shape.optional() }),
});

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** A file's modification time in nanoseconds, or undefined when it is absent. */
async function modifiedAt(path: string): Promise<bigint | undefined> {
  try {
    return (await stat(path, { bigint: true })).mtimeNs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/**
 * Whether an extra's file was written for the model now in the directory. compare and
 * `evaluate --robustness` write theirs after model.safetensors; one older than it measured
 * a model that training has since replaced, and the report leaves it out without a word.
 * Without model.safetensors (a report rebuilt from a partial copy) nothing can be told, and
 * the file is shown.
 */
async function fromCurrentModel(dir: string, file: string): Promise<boolean> {
  const model = await modifiedAt(join(dir, "model.safetensors"));
  const written = await modifiedAt(join(dir, file));
  return model === undefined || written === undefined || written >= model;
}

async function readRequired(dir: string, name: string): Promise<Buffer> {
  const bytes = await readOptional(join(dir, name));
  if (!bytes) throw new Error(`${name} not found in run directory ${dir}`);
  return bytes;
}

function parseJson<T>(name: string, bytes: Buffer, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw new Error(`${name} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`${name} is malformed: ${z.prettifyError(parsed.error).replace(/\n+/g, "; ")}`);
  return parsed.data;
}

export function parseCsv(name: string, bytes: Buffer): CsvTable {
  let records: string[][];
  try {
    records = parse(bytes, { bom: true, skip_empty_lines: true, relax_column_count: true });
  } catch (e) {
    throw new Error(`${name} is not valid CSV: ${(e as Error).message}`);
  }
  const [columns = [], ...rows] = records;
  return { columns, rows };
}

export function parseHistory(bytes: Buffer): HistoryRow[] {
  const table = parseCsv("history.csv", bytes);
  const index = HISTORY_COLUMNS.map((c) => table.columns.indexOf(c));
  const missing = HISTORY_COLUMNS.filter((_, i) => index[i] === -1);
  if (missing.length) throw new Error(`history.csv lacks columns: ${missing.join(", ")}`);
  if (table.rows.length === 0) throw new Error("history.csv has no epochs");
  return table.rows.map((cells, r) => {
    const values = index.map((i, k) => {
      const cell = (cells[i] ?? "").trim();
      // An empty cell is a value the trainer did not have (no validation split): NaN, not 0.
      const v = cell === "" ? Number.NaN : Number(cell);
      if (Number.isNaN(v) && cell !== "" && cell.toLowerCase() !== "nan") {
        throw new Error(`history.csv row ${r + 2}: ${HISTORY_COLUMNS[k]} is not a number: ${JSON.stringify(cell)}`);
      }
      return v;
    });
    const [epoch, train_loss, train_accuracy, val_loss, val_accuracy, lr, seconds] = values as [number, number, number, number, number, number, number];
    return { epoch, train_loss, train_accuracy, val_loss, val_accuracy, lr, seconds };
  });
}

export function parseMetrics(bytes: Buffer): Metrics {
  const m: Metrics = parseJson("metrics.json", bytes, metricsSchema);
  const n = m.classes.length;
  for (const split of ["test", "validation"] as const) {
    const c = m[split].confusion;
    if (c.length !== n || c.some((row) => row.length !== n)) {
      throw new Error(`metrics.json ${split}.confusion must be ${n} × ${n} (one row and column per class)`);
    }
  }
  return m;
}

export function parseArchitecture(bytes: Buffer): Architecture {
  return parseJson("architecture.json", bytes, architectureSchema);
}

export function parseCompare(bytes: Buffer): CompareRow[] {
  return compareRows(parseCsv("compare.csv", bytes), "compare.csv");
}

export function parseRobustness(bytes: Buffer): RobustnessRow[] {
  return robustnessRows(parseCsv("robustness.csv", bytes), "robustness.csv");
}

export async function readRun(dir: string): Promise<RunData> {
  const history = parseHistory(await readRequired(dir, "history.csv"));
  const metrics = parseMetrics(await readRequired(dir, "metrics.json"));
  const archBytes = await readOptional(join(dir, "architecture.json"));
  const issuesBytes = await readOptional(join(dir, "data_issues.csv"));
  const configBytes = await readOptional(join(dir, "config.yaml"));
  const extras: ExtraSection[] = [];
  for (const name of EXTRA_SECTIONS) {
    const csv = await readOptional(join(dir, `${name}.csv`));
    const png = await readOptional(join(dir, `${name}.png`));
    if (!csv && !png) continue;
    // The picture is drawn from the CSV, so the CSV's age decides; a picture alone decides by its own.
    if (!(await fromCurrentModel(dir, csv ? `${name}.csv` : `${name}.png`))) continue;
    extras.push({ name, table: csv ? parseCsv(`${name}.csv`, csv) : undefined, png });
  }
  // Checked here, before any file is written, so a malformed CSV leaves the directory as it was.
  const tableOf = (name: ExtraName) => extras.find((e) => e.name === name)?.table;
  const compareTable = tableOf("compare");
  const robustnessTable = tableOf("robustness");
  return {
    dir,
    history,
    metrics,
    architecture: archBytes ? parseArchitecture(archBytes) : undefined,
    dataIssues: issuesBytes ? parseCsv("data_issues.csv", issuesBytes) : undefined,
    config: configBytes?.toString("utf8"),
    extras,
    compare: compareTable ? compareRows(compareTable, "compare.csv") : undefined,
    robustness: robustnessTable ? robustnessRows(robustnessTable, "robustness.csv") : undefined,
  };
}

// Manifests: CSV or Parquet tables whose rows become plain records. Cells are kept as
// written (strings, numbers, or null for empty); later stages decide what they mean.
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, extname } from "node:path";
import { parse } from "csv-parse/sync";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { UserError } from "../../errors.js";

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

export interface Manifest {
  path: string;
  /** Media paths in the manifest are relative to this folder. */
  dir: string;
  columns: string[];
  rows: Row[];
  /** Columns holding nested values (Parquet lists or records), kept as JSON text. */
  nested?: string[];
}

export async function readManifest(path: string): Promise<Manifest> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UserError(`${path}: not a file`);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`${path}: manifest not found`);
  }
  const isParquet = extname(path).toLowerCase() === ".parquet";
  const { columns, rows, nested } = isParquet ? await readParquet(path) : { ...(await readCsv(path)), nested: [] };
  if (rows.length === 0) throw new UserError(`${path}: the manifest has no rows`);
  return { path, dir: dirname(path), columns, rows, nested };
}

async function readCsv(path: string): Promise<{ columns: string[]; rows: Row[] }> {
  const text = await readFile(path, "utf8");
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (error) {
    const e = error as { message: string; lines?: number };
    throw new UserError(`${basename(path)}: not a readable CSV (${e.message.split("\n")[0]})`);
  }
  const [header, ...body] = records;
  if (!header || header.length === 0) throw new UserError(`${path}: the CSV has no header row`);
  const columns = header.map((h) => h.trim());
  const duplicate = columns.find((c, i) => columns.indexOf(c) !== i);
  if (duplicate !== undefined) throw new UserError(`${path}: column ${duplicate} appears twice`);
  const rows = body.map((record) => {
    const row: Row = {};
    columns.forEach((c, i) => {
      const v = record[i] ?? "";
      row[c] = v.trim() === "" ? null : v;
    });
    return row;
  });
  return { columns, rows };
}

async function readParquet(path: string): Promise<{ columns: string[]; rows: Row[]; nested: string[] }> {
  try {
    const file = await asyncBufferFromFile(path);
    const metadata = await parquetMetadataAsync(file);
    const columns = metadata.schema.slice(1).map((s) => s.name);
    const objects = (await parquetReadObjects({ file, metadata })) as Record<string, unknown>[];
    const nested = new Set<string>();
    const rows = objects.map((o) => {
      const row: Row = {};
      for (const c of columns) {
        const v = o[c];
        if (isNested(v)) nested.add(c);
        row[c] = isNested(v) ? JSON.stringify(v, (_, x: unknown) => (typeof x === "bigint" ? Number(x) : x)) : toCell(v);
      }
      return row;
    });
    return { columns, rows, nested: [...nested] };
  } catch (error) {
    throw new UserError(`${basename(path)}: not a readable Parquet file (${(error as Error).message.split("\n")[0]})`);
  }
}

/** A list or record value (not a date or bytes, which have a plain text form). */
function isNested(v: unknown): boolean {
  return typeof v === "object" && v !== null && !(v instanceof Date) && !(v instanceof Uint8Array);
}

function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number" || typeof v === "boolean") return v;
  if (v instanceof Date) return v.toISOString();
  const s = String(v);
  return s.trim() === "" ? null : s;
}

/** Fails with a one-line error naming the manifest and every configured column it lacks. */
export function requireColumns(manifest: Manifest, wanted: Iterable<string>, what = "column"): void {
  const have = new Set(manifest.columns);
  const missing = [...new Set(wanted)].filter((c) => !have.has(c));
  if (missing.length) {
    throw new UserError(`${manifest.path}: no ${what}${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (it has: ${manifest.columns.join(", ")})`);
  }
}

/** An empty, NaN-like or whitespace cell means "no value". */
export function isBlank(cell: Cell): boolean {
  if (cell === null) return true;
  if (typeof cell === "number") return Number.isNaN(cell);
  if (typeof cell === "string") {
    const t = cell.trim().toLowerCase();
    return t === "" || t === "nan" || t === "null" || t === "none" || t === "na" || t === "n/a";
  }
  return false;
}

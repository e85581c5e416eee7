// Requests to rows: a JSON body (one row object, or {"rows": [...]}, media as base64) or a
// multipart form keyed by column (one row; or a `csv` file part for many rows, whose media
// cells name files uploaded beside it). Media arrive only as bytes — never as a path on the
// server — and are written into a folder of the request's own, removed when it is answered.
// Every problem is a RequestError naming the field.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Readable } from "node:stream";
import { parse } from "csv-parse/sync";
import { sniffAudioFormat } from "../data/audio/audio-container.js";
import { sniffImageFormat } from "../data/image/image-format.js";
import type { Cell, Row } from "../data/table/manifest.js";
import type { InputField } from "../inputs/kind.js";

export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface RowSchema {
  /** Every field the model reads, by column. */
  fields: Map<string, InputField>;
  id: string | null;
  label: string;
  maxRows: number;
  /** All of a form's files together, in bytes (each file has its own limit too). */
  maxFormBytes: number;
}

/** A request's rows, and the folder holding its uploaded files. */
export class RequestRows {
  private folder: string | null = null;
  rows: Row[] = [];

  /** Writes an upload into the request's folder and returns its path. */
  async store(bytes: Uint8Array, field: InputField, name: string): Promise<string> {
    this.folder ??= await mkdtemp(join(tmpdir(), "modalfuse-serve-"));
    const path = join(this.folder, `${name}.${mediaExtension(bytes, field)}`);
    await writeFile(path, bytes);
    return path;
  }

  async dispose(): Promise<void> {
    if (this.folder) await rm(this.folder, { recursive: true, force: true });
  }
}

/** The extension for an upload: its format, sniffed; an unsupported one is 415. */
function mediaExtension(bytes: Uint8Array, field: InputField): string {
  if (field.type === "image") {
    const format = sniffImageFormat(bytes);
    if (!format) throw new RequestError(415, `${field.column}: not a PNG, JPEG, GIF, WebP or TIFF image`, field.column);
    return format;
  }
  const format = sniffAudioFormat(bytes);
  if (!format) throw new RequestError(415, `${field.column}: not WAV, FLAC, Ogg or MP3 audio`, field.column);
  return format;
}

const isMedia = (f: InputField) => f.type === "image" || f.type === "audio";

/** A non-file value of one field, checked; null is missing. */
function cellOf(field: InputField, value: unknown, where: string): Cell {
  if (value === null || value === undefined || value === "") return null;
  if (field.type === "number") {
    const n = typeof value === "number" ? value : typeof value === "string" ? Number(value.trim()) : NaN;
    if (!Number.isFinite(n)) throw new RequestError(400, `${where}: not a number (${JSON.stringify(value).slice(0, 40)})`, field.column);
    return n;
  }
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new RequestError(400, `${where}: expected a ${field.type === "text" ? "text" : "value"}, not ${Array.isArray(value) ? "a list" : typeof value}`, field.column);
}

/** Checks a row's keys: a field of the model, its id or its label (ignored); anything else is 400. */
function checkKey(schema: RowSchema, key: string, where: string): InputField | "id" | "ignored" {
  const field = schema.fields.get(key);
  if (field) return field;
  if (key === schema.id) return "id";
  if (key === schema.label) return "ignored";
  throw new RequestError(400, `${where}: unknown field ${key} (this model reads ${[...schema.fields.keys()].join(", ")})`, key);
}

/** Every column the model reads (and its id), missing where the request left it out. */
function completeRow(schema: RowSchema, row: Row): Row {
  for (const column of [...schema.fields.keys(), ...(schema.id ? [schema.id] : [])]) if (!(column in row)) row[column] = null;
  return row;
}

function checkCount(schema: RowSchema, n: number): void {
  if (n === 0) throw new RequestError(400, "no rows in the request", "rows");
  if (n > schema.maxRows) throw new RequestError(413, `${n} rows in one request; at most ${schema.maxRows}`, "rows");
}

const BASE64 = /^(?:data:[\w.+-]+\/[\w.+-]+;base64,)?([A-Za-z0-9+/=\s]*)$/;

/** Rows from a JSON body: a row object, or {"rows": [row, ...]}; media as base64 (or a data: URL). */
export async function rowsFromJson(body: unknown, schema: RowSchema, into: RequestRows): Promise<void> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new RequestError(400, 'the body must be a JSON object: one row, or {"rows": [...]}', "body");
  const many = Object.hasOwn(body, "rows");
  const list = many ? (body as { rows: unknown }).rows : [body];
  if (!Array.isArray(list)) throw new RequestError(400, "rows: must be a list of row objects", "rows");
  checkCount(schema, list.length);
  for (const [i, value] of list.entries()) {
    const where = (key: string) => (many ? `rows[${i}].${key}` : key);
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new RequestError(400, `rows[${i}]: must be an object of fields`, "rows");
    const row: Row = Object.create(null) as Row;
    for (const [key, cell] of Object.entries(value)) {
      const role = checkKey(schema, key, where(key));
      if (role === "ignored") continue;
      if (role === "id") row[key] = cell === null || cell === undefined ? null : String(cell);
      else if (isMedia(role)) {
        if (cell === null || cell === "") row[key] = null;
        else {
          const match = typeof cell === "string" ? BASE64.exec(cell) : null;
          if (!match) throw new RequestError(400, `${where(key)}: send the file's bytes as base64 (or a data: URL), not a path or a URL`, key);
          row[key] = await into.store(Buffer.from(match[1] as string, "base64"), role, `${i}-${safe(key)}`);
        }
      } else row[key] = cellOf(role, cell, where(key));
    }
    into.rows.push(completeRow(schema, row));
  }
}

/** One part of a multipart form, as @fastify/multipart yields it. */
export type FormPart = { type: "field"; fieldname: string; value: unknown } | { type: "file"; fieldname: string; filename: string; file: Readable };

/**
 * Rows from a multipart form: fields and files keyed by column make one row; a `csv` file
 * makes many, its media cells naming files uploaded in the same form (by file name).
 */
export async function rowsFromForm(parts: AsyncIterable<FormPart>, schema: RowSchema, into: RequestRows): Promise<void> {
  const single: Row = Object.create(null) as Row;
  let csv: string | null = null;
  const byField = new Map<string, Buffer>();
  const byName = new Map<string, Buffer>();
  let total = 0;
  for await (const part of parts) {
    if (part.type === "file") {
      const bytes = await readAll(part.file);
      total += bytes.length;
      if (total > schema.maxFormBytes) throw new RequestError(413, `the files of one request exceed ${Math.round(schema.maxFormBytes / 2 ** 20)} MB`, part.fieldname);
      if (part.fieldname === "csv") csv = bytes.toString("utf8");
      else {
        byField.set(part.fieldname, bytes);
        byName.set(basename(part.filename), bytes);
      }
      continue;
    }
    const role = checkKey(schema, part.fieldname, part.fieldname);
    if (role === "ignored") continue;
    if (role !== "id" && isMedia(role)) {
      if (part.value === "" || part.value === undefined) single[part.fieldname] = null;
      else throw new RequestError(400, `${part.fieldname}: send the file itself, not a path or a URL`, part.fieldname);
    } else single[part.fieldname] = role === "id" ? String(part.value) : cellOf(role, part.value, part.fieldname);
  }
  if (csv !== null) return rowsFromCsv(csv, byName, schema, into);
  for (const [key, bytes] of byField) {
    const role = checkKey(schema, key, key);
    if (role === "id" || role === "ignored" || !isMedia(role)) throw new RequestError(400, `${key}: a file was sent for a field that is not an image or audio`, key);
    single[key] = bytes.length === 0 ? null : await into.store(bytes, role, `0-${safe(key)}`);
  }
  checkCount(schema, 1);
  into.rows.push(completeRow(schema, single));
}

async function rowsFromCsv(text: string, uploads: Map<string, Buffer>, schema: RowSchema, into: RequestRows): Promise<void> {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
  } catch (error) {
    throw new RequestError(400, `csv: ${(error as Error).message.split("\n")[0]}`, "csv");
  }
  checkCount(schema, records.length);
  for (const [i, record] of records.entries()) {
    const row: Row = Object.create(null) as Row;
    for (const [key, value] of Object.entries(record)) {
      const where = `csv row ${i + 1}, column ${key}`;
      const role = schema.fields.has(key) || key === schema.id ? checkKey(schema, key, where) : "ignored";
      if (role === "ignored") continue;
      if (role === "id") row[key] = value === "" ? null : value;
      else if (isMedia(role)) {
        if (value.trim() === "") row[key] = null;
        else {
          const upload = uploads.get(basename(value.trim()));
          if (!upload) throw new RequestError(400, `${where}: ${value} was not uploaded with the CSV`, key);
          row[key] = await into.store(upload, role, `${i}-${safe(key)}`);
        }
      } else row[key] = cellOf(role, value, where);
    }
    into.rows.push(completeRow(schema, row));
  }
}

const safe = (name: string) => name.replace(/[^\w.-]/g, "_").slice(0, 40);

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// A decoded media column: one array holding every manifest row ([rows, ...rowShape]; uint8
// images, float16 log-mels, float32 waveforms), and which rows were present or failed. With a cache, the array
// is a file under <cache>/arrays that the engine memory-maps, so the data set lives in the
// page cache rather than in the process's private memory, and a later run with the same
// files and parameters maps it again without decoding anything. Without a cache it is built
// in memory.
//
// An array file is written under a temporary name and renamed, its metadata (row status,
// CRC-32 of the data) last: an array without metadata, or whose size or CRC disagree with
// it, is removed and rebuilt, never trusted.
import { createHash } from "node:crypto";
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { crc32 } from "node:zlib";
import { bytesPerElement, mapFile, tensor, type Tensor } from "../../torch/index.js";
import { temporaryName } from "../../util/temporary-name.js";

export type MediaDType = "uint8" | "float16" | "float32";

/** What a column array holds: the decoder and its parameters, the element type, one row's shape. */
export interface ColumnSpec {
  kind: string;
  params: unknown;
  dtype: MediaDType;
  rowShape: number[];
}

export interface RowFailure {
  row: number;
  problem: string;
  /** "missing": the file does not exist; "bad": it exists but cannot be decoded. */
  kind: "missing" | "bad";
}

export interface RowStatus {
  present: boolean[];
  failures: RowFailure[];
}

/** A column's rows as one engine tensor [rows, ...rowShape] (mapped or in memory), with their status. */
export interface MediaArray {
  tensor: Tensor;
  rowShape: number[];
  status: RowStatus;
}

const FORMAT = 1;

export function rowBytes(spec: ColumnSpec): number {
  return spec.rowShape.reduce((a, b) => a * b, 1) * bytesPerElement(spec.dtype);
}

/** Where decoded rows go while a column is built. Rows may arrive in any order. */
export interface ArrayBuilder {
  write(row: number, bytes: Uint8Array): Promise<void>;
  finish(status: RowStatus): Promise<MediaArray>;
  abort(): Promise<void>;
}

/** Identity of a file as the cache sees it: absolute path, size, modification time; null when absent or not given. */
export type FileStamp = { path: string; size: number; mtimeMs: number } | { path: string; absent: true } | null;

export async function stampOf(path: string | null): Promise<FileStamp> {
  if (path === null) return null;
  const absolute = resolve(path);
  try {
    const info = await stat(absolute);
    return { path: absolute, size: info.size, mtimeMs: info.mtimeMs };
  } catch {
    return { path: absolute, absent: true };
  }
}

/** The array's cache key: every row's file stamp and the column spec. */
export function arrayKey(spec: ColumnSpec, stamps: FileStamp[]): string {
  const hash = createHash("sha256").update(JSON.stringify([FORMAT, spec.kind, spec.params, spec.dtype, spec.rowShape]));
  for (const s of stamps) hash.update(JSON.stringify(s)).update("\n");
  return hash.digest("hex");
}

/** Column arrays kept under `<root>/arrays`. */
export class ArrayStore {
  constructor(readonly root: string) {}

  private paths(key: string): { data: string; meta: string } {
    const dir = join(this.root, "arrays", key.slice(0, 2));
    return { data: join(dir, `${key}.bin`), meta: join(dir, `${key}.json`) };
  }

  /** The mapped array, or null when absent or damaged (a damaged one is removed). */
  async read(key: string, spec: ColumnSpec, rows: number): Promise<MediaArray | null> {
    const { data, meta } = this.paths(key);
    let parsed: { format: number; rows: number; rowShape: number[]; dtype: string; crc: number; status: RowStatus };
    try {
      parsed = JSON.parse(await readFile(meta, "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") await this.remove(key);
      return null;
    }
    const expected = rows * rowBytes(spec);
    const sameShape = parsed.format === FORMAT && parsed.rows === rows && parsed.dtype === spec.dtype && JSON.stringify(parsed.rowShape) === JSON.stringify(spec.rowShape);
    const sane = sameShape && Array.isArray(parsed.status?.present) && parsed.status.present.length === rows && Array.isArray(parsed.status.failures);
    const size = await stat(data).then((s) => s.size, () => -1);
    if (!sane || size !== expected || (await crcOfFile(data)) !== parsed.crc) {
      await this.remove(key);
      return null;
    }
    return { tensor: mapFile(data, 0, [rows, ...spec.rowShape], spec.dtype), rowShape: spec.rowShape, status: parsed.status };
  }

  /** A builder writing a new array file, mapped when finished. */
  async create(key: string, spec: ColumnSpec, rows: number): Promise<ArrayBuilder> {
    const { data, meta } = this.paths(key);
    await mkdir(join(data, ".."), { recursive: true });
    const tmp = temporaryName(data);
    const file = await open(tmp, "w+");
    const stride = rowBytes(spec);
    await file.truncate(rows * stride); // rows never written (absent, broken) read as zeros
    return {
      write: async (row, bytes) => {
        if (bytes.byteLength !== stride) throw new Error(`row ${row}: ${bytes.byteLength} bytes, the column needs ${stride}`);
        await file.write(bytes, 0, stride, row * stride);
      },
      finish: async (status) => {
        await file.close();
        const crc = await crcOfFile(tmp);
        await rename(tmp, data);
        const metaTmp = temporaryName(meta);
        await writeFile(metaTmp, JSON.stringify({ format: FORMAT, rows, rowShape: spec.rowShape, dtype: spec.dtype, crc, status }));
        await rename(metaTmp, meta);
        return { tensor: mapFile(data, 0, [rows, ...spec.rowShape], spec.dtype), rowShape: spec.rowShape, status };
      },
      abort: async () => {
        await file.close().catch(() => undefined);
        await unlink(tmp).catch(() => undefined);
      },
    };
  }

  private async remove(key: string): Promise<void> {
    const { data, meta } = this.paths(key);
    await unlink(meta).catch(() => undefined);
    await unlink(data).catch(() => undefined);
  }
}

/** A builder in process memory, for runs without a cache. */
export function memoryBuilder(spec: ColumnSpec, rows: number): ArrayBuilder {
  const stride = rowBytes(spec);
  const buffer = new Uint8Array(rows * stride);
  return {
    write: async (row, bytes) => buffer.set(bytes, row * stride),
    finish: async (status) => ({ tensor: tensor(buffer, [rows, ...spec.rowShape], { dtype: spec.dtype }), rowShape: spec.rowShape, status }),
    abort: async () => undefined,
  };
}

/** CRC-32 of a file, read in pieces so that checking a large array costs no memory. */
async function crcOfFile(path: string): Promise<number> {
  const file = await open(path, "r");
  try {
    const piece = Buffer.alloc(1 << 22);
    let crc = 0;
    for (;;) {
      const { bytesRead } = await file.read(piece, 0, piece.length, null);
      if (bytesRead === 0) return crc;
      crc = crc32(piece.subarray(0, bytesRead), crc);
    }
  } finally {
    await file.close();
  }
}

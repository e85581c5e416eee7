// Decodes a media column once, in parallel, into one contiguous array, with a present
// mask per row and a data issue for every file that was absent or broken. A row's media
// is never filled from another row: an absent or broken file leaves that row's slot empty
// (zeros) with present = false.
import { availableParallelism } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { decodeAudio } from "./audio.js";
import { AudioDecodePool } from "./audio-pool.js";
import { cachedDecoder, type DecodeCache } from "./decode-cache.js";
import { decodeImage } from "./image.js";
import { isBlank, type Cell } from "./manifest.js";
import { isMediaError } from "./media-error.js";

export interface DataIssue {
  /** 0-based data row in its manifest (the header is not counted). */
  row: number;
  column: string;
  path: string;
  problem: string;
  manifest: string;
}

export interface LoadedColumn<A> {
  data: A;
  present: boolean[];
  issues: DataIssue[];
  /** Rows whose file was present but broken (not merely absent). */
  broken: Set<number>;
}

export interface ColumnSource {
  cells: Cell[];
  column: string;
  /** Folder that relative paths are resolved against (the manifest's). */
  dir: string;
  manifest: string;
  onProgress?: (done: number, total: number) => void;
  /** Decoded files are read from and written to this cache when given. */
  cache?: DecodeCache | null;
}

export function resolveMediaPath(cell: Cell, dir: string): string | null {
  if (isBlank(cell)) return null;
  const p = String(cell).trim();
  return isAbsolute(p) ? p : resolve(dir, p);
}

/** Runs `work` for 0..n-1 with at most `limit` in flight. */
export async function forEachLimited(n: number, limit: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, n) }, async () => {
    while (next < n) {
      const i = next++;
      await work(i);
    }
  });
  await Promise.all(runners);
}

async function decodeEach<T>(src: ColumnSource, decode: (path: string) => Promise<T>, store: (row: number, value: T) => void): Promise<Omit<LoadedColumn<never>, "data">> {
  const present = new Array<boolean>(src.cells.length).fill(false);
  const issues: DataIssue[] = [];
  const broken = new Set<number>();
  let done = 0;
  await forEachLimited(src.cells.length, Math.max(2, availableParallelism() * 2), async (row) => {
    const path = resolveMediaPath(src.cells[row] ?? null, src.dir);
    if (path !== null) {
      try {
        store(row, await decode(path));
        present[row] = true;
      } catch (error) {
        if (!isMediaError(error)) throw error;
        issues.push({ row, column: src.column, path: String(src.cells[row]), problem: error.problem, manifest: src.manifest });
        if (error.kind === "bad") broken.add(row);
      }
    }
    src.onProgress?.(++done, src.cells.length);
  });
  issues.sort((a, b) => a.row - b.row);
  return { present, issues, broken };
}

/** Images as uint8 RGB, channel-first: [rows, 3, height, width]. */
export async function loadImageColumn(src: ColumnSource, size: { height: number; width: number }): Promise<LoadedColumn<Uint8Array>> {
  const stride = 3 * size.height * size.width;
  const data = new Uint8Array(src.cells.length * stride);
  const decode = cachedDecoder(src.cache ?? null, "image-v1", size, (p) => decodeImage(p, size), { toBytes: (v) => v, fromBytes: (b) => b });
  const result = await decodeEach(src, decode, (row, pixels) => data.set(pixels, row * stride));
  return { data, ...result };
}

/**
 * Audio as features: waveforms are decoded in chunks (by worker threads, one per core, for
 * more than a handful of files) and handed to `features` (the log-mel front end), so only
 * one chunk of raw samples is ever held at once.
 */
export async function loadAudioColumn(
  src: ColumnSource,
  o: { sampleRate: number; seconds: number; featureSize: number; chunk?: number },
  features: (waveforms: Float32Array, count: number) => Float32Array,
): Promise<LoadedColumn<Float32Array>> {
  const samples = Math.round(o.sampleRate * o.seconds);
  const chunk = o.chunk ?? 64;
  const data = new Float32Array(src.cells.length * o.featureSize);
  const present = new Array<boolean>(src.cells.length).fill(false);
  const issues: DataIssue[] = [];
  const broken = new Set<number>();
  const params = { sampleRate: o.sampleRate, seconds: o.seconds };
  // Float32 samples as bytes and back; a copy on the way in, as cached bytes need not be aligned.
  const codec = { toBytes: (v: Float32Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength), fromBytes: (b: Uint8Array) => new Float32Array(new Uint8Array(b).buffer) };
  const pool = src.cells.length >= 16 ? new AudioDecodePool() : null;
  const decode = cachedDecoder(src.cache ?? null, "audio-v1", params, (p) => (pool ? pool.decode(p, params) : decodeAudio(p, params)), codec);
  try {
    for (let start = 0; start < src.cells.length; start += chunk) {
      const count = Math.min(chunk, src.cells.length - start);
      const waves = new Float32Array(count * samples);
      const part = await decodeEach(
        { ...src, cells: src.cells.slice(start, start + count), onProgress: (d) => src.onProgress?.(start + d, src.cells.length) },
        decode,
        (row, wave) => waves.set(wave, row * samples),
      );
      data.set(features(waves, count), start * o.featureSize);
      part.present.forEach((p, i) => (present[start + i] = p));
      for (const issue of part.issues) issues.push({ ...issue, row: issue.row + start });
      for (const row of part.broken) broken.add(row + start);
    }
  } finally {
    await pool?.close();
  }
  return { data, present, issues, broken };
}

// Decodes a media column once, in parallel, into one contiguous array, with a present
// mask per row and a data issue for every file that was absent or broken. A row's media
// is never filled from another row: an absent or broken file leaves that row's slot empty
// (zeros) with present = false.
import { availableParallelism } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { decodeClip } from "../audio/audio.js";
import { ClipFeaturizer, logMelOptionsOf, resampleClips, type AudioFeatureParams } from "../audio/audio-features.js";
import { acquireSharedPool, releaseSharedPool, type MediaDecodePool, type ChunkRows } from "./media-pool.js";
import { fileKey, type DecodeCache } from "../cache/decode-cache.js";
import { decodeImage, withoutImageCache } from "../image/image.js";
import { isBlank, type Cell } from "../table/manifest.js";
import { logMelFrames } from "../audio/logmel.js";
import { ArrayStore, arrayKey, memoryBuilder, stampOf, type ArrayBuilder, type ColumnSpec, type FileStamp, type MediaArray, type RowFailure } from "../cache/media-array.js";
import { decodeEach } from "./decode-each.js";
import { badMedia, isMediaError } from "../media/media-error.js";
import { nativeJpeg } from "../media/native-media.js";
import type { SincResampler } from "../audio/sinc-resample.js";
import { restoreNumThreads } from "../../torch/index.js";

export interface DataIssue {
  /** 0-based data row in its manifest (the header is not counted). */
  row: number;
  column: string;
  path: string;
  problem: string;
  manifest: string;
}

export interface LoadedColumn {
  data: MediaArray;
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
  /**
   * Whether the whole column is also kept in the cache as a mapped array (default: yes).
   * Predictions for a few rows assemble their column in memory from per-file entries
   * instead, so that many small requests do not leave an array file each.
   */
  keepArray?: boolean;
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

/**
 * Loads a column: maps the cached array when every file and parameter is unchanged,
 * else builds it by running `fill`, which decodes the rows and writes them to the builder.
 */
async function loadColumn(src: ColumnSource, spec: ColumnSpec, fill: (builder: ArrayBuilder, paths: (string | null)[]) => Promise<RowFailure[]>): Promise<LoadedColumn> {
  const paths = src.cells.map((cell) => resolveMediaPath(cell, src.dir));
  const rows = paths.length;
  let array: MediaArray | null = null;
  let store: { store: ArrayStore; key: string } | null = null;
  if (src.cache && src.keepArray !== false) {
    const stamps = new Array<FileStamp>(rows);
    await forEachLimited(rows, 64, async (i) => void (stamps[i] = await stampOf(paths[i] ?? null)));
    store = { store: new ArrayStore(src.cache.root), key: arrayKey(spec, stamps) };
    array = await store.store.read(store.key, spec, rows);
  }
  const build = async (builder: ArrayBuilder): Promise<MediaArray> => {
    try {
      const failures = (await fill(builder, paths)).sort((a, b) => a.row - b.row);
      const failed = new Set(failures.map((f) => f.row));
      return await builder.finish({ present: paths.map((p, i) => p !== null && !failed.has(i)), failures });
    } catch (error) {
      await builder.abort();
      throw error;
    }
  };
  if (array) {
    src.onProgress?.(rows, rows);
  } else {
    // A cache that cannot be written (read-only or full disk) only costs memory and speed:
    // the column is built again in memory, from whatever per-file entries did get written.
    const file = store ? await store.store.create(store.key, spec, rows).catch(() => null) : null;
    array = file ? await build(file).catch(() => build(memoryBuilder(spec, rows))) : await build(memoryBuilder(spec, rows));
  }
  const { present, failures } = array.status;
  return {
    data: array,
    present,
    issues: failures.map((f) => ({ row: f.row, column: src.column, path: String(src.cells[f.row]), problem: f.problem, manifest: src.manifest })),
    broken: new Set(failures.filter((f) => f.kind === "bad").map((f) => f.row)),
  };
}

function failureOf(error: unknown, row: number): RowFailure {
  if (!isMediaError(error)) throw error;
  return { row, problem: error.problem, kind: error.kind === "bad" ? "bad" : "missing" };
}

/**
 * Names images in the cache: "image-v1" as sharp decodes them, "image-v2" where libjpeg-turbo
 * decodes plain JPEGs (the same pictures within a level on average), so the two never mix.
 */
const imageKind = (): string => (nativeJpeg() ? "image-v2" : "image-v1");

/**
 * Images as uint8 RGB, channel-first: [rows, 3, height, width]. With the native JPEG decoder,
 * which runs on the calling thread, a column of many files is decoded by the worker threads;
 * otherwise, and for a few files, here (sharp works on libuv's threads either way, and
 * measured ~10% slower when called from workers). decodeImage gives the same either way.
 */
export async function loadImageColumn(src: ColumnSource, size: { height: number; width: number }): Promise<LoadedColumn> {
  const kind = imageKind();
  const spec: ColumnSpec = { kind, params: size, dtype: "uint8", rowShape: [3, size.height, size.width] };
  return withLazyPool(src.cells.length >= POOL_MIN_FILES && nativeJpeg() !== null, (poolNow) =>
    loadColumn(src, spec, (builder, paths) =>
      withoutImageCache(() =>
        fillInChunks(builder, paths, src, {
          chunk: 16,
          kind,
          params: size,
          decodeChunk: async (chunkPaths) => {
            const pool = poolNow();
            if (pool) return pool.images(chunkPaths, size);
            const { values, decoded, failures } = await decodeEach(chunkPaths, (path) => decodeImage(path, size));
            return { decoded, failures, bytes: Buffer.concat(values) };
          },
        }),
      ),
    ),
  );
}

/**
 * Runs `work` with the shared worker pool started on first use (poolNow() → the pool when
 * `usePool`, else null), and released afterwards: a column read whole from the cache starts
 * no worker.
 */
async function withLazyPool<T>(usePool: boolean, work: (poolNow: () => MediaDecodePool | null) => Promise<T>): Promise<T> {
  let pool: MediaDecodePool | null = null;
  try {
    return await work(() => (usePool ? (pool ??= acquireSharedPool()) : null));
  } finally {
    const started = pool as MediaDecodePool | null;
    if (started) {
      await releaseSharedPool(started);
      // Each worker's engine ran on one thread, and with some builds that count reaches
      // this thread too.
      restoreNumThreads();
    }
  }
}

/**
 * Fills a column a chunk of consecutive rows at a time: each chunk's cached rows go straight
 * to the builder; the others are decoded together by `decodeChunk` (so results never depend
 * on timing) and written to the builder and the cache. A broken file is cached as such.
 */
async function fillInChunks(
  builder: ArrayBuilder,
  paths: (string | null)[],
  src: ColumnSource,
  o: { chunk: number; kind: string; params: unknown; decodeChunk: (paths: string[]) => Promise<ChunkRows> },
): Promise<RowFailure[]> {
  const cache = src.cache ?? null;
  const failures: RowFailure[] = [];
  let done = 0;
  const loadChunk = async (start: number) => {
    const count = Math.min(o.chunk, paths.length - start);
    const pending: { row: number; path: string; key: string | null }[] = [];
    await forEachLimited(count, count, async (k) => {
      const row = start + k;
      const path = paths[row] ?? null;
      if (path === null) return;
      const key = cache ? await fileKey(path, o.kind, o.params) : null;
      const hit = key && cache ? await cache.read(key) : null;
      if (hit?.ok) return builder.write(row, hit.bytes);
      if (hit) return void failures.push(failureOf(badMedia(hit.problem, path), row));
      pending.push({ row, path, key });
    });
    pending.sort((x, y) => x.row - y.row);
    if (pending.length) {
      const { decoded, failures: bad, bytes } = await o.decodeChunk(pending.map((p) => p.path));
      for (const { index, error } of bad) {
        const p = pending[index] as (typeof pending)[number];
        const failure = failureOf(error, p.row);
        failures.push(failure);
        if (p.key && cache && failure.kind === "bad") await cache.write(p.key, { ok: false, problem: failure.problem }).catch(() => undefined);
      }
      const stride = decoded.length ? bytes.byteLength / decoded.length : 0;
      for (const [i, index] of decoded.entries()) {
        const p = pending[index] as (typeof pending)[number];
        const row = bytes.subarray(i * stride, (i + 1) * stride);
        await builder.write(p.row, row);
        if (p.key && cache) await cache.write(p.key, { ok: true, bytes: row }).catch(() => undefined);
      }
    }
    done += count;
    src.onProgress?.(done, paths.length);
  };
  // Two chunks per core keep every worker busy while this thread stores results; on this
  // thread, one chunk decodes (on libuv's pool) while another is processed.
  await forEachLimited(Math.ceil(paths.length / o.chunk), 2 * availableParallelism(), (c) => loadChunk(c * o.chunk));
  return failures;
}

/**
 * Names the audio features in the cache; a new name whenever the values a file gives change.
 * v3: 16-bit samples are v / 32768 (libsndfile's scaling) where v2 used 32767 above zero.
 */
const AUDIO_FEATURE_KIND = "logmel-v3";
/** Waveform rows (resampled, cut or padded) under a name of their own, never mixed with log-mels. */
const AUDIO_WAVEFORM_KIND = "waveform-v1";

/** How an audio column is laid out and named in the cache, for its representation. */
function audioColumnSpec(a: AudioFeatureParams): ColumnSpec {
  const samples = Math.round(a.sampleRate * a.seconds);
  if (a.representation === "waveform") {
    // Only what changes a waveform row names it: the log-mel settings do not apply.
    return { kind: AUDIO_WAVEFORM_KIND, params: { sampleRate: a.sampleRate, seconds: a.seconds, representation: a.representation }, dtype: "float32", rowShape: [samples] };
  }
  const rowShape = [a.nMels, logMelFrames(samples, logMelOptionsOf(a).hopLength)];
  // Log-mel rows keep the parameters they were always cached under.
  const { representation: _, ...logMel } = a;
  return { kind: AUDIO_FEATURE_KIND, params: { ...logMel, frames: rowShape[1] }, dtype: "float16", rowShape };
}

/**
 * Audio as float16 log-mel features [rows, nMels, frames], or as float32 waveforms
 * [rows, samples] for an input whose encoder has its own front end. Each file's rows are cached
 * on their own too, so a changed file re-decodes only itself. A column of many files is
 * decoded and featurised in chunks by worker threads, one per core, each with its own engine
 * thread, while this thread only looks up the cache and stores what comes back; a few files
 * are done here, with the log-mel on `device` (the training device). Chunks are the same
 * rows either way, and the features agree to float16's precision, so the cache serves both.
 */
export async function loadAudioColumn(src: ColumnSource, a: AudioFeatureParams, o: { chunk?: number; device?: string } = {}): Promise<LoadedColumn> {
  const spec = audioColumnSpec(a);
  // Built on first use: a column read whole from the cache builds no filterbank.
  let here: ClipFeaturizer | null = null;
  try {
    return await withLazyPool(src.cells.length >= POOL_MIN_FILES, (poolNow) =>
      loadColumn(src, spec, (builder, paths) =>
        fillInChunks(builder, paths, src, {
          // 16 clips per engine call: a chunk's buffers (~14 MB of raw samples at 44.1 kHz)
          // then fit a worker thread's malloc arena and are reused instead of mapped afresh;
          // measured on 2 cores (1,400 5 s clips), 6% less wall time and half the system
          // time of 32 clips, and the same as 8 with fewer calls.
          chunk: o.chunk ?? 16,
          kind: spec.kind,
          params: spec.params,
          decodeChunk: async (chunkPaths) => {
            const pool = poolNow();
            if (pool) return pool.features(chunkPaths, a);
            const { values: clips, decoded, failures } = await decodeEach(chunkPaths, (path) => decodeClip(path, a));
            here ??= new ClipFeaturizer(a, o.device ?? "cpu");
            const bytes = clips.length ? await here.features(clips) : new Uint8Array(0);
            return { decoded, failures, bytes };
          },
        }),
      ),
    );
  } finally {
    (here as ClipFeaturizer | null)?.dispose();
  }
}

/**
 * Below this many files, starting worker threads (each loading the engine) costs more than
 * it saves; such columns are decoded and featurised on this thread.
 */
const POOL_MIN_FILES = 16;

/**
 * Raw waveforms [rows * samples], decoded without the cache: for evaluations that alter the
 * sound itself (noise at a given SNR) before featurising it again.
 */
export async function loadWaveforms(src: ColumnSource, a: { sampleRate: number; seconds: number }): Promise<{ data: Float32Array; present: boolean[] }> {
  const samples = Math.round(a.sampleRate * a.seconds);
  const data = new Float32Array(src.cells.length * samples);
  const present = new Array<boolean>(src.cells.length).fill(false);
  const pool = src.cells.length >= POOL_MIN_FILES ? acquireSharedPool() : null;
  const resamplers = new Map<number, SincResampler>();
  try {
    let done = 0;
    await forEachLimited(src.cells.length, Math.max(2, availableParallelism() * 2), async (row) => {
      const path = resolveMediaPath(src.cells[row] ?? null, src.dir);
      if (path !== null) {
        try {
          const clip = await (pool ? pool.decode(path, a) : decodeClip(path, a));
          const wave = await resampleClips([clip], a.sampleRate, samples, resamplers);
          try {
            data.set(wave.toTypedArray() as Float32Array, row * samples);
          } finally {
            wave.dispose();
          }
          present[row] = true;
        } catch (error) {
          if (!isMediaError(error)) throw error; // an absent or broken file stays silent and zero
        }
      }
      src.onProgress?.(++done, src.cells.length);
    });
  } finally {
    for (const r of resamplers.values()) r.dispose();
    if (pool) await releaseSharedPool(pool);
  }
  return { data, present };
}

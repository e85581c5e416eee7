// Decodes a media column once, in parallel, into one contiguous array, with a present
// mask per row and a data issue for every file that was absent or broken. A row's media
// is never filled from another row: an absent or broken file leaves that row's slot empty
// (zeros) with present = false.
import { availableParallelism } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { decodeClip, fitLength, type MonoClip } from "./audio.js";
import { acquireSharedPool, releaseSharedPool } from "./audio-pool.js";
import { nativeAudio } from "./native-audio.js";
import { cachedDecoder, fileKey, type DecodeCache } from "./decode-cache.js";
import { decodeImage, withoutImageCache } from "./image.js";
import { isBlank, type Cell } from "./manifest.js";
import { LogMelFrontEnd } from "./logmel.js";
import { ArrayStore, arrayKey, memoryBuilder, stampOf, type ArrayBuilder, type ColumnSpec, type FileStamp, type MediaArray, type RowFailure } from "./media-array.js";
import { badMedia, isMediaError } from "./media-error.js";
import { resampleMono } from "./resample.js";
import { SincResampler } from "./sinc-resample.js";
import { arange, cat, F, tensor, tidy, type Tensor } from "../torch/index.js";

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

/** Images as uint8 RGB, channel-first: [rows, 3, height, width]. */
export async function loadImageColumn(src: ColumnSource, size: { height: number; width: number }): Promise<LoadedColumn> {
  const spec: ColumnSpec = { kind: "image-v1", params: size, dtype: "uint8", rowShape: [3, size.height, size.width] };
  const decode = cachedDecoder(src.cache ?? null, "image-v1", size, (p) => decodeImage(p, size), { toBytes: (v) => v, fromBytes: (b) => b });
  return loadColumn(src, spec, async (builder, paths) => withoutImageCache(async () => {
    const failures: RowFailure[] = [];
    let done = 0;
    await forEachLimited(paths.length, Math.max(2, availableParallelism() * 2), async (row) => {
      const path = paths[row] ?? null;
      if (path !== null) {
        try {
          await builder.write(row, await decode(path));
        } catch (error) {
          failures.push(failureOf(error, row));
        }
      }
      src.onProgress?.(++done, paths.length);
    });
    return failures;
  }));
}

/**
 * Names the audio features in the cache; a new name whenever the values a file gives change.
 * v3: 16-bit samples are v / 32768 (libsndfile's scaling) where v2 used 32767 above zero.
 */
const AUDIO_FEATURE_KIND = "logmel-v3";

export interface AudioFeatureParams {
  sampleRate: number;
  seconds: number;
  nMels: number;
  hopMs: number;
  windowMs: number;
}

/** Log-mel options of the audio parameters. */
export function logMelOptionsOf(a: AudioFeatureParams): { sampleRate: number; nMels: number; hopLength: number; winLength: number } {
  return { sampleRate: a.sampleRate, nMels: a.nMels, hopLength: Math.round((a.hopMs / 1000) * a.sampleRate), winLength: Math.round((a.windowMs / 1000) * a.sampleRate) };
}

/**
 * Audio as float16 log-mel features [rows, nMels, frames]. Each file's features are cached
 * on their own too, so a changed file re-decodes only itself. Waveforms are decoded in
 * chunks (off this thread: by libsndfile on libuv's pool, or by worker threads running the
 * WebAssembly decoders) and turned into log-mel by the engine one chunk at a time, so only
 * one chunk of raw samples is held. With `device` (the training device), the log-mel runs
 * there; its features are the same to float16's precision, so the cache serves either.
 */
export async function loadAudioColumn(src: ColumnSource, a: AudioFeatureParams, o: { chunk?: number; device?: string } = {}): Promise<LoadedColumn> {
  const device = o.device ?? "cpu";
  const frontEnd = new LogMelFrontEnd(logMelOptionsOf(a), device);
  const samples = Math.round(a.sampleRate * a.seconds);
  const rowShape = [a.nMels, frontEnd.frames(samples)];
  const params = { ...a, frames: rowShape[1] };
  const spec: ColumnSpec = { kind: AUDIO_FEATURE_KIND, params, dtype: "float16", rowShape };
  // 32 clips per engine call: measured ~10% faster end to end than 64 (each chunk's buffers
  // stay small enough for the C heap to reuse) and as fast as 16 with fewer calls.
  const chunk = o.chunk ?? 32;
  const cache = src.cache ?? null;
  const pool = needsDecodePool(src.cells.length) ? acquireSharedPool() : null;
  const decodeWave = (p: string) => (pool ? pool.decode(p, a) : decodeClip(p, a));
  const resamplers = new Map<number, SincResampler>();
  try {
    return await loadColumn(src, spec, async (builder, paths) => {
      const failures: RowFailure[] = [];
      let done = 0;
      type Pending = { row: number; clip: MonoClip; key: string | null };
      // Cached rows go straight to the builder; the others are decoded (off this thread)
      // and come back for featurising, in row order so that results never depend on timing.
      const lookUp = async (start: number): Promise<{ start: number; count: number; pending: Pending[] }> => {
        const count = Math.min(chunk, paths.length - start);
        const pending: Pending[] = [];
        await forEachLimited(count, count, async (k) => {
          const row = start + k;
          const path = paths[row] ?? null;
          if (path === null) return;
          const key = cache ? await fileKey(path, AUDIO_FEATURE_KIND, params) : null;
          const hit = key && cache ? await cache.read(key) : null;
          try {
            if (hit?.ok) return await builder.write(row, hit.bytes);
            if (hit) throw badMedia(hit.problem, path);
            pending.push({ row, clip: await decodeWave(path), key });
          } catch (error) {
            const failure = failureOf(error, row);
            failures.push(failure);
            if (key && cache && failure.kind === "bad" && !hit) await cache.write(key, { ok: false, problem: failure.problem }).catch(() => undefined);
          }
        });
        return { start, count, pending: pending.sort((x, y) => x.row - y.row) };
      };
      // The next chunk is decoded while this thread featurises the current one.
      let next: Promise<Awaited<ReturnType<typeof lookUp>>> | null = paths.length ? lookUp(0) : null;
      while (next) {
        const { start, count, pending } = await next;
        next = start + count < paths.length ? lookUp(start + count) : null;
        next?.catch(() => undefined); // its failure is met when it is awaited
        if (pending.length) {
          const waves = await resampleClips(pending.map((p) => p.clip), a.sampleRate, samples, resamplers);
          let features: Buffer;
          try {
            features = tidy(() => frontEnd.forward(device === "cpu" ? waves : waves.to({ device })).to({ dtype: "float16" }).toBuffer());
          } finally {
            waves.dispose();
          }
          const stride = features.byteLength / pending.length;
          for (const [i, p] of pending.entries()) {
            const bytes = features.subarray(i * stride, (i + 1) * stride);
            await builder.write(p.row, bytes);
            if (p.key && cache) await cache.write(p.key, { ok: true, bytes }).catch(() => undefined);
          }
        }
        done += count;
        src.onProgress?.(done, paths.length);
      }
      return failures;
    });
  } finally {
    frontEnd.dispose();
    for (const r of resamplers.values()) r.dispose();
    if (pool) await releaseSharedPool(pool);
  }
}

/**
 * Worker threads decode audio only for the WebAssembly decoders, which block the thread they
 * run on; the native decoder already runs on libuv's pool. A handful of files is not worth
 * starting workers for.
 */
function needsDecodePool(files: number): boolean {
  return files >= 16 && nativeAudio() === null;
}

/**
 * Clips at any rates → waveforms [N, length] at `rate`, in order, each cut or zero-padded to
 * `length`, as a tensor the caller disposes: one engine call per source rate; libsamplerate
 * for the rare pair of rates that no filter bank suits. Resamplers are kept in `resamplers`
 * across calls. Each group of clips is laid straight into one buffer with the filter's
 * padding, so the samples are copied once on their way into the engine.
 */
export async function resampleClips(clips: MonoClip[], rate: number, length: number, resamplers: Map<number, SincResampler>): Promise<Tensor> {
  const fitted = new Map<number, Float32Array>(); // clips that need no filter bank, at `rate` already
  const byRate = new Map<number, number[]>();
  for (const [i, clip] of clips.entries()) {
    if (clip.sampleRate === rate) fitted.set(i, clip.samples);
    else if (SincResampler.supports(clip.sampleRate, rate)) byRate.set(clip.sampleRate, [...(byRate.get(clip.sampleRate) ?? []), i]);
    else fitted.set(i, await resampleMono(clip.samples, clip.sampleRate, rate));
  }
  for (const from of byRate.keys()) if (!resamplers.has(from)) resamplers.set(from, new SincResampler(from, rate));
  return tidy(() => {
    const rows = new Array<Tensor>(clips.length);
    for (const [from, members] of byRate) {
      const resampler = resamplers.get(from) as SincResampler;
      const { before, after } = resampler.padding();
      const longest = Math.max(...members.map((i) => (clips[i] as MonoClip).samples.length));
      const width = before + longest + after;
      const framed = new Float32Array(members.length * width);
      members.forEach((i, k) => framed.set((clips[i] as MonoClip).samples, k * width + before));
      const resampled = resampler.resampleFramed(tensor(framed, [members.length, width]), longest);
      // A shorter clip's filter tail runs on into the group's zero padding: it is cut where the
      // clip's own output ends, as resampling the clip alone does, so that no row depends on
      // which clips shared its call.
      // Only the first `length` columns are kept, so only a clip ending before them is masked.
      const ends = members.map((i) => resampler.outputLength((clips[i] as MonoClip).samples.length));
      const kept = resampled.narrow(1, 0, Math.min(length, resampled.shape[1] as number));
      const columns = kept.shape[1] as number;
      const own = ends.every((end) => end >= columns) ? kept : kept.maskedFill(arange(0, columns).unsqueeze(0).ge(tensor(Float32Array.from(ends), [members.length, 1])), 0);
      const waves = fitColumns(own, length);
      if (members.length === clips.length) return waves; // the usual case: one rate for all
      members.forEach((i, k) => (rows[i] = waves.narrow(0, k, 1)));
    }
    for (const [i, samples] of fitted) rows[i] = tensor(fitLength(samples, length), [1, length]);
    return cat(rows, 0);
  });
}

/** [N, L] → [N, length]: the first `length` columns, zero-padded at the end when L is shorter. */
function fitColumns(x: Tensor, length: number): Tensor {
  const have = x.shape[1] as number;
  return have >= length ? x.narrow(1, 0, length) : F.pad(x, [0, length - have]);
}

/**
 * Raw waveforms [rows * samples], decoded without the cache: for evaluations that alter the
 * sound itself (noise at a given SNR) before featurising it again.
 */
export async function loadWaveforms(src: ColumnSource, a: { sampleRate: number; seconds: number }): Promise<{ data: Float32Array; present: boolean[] }> {
  const samples = Math.round(a.sampleRate * a.seconds);
  const data = new Float32Array(src.cells.length * samples);
  const present = new Array<boolean>(src.cells.length).fill(false);
  const pool = needsDecodePool(src.cells.length) ? acquireSharedPool() : null;
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

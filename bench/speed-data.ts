/**
 * A file-backed data set for speed benchmarks: photo-sized pictures and 5 s stereo
 * recordings on disk, so a benchmark pays for decoding and resampling the way real training
 * does. Each modality carries a noisy, overlapping class cue (roughly 60-70% accurate alone),
 * so a model needs several epochs to learn and accuracy curves are worth comparing.
 *
 * writeSpeedDataset renders the files (in worker threads: synthesis and the audio encoders
 * are synchronous JavaScript/WebAssembly); linkScaledDataset grows a set to any size with
 * hard links, so a large benchmark costs no extra disk yet reads a distinct path per row.
 */
import { availableParallelism } from "node:os";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve as resolvePath } from "node:path";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import sharp from "sharp";
import { createMp3Encoder } from "wasm-media-encoders";
import { encodeAudio, encodeWav, type PcmClip } from "../src/demo/encode-audio.js";
import { Random, deriveSeed } from "../src/util/random.js";

export interface SpeedDataOptions {
  samples: number;
  seed?: number;
  /** Worker threads rendering media; 0 renders in this thread. Default: one per core. */
  workers?: number;
}

export interface SpeedDataset {
  dir: string;
  train: string;
  validation: string;
  test: string;
  numeric: string[];
  classes: string[];
  samples: number;
}

/** Bumped whenever the content changes, so an old set on disk is regenerated. */
const VERSION = 2;
const CLASSES = ["low", "mid", "high"];
const NUMERIC = Array.from({ length: 10 }, (_, k) => `num_${k}`);
/** num_0..num_2 carry the class; the other seven are noise. */
const INFORMATIVE = 3;
/** Class means of an informative column, in standard deviations: ~59% accurate from all three. */
const NUMERIC_SHIFT = 0.6;
const WIDTH = 320;
const HEIGHT = 240;
/** Blob hue per class, in degrees, with a spread wide enough that neighbours overlap. */
const HUE_CENTRE = [0, 50, 100];
const HUE_SD = 35;
const SAMPLE_RATE = 44_100;
const SECONDS = 5;
/** Chirp start frequency per class, in Hz, with an overlapping spread. */
const FREQ_CENTRE = [1500, 2700, 3900];
const FREQ_SD = 800;

interface Row {
  index: number;
  id: string;
  label: number;
  numeric: number[];
  image: string;
  audio: string;
  /** 0 train, 1 validation, 2 test. */
  split: number;
}

/** What a worker needs to render one row's two files: a pure function of these. */
interface RenderJob {
  dir: string;
  seed: number;
  index: number;
  label: number;
  image: string;
  audio: string;
}

interface Marker {
  samples: number;
  seed: number;
  version: number;
  base?: string;
}

export async function writeSpeedDataset(dir: string, o: SpeedDataOptions): Promise<SpeedDataset> {
  const seed = o.seed ?? 0;
  const marker: Marker = { samples: o.samples, seed, version: VERSION };
  if (await hasMarker(dir, marker)) return describe(dir, o.samples);
  await clear(dir);

  const rows = planRows(o.samples, seed);
  const jobs = rows.map((row): RenderJob => ({ dir, seed, index: row.index, label: row.label, image: row.image, audio: row.audio }));
  const workers = Math.min(o.workers ?? availableParallelism(), rows.length);
  if (workers > 0) await renderInWorkers(jobs, workers);
  else for (const job of jobs) await renderRow(job);

  await writeManifests(dir, rows);
  // Last, so a set interrupted half way is never mistaken for a complete one.
  await writeFile(join(dir, "dataset.json"), JSON.stringify(marker) + "\n");
  return describe(dir, o.samples);
}

export async function linkScaledDataset(base: SpeedDataset, dir: string, samples: number): Promise<SpeedDataset> {
  const baseMarker = JSON.parse(await readFile(join(base.dir, "dataset.json"), "utf8")) as Marker;
  const marker: Marker = { samples, seed: baseMarker.seed, version: VERSION, base: base.dir };
  if (await hasMarker(dir, marker)) return describe(dir, samples);
  if (resolvePath(dir) === resolvePath(base.dir)) throw new Error("linkScaledDataset: dir must differ from the base set's dir");
  await clear(dir);

  // Each copy stays in its base row's split: a picture seen in training never turns up in
  // validation, and the splits stay stratified 70/15/15.
  const baseRows = await readRows(base);
  const width = idWidth(samples);
  const sourceOf = (index: number): Row => baseRows[index % baseRows.length]!;
  const rows = Array.from({ length: samples }, (_, index): Row => {
    const from = sourceOf(index);
    const id = String(index).padStart(width, "0");
    return { ...from, index, id, image: `media/${id}.${extension(from.image)}`, audio: `media/${id}.${extension(from.audio)}` };
  });
  // A bounded pool: one link at a time is slow for 100k rows, all at once exhausts file handles.
  let next = 0;
  const linkNext = async (): Promise<void> => {
    while (next < rows.length) {
      const row = rows[next++]!;
      const from = sourceOf(row.index);
      await link(join(base.dir, from.image), join(dir, row.image));
      await link(join(base.dir, from.audio), join(dir, row.audio));
    }
  };
  await Promise.all(Array.from({ length: 32 }, linkNext));

  await writeManifests(dir, rows);
  await writeFile(join(dir, "dataset.json"), JSON.stringify(marker) + "\n");
  return describe(dir, samples);
}

// ---- planning and manifests ---------------------------------------------------------------

function planRows(samples: number, seed: number): Row[] {
  // Balanced classes in a seeded random order.
  const labels = new Random(deriveSeed(seed, 0x1abe1)).shuffle(Array.from({ length: samples }, (_, i) => i % CLASSES.length));
  const width = idWidth(samples);
  const rows = labels.map((label, index): Row => {
    const rng = new Random(deriveSeed(seed, index, 0));
    const numeric = NUMERIC.map((_, k) => {
      const z = rng.normal() + (k < INFORMATIVE ? (label - 1) * NUMERIC_SHIFT : 0);
      // Columns on different scales and offsets, so standardising them matters.
      return Number((10 * k - 20 + (1 + k) * z).toFixed(4));
    });
    const id = String(index).padStart(width, "0");
    const image = `media/${id}.${rng.chance(0.8) ? "jpg" : "png"}`;
    const roll = rng.next();
    const audio = `media/${id}.${roll < 0.6 ? "wav" : roll < 0.8 ? "mp3" : "flac"}`;
    return { index, id, label, numeric, image, audio, split: 0 };
  });
  // Stratified 70/15/15: each class shuffled and cut on its own, so every split is balanced.
  const rng = new Random(deriveSeed(seed, 0x5911));
  for (let label = 0; label < CLASSES.length; label++) {
    const members = rng.shuffle(rows.filter((row) => row.label === label));
    const train = Math.round(members.length * 0.7);
    const validation = Math.round(members.length * 0.85);
    members.forEach((row, i) => (row.split = i < train ? 0 : i < validation ? 1 : 2));
  }
  return rows;
}

function idWidth(samples: number): number {
  return Math.max(6, String(samples - 1).length);
}

function extension(path: string): string {
  return path.slice(path.lastIndexOf(".") + 1);
}

const MANIFESTS = ["train.csv", "validation.csv", "test.csv"];

async function writeManifests(dir: string, rows: Row[]): Promise<void> {
  const header = ["id", "label", ...NUMERIC, "image", "audio"].join(",");
  for (const [split, name] of MANIFESTS.entries()) {
    // In id order; no value contains a comma or quote, so plain joins are valid CSV.
    const lines = rows.filter((r) => r.split === split).map((r) => [r.id, CLASSES[r.label]!, ...r.numeric, r.image, r.audio].join(","));
    await writeFile(join(dir, name), [header, ...lines].join("\n") + "\n");
  }
}

/** The base set's rows from its manifests, in id order. */
async function readRows(set: SpeedDataset): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [split, name] of MANIFESTS.entries()) {
    const lines = (await readFile(join(set.dir, name), "utf8")).trim().split("\n").slice(1);
    for (const line of lines) {
      const cells = line.split(",");
      const id = cells[0]!;
      rows.push({
        index: Number(id), id, label: CLASSES.indexOf(cells[1]!),
        numeric: cells.slice(2, 2 + NUMERIC.length).map(Number),
        image: cells[2 + NUMERIC.length]!, audio: cells[3 + NUMERIC.length]!, split,
      });
    }
  }
  return rows.sort((a, b) => a.index - b.index);
}

function describe(dir: string, samples: number): SpeedDataset {
  return {
    dir, train: join(dir, MANIFESTS[0]!), validation: join(dir, MANIFESTS[1]!), test: join(dir, MANIFESTS[2]!),
    numeric: [...NUMERIC], classes: [...CLASSES], samples,
  };
}

async function hasMarker(dir: string, want: Marker): Promise<boolean> {
  try {
    const have = JSON.parse(await readFile(join(dir, "dataset.json"), "utf8")) as Marker;
    return have.samples === want.samples && have.seed === want.seed && have.version === want.version && have.base === want.base;
  } catch {
    return false;
  }
}

/** Removes only what this module writes, so a stale or half-written set never leaks into a new one. */
async function clear(dir: string): Promise<void> {
  for (const name of ["dataset.json", ...MANIFESTS, "media"]) {
    await rm(join(dir, name), { recursive: true, force: true });
  }
  await mkdir(join(dir, "media"), { recursive: true });
}

// ---- rendering ----------------------------------------------------------------------------

async function renderRow(job: RenderJob): Promise<void> {
  const picture = renderPicture(new Random(deriveSeed(job.seed, job.index, 1)), job.label);
  const image = sharp(picture, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } });
  const imageDone = (job.image.endsWith(".png") ? image.png() : image.jpeg({ quality: 85 })).toFile(join(job.dir, job.image));
  const clip = synthesize(new Random(deriveSeed(job.seed, job.index, 2)), job.label);
  const format = extension(job.audio);
  const bytes = format === "wav" ? encodeWav(clip) : format === "mp3" ? await encodeMp3Cbr(clip) : withFlacLength(await encodeAudio("flac", clip), clip);
  await Promise.all([imageDone, writeFile(join(job.dir, job.audio), bytes)]);
}

let mp3Encoder: ReturnType<typeof createMp3Encoder> | undefined;

/**
 * Constant bit rate, unlike the demo's VBR: the VBR output here has no Xing header, so
 * libsndfile (the tutorial's soundfile) guesses a VBR file's length from its first frames
 * and reads only 1.5-2.5 of its 5 seconds. A CBR file's length follows from its size.
 */
async function encodeMp3Cbr(clip: PcmClip): Promise<Uint8Array> {
  const encoder = await (mp3Encoder ??= createMp3Encoder());
  // configure, encode and finalize with no await between them: concurrent rows never interleave.
  encoder.configure({ sampleRate: clip.sampleRate, channels: 2, bitrate: 128 });
  const head = encoder.encode(clip.channels).slice();
  const tail = encoder.finalize();
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/**
 * libflacjs streams its output, so STREAMINFO's total-samples field stays 0 ("unknown");
 * libsndfile then reports an endless file and soundfile.read fails allocating for it.
 * The field is 36 bits: the low nibble of STREAMINFO byte 13, then bytes 14-17 (STREAMINFO
 * starts at byte 8, after "fLaC" and its 4-byte block header).
 */
function withFlacLength(bytes: Uint8Array, clip: PcmClip): Uint8Array {
  const total = clip.channels[0]!.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint8(8 + 13, (view.getUint8(8 + 13) & 0xf0) | (Math.floor(total / 2 ** 32) & 0x0f));
  view.setUint32(8 + 14, total >>> 0);
  return bytes;
}

/**
 * A photo-like picture: a smooth gradient between four muted random colours, a soft ripple,
 * per-pixel noise, and the class cue, a saturated ellipse of random place and size whose hue
 * is drawn around its class's hue.
 */
function renderPicture(rng: Random, label: number): Buffer {
  const corners = Array.from({ length: 4 }, () => hsv(rng.uniform(0, 360), rng.uniform(0.05, 0.45), rng.uniform(0.3, 0.9)));
  const blob = hsv(HUE_CENTRE[label]! + HUE_SD * rng.normal(), rng.uniform(0.55, 1), rng.uniform(0.55, 1));
  const cx = rng.uniform(0, WIDTH), cy = rng.uniform(0, HEIGHT);
  const rx = rng.uniform(20, 60), ry = rng.uniform(20, 60);
  const ripple = { fx: rng.uniform(0.01, 0.05), fy: rng.uniform(0.01, 0.05), phase: rng.uniform(0, 6.28), depth: rng.uniform(0, 25) };
  const noise = rng.uniform(8, 20);
  const out = Buffer.alloc(WIDTH * HEIGHT * 3);
  for (let y = 0, at = 0; y < HEIGHT; y++) {
    const v = y / (HEIGHT - 1);
    for (let x = 0; x < WIDTH; x++) {
      const u = x / (WIDTH - 1);
      const dx = (x - cx) / rx, dy = (y - cy) / ry;
      const inside = dx * dx + dy * dy <= 1;
      const wave = ripple.depth * Math.sin(ripple.fx * x + ripple.fy * y + ripple.phase);
      for (let c = 0; c < 3; c++) {
        const background = (1 - v) * ((1 - u) * corners[0]![c]! + u * corners[1]![c]!) + v * ((1 - u) * corners[2]![c]! + u * corners[3]![c]!) + wave;
        // Sum of two uniforms: a cheap, roughly bell-shaped sensor noise.
        const value = (inside ? blob[c]! : background) + noise * (rng.next() + rng.next() - 1) * 1.7;
        out[at++] = Math.max(0, Math.min(255, Math.round(value)));
      }
    }
  }
  return out;
}

/** HSV (hue in degrees, any real) to 0..255 RGB. */
function hsv(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number): number => {
    const k = (n + (((h % 360) + 360) % 360) / 60) % 6;
    return 255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1)));
  };
  return [f(5), f(3), f(1)];
}

/**
 * 5 s of stereo noise with a chirp in it: its start frequency is drawn around its class's,
 * it sweeps up or down, starts and stops at random, and is panned at random. The chirp is
 * much fainter than the noise over the whole band but stands out in a spectrogram.
 */
function synthesize(rng: Random, label: number): PcmClip {
  const frames = SAMPLE_RATE * SECONDS;
  const left = new Float32Array(frames), right = new Float32Array(frames);
  const f0 = Math.max(200, FREQ_CENTRE[label]! + FREQ_SD * rng.normal());
  const f1 = Math.max(200, f0 + rng.uniform(-600, 600));
  const duration = rng.uniform(2, SECONDS);
  const start = Math.floor(rng.uniform(0, SECONDS - duration) * SAMPLE_RATE);
  const length = Math.floor(duration * SAMPLE_RATE);
  const amplitude = rng.uniform(0.04, 0.2);
  const pan = rng.uniform(0.2, 0.8);
  const noise = rng.uniform(0.1, 0.3);
  for (let i = 0; i < frames; i++) {
    left[i] = noise * (rng.next() * 2 - 1);
    right[i] = noise * (rng.next() * 2 - 1);
  }
  const fade = Math.floor(0.02 * SAMPLE_RATE); // no clicks at the chirp's ends
  let phase = 0;
  for (let i = 0; i < length; i++) {
    phase += (2 * Math.PI * (f0 + ((f1 - f0) * i) / length)) / SAMPLE_RATE;
    const tone = amplitude * Math.min(1, i / fade, (length - i) / fade) * Math.sin(phase);
    left[start + i]! += (1 - pan) * 2 * tone;
    right[start + i]! += pan * 2 * tone;
  }
  return { channels: [left, right], sampleRate: SAMPLE_RATE };
}

// ---- worker threads -----------------------------------------------------------------------

/** This file is also the worker: spawned with this marker, it renders the jobs it is sent. */
const WORKER_MARK = "modalfuse-speed-data";

async function renderInWorkers(jobs: RenderJob[], count: number): Promise<void> {
  const workers = Array.from({ length: count }, () => new Worker(new URL(import.meta.url), { workerData: WORKER_MARK }));
  try {
    await new Promise<void>((resolve, reject) => {
      // Small batches, two in flight per worker, so none idles and the tail is short.
      const batch = 4;
      let sent = 0, done = 0;
      const send = (worker: Worker): void => {
        if (sent >= jobs.length) return;
        worker.postMessage(jobs.slice(sent, sent + batch));
        sent += batch;
      };
      for (const worker of workers) {
        worker.on("message", (reply: { done: number; error: string | null }) => {
          if (reply.error !== null) return reject(new Error(`speed-data worker failed: ${reply.error}`));
          done += reply.done;
          if (done >= jobs.length) resolve();
          else send(worker);
        });
        worker.on("error", reject);
        send(worker);
        send(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

if (!isMainThread && workerData === WORKER_MARK && parentPort !== null) {
  const port = parentPort;
  port.on("message", (batch: RenderJob[]) => {
    void (async () => {
      try {
        for (const job of batch) await renderRow(job);
        port.postMessage({ done: batch.length, error: null });
      } catch (thrown) {
        port.postMessage({ done: 0, error: thrown instanceof Error ? thrown.stack ?? thrown.message : String(thrown) });
      }
    })();
  });
}

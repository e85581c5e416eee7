/**
 * `modalfuse demo`'s data set: the tutorial's events — concert, lecture or sports match —
 * each described by a row of facts, a photo and a recording, written as media files plus a
 * CSV manifest.
 *
 * The point of the set is that fusion matters. Each modality separates ONE class from the
 * other two and is blind between those two (see tabular.ts, scenes.ts, sounds.ts):
 *
 *   table   : lecture | {concert, sports}      (small, cheap, free vs. big paid shows)
 *   picture : sports  | {concert, lecture}     (green pitch vs. the same indoor stage)
 *   sound   : concert | {lecture, sports}      (music vs. the same talk over a crowd)
 *
 * So any one modality alone is right about 2/3 of the time at best, and any two of them
 * name the class: a model that fuses them can be near-perfect, and rows with a missing or
 * broken photo or recording still have two modalities left.
 *
 * Layout: DIR/manifest.csv, DIR/images/<id>.png|jpg, DIR/audio/<id>.wav|flac|ogg|mp3, media
 * paths in the CSV relative to DIR. About 8% of rows have no photo, 8% no recording (never
 * both), and about 1% point at a broken file. Everything follows from the seed.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { AUDIO_FORMATS } from "./encode-audio.js";
import { Random, deriveSeed } from "../util/random.js";
import { extensionFor, renderJob, type BrokenKind, type MediaJob } from "./render.js";
import { drawTabular, EVENT_CLASSES, TABULAR_COLUMNS, type EventClass, type TabularFacts } from "./tabular.js";
import type { WorkerReply, WorkerRequest } from "./worker.js";

export interface DemoDatasetOptions {
  samples: number;
  seed: number;
  onProgress?: (done: number, total: number) => void;
  /** Worker threads rendering media; 0 renders in this thread. Default: one per core. */
  workers?: number;
}

export interface DemoDatasetSummary {
  /** Absolute path of the manifest CSV. */
  manifest: string;
  rows: number;
  /** Rows that point at a deliberately broken file (in either media column). */
  broken: number;
  /** Rows whose photo or recording path is empty. */
  missing: { photo: number; recording: number };
}

export const MANIFEST_COLUMNS = ["event_id", ...TABULAR_COLUMNS, "photo", "recording", "event"] as const;

export const MISSING_PHOTO_RATE = 0.08;
export const MISSING_RECORDING_RATE = 0.08;
export const BROKEN_RATE = 0.01;

const SAMPLE_RATES = [16000, 22050, 44100, 48000] as const;
const BROKEN_PHOTO_KINDS: readonly BrokenKind[] = ["truncated-png", "text-named-jpg"];
const BROKEN_RECORDING_KINDS: readonly BrokenKind[] = ["text-named-wav", "empty-mp3", "truncated-wav"];

/** Streams of the seed, so adding draws to one part never shifts another. */
const STREAM = { labels: 1, row: 2, picture: 3, recording: 4, broken: 5 } as const;

/** Which modality gives each class away (and which two classes it cannot tell apart). */
const SCENE_FOR: Record<EventClass, "indoor-stage" | "sports-pitch"> = { concert: "indoor-stage", lecture: "indoor-stage", sports: "sports-pitch" };
const SOUND_FOR: Record<EventClass, "music" | "speech"> = { concert: "music", lecture: "speech", sports: "speech" };

interface PlannedRow {
  id: string;
  event: EventClass;
  facts: TabularFacts;
  photo: { path: string; job: MediaJob } | null;
  recording: { path: string; job: MediaJob } | null;
}

export async function makeDemoDataset(dir: string, options: DemoDatasetOptions): Promise<DemoDatasetSummary> {
  const { samples, seed } = options;
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`demo samples must be a positive integer, got ${samples}`);
  if (!Number.isInteger(seed)) throw new RangeError(`demo seed must be an integer, got ${seed}`);
  const rows = planRows(samples, seed);

  // The media folders belong to the demo: clear them so a smaller rerun leaves no stale files.
  await rm(join(dir, "images"), { recursive: true, force: true });
  await rm(join(dir, "audio"), { recursive: true, force: true });
  await mkdir(join(dir, "images"), { recursive: true });
  await mkdir(join(dir, "audio"), { recursive: true });

  const batches = rows.map((row) => [row.photo, row.recording]
    .filter((file): file is { path: string; job: MediaJob } => file !== null)
    .map(({ path, job }) => ({ path: join(dir, path), job })));
  const workers = Math.min(options.workers ?? availableParallelism(), samples);
  let done = 0;
  const progress = (): void => options.onProgress?.(++done, samples);
  if (workers > 0) await renderInWorkers(batches, workers, progress);
  else await renderHere(batches, progress);

  // Written last, so a manifest on disk means every file it names is there.
  const manifest = join(dir, "manifest.csv");
  await writeFile(manifest, manifestCsv(rows));
  return {
    manifest,
    rows: samples,
    broken: rows.filter((row) => row.photo?.job.broken || row.recording?.job.broken).length,
    missing: {
      photo: rows.filter((row) => row.photo === null).length,
      recording: rows.filter((row) => row.recording === null).length,
    },
  };
}

/** Every row's facts and media, decided up front from the seed alone. */
function planRows(samples: number, seed: number): PlannedRow[] {
  // Balanced classes in a shuffled order.
  const labels = new Random(deriveSeed(seed, STREAM.labels))
    .shuffle(Array.from({ length: samples }, (_, i) => EVENT_CLASSES[i % EVENT_CLASSES.length]!));
  const digits = Math.max(4, String(samples).length);
  const rows = labels.map((event, i): PlannedRow => {
    const rng = new Random(deriveSeed(seed, STREAM.row, i));
    const id = `ev${String(i + 1).padStart(digits, "0")}`;
    const facts = drawTabular(event, rng);
    const gap = rng.next();
    const width = rng.int(140, 200);
    const photoJob: MediaJob = {
      kind: "picture",
      broken: null,
      spec: {
        scene: SCENE_FOR[event], width, height: Math.round(width * rng.uniform(0.65, 0.8)),
        format: rng.chance(0.5) ? "png" : "jpeg", quality: rng.int(60, 92), noise: rng.uniform(1.5, 6),
        seed: deriveSeed(seed, STREAM.picture, i),
      },
    };
    const recordingJob: MediaJob = {
      kind: "recording",
      broken: null,
      spec: {
        sound: SOUND_FOR[event], sampleRate: rng.pick(SAMPLE_RATES), channels: rng.chance(0.5) ? 2 : 1,
        format: rng.pick(AUDIO_FORMATS), quality: rng.uniform(0.2, 0.9),
        seed: deriveSeed(seed, STREAM.recording, i),
      },
    };
    // One draw decides both gaps, so a row never lacks both photo and recording.
    return {
      id, event, facts,
      photo: gap < MISSING_PHOTO_RATE ? null : { path: "", job: photoJob },
      recording: gap >= MISSING_PHOTO_RATE && gap < MISSING_PHOTO_RATE + MISSING_RECORDING_RATE ? null : { path: "", job: recordingJob },
    };
  });
  markBroken(rows, seed);
  for (const row of rows) {
    if (row.photo) row.photo.path = `images/${row.id}.${extensionFor(row.photo.job)}`;
    if (row.recording) row.recording.path = `audio/${row.id}.${extensionFor(row.recording.job)}`;
  }
  return rows;
}

/**
 * Breaks about 1% of rows' files, alternating photo and recording and cycling through the
 * kinds of damage. From 20 rows on at least two are broken, one per media column, so even a
 * small demo shows modalfuse reporting bad files.
 */
function markBroken(rows: PlannedRow[], seed: number): void {
  const count = rows.length < 20 ? 0 : Math.max(2, Math.round(rows.length * BROKEN_RATE));
  const order = new Random(deriveSeed(seed, STREAM.broken)).shuffle(rows.map((_, i) => i));
  for (let k = 0; k < count; k++) {
    const row = rows[order[k]!]!;
    const wantPhoto = k % 2 === 0;
    const file = (wantPhoto ? row.photo : row.recording) ?? (wantPhoto ? row.recording : row.photo);
    if (file === null) continue;
    const kinds = file.job.kind === "picture" ? BROKEN_PHOTO_KINDS : BROKEN_RECORDING_KINDS;
    file.job.broken = kinds[Math.floor(k / 2) % kinds.length]!;
  }
}

type Batch = { path: string; job: MediaJob }[];

async function renderHere(batches: Batch[], progress: () => void): Promise<void> {
  await runBounded(batches, 4, async (batch) => {
    for (const { path, job } of batch) await writeFile(path, await renderJob(job));
    progress();
  });
}

/** Spreads rows over worker threads, two requests in flight per worker so none idles. */
async function renderInWorkers(batches: Batch[], count: number, progress: () => void): Promise<void> {
  const workers = Array.from({ length: count }, () => new Worker(new URL("./worker.js", import.meta.url)));
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let finished = 0;
      const send = (worker: Worker): void => {
        if (next >= batches.length) return;
        const request: WorkerRequest = { id: next, files: batches[next]! };
        next++;
        worker.postMessage(request);
      };
      if (batches.length === 0) resolve();
      for (const worker of workers) {
        worker.on("message", (reply: WorkerReply) => {
          if (reply.error !== null) {
            reject(new Error(`demo worker failed on row ${reply.id + 1}: ${reply.error}`));
            return;
          }
          progress();
          if (++finished === batches.length) resolve();
          else send(worker);
        });
        worker.on("error", reject);
        worker.on("exit", (code) => {
          if (finished < batches.length) reject(new Error(`demo worker exited early with code ${code}`));
        });
        send(worker);
        send(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

async function runBounded<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

function manifestCsv(rows: PlannedRow[]): string {
  const lines = [MANIFEST_COLUMNS.join(",")];
  for (const row of rows) {
    const cells = [
      row.id,
      ...TABULAR_COLUMNS.map((column) => row.facts[column]),
      row.photo?.path ?? "",
      row.recording?.path ?? "",
      row.event,
    ];
    lines.push(cells.map(csvCell).join(","));
  }
  return `${lines.join("\n")}\n`;
}

function csvCell(value: string | number | null): string {
  if (value === null) return "";
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

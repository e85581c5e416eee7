/**
 * events-hard: the demo's events (concert, lecture, sports) drawn by the demo's own
 * generator (src/demo: drawTabular, drawScene, synthesizeRecording), made hard. In the demo
 * each modality separates one class from the other two (see src/demo/dataset.ts), so any two
 * name the class and fusion reaches 100%, which leaves nothing to compare. Here each
 * modality's content is, with probability MISLEADING and independently of the others, drawn
 * for a wrong class (a photo from another event, a recording of the wrong hall), pictures are
 * small and noisy and recordings sit in heavy noise: each modality alone is weak, and fusing
 * them wins back much, not all, of the gap.
 */
import sharp from "sharp";
import { drawScene, type SceneKind } from "../../../src/demo/scenes.js";
import { synthesizeRecording, type SoundKind } from "../../../src/demo/sounds.js";
import { drawTabular, EVENT_CLASSES, TABULAR_COLUMNS, type EventClass } from "../../../src/demo/tabular.js";
import { Random, deriveSeed } from "../../../src/util/random.js";
import { assembleDataset } from "./assemble.js";
import { buryInNoise, rms } from "./audio.js";
import type { QualityDataset } from "./index.js";
import { stratifiedTestRows, type Cell } from "./layout.js";
import type { PlannedRow } from "./media-plan.js";
import type { MediaRenderers, RgbImage } from "./render.js";

const ROWS = 900;
const TEST_PER_CLASS = 100;

/** Difficulty: tuned against per-modality logistic regressions only. */
const MISLEADING = 0.1;
const PICTURE_WIDTH = [64, 120] as const;
const PICTURE_NOISE = [4, 20] as const;
const SNR_DB = [0, 12] as const;
/** As long as the demo's recordings; modalfuse reads the first 1.5 s. */
const RECORDING_SECONDS = 2;

/** What each class looks and sounds like in the demo (src/demo/dataset.ts). */
const SCENE_FOR: Record<EventClass, SceneKind> = { concert: "indoor-stage", lecture: "indoor-stage", sports: "sports-pitch" };
const SOUND_FOR: Record<EventClass, SoundKind> = { concert: "music", lecture: "speech", sports: "speech" };

const NUMERIC = TABULAR_COLUMNS.filter((column) => column !== "venue_type" && column !== "weekday");
const CATEGORICAL = ["venue_type", "weekday"] as const;

const STREAM = { labels: 1, split: 2, row: 3, cues: 4, image: 5, audio: 6 } as const;

interface ScenePictureJob {
  scene: SceneKind;
  seed: number;
}

interface EventRecordingJob {
  sound: SoundKind;
  seed: number;
}

export const eventsHard: QualityDataset = {
  name: "events-hard",
  description: "The demo's concerts, lectures and sports matches, each modality drawn for a wrong class 10% of the time, small noisy pictures and recordings in heavy noise. 3 classes, 600 train / 300 test.",
  version: "2",
  build: async (dir, { seed }) => assembleDataset(dir, import.meta.url, planRows(seed), { numeric: NUMERIC, categorical: CATEGORICAL }, seed),
};

export const renderers: MediaRenderers<ScenePictureJob, EventRecordingJob> = {
  renderImage: renderPicture,
  renderAudio: renderRecording,
};

// ---- planning ------------------------------------------------------------------------------

function planRows(seed: number): PlannedRow<ScenePictureJob, EventRecordingJob>[] {
  const labels = new Random(deriveSeed(seed, STREAM.labels)).shuffle(Array.from({ length: ROWS }, (_, i) => EVENT_CLASSES[i % EVENT_CLASSES.length]!));
  const test = stratifiedTestRows(labels, TEST_PER_CLASS, new Random(deriveSeed(seed, STREAM.split)));
  return labels.map((event, i) => {
    const cues = new Random(deriveSeed(seed, STREAM.cues, i));
    const shown = { table: cueFor(event, cues), picture: cueFor(event, cues), recording: cueFor(event, cues) };
    return {
      id: `ev${String(i + 1).padStart(4, "0")}`,
      label: event,
      split: test.has(i) ? "test" : "train",
      tabular: { ...drawTabular(shown.table, new Random(deriveSeed(seed, STREAM.row, i))) } satisfies Record<string, Cell>,
      image: { scene: SCENE_FOR[shown.picture], seed: deriveSeed(seed, STREAM.image, i) },
      audio: { sound: SOUND_FOR[shown.recording], seed: deriveSeed(seed, STREAM.audio, i) },
    };
  });
}

/** The class a modality's content is drawn for: the row's own, or with probability MISLEADING another. */
function cueFor(event: EventClass, rng: Random): EventClass {
  return rng.chance(MISLEADING) ? rng.pick(EVENT_CLASSES.filter((other) => other !== event)) : event;
}

// ---- rendering (in the worker threads) -----------------------------------------------------

async function renderPicture(job: ScenePictureJob): Promise<RgbImage> {
  const rng = new Random(job.seed);
  const width = rng.int(PICTURE_WIDTH[0], PICTURE_WIDTH[1]);
  const svg = drawScene(job.scene, width, Math.round(width * rng.uniform(0.65, 0.8)), rng);
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const noise = rng.uniform(PICTURE_NOISE[0], PICTURE_NOISE[1]);
  const pixels = Uint8Array.from(data, (v) => Math.max(0, Math.min(255, Math.round(v + noise * rng.normal()))));
  return { width: info.width, height: info.height, data: pixels };
}

async function renderRecording(job: EventRecordingJob, sampleRate: number): Promise<Float32Array> {
  const rng = new Random(job.seed);
  const clip = synthesizeRecording(job.sound, sampleRate, RECORDING_SECONDS, rng);
  await buryInNoise(clip, rms(clip), sampleRate, SNR_DB, rng);
  return clip;
}

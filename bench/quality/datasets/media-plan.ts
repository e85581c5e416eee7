/**
 * What every quality data set does the same way with its media: the mix of formats and
 * sample rates, the ~5% of rows without a picture and ~5% without a recording (never both),
 * and the ~1% of files that are damaged (cut short, text under a media extension, empty).
 * These draws use their own stream of the seed, so they are independent of the class.
 */
import { AUDIO_FORMATS, type AudioFormat } from "../../../src/demo/encode-audio.js";
import { Random, deriveSeed } from "../../../src/util/random.js";
import type { Cell, ManifestRow } from "./layout.js";

export const IMAGE_FORMATS = ["png", "jpeg", "webp"] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];
export const AUDIO_SAMPLE_RATES = [8000, 16000, 22050, 44100, 48000] as const;

export const MISSING_IMAGE_RATE = 0.05;
export const MISSING_AUDIO_RATE = 0.05;
export const DAMAGED_RATE = 0.01;

export const DAMAGE_KINDS = ["truncated", "text", "empty"] as const;
export type Damage = (typeof DAMAGE_KINDS)[number];

/** Where and how one picture is written; paths are relative to the data set's folder. */
export interface ImageOutput {
  path: string;
  format: ImageFormat;
  /** JPEG/WebP quality, 1..100 (PNG ignores it). */
  quality: number;
  damage: Damage | null;
}

export interface AudioOutput {
  path: string;
  format: AudioFormat;
  sampleRate: number;
  /** Lossy encoders' quality, 0..1. */
  quality: number;
  /** Seeds the Ogg serial number, so the same seed writes the same bytes. */
  seed: number;
  damage: Damage | null;
}

export type MediaTask<I, A> =
  | { kind: "image"; job: I; out: ImageOutput }
  | { kind: "audio"; job: A; out: AudioOutput };

/** A row as a data set plans it: its content, before the shared media decisions. */
export interface PlannedRow<I, A> {
  id: string;
  label: string | number;
  split: "train" | "test";
  tabular: Record<string, Cell>;
  image: I;
  audio: A;
}

/** The separate stream of the seed that every media decision draws from. */
const MEDIA_STREAM = 0x6d656469;

export function planMedia<I, A>(rows: readonly PlannedRow<I, A>[], seed: number): { manifest: ManifestRow[]; tasks: MediaTask<I, A>[] } {
  const slots = rows.map((row, i) => drawSlots(row, new Random(deriveSeed(seed, MEDIA_STREAM, i))));
  damageSome(slots, new Random(deriveSeed(seed, MEDIA_STREAM, -1)));
  const tasks: MediaTask<I, A>[] = [];
  const manifest = rows.map((row, i): ManifestRow => {
    const { image, audio } = slots[i]!;
    if (image) tasks.push({ kind: "image", job: row.image, out: image });
    if (audio) tasks.push({ kind: "audio", job: row.audio, out: audio });
    return { id: row.id, label: row.label, split: row.split, tabular: row.tabular, image: image?.path ?? "", audio: audio?.path ?? "" };
  });
  return { manifest, tasks };
}

interface Slots {
  image: ImageOutput | null;
  audio: AudioOutput | null;
}

function drawSlots(row: { id: string }, rng: Random): Slots {
  const format = rng.pick(IMAGE_FORMATS);
  const image: ImageOutput = {
    path: `media/images/${row.id}.${format === "jpeg" ? "jpg" : format}`, format, quality: rng.int(55, 95), damage: null,
  };
  const audioFormat = rng.pick(AUDIO_FORMATS);
  const audio: AudioOutput = {
    path: `media/audio/${row.id}.${audioFormat}`, format: audioFormat, sampleRate: rng.pick(AUDIO_SAMPLE_RATES),
    quality: rng.uniform(0.2, 0.9), seed: rng.int(1, 0x7ffffffe), damage: null,
  };
  // One draw decides both gaps, so a row never lacks both.
  const gap = rng.next();
  return {
    image: gap < MISSING_IMAGE_RATE ? null : image,
    audio: gap >= MISSING_IMAGE_RATE && gap < MISSING_IMAGE_RATE + MISSING_AUDIO_RATE ? null : audio,
  };
}

/** Damages ~1% of rows' files, alternating picture and recording, cycling through the kinds. */
function damageSome(slots: Slots[], rng: Random): void {
  const count = Math.max(2, Math.round(slots.length * DAMAGED_RATE));
  const order = rng.shuffle(slots.map((_, i) => i));
  for (let k = 0; k < count; k++) {
    const { image, audio } = slots[order[k]!]!;
    const file = (k % 2 === 0 ? image ?? audio : audio ?? image)!;
    file.damage = DAMAGE_KINDS[Math.floor(k / 2) % DAMAGE_KINDS.length]!;
  }
}

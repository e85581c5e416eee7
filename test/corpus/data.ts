// The small good data every case starts from: a dozen rows of numbers, a category, a
// picture, a recording and a note, with two classes. Cases then break one thing in it.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import YAML from "yaml";
import { MEDIA, writeCsv } from "../helpers/cli.js";

export const LABEL = "outcome";
export const HEADER = ["id", "a", "b", "site", "scan", "voice", "note", LABEL];

/** Decodable fixtures of several formats, so the good rows exercise more than one decoder. */
export const GOOD_IMAGES = ["image/red_blue.png", "image/red_blue.jpg", "image/animated.gif", "image/red_blue.webp", "image/red_blue.tif", "image/palette.png"];
export const GOOD_AUDIO = ["audio/tone440_pcm16_mono_16k.wav", "audio/tone440_s24_mono_48k.flac", "audio/tone1k_stereo_44k.ogg", "audio/tone440_mono_22k.mp3"];

/** Writes `content` at dir/rel, making folders on the way; returns rel, as a manifest cell names it. */
export function put(dir: string, rel: string, content: Uint8Array | string): string {
  const path = join(dir, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return rel;
}

/** Copies a file of test/fixtures/media to dir/rel; returns rel. */
export function copyFixture(dir: string, fixture: string, rel: string): string {
  const path = join(dir, rel);
  mkdirSync(dirname(path), { recursive: true });
  copyFileSync(join(MEDIA, fixture), path);
  return rel;
}

export type Cells = (string | number)[];

/** One good row: the label alternates, and `a` tells the classes apart so one epoch learns something. */
export function goodRow(dir: string, i: number): Cells {
  const yes = i % 2 === 0;
  const image = GOOD_IMAGES[i % GOOD_IMAGES.length]!;
  const audio = GOOD_AUDIO[i % GOOD_AUDIO.length]!;
  const scan = copyFixture(dir, image, `media/scan${i}${image.slice(image.lastIndexOf("."))}`);
  const voice = copyFixture(dir, audio, `media/voice${i}${audio.slice(audio.lastIndexOf("."))}`);
  return [`r${String(i).padStart(2, "0")}`, (yes ? 4 : 1) + (i % 3) * 0.25, (i * 7) % 5, ["north", "south"][i % 2]!, scan, voice, yes ? "loud and clear" : "quiet note", yes ? "yes" : "no"];
}

/** Writes dir/m.csv (or `name`) with `count` good rows and their media; returns the rows. */
export function writeGoodData(dir: string, count = 12, name = "m.csv"): Cells[] {
  const rows = Array.from({ length: count }, (_, i) => goodRow(dir, i));
  writeCsv(join(dir, name), HEADER, rows);
  return rows;
}

/** The config the cases start from: every kind of input, sized so one epoch takes a second. */
export function baseConfig(manifest = "m.csv"): Record<string, unknown> {
  return {
    data: {
      train: manifest,
      split: { validation: 0.25, test: 0.25, seed: 0 },
      label: LABEL,
      id: "id",
      tabular: { numeric: ["a", "b"], categorical: ["site"] },
      image: { column: "scan", size: 16 },
      audio: { column: "voice", sample_rate: 8000, seconds: 0.5, n_mels: 16 },
    },
    model: { preset: "standard", features: 16 },
    train: { epochs: 1, batch_size: 8, seed: 0 },
  };
}

/** The base config with only the tabular input: for cases that only need a config to load. */
export function tabularConfig(manifest = "m.csv"): Record<string, unknown> {
  const config = baseConfig(manifest);
  const data = config.data as Record<string, unknown>;
  delete data.image;
  delete data.audio;
  return config;
}

/**
 * `base` with `patch` merged in: nested objects merge, `undefined` deletes a key, anything
 * else replaces. Lets a case say only what it breaks.
 */
export function patched(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    if (value === undefined) delete out[key];
    else if (isPlainObject(value) && isPlainObject(current)) out[key] = patched(current, value);
    else out[key] = value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function yaml(config: Record<string, unknown>): string {
  return YAML.stringify(config);
}

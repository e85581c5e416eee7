/**
 * Turns one media task into a file: the data set renders the content (RGB pixels, or mono
 * samples at the planned rate), this module encodes it in the planned format and applies
 * the planned damage. Runs in the worker threads (see pool.ts).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import sharp from "sharp";
import { encodeAudio } from "../../../src/demo/encode-audio.js";
import type { AudioOutput, ImageOutput, MediaTask } from "./media-plan.js";

export interface RgbImage {
  width: number;
  height: number;
  /** Interleaved RGB, 8 bits per channel. */
  data: Uint8Array;
}

/** What a data set module exports as `renderers`, for the worker threads to call. */
export interface MediaRenderers<I, A> {
  renderImage(job: I): Promise<RgbImage>;
  /** A mono clip at `sampleRate`, samples in [-1, 1]. */
  renderAudio(job: A, sampleRate: number): Promise<Float32Array>;
}

export async function renderTask<I, A>(renderers: MediaRenderers<I, A>, task: MediaTask<I, A>, dir: string): Promise<void> {
  const path = join(dir, task.out.path);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, await taskBytes(renderers, task));
}

async function taskBytes<I, A>(renderers: MediaRenderers<I, A>, task: MediaTask<I, A>): Promise<Uint8Array> {
  const { damage } = task.out;
  // Text and empty files need no content: render nothing.
  if (damage === "text") return placeholderText(task.out.path);
  if (damage === "empty") return new Uint8Array(0);
  const whole = task.kind === "image"
    ? await encodeImage(await renderers.renderImage(task.job), task.out)
    : await encodeClip(await renderers.renderAudio(task.job, task.out.sampleRate), task.out);
  return damage === "truncated" ? truncate(whole) : whole;
}

export async function encodeImage(image: RgbImage, out: ImageOutput): Promise<Uint8Array> {
  const raw = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  const encoded = out.format === "png" ? await raw.png({ compressionLevel: 6 }).toBuffer()
    : out.format === "jpeg" ? await raw.jpeg({ quality: out.quality }).toBuffer()
      : await raw.webp({ quality: out.quality }).toBuffer();
  return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.length);
}

function encodeClip(samples: Float32Array, out: AudioOutput): Promise<Uint8Array> {
  return encodeAudio(out.format, { channels: [samples], sampleRate: out.sampleRate }, { quality: out.quality, oggSerial: out.seed });
}

/** The first 40%: the header survives, the content stops early. */
function truncate(bytes: Uint8Array): Uint8Array {
  return bytes.slice(0, Math.floor(bytes.length * 0.4));
}

function placeholderText(path: string): Uint8Array {
  return new TextEncoder().encode(`${path}: placeholder left by an upload that never finished.\n`);
}

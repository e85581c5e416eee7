/**
 * Turns one planned media file into bytes: a scene drawn as SVG, rasterised by sharp,
 * sprinkled with sensor-like noise and encoded; a clip synthesised and encoded; or a
 * deliberately broken file. Pure function of the job, so any worker may render any row.
 */
import sharp from "sharp";
import { encodeAudio, encodeWav, type AudioFormat } from "./encode-audio.js";
import { Random } from "../util/random.js";
import { drawScene, type SceneKind } from "./scenes.js";
import { synthesizeRecording, type SoundKind } from "./sounds.js";

export type ImageFormat = "png" | "jpeg";

export const RECORDING_SECONDS = 2;

export interface PictureSpec {
  scene: SceneKind;
  width: number;
  height: number;
  format: ImageFormat;
  /** JPEG quality, 1..100 (unused for PNG). */
  quality: number;
  /** Standard deviation of the per-pixel noise, in 8-bit levels. */
  noise: number;
  seed: number;
}

export interface RecordingSpec {
  sound: SoundKind;
  sampleRate: number;
  channels: 1 | 2;
  format: AudioFormat;
  /** Lossy encoders' quality, 0..1. */
  quality: number;
  seed: number;
}

/**
 * The ways a demo file is broken, each one a decoder must refuse: a PNG cut short, a text
 * file with an image or audio extension, an empty MP3, a WAV whose data stops before its
 * header says it does.
 */
export const BROKEN_KINDS = ["truncated-png", "text-named-jpg", "text-named-wav", "empty-mp3", "truncated-wav"] as const;
export type BrokenKind = (typeof BROKEN_KINDS)[number];

export type MediaJob =
  | { kind: "picture"; spec: PictureSpec; broken: BrokenKind | null }
  | { kind: "recording"; spec: RecordingSpec; broken: BrokenKind | null };

/** The file extension a job's bytes are written under. */
export function extensionFor(job: MediaJob): string {
  if (job.broken !== null) return brokenExtension(job.broken);
  if (job.kind === "picture") return job.spec.format === "png" ? "png" : "jpg";
  return job.spec.format;
}

function brokenExtension(kind: BrokenKind): string {
  switch (kind) {
    case "truncated-png": return "png";
    case "text-named-jpg": return "jpg";
    case "text-named-wav": case "truncated-wav": return "wav";
    case "empty-mp3": return "mp3";
  }
}

export async function renderJob(job: MediaJob): Promise<Uint8Array> {
  if (job.broken !== null) return renderBroken(job);
  return job.kind === "picture" ? renderPicture(job.spec) : renderRecording(job.spec);
}

export async function renderPicture(spec: PictureSpec): Promise<Uint8Array> {
  const rng = new Random(spec.seed);
  const svg = drawScene(spec.scene, spec.width, spec.height, rng);
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  // Sensor-like noise, so no two pixels of a flat area are exactly alike.
  for (let i = 0; i < data.length; i++) {
    const v = data[i]! + spec.noise * (rng.next() + rng.next() + rng.next() - 1.5) * 2;
    data[i] = Math.max(0, Math.min(255, Math.round(v)));
  }
  const image = sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } });
  const encoded = spec.format === "png"
    ? await image.png({ compressionLevel: 6 }).toBuffer()
    : await image.jpeg({ quality: spec.quality }).toBuffer();
  return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.length);
}

export async function renderRecording(spec: RecordingSpec): Promise<Uint8Array> {
  return encodeAudio(spec.format, pcmFor(spec), { quality: spec.quality, oggSerial: spec.seed });
}

/**
 * The clip as channels. Stereo is the same performance heard from two places: each channel
 * gets its own gain and a little of its own hiss, never an inverted copy, so the mono mix
 * modalfuse makes keeps the content.
 */
function pcmFor(spec: RecordingSpec): { channels: Float32Array[]; sampleRate: number } {
  const rng = new Random(spec.seed);
  const mono = synthesizeRecording(spec.sound, spec.sampleRate, RECORDING_SECONDS, rng);
  if (spec.channels === 1) return { channels: [mono], sampleRate: spec.sampleRate };
  const channels = [0, 1].map(() => {
    const gain = rng.uniform(0.75, 1);
    const hiss = rng.uniform(0.001, 0.005);
    return Float32Array.from(mono, (v) => gain * v + hiss * (2 * rng.next() - 1));
  });
  return { channels, sampleRate: spec.sampleRate };
}

async function renderBroken(job: MediaJob): Promise<Uint8Array> {
  const broken = job.broken!;
  const text = new TextEncoder().encode(`This is not ${brokenExtension(broken).toUpperCase()} data: a placeholder left by an upload that never finished.\n`);
  switch (broken) {
    case "text-named-jpg": case "text-named-wav": return text;
    case "empty-mp3": return new Uint8Array(0);
    case "truncated-png": {
      const whole = job.kind === "picture"
        ? await renderPicture({ ...job.spec, format: "png" })
        : await renderPicture({ scene: "indoor-stage", width: 160, height: 120, format: "png", quality: 90, noise: 3, seed: job.spec.seed });
      return whole.slice(0, Math.floor(whole.length * 0.45));
    }
    case "truncated-wav": {
      const spec: RecordingSpec = job.kind === "recording"
        ? { ...job.spec, format: "wav" }
        : { sound: "speech", sampleRate: 16000, channels: 1, format: "wav", quality: 0.5, seed: job.spec.seed };
      const whole = encodeWav(pcmFor(spec));
      return whole.slice(0, Math.floor(whole.length * 0.4));
    }
  }
}

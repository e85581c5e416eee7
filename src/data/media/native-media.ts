// The native media decoders, in their own addon: audio by libsndfile (WAV, FLAC, Ogg Vorbis,
// MP3 and more), several times faster than the WebAssembly decoders, and JPEG by
// libjpeg-turbo, several times faster than sharp for photo-sized files. Optional by design:
// without the addon audio goes to the WebAssembly decoders (same results) and images to
// sharp (the same pictures within a level of brightness on average).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { isMainThread } from "node:worker_threads";
import { packageRoot } from "../../util/package-root.js";

export interface NativeDecoded {
  sampleRate: number;
  channels: number;
  /** Every frame the stream held, decoded to its end. */
  frames: number;
  /** The first keepSeconds, channels averaged (float32 sums in channel order, then × 1/channels). */
  mono: Float32Array;
  /** The first frame with a NaN or infinite sample, or -1. */
  nonFiniteFrame: number;
  /** libsndfile's name of the container format. */
  format: string;
  /**
   * The format when the WebAssembly decoders read it to the same samples; "other" for what
   * only libsndfile reads (AU, W64, 8-bit or µ-law WAV, ...).
   */
  container: "wav" | "flac" | "ogg" | "mp3" | "other";
}

export interface MediaBinding {
  decodeAudio(bytes: Uint8Array, keepSeconds: number): Promise<NativeDecoded>;
  decodeAudioSync(bytes: Uint8Array, keepSeconds: number): NativeDecoded;
  /** Present when the addon was built with libjpeg-turbo. */
  decodeJpegSync?: (bytes: Uint8Array, width: number, height: number) => Uint8Array | null;
  version(): string;
}

let loaded: { binding: MediaBinding | null; problem: string } | undefined;

/** The addon, loaded once, whatever the overrides say. */
function loadAddon(): { binding: MediaBinding | null; problem: string } {
  if (loaded) return loaded;
  const file = join(packageRoot(), "build", "Release", "modalfuse_media.node");
  if (!existsSync(file)) return (loaded = { binding: null, problem: `${file} is not built` });
  try {
    return (loaded = { binding: createRequire(import.meta.url)(file) as MediaBinding, problem: "" });
  } catch (thrown) {
    return (loaded = { binding: null, problem: thrown instanceof Error ? thrown.message.split("\n")[0]! : String(thrown) });
  }
}

/** The native audio decoder, or null when it cannot be loaded or is turned off (see nativeAudioStatus). */
export function nativeAudio(): MediaBinding | null {
  if (process.env.MODALFUSE_AUDIO_DECODER === "wasm") return null;
  return loadAddon().binding;
}

/** Which audio decoder is in use, for `modalfuse doctor`. */
export function nativeAudioStatus(): { native: boolean; detail: string } {
  if (process.env.MODALFUSE_AUDIO_DECODER === "wasm") return { native: false, detail: "MODALFUSE_AUDIO_DECODER=wasm" };
  const { binding, problem } = loadAddon();
  return binding ? { native: true, detail: binding.version() } : { native: false, detail: problem };
}

/**
 * The native JPEG decoder (libjpeg-turbo), or null: when the addon was built without it, or
 * MODALFUSE_IMAGE_DECODER=sharp turns it off. It returns null for a file it leaves to sharp.
 */
export function nativeJpeg(): ((bytes: Uint8Array, width: number, height: number) => Uint8Array | null) | null {
  if (process.env.MODALFUSE_IMAGE_DECODER === "sharp") return null;
  const decode = loadAddon().binding?.decodeJpegSync;
  return decode ?? null;
}

/** Which decoders read images, for `modalfuse doctor`. */
export function nativeImageStatus(): string {
  if (process.env.MODALFUSE_IMAGE_DECODER === "sharp") return "sharp (chosen by MODALFUSE_IMAGE_DECODER=sharp)";
  return nativeJpeg() ? "libjpeg-turbo for JPEG, sharp for the rest" : "sharp";
}

/**
 * Decodes with the native decoder: on libuv's pool from the main thread, which must stay
 * free; on the calling thread from a worker thread, which exists to decode, so that every
 * worker decodes at once instead of queueing for libuv's few threads.
 */
export async function decodeNative(binding: MediaBinding, bytes: Uint8Array, keepSeconds: number): Promise<NativeDecoded> {
  return isMainThread ? binding.decodeAudio(bytes, keepSeconds) : binding.decodeAudioSync(bytes, keepSeconds);
}

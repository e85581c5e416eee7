// The native audio decoder (libsndfile, in its own addon): WAV, FLAC, Ogg Vorbis, MP3 and
// more, decoded on libuv's thread pool, several times faster than the WebAssembly decoders.
// Optional by design: when the addon was not built or libsndfile is not installed, audio is
// decoded by the WebAssembly decoders instead, with the same results.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { isMainThread } from "node:worker_threads";
import { packageRoot } from "../util/package-root.js";

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
  version(): string;
}

let binding: MediaBinding | null | undefined;
let loadProblem = "";

/** The native decoder, or null when it cannot be loaded (see nativeAudioStatus). */
export function nativeAudio(): MediaBinding | null {
  if (binding !== undefined) return binding;
  const file = join(packageRoot(), "build", "Release", "modalfuse_media.node");
  if (process.env.MODALFUSE_AUDIO_DECODER === "wasm") {
    loadProblem = "MODALFUSE_AUDIO_DECODER=wasm";
    binding = null;
  } else if (!existsSync(file)) {
    loadProblem = `${file} is not built`;
    binding = null;
  } else {
    try {
      binding = createRequire(import.meta.url)(file) as MediaBinding;
    } catch (thrown) {
      loadProblem = thrown instanceof Error ? thrown.message.split("\n")[0]! : String(thrown);
      binding = null;
    }
  }
  return binding;
}

/** Which audio decoder is in use, for `modalfuse doctor`. */
export function nativeAudioStatus(): { native: boolean; detail: string } {
  const b = nativeAudio();
  return b ? { native: true, detail: b.version() } : { native: false, detail: loadProblem };
}

/**
 * Decodes with the native decoder: on libuv's pool from the main thread, which must stay
 * free; on the calling thread from a worker thread, which exists to decode, so that every
 * worker decodes at once instead of queueing for libuv's few threads.
 */
export async function decodeNative(binding: MediaBinding, bytes: Uint8Array, keepSeconds: number): Promise<NativeDecoded> {
  return isMainThread ? binding.decodeAudio(bytes, keepSeconds) : binding.decodeAudioSync(bytes, keepSeconds);
}

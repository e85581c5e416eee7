import decodeAudioBytes from "audio-decode";
import { inspectAudioContainer } from "./audio-container.js";
import { readMediaBytes, type MediaSource } from "../media/media-bytes.js";
import { badMedia, describeThrown, MediaError } from "../media/media-error.js";
import { decodeNative, nativeAudio, type NativeDecoded } from "../media/native-media.js";
import { readPcm16Wav } from "./wav-pcm16.js";
import { MAX_SAMPLE_RATE, resampleMono, resamplerReach, type ResampleQuality } from "./resample.js";

export interface AudioDecodeOptions {
  /** Output rate in Hz. */
  sampleRate: number;
  /** Output length: the first `seconds` of the clip, zero-padded at the end if shorter. */
  seconds: number;
  /** Resampler quality, "medium" unless given; see ResampleQuality. */
  resampleQuality?: ResampleQuality;
}

/**
 * Below this a decoder's sample rate is not believed: no real recording is made at under
 * 1 kHz, and a rate of 0 or 1 is what a broken header or decoder reports.
 */
export const MIN_BELIEVABLE_SAMPLE_RATE = 1000;

/** Samples decodeAudio returns for these options: round(sampleRate * seconds). */
export function audioLength(opts: Pick<AudioDecodeOptions, "sampleRate" | "seconds">): number {
  return Math.round(opts.sampleRate * opts.seconds);
}

/**
 * Decodes an audio file to exactly audioLength(opts) mono float samples at opts.sampleRate.
 *
 * Reads WAV (PCM 8/16/24/32, float), FLAC, Ogg Vorbis and MP3, and whatever else audio-decode
 * recognises; the format is found from the bytes, never the extension. Channels are averaged
 * to mono, the first `seconds` are kept (the rest is never resampled), the rate is converted
 * with libsamplerate's band-limited sinc converter, and a shorter clip is zero-padded at the end.
 *
 * Nothing the decoder returns is trusted: the sample rate, channel count, frame count and
 * every sample's finiteness are checked, and so is the container's own declared length, as
 * the decoders return cut files as shorter clips or as nothing. Every failure is a
 * MediaError: kind "missing" when no file exists, "bad" otherwise.
 */
export async function decodeAudio(source: MediaSource, opts: AudioDecodeOptions): Promise<Float32Array> {
  const clip = await decodeClip(source, opts);
  const resampled = await resampleMono(clip.samples, clip.sampleRate, opts.sampleRate, opts.resampleQuality);
  return fitLength(resampled, audioLength(opts));
}

/** A clip mixed to mono at its own sample rate. */
export interface MonoClip {
  samples: Float32Array;
  sampleRate: number;
}

/** Which decoder reads a file: libsndfile when it is available, else the WebAssembly ones. */
export type AudioDecoderChoice = "auto" | "wasm";

/**
 * Seconds of mono the native decoder keeps beyond `seconds`: more than any resampler's reach
 * (160 input frames at 1 kHz, the lowest believable rate), so framesToUse can trim exactly.
 */
const NATIVE_KEEP_MARGIN_S = 0.2;

/**
 * decodeAudio without its last steps: the clip decoded, checked and mixed to mono at the
 * file's own rate, keeping only the frames that can reach the first `seconds` once
 * resampled to `sampleRate`. For callers that resample many clips at once themselves.
 *
 * libsndfile decodes when its addon is loaded (off this thread, and 3-4x faster than the
 * WebAssembly decoders for MP3 and FLAC); a file it cannot read, or of a kind the
 * WebAssembly decoders would read differently or not at all, goes to those decoders, whose
 * verdict then stands. Every machine therefore accepts the same files with the same samples
 * (within 16-bit scaling), whichever decoder it has.
 */
export async function decodeClip(source: MediaSource, opts: AudioDecodeOptions, decoder: AudioDecoderChoice = "auto"): Promise<MonoClip> {
  assertValidOptions(opts);
  const { bytes, path } = await readMediaBytes(source);

  const container = inspectAudioContainer(bytes);
  if (container.problem !== undefined) throw badMedia(container.problem, path);

  const native = decoder === "auto" ? nativeAudio() : null;
  if (native) {
    // libsndfile's refusal hands the file to the WebAssembly decoders; a TypeError is a
    // call that went wrong here, never a verdict on the file.
    const decoded = await decodeNative(native, bytes, opts.seconds + NATIVE_KEEP_MARGIN_S).catch((error: unknown) => {
      if (error instanceof TypeError) throw error;
      return null;
    });
    if (decoded && decoded.container !== "other") return checkNative(decoded, path, container.declaredFrames, opts);
  }

  const pcm = readPcm16Wav(bytes);
  if (pcm) {
    if (pcm.frames === 0) throw badMedia("no audio frames", path);
    assertBelievableRate(pcm.sampleRate, path);
    return { samples: pcm.mono(framesToUse(pcm.sampleRate, pcm.frames, opts)), sampleRate: pcm.sampleRate };
  }

  let decoded: unknown;
  try {
    decoded = await decodeAudioBytes(bytes);
  } catch (thrown) {
    throw decoderFailure(thrown, path);
  }
  const audio = checkDecoded(decoded, path, container.declaredFrames);
  return { samples: mixToMono(audio.channels, framesToUse(audio.sampleRate, audio.frames, opts)), sampleRate: audio.sampleRate };
}

/** The checks checkDecoded makes, in the same order and words, on libsndfile's result. */
function checkNative(decoded: NativeDecoded, path: string | undefined, declaredFrames: number | undefined, opts: AudioDecodeOptions): MonoClip {
  const { frames, sampleRate } = decoded;
  if (declaredFrames !== undefined && frames < declaredFrames) {
    throw badMedia("truncated", path, `${frames} of ${declaredFrames} declared frames decoded`);
  }
  if (frames === 0) throw badMedia("no audio frames", path);
  assertBelievableRate(sampleRate, path);
  if (decoded.nonFiniteFrame >= 0) throw badMedia("non-finite samples", path, `at frame ${decoded.nonFiniteFrame}`);
  return { samples: decoded.mono.subarray(0, framesToUse(sampleRate, frames, opts)), sampleRate };
}

/** Only the input that can reach the first `seconds` of output is mixed and resampled. */
function framesToUse(sampleRate: number, frames: number, opts: AudioDecodeOptions): number {
  const wanted = audioLength(opts);
  if (sampleRate === opts.sampleRate) return Math.min(frames, wanted);
  return Math.min(frames, Math.ceil((wanted * sampleRate) / opts.sampleRate) + resamplerReach(sampleRate, opts.sampleRate));
}

interface CheckedAudio {
  channels: Float32Array[];
  sampleRate: number;
  frames: number;
}

/**
 * Validates what audio-decode returned, field by field, before any of it is used, and against
 * the frame count the container declared, if it did.
 */
function checkDecoded(decoded: unknown, path: string | undefined, declaredFrames: number | undefined): CheckedAudio {
  const { channelData, sampleRate } = (decoded ?? {}) as { channelData?: unknown; sampleRate?: unknown };
  if (!Array.isArray(channelData)) throw badMedia("decoder returned no channel data", path);
  if (!channelData.every((channel): channel is Float32Array => channel instanceof Float32Array)) {
    throw badMedia("decoder returned malformed channel data", path);
  }
  // audio-decode reports "nothing decoded" as zero channels with sample rate 0; test the
  // emptiness first so that case reads as what it is.
  const frames = channelData[0]?.length ?? 0;
  if (declaredFrames !== undefined && frames < declaredFrames) {
    throw badMedia("truncated", path, `${frames} of ${declaredFrames} declared frames decoded`);
  }
  if (frames === 0) throw badMedia("no audio frames", path);
  if (channelData.some((channel) => channel.length !== frames)) {
    throw badMedia("decoder returned channels of unequal length", path);
  }
  assertBelievableRate(sampleRate, path);
  for (const channel of channelData) {
    // A float64 sum of float32 samples is finite exactly when every sample is (2^53 of the
    // largest float32 stay far below float64's range), and one add per sample is several
    // times cheaper than testing each; the slow search runs only to name the frame.
    let sum = 0;
    for (let i = 0; i < frames; i++) sum += channel[i]!;
    if (Number.isFinite(sum)) continue;
    const at = channel.findIndex((v) => !Number.isFinite(v));
    throw badMedia("non-finite samples", path, `at frame ${at}`);
  }
  return { channels: channelData, sampleRate, frames };
}

function assertBelievableRate(sampleRate: unknown, path: string | undefined): asserts sampleRate is number {
  if (typeof sampleRate !== "number" || !Number.isInteger(sampleRate) || sampleRate < MIN_BELIEVABLE_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw badMedia(`decoder claims sample rate ${String(sampleRate)}`, path);
  }
}

function decoderFailure(thrown: unknown, path: string | undefined): MediaError {
  const detail = describeThrown(thrown);
  if (/unknown audio format/i.test(detail)) return badMedia("not audio", path);
  const unsupported = /no decoder for (\S+)/i.exec(detail);
  if (unsupported) return badMedia(`unsupported audio format (${unsupported[1]})`, path);
  return badMedia("corrupt audio", path, detail);
}

/** Mean of the channels over the first `frames` frames: opposite channels cancel, as they would in the air. */
function mixToMono(channels: Float32Array[], frames: number): Float32Array {
  if (channels.length === 1) return channels[0]!.slice(0, frames);
  const mono = new Float32Array(frames);
  for (const channel of channels) {
    for (let i = 0; i < frames; i++) mono[i]! += channel[i]!;
  }
  const scale = 1 / channels.length;
  for (let i = 0; i < frames; i++) mono[i]! *= scale;
  return mono;
}

/** The first `length` samples, zero-padded at the end when there are fewer. */
export function fitLength(samples: Float32Array, length: number): Float32Array {
  if (samples.length === length) return samples;
  const out = new Float32Array(length);
  out.set(samples.subarray(0, length));
  return out;
}

function assertValidOptions(opts: AudioDecodeOptions): void {
  if (!Number.isInteger(opts.sampleRate) || opts.sampleRate < MIN_BELIEVABLE_SAMPLE_RATE || opts.sampleRate > MAX_SAMPLE_RATE) {
    throw new RangeError(`audio sample rate must be an integer from ${MIN_BELIEVABLE_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz, got ${opts.sampleRate}`);
  }
  if (!(Number.isFinite(opts.seconds) && opts.seconds > 0) || audioLength(opts) < 1) {
    throw new RangeError(`audio seconds must be positive and give at least one sample, got ${opts.seconds}`);
  }
}

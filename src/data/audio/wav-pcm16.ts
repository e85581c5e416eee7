// The most common audio file — a WAV of 16-bit PCM — read straight into a mono mix of the
// frames that will be used, for machines without the native decoder: the WebAssembly
// decoder first copies every channel of the whole file into floats and then each sample is
// checked and mixed: for 5 s of 44.1 kHz stereo that is ~7 ms, this ~1 ms. The values are
// libsndfile's to the bit (v / 32768, as in soundfile, torchaudio and librosa; the same
// float32 mixing), so which path read a WAV never changes a feature. Anything else returns
// null and goes to the general decoder.

import { ascii } from "./audio-container.js";

export interface Pcm16Wav {
  sampleRate: number;
  channels: number;
  /** Whole frames the data chunk holds. */
  frames: number;
  /** Mean of the channels over the first `framesToUse` frames. */
  mono(framesToUse: number): Float32Array;
}

const PCM = 1;
const EXTENSIBLE = 0xfffe;
/** Typed-array views read in the platform's byte order; WAV is little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let codeToFloat: Float32Array | null = null;

/** Every 16-bit code's sample value, as libsndfile converts it. */
function table(): Float32Array {
  if (codeToFloat) return codeToFloat;
  codeToFloat = new Float32Array(65536);
  for (let u = 0; u < 65536; u++) {
    const v = (u << 16) >> 16;
    codeToFloat[u] = v / 32768;
  }
  return codeToFloat;
}

/** The file as 16-bit PCM, or null when it is not a 16-bit PCM WAV (plain or extensible) with whole chunks. */
export function readPcm16Wav(bytes: Uint8Array): Pcm16Wav | null {
  if (!LITTLE_ENDIAN || bytes.length < 12 || !ascii(bytes, 0, "RIFF") || !ascii(bytes, 8, "WAVE")) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: { channels: number; sampleRate: number } | null = null;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const size = view.getUint32(at + 4, true);
    if (ascii(bytes, at, "fmt ")) {
      if (size < 16 || at + 24 > bytes.length) return null;
      // WAVE_FORMAT_EXTENSIBLE (more than two channels, usually) names its format in a
      // sub-format GUID whose first two bytes are the plain format's tag.
      const declared = view.getUint16(at + 8, true);
      const tag = declared === EXTENSIBLE && size >= 40 && at + 34 <= bytes.length ? view.getUint16(at + 32, true) : declared;
      const channels = view.getUint16(at + 10, true);
      const bits = view.getUint16(at + 22, true);
      if (tag !== PCM || bits !== 16 || channels < 1 || view.getUint16(at + 20, true) !== 2 * channels) return null;
      format = { channels, sampleRate: view.getUint32(at + 12, true) };
    } else if (ascii(bytes, at, "data")) {
      if (!format || size === 0xffffffff || at + 8 + size > bytes.length) return null;
      const { channels, sampleRate } = format;
      const start = bytes.byteOffset + at + 8;
      const frames = Math.floor(size / (2 * channels));
      return { sampleRate, channels, frames, mono: (framesToUse) => mix(bytes.buffer as ArrayBuffer, start, channels, Math.min(frames, framesToUse)) };
    }
    at += 8 + size + (size & 1); // chunks are padded to an even length
  }
  return null;
}

function mix(buffer: ArrayBuffer, start: number, channels: number, frames: number): Float32Array {
  // Int16 views need an even offset; an odd one (rare: a chunk of odd length before) is copied.
  const codes = start % 2 === 0 ? new Uint16Array(buffer, start, frames * channels) : new Uint16Array(buffer.slice(start, start + 2 * frames * channels));
  const t = table();
  const mono = new Float32Array(frames);
  if (channels === 1) {
    for (let i = 0; i < frames; i++) mono[i] = t[codes[i]!]!;
    return mono;
  }
  for (let c = 0; c < channels; c++) {
    for (let i = 0, k = c; i < frames; i++, k += channels) mono[i]! += t[codes[k]!]!;
  }
  const scale = 1 / channels;
  for (let i = 0; i < frames; i++) mono[i]! *= scale;
  return mono;
}

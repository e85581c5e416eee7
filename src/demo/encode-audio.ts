/**
 * Writers for the demo's four audio formats, so modalfuse's decoders meet each of them:
 * WAV (16-bit PCM, written here), FLAC (libflacjs, the reference libFLAC compiled to
 * asm.js), Ogg Vorbis and MP3 (wasm-media-encoders: libvorbis and LAME in WebAssembly).
 */
import { createRequire } from "node:module";
import { createMp3Encoder, createOggEncoder } from "wasm-media-encoders";

export const AUDIO_FORMATS = ["wav", "flac", "ogg", "mp3"] as const;
export type AudioFormat = (typeof AUDIO_FORMATS)[number];

/** Channels of float samples in [-1, 1], all the same length. */
export interface PcmClip {
  channels: Float32Array[];
  sampleRate: number;
}

export interface EncodeOptions {
  /** Lossy encoders' variable-bit-rate quality: 0..1, worse to better. */
  quality?: number;
  /**
   * Ogg's stream serial number. libvorbis picks a random one when none is given; the demo
   * passes one derived from its seed so the same seed writes the same bytes.
   */
  oggSerial?: number;
}

export async function encodeAudio(format: AudioFormat, clip: PcmClip, opts: EncodeOptions = {}): Promise<Uint8Array> {
  const quality = Math.min(1, Math.max(0, opts.quality ?? 0.5));
  switch (format) {
    case "wav": return encodeWav(clip);
    case "flac": return encodeFlac(clip);
    case "ogg": return encodeOgg(clip, quality, opts.oggSerial ?? 1);
    case "mp3": return encodeMp3(clip, quality);
  }
}

/** RIFF/WAVE, PCM, 16-bit little-endian, interleaved. */
export function encodeWav({ channels, sampleRate }: PcmClip): Uint8Array {
  const frames = channels[0]?.length ?? 0;
  const blockAlign = channels.length * 2;
  const dataBytes = frames * blockAlign;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string): void => {
    for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, channels.length, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 16, true);
  ascii(36, "data");
  view.setUint32(40, dataBytes, true);
  for (let i = 0, at = 44; i < frames; i++) {
    for (const channel of channels) {
      view.setInt16(at, toInt16(channel[i]!), true);
      at += 2;
    }
  }
  return out;
}

function toInt16(sample: number): number {
  return Math.max(-32768, Math.min(32767, Math.round(sample * 32767)));
}

// ---- FLAC through libflacjs --------------------------------------------------------------

/** The parts of libflacjs used here; its own typings describe the browser global. */
interface FlacModule {
  isReady(): boolean;
  on(event: "ready", listener: () => void): void;
}
interface FlacEncoder {
  encode(channels?: Int32Array[]): boolean;
  getSamples(): Uint8Array;
  destroy(): void;
}
type FlacEncoderClass = new (flac: FlacModule, options: {
  sampleRate: number; channels: number; bitsPerSample: number; compression: number; verify: boolean;
}) => FlacEncoder;

let flacLibrary: Promise<{ flac: FlacModule; Encoder: FlacEncoderClass }> | undefined;

function loadFlac(): Promise<{ flac: FlacModule; Encoder: FlacEncoderClass }> {
  flacLibrary ??= (async () => {
    const require = createRequire(import.meta.url);
    // The asm.js build: the WebAssembly builds fetch() their .wasm by path, which Node's fetch refuses.
    const flac = require("libflacjs/dist/libflac.js") as FlacModule;
    const { Encoder } = require("libflacjs/lib/encoder.js") as { Encoder: FlacEncoderClass };
    if (!flac.isReady()) await new Promise<void>((resolve) => flac.on("ready", resolve));
    return { flac, Encoder };
  })();
  return flacLibrary;
}

/** Compression level 2: about as small as the default 5 for these clips, at a third of the time. */
async function encodeFlac({ channels, sampleRate }: PcmClip): Promise<Uint8Array> {
  const { flac, Encoder } = await loadFlac();
  const encoder = new Encoder(flac, { sampleRate, channels: channels.length, bitsPerSample: 16, compression: 2, verify: false });
  try {
    const ints = channels.map((channel) => Int32Array.from(channel, toInt16));
    if (!encoder.encode(ints) || !encoder.encode()) throw new Error("libFLAC failed to encode the clip");
    return encoder.getSamples().slice();
  } finally {
    encoder.destroy();
  }
}

// ---- Ogg Vorbis and MP3 through wasm-media-encoders --------------------------------------

type OggEncoder = Awaited<ReturnType<typeof createOggEncoder>>;
type Mp3Encoder = Awaited<ReturnType<typeof createMp3Encoder>>;
let oggEncoder: Promise<OggEncoder> | undefined;
let mp3Encoder: Promise<Mp3Encoder> | undefined;

/**
 * One encoder per format per thread, reconfigured for each clip: instantiating the
 * WebAssembly costs more than encoding a 2 s clip. configure, encode and finalize run with
 * no await between them, so concurrent callers in one thread never interleave.
 */
async function encodeOgg(clip: PcmClip, quality: number, serial: number): Promise<Uint8Array> {
  const encoder = await (oggEncoder ??= createOggEncoder());
  encoder.configure({
    sampleRate: clip.sampleRate, channels: channelCount(clip), vbrQuality: 1 + 5 * quality, oggSerialNo: serial & 0x7fffffff,
  });
  const head = encoder.encode(clip.channels).slice();
  return concat([head, encoder.finalize()]);
}

async function encodeMp3(clip: PcmClip, quality: number): Promise<Uint8Array> {
  const encoder = await (mp3Encoder ??= createMp3Encoder());
  // LAME's VBR scale runs from 0 (best) to 9 (worst).
  encoder.configure({ sampleRate: clip.sampleRate, channels: channelCount(clip), vbrQuality: 7 - 5 * quality });
  const head = encoder.encode(clip.channels).slice();
  return concat([head, encoder.finalize()]);
}

function channelCount(clip: PcmClip): 1 | 2 {
  if (clip.channels.length === 1 || clip.channels.length === 2) return clip.channels.length;
  throw new RangeError(`lossy encoders take 1 or 2 channels, got ${clip.channels.length}`);
}

/**
 * The encoders' output views their own memory, reused by the next call: encode()'s result
 * is copied (slice) before finalize() runs, and concat copies the rest.
 */
function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

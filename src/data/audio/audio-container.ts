/**
 * Checks on an audio file's container, made before and after decoding, because the WASM
 * decoders return whatever they managed to decode: a WAV or MP3 cut in half comes back as a
 * shorter clip, a cut FLAC or Ogg as nothing, and neither says why. These checks read the
 * lengths the container itself declares and find the files that end early.
 *
 * Each returns a problem for data_issues.csv, or undefined when nothing is wrong or the
 * container gives no way to tell (e.g. a streamed WAV whose sizes were never filled in).
 */

export interface ContainerFacts {
  /** Frames per channel the header promises, when it says so (WAV, FLAC). */
  declaredFrames: number | undefined;
  /** A problem visible in the bytes alone, such as a stream that ends mid-frame. */
  problem: string | undefined;
}

export function inspectAudioContainer(bytes: Uint8Array): ContainerFacts {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (ascii(bytes, 0, "RIFF") && ascii(bytes, 8, "WAVE")) return inspectWav(bytes, view);
  if (ascii(bytes, 0, "fLaC")) return { declaredFrames: flacDeclaredFrames(bytes, view), problem: undefined };
  if (ascii(bytes, 0, "OggS")) return { declaredFrames: undefined, problem: oggProblem(bytes, view) };
  if (ascii(bytes, 0, "ID3") || isMp3FrameHeader(bytes, 0)) {
    return { declaredFrames: undefined, problem: mp3Problem(bytes, view) };
  }
  return { declaredFrames: undefined, problem: undefined };
}

// ------------------------------------------------------------------------------ WAV
// Chunks: "fmt " (channels at +10, block align at +20) and "data" (its size is the promise).
// Sizes of 0 or 0xFFFFFFFF before the data are the placeholders of streaming writers.
function inspectWav(bytes: Uint8Array, view: DataView): ContainerFacts {
  let blockAlign = 0;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const size = view.getUint32(at + 4, true);
    if (ascii(bytes, at, "fmt ") && at + 24 <= bytes.length) {
      if (view.getUint16(at + 10, true) === 0) return { declaredFrames: undefined, problem: "WAV header claims 0 channels" };
      blockAlign = view.getUint16(at + 20, true);
    }
    if (ascii(bytes, at, "data")) {
      const available = bytes.length - (at + 8);
      if (size === 0xffffffff) return { declaredFrames: undefined, problem: undefined };
      if (size > available) return { declaredFrames: undefined, problem: "truncated" };
      return { declaredFrames: blockAlign > 0 ? Math.floor(size / blockAlign) : undefined, problem: undefined };
    }
    at += 8 + size + (size & 1); // chunks are padded to an even length
  }
  return { declaredFrames: undefined, problem: "truncated" }; // no data chunk before the end
}

// ------------------------------------------------------------------------------ FLAC
// STREAMINFO is always the first metadata block: its 36-bit total sample count (0 = unknown)
// starts 4 bits into byte 21 of the file.
function flacDeclaredFrames(bytes: Uint8Array, view: DataView): number | undefined {
  if (bytes.length < 26) return undefined;
  const total = ((bytes[21]! & 0x0f) * 2 ** 32) + view.getUint32(22, false);
  return total > 0 ? total : undefined;
}

// ------------------------------------------------------------------------------ Ogg
// Pages: "OggS", header type at +5 (0x04 = last page of the stream), segment count at +26,
// then the segment table whose sum is the body length. A complete stream ends on a whole
// page flagged as last.
function oggProblem(bytes: Uint8Array, view: DataView): string | undefined {
  let at = 0;
  let sawLastPage = false;
  while (at < bytes.length) {
    if (at + 27 > bytes.length) return "truncated";
    if (!ascii(bytes, at, "OggS")) return sawLastPage ? undefined : "corrupt ogg";
    const segments = view.getUint8(at + 26);
    if (at + 27 + segments > bytes.length) return "truncated";
    let body = 0;
    for (let i = 0; i < segments; i++) body += bytes[at + 27 + i]!;
    const end = at + 27 + segments + body;
    if (end > bytes.length) return "truncated";
    if (bytes[at + 5]! & 0x04) sawLastPage = true;
    at = end;
  }
  return sawLastPage ? undefined : "truncated";
}

// ------------------------------------------------------------------------------ MP3
// An encoder's Xing/Info header, when present, declares the stream's byte length; without it
// the frames are walked from the first, and a last frame that runs past the end was cut.
// The walk judges only Layer III streams; it steps over tags, and calls anything else in the
// middle of the stream corrupt (the decoder would skip it silently).
function mp3Problem(bytes: Uint8Array, view: DataView): string | undefined {
  let at = 0;
  if (ascii(bytes, 0, "ID3")) {
    at = id3v2End(bytes, 0);
    if (at > bytes.length) return "truncated";
  }
  let end = bytes.length;
  if (end - 128 >= at && ascii(bytes, end - 128, "TAG")) end -= 128; // ID3v1 tag
  if (mp3FrameLength(bytes, at) === undefined) return undefined; // not a stream we can judge

  const declaredBytes = xingDeclaredBytes(bytes, view, at);
  if (declaredBytes !== undefined && at + declaredBytes > end) return "truncated";

  while (at < end) {
    const length = mp3FrameLength(bytes, at);
    if (length !== undefined) {
      if (at + length > end) return "truncated";
      at += length;
    } else if (ascii(bytes, at, "ID3")) {
      at = id3v2End(bytes, at);
      if (at > end) return "truncated";
    } else if (ascii(bytes, at, "APETAGEX") || ascii(bytes, at, "LYRICSBEGIN")) {
      return undefined; // trailing tags end the audio
    } else {
      return at + 4 > end ? "truncated" : "corrupt mp3";
    }
  }
  return undefined;
}

/** End of the ID3v2 tag starting at `at`: its size is four 7-bit bytes; a footer adds 10. */
function id3v2End(bytes: Uint8Array, at: number): number {
  if (at + 10 > bytes.length) return bytes.length + 1;
  const size = ((bytes[at + 6]! & 0x7f) << 21) | ((bytes[at + 7]! & 0x7f) << 14)
    | ((bytes[at + 8]! & 0x7f) << 7) | (bytes[at + 9]! & 0x7f);
  return at + 10 + size + (bytes[at + 5]! & 0x10 ? 10 : 0);
}

/** The byte count in a Xing/Info header in the frame at `at` (counted from that frame), if any. */
function xingDeclaredBytes(bytes: Uint8Array, view: DataView, at: number): number | undefined {
  const mpeg1 = ((bytes[at + 1]! >> 3) & 0x03) === 3;
  const mono = (bytes[at + 3]! >> 6) === 3;
  const tag = at + 4 + (mpeg1 ? (mono ? 17 : 32) : (mono ? 9 : 17)); // after the side information
  if (!(ascii(bytes, tag, "Xing") || ascii(bytes, tag, "Info")) || tag + 16 > bytes.length) return undefined;
  const flags = view.getUint32(tag + 4, false);
  if (!(flags & 0x02)) return undefined;
  return view.getUint32(tag + 8 + (flags & 0x01 ? 4 : 0), false);
}

function isMp3FrameHeader(bytes: Uint8Array, at: number): boolean {
  return mp3FrameLength(bytes, at) !== undefined;
}

const MP3_BITRATES_KBPS = {
  mpeg1Layer3: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  mpeg2Layer3: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
} as const;
const MP3_SAMPLE_RATES = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] } as const;

/** Byte length of the Layer III frame whose header starts at `at`, or undefined if none does. */
function mp3FrameLength(bytes: Uint8Array, at: number): number | undefined {
  if (at + 4 > bytes.length) return undefined;
  const b1 = bytes[at + 1]!, b2 = bytes[at + 2]!;
  if (bytes[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const version = (b1 >> 3) & 0x03; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5, 1 = reserved
  const layer = (b1 >> 1) & 0x03; // 1 = Layer III
  if (version === 1 || layer !== 1) return undefined;
  const bitrateIndex = b2 >> 4, rateIndex = (b2 >> 2) & 0x03, padding = (b2 >> 1) & 0x01;
  if (bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const mpeg1 = version === 3;
  const kbps = (mpeg1 ? MP3_BITRATES_KBPS.mpeg1Layer3 : MP3_BITRATES_KBPS.mpeg2Layer3)[bitrateIndex]!;
  const sampleRate = MP3_SAMPLE_RATES[version as 3 | 2 | 0][rateIndex]!;
  return Math.floor(((mpeg1 ? 144 : 72) * kbps * 1000) / sampleRate) + padding;
}

/** Whether `text` (ASCII) stands in the bytes at `offset`: how RIFF, FLAC, Ogg and ID3 tags are recognised. */
export function ascii(bytes: Uint8Array, offset: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** The audio container a file's first bytes announce, or undefined for none modalfuse reads. */
export function sniffAudioFormat(bytes: Uint8Array): "wav" | "flac" | "ogg" | "mp3" | undefined {
  if (ascii(bytes, 0, "RIFF") && ascii(bytes, 8, "WAVE")) return "wav";
  if (ascii(bytes, 0, "fLaC")) return "flac";
  if (ascii(bytes, 0, "OggS")) return "ogg";
  if (ascii(bytes, 0, "ID3") || isMp3FrameHeader(bytes, 0)) return "mp3";
  return undefined;
}

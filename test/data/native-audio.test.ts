// The native decoder (libsndfile) and the WebAssembly decoders must agree on every file:
// the same clip within their 16-bit scalings, and the same verdict on every broken file, so
// that a machine without libsndfile trains on the same features and skips the same rows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeClip, type AudioDecoderChoice } from "../../src/data/audio/audio.js";
import { isMediaError } from "../../src/data/media/media-error.js";
import { AUDIO_FORMATS, encodeAudio, encodeWav } from "../../src/demo/encode-audio.js";
import { nativeAudio, nativeAudioStatus } from "../../src/data/media/native-media.js";
import { mediaFixture } from "./media-fixtures.js";

// The decoder is optional by design (built only where libsndfile and libmpg123 are
// installed, as `make` does); without it these comparisons have nothing to compare.
const status = nativeAudioStatus();
const skip = status.native ? false : `native audio decoder not built: ${status.detail}`;

test("the native audio decoder loads and names its libraries", { skip }, () => {
  assert.match(status.detail, /^libsndfile-1\.\d+.*libmpg123/);
});

const readable = [
  "audio/tone440_pcm16_mono_16k.wav",
  "audio/three_channel_8k.wav",
  "audio/tone1k_f32_stereo_44k.wav",
  "audio/tone440_u8_mono_8k.wav",
  "audio/tone440_s24_mono_48k.flac",
  "audio/tone1k_stereo_44k.mp3",
  "audio/tone440_mono_22k.mp3",
  "audio/tone440_mono_48k.mp3",
  "audio/tone1k_stereo_44k.ogg",
  "audio/mp3_named.wav",
  "audio/wav_named.mp3",
];

test("native and WebAssembly decoding give the same clip for every readable format", { skip }, async () => {
  const opts = { sampleRate: 16000, seconds: 0.5 };
  for (const file of readable) {
    const native = await decodeClip(mediaFixture(file), opts, "auto");
    const wasm = await decodeClip(mediaFixture(file), opts, "wasm");
    assert.equal(native.sampleRate, wasm.sampleRate, file);
    assert.equal(native.samples.length, wasm.samples.length, file);
    let worst = 0;
    for (let i = 0; i < wasm.samples.length; i++) worst = Math.max(worst, Math.abs(native.samples[i]! - wasm.samples[i]!));
    // libsndfile scales positive 16-bit codes by 1/32768, audio-decode by 1/32767; 8-bit
    // files go to audio-decode on both paths.
    assert.ok(worst <= 2e-5, `${file}: samples differ by up to ${worst}`);
  }
});

test("native and WebAssembly decoding read the demo's files whole, VBR MP3 without a Xing header included", { skip }, async () => {
  for (const format of AUDIO_FORMATS) {
    for (const sampleRate of [22050, 48000]) {
      for (const channels of [1, 2]) {
        const tone = Float32Array.from({ length: sampleRate }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / sampleRate));
        const bytes = await encodeAudio(format, { channels: Array.from({ length: channels }, () => tone), sampleRate }, { quality: 0.6, oggSerial: 7 });
        // Two seconds asked of a one-second file: both decoders return all of it.
        const native = await decodeClip(bytes, { sampleRate, seconds: 2 }, "auto");
        const wasm = await decodeClip(bytes, { sampleRate, seconds: 2 }, "wasm");
        const label = `${format} ${sampleRate} Hz x${channels}`;
        assert.ok(wasm.samples.length >= sampleRate, label);
        assert.equal(native.samples.length, wasm.samples.length, label);
        let worst = 0;
        for (let i = 0; i < wasm.samples.length; i++) worst = Math.max(worst, Math.abs(native.samples[i]! - wasm.samples[i]!));
        assert.ok(worst <= 2e-5, `${label}: samples differ by up to ${worst}`);
      }
    }
  }
});

async function verdict(file: string | Uint8Array, decoder: AudioDecoderChoice): Promise<string> {
  try {
    const clip = await decodeClip(typeof file === "string" ? mediaFixture(file) : file, { sampleRate: 16000, seconds: 1 }, decoder);
    return `decoded ${clip.samples.length} frames`;
  } catch (error) {
    if (!isMediaError(error)) throw error;
    return `${error.kind}: ${error.problem}`;
  }
}

test("native and WebAssembly decoding reject every broken audio file alike", { skip }, async () => {
  const broken = ["empty.wav", "id3_only.mp3", "nan_sample.wav", "no_frames.wav", "random.wav", "text.wav",
    "truncated.flac", "truncated.mp3", "truncated.ogg", "truncated.wav", "zero_channels.wav", "zero_rate.wav", "absent.wav"];
  for (const name of broken) {
    const file = `broken/${name}`;
    const native = await verdict(file, "auto");
    assert.equal(native, await verdict(file, "wasm"), file);
    assert.doesNotMatch(native, /^decoded/, `${file} must not decode`);
  }
});

test("the native decoder reads from memory, averages the channels and mixes only what is kept", { skip }, async () => {
  const native = nativeAudio();
  assert.ok(native);
  const seconds = 2;
  const frames = 44100 * seconds;
  // A 16-bit stereo WAV whose left channel holds code 16384 (+0.5) and right -8192 (-0.25).
  const wav = encodeWav({ channels: [new Float32Array(frames).fill(0.5), new Float32Array(frames).fill(-0.25)], sampleRate: 44100 });
  const decoded = await Promise.all(Array.from({ length: 8 }, () => native.decodeAudio(wav, 0.5)));
  for (const d of decoded) {
    assert.deepEqual([d.sampleRate, d.channels, d.frames, d.nonFiniteFrame], [44100, 2, frames, -1]);
    assert.equal(d.mono.length, 22050, "only keepSeconds are mixed");
    assert.ok(d.mono.every((v) => v === 0.125), "(0.5 - 0.25) / 2");
  }
  assert.match(decoded[0]!.format, /WAV/);
  await assert.rejects(native.decodeAudio(new Uint8Array(64), 1), /not recognised|format/i);
});

test("files only libsndfile reads are left to the WebAssembly decoders, so every machine accepts the same files", { skip }, async () => {
  // A Sun AU file of 16-bit big-endian PCM: libsndfile reads it, the WebAssembly decoders do not.
  const frames = 800;
  const au = Buffer.alloc(24 + 2 * frames);
  au.write(".snd", 0);
  au.writeUInt32BE(24, 4);
  au.writeUInt32BE(2 * frames, 8);
  au.writeUInt32BE(3, 12); // 16-bit linear PCM
  au.writeUInt32BE(8000, 16);
  au.writeUInt32BE(1, 20);
  for (let i = 0; i < frames; i++) au.writeInt16BE(Math.round(8000 * Math.sin(i / 5)), 24 + 2 * i);
  const decoded = await nativeAudio()!.decodeAudio(au, 1);
  assert.equal(decoded.frames, frames, "libsndfile reads it");
  assert.equal(decoded.container, "other");
  const native = await verdict(au, "auto");
  assert.equal(native, await verdict(au, "wasm"));
  assert.doesNotMatch(native, /^decoded/);
});

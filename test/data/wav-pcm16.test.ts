// 16-bit PCM WAV files are read by a direct path where the native decoder is absent; it must
// give libsndfile's samples to the bit, so that which path read a file never changes a feature.
import { test } from "node:test";
import assert from "node:assert/strict";
import decodeAudioBytes from "audio-decode";
import { decodeClip } from "../../src/data/audio/audio.js";
import { nativeAudio } from "../../src/data/media/native-media.js";
import { readPcm16Wav } from "../../src/data/audio/wav-pcm16.js";
import { encodeWav } from "../../src/demo/encode-audio.js";
import { mediaFixtureBytes } from "./media-fixtures.js";

/** libsndfile's mono mix of the whole file, or null where the native decoder is not built. */
async function nativeMono(bytes: Uint8Array): Promise<{ mono: Float32Array; sampleRate: number } | null> {
  const native = nativeAudio();
  if (!native) return null;
  const decoded = await native.decodeAudio(bytes, 1e6);
  return { mono: decoded.mono, sampleRate: decoded.sampleRate };
}

/** The WebAssembly decoder's channels mixed as decodeClip mixes them (float32 sums, then the scale). */
async function generalMono(bytes: Uint8Array): Promise<{ mono: Float32Array; sampleRate: number }> {
  const { channelData, sampleRate } = (await decodeAudioBytes(bytes)) as { channelData: Float32Array[]; sampleRate: number };
  const mono = new Float32Array(channelData[0]!.length);
  for (const channel of channelData) channel.forEach((v, i) => (mono[i]! += v));
  if (channelData.length > 1) mono.forEach((v, i) => (mono[i] = v * (1 / channelData.length)));
  return { mono, sampleRate };
}

const randomPcm = (channels: number, frames: number, seed: number) =>
  Array.from({ length: channels }, (_, c) => Float32Array.from({ length: frames }, (_, i) => Math.sin(i * 0.37 + c + seed) * 0.9 + (((i * 7919 + c * 104729 + seed) % 200) - 100) / 1000));

test("16-bit PCM files read directly equal libsndfile's to the bit, and the WebAssembly decoder's within its scaling, for 1 to 3 channels", async () => {
  const files = [
    mediaFixtureBytes("audio/tone440_pcm16_mono_16k.wav"),
    mediaFixtureBytes("audio/opposite_stereo_16k.wav"),
    mediaFixtureBytes("audio/three_channel_8k.wav"),
    encodeWav({ channels: randomPcm(2, 44100, 1), sampleRate: 44100 }),
  ];
  for (const [i, bytes] of files.entries()) {
    const direct = readPcm16Wav(bytes);
    assert.ok(direct, `file ${i} is 16-bit PCM`);
    const mono = direct.mono(direct.frames);
    const native = await nativeMono(bytes); // compared where the native decoder is built
    if (native) {
      assert.equal(direct.sampleRate, native.sampleRate);
      assert.deepEqual(Buffer.from(mono.buffer), Buffer.from(native.mono.buffer), `file ${i} differs from libsndfile`);
    }
    // audio-decode divides positive codes by 32767 instead of 32768: at most 1/32767 apart.
    const general = await generalMono(bytes);
    assert.equal(general.mono.length, mono.length);
    const worst = mono.reduce((m, v, k) => Math.max(m, Math.abs(v - general.mono[k]!)), 0);
    assert.ok(worst <= 1 / 32767, `file ${i}: ${worst}`);
    assert.ok(worst > 0, `file ${i}: the two scalings should differ somewhere`);
  }
});

test("other WAVs are left to the general decoder", async () => {
  assert.equal(readPcm16Wav(mediaFixtureBytes("audio/tone1k_f32_stereo_44k.wav")), null, "float samples");
  assert.equal(readPcm16Wav(mediaFixtureBytes("audio/tone440_u8_mono_8k.wav")), null, "8-bit samples");
  assert.equal(readPcm16Wav(mediaFixtureBytes("audio/mp3_named.wav")), null, "an MP3 named .wav");
  const clip = await decodeClip(mediaFixtureBytes("audio/tone1k_f32_stereo_44k.wav"), { sampleRate: 16000, seconds: 0.5 });
  assert.equal(clip.sampleRate, 44100);
});

test("decodeClip keeps only the frames it needs from a 16-bit file", async () => {
  const bytes = encodeWav({ channels: randomPcm(2, 44100, 2), sampleRate: 44100 });
  const clip = await decodeClip(bytes, { sampleRate: 44100, seconds: 0.25 });
  assert.equal(clip.samples.length, 11025);
  const native = await nativeMono(bytes); // compared where the native decoder is built
  if (native) assert.deepEqual(Array.from(clip.samples), Array.from(native.mono.subarray(0, 11025)));
  const viaWasmPath = await decodeClip(bytes, { sampleRate: 44100, seconds: 0.25 }, "wasm");
  assert.deepEqual(Array.from(viaWasmPath.samples), Array.from(clip.samples), "the direct reader gives the same clip");
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { audioLength, decodeAudio } from "../../src/data/audio/audio.js";
import { MediaError } from "../../src/data/media/media-error.js";
import { dominantFrequency, mediaFixture, mediaFixtureBytes, rms } from "./media-fixtures.js";

// Every tone fixture is 0.5 * sin(2 pi f t): RMS 0.3536. Lossy codecs get a looser bound.
const TONE_RMS = 0.5 / Math.SQRT2;

const tones = [
  { file: "audio/tone440_pcm16_mono_16k.wav", hz: 440, seconds: 0.5, lossy: false },
  { file: "audio/tone1k_f32_stereo_44k.wav", hz: 1000, seconds: 0.1, lossy: false },
  { file: "audio/tone440_u8_mono_8k.wav", hz: 440, seconds: 0.5, lossy: false },
  { file: "audio/tone440_s24_mono_48k.flac", hz: 440, seconds: 0.25, lossy: false },
  { file: "audio/tone1k_stereo_44k.ogg", hz: 1000, seconds: 0.5, lossy: true },
  { file: "audio/tone440_mono_22k.mp3", hz: 440, seconds: 0.5, lossy: true },
  { file: "audio/tone1k_stereo_44k.mp3", hz: 1000, seconds: 0.5, lossy: true },
  { file: "audio/tone440_mono_48k.mp3", hz: 440, seconds: 0.5, lossy: true },
] as const;

for (const tone of tones) {
  for (const sampleRate of [8000, 16000, 44100, 48000]) {
    test(`${tone.file} at ${sampleRate} Hz keeps its ${tone.hz} Hz tone and loudness`, async () => {
      const opts = { sampleRate, seconds: 0.1 };
      const samples = await decodeAudio(mediaFixture(tone.file), opts);
      assert.equal(samples.length, audioLength(opts));
      assert.equal(samples.length, Math.round(sampleRate * 0.1));
      assert.ok(samples.every(Number.isFinite));
      const found = dominantFrequency(samples, sampleRate);
      assert.ok(Math.abs(found - tone.hz) <= 10, `dominant ${found} Hz, expected ${tone.hz}`);
      // Skip the first 10 ms: lossy codecs and the resampler's edge both ramp in.
      const loudness = rms(samples, Math.round(sampleRate * 0.01));
      const tolerance = tone.lossy ? 0.1 : 0.02;
      assert.ok(Math.abs(loudness / TONE_RMS - 1) <= tolerance, `rms ${loudness}, expected ${TONE_RMS}`);
    });
  }
}

test("a WAV at the target rate decodes to exactly its PCM values", async () => {
  const bytes = mediaFixtureBytes("audio/tone440_pcm16_mono_16k.wav");
  const samples = await decodeAudio(bytes, { sampleRate: 16000, seconds: 0.5 });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(samples.length, 8000);
  for (let i = 0; i < samples.length; i++) {
    // 16-bit codes are v / 32768, as libsndfile, soundfile and torchaudio read them.
    const pcm = view.getInt16(44 + 2 * i, true);
    assert.equal(samples[i], pcm / 32768, `sample ${i}`);
  }
});

test("channels are averaged: opposite stereo channels cancel to silence", async () => {
  const samples = await decodeAudio(mediaFixture("audio/opposite_stereo_16k.wav"), { sampleRate: 16000, seconds: 0.25 });
  assert.equal(samples.length, 4000);
  assert.ok(samples.every((v) => Math.abs(v) < 1e-4), `peak ${Math.max(...samples.map(Math.abs))}`);
  // The same file is not silent per channel: it is the mix that cancels.
  assert.ok(rms(await decodeAudio(mediaFixture("audio/tone440_pcm16_mono_16k.wav"), { sampleRate: 16000, seconds: 0.25 })) > 0.3);
});

test("three channels mix to their mean, not their sum or the first", async () => {
  // Channel 1 holds 0.6 * sin, channels 2 and 3 silence: the mean is 0.2 * sin.
  const samples = await decodeAudio(mediaFixture("audio/three_channel_8k.wav"), { sampleRate: 8000, seconds: 0.25 });
  assert.ok(Math.abs(rms(samples) - 0.2 / Math.SQRT2) < 0.005, `rms ${rms(samples)}`);
  assert.equal(dominantFrequency(samples, 8000), 440);
});

test("cropping keeps the start: a short decode is the prefix of a long one", async () => {
  for (const file of ["audio/tone440_s24_mono_48k.flac", "audio/tone1k_stereo_44k.mp3", "audio/tone440_pcm16_mono_16k.wav"]) {
    const long = await decodeAudio(mediaFixture(file), { sampleRate: 16000, seconds: 0.25 });
    const short = await decodeAudio(mediaFixture(file), { sampleRate: 16000, seconds: 0.1 });
    assert.equal(short.length, 1600);
    for (let i = 0; i < short.length; i++) {
      assert.ok(Math.abs(short[i]! - long[i]!) < 1e-5, `${file} sample ${i}: ${short[i]} vs ${long[i]}`);
    }
  }
});

test("padding adds exact zeros after the clip ends, and only there", async () => {
  // 0.5 s of audio asked for as 1 s: at 16 kHz the clip fills 8000 samples of 16000.
  for (const file of ["audio/tone440_pcm16_mono_16k.wav", "audio/tone440_mono_22k.mp3", "audio/tone440_mono_48k.mp3"]) {
    const samples = await decodeAudio(mediaFixture(file), { sampleRate: 16000, seconds: 1 });
    assert.equal(samples.length, 16000);
    assert.ok(rms(samples, 7000, 7950) > 0.3, `${file} is loud until its end`);
    assert.ok(samples.subarray(8010).every((v) => v === 0), `${file} is padded with zeros`);
  }
});

test("the format comes from the bytes, not the extension", async () => {
  const opts = { sampleRate: 16000, seconds: 0.5 };
  assert.deepEqual(
    await decodeAudio(mediaFixture("audio/wav_named.mp3"), opts),
    await decodeAudio(mediaFixture("audio/tone440_pcm16_mono_16k.wav"), opts));
  assert.deepEqual(
    await decodeAudio(mediaFixture("audio/mp3_named.wav"), opts),
    await decodeAudio(mediaFixture("audio/tone440_mono_22k.mp3"), opts));
});

test("bytes in memory decode the same as the file", async () => {
  const opts = { sampleRate: 22050, seconds: 0.3 };
  const file = "audio/tone1k_stereo_44k.ogg";
  assert.deepEqual(await decodeAudio(mediaFixtureBytes(file), opts), await decodeAudio(mediaFixture(file), opts));
});

test("concurrent decodes at different rates match sequential ones", async () => {
  const jobs = tones.flatMap((tone) => [8000, 16000, 22050].map((sampleRate) => ({ file: tone.file, sampleRate })));
  const sequential: Float32Array[] = [];
  for (const job of jobs) sequential.push(await decodeAudio(mediaFixture(job.file), { sampleRate: job.sampleRate, seconds: 0.2 }));
  const concurrent = await Promise.all(jobs.map((job) => decodeAudio(mediaFixture(job.file), { sampleRate: job.sampleRate, seconds: 0.2 })));
  assert.deepEqual(concurrent, sequential);
});

test("every resample quality keeps the tone", async () => {
  for (const resampleQuality of ["best", "medium", "fastest"] as const) {
    const samples = await decodeAudio(mediaFixture("audio/tone1k_f32_stereo_44k.wav"), { sampleRate: 16000, seconds: 0.1, resampleQuality });
    assert.equal(samples.length, 1600);
    assert.equal(dominantFrequency(samples, 16000), 1000);
  }
});

test("impossible options are the caller's bug, not the file's", async () => {
  const file = mediaFixture("audio/tone440_pcm16_mono_16k.wav");
  for (const opts of [
    { sampleRate: 0, seconds: 1 }, { sampleRate: 16000.5, seconds: 1 }, { sampleRate: 400_000, seconds: 1 },
    { sampleRate: 16000, seconds: 0 }, { sampleRate: 16000, seconds: Number.NaN }, { sampleRate: 16000, seconds: 1e-6 },
  ]) {
    await assert.rejects(decodeAudio(file, opts), (error: unknown) => error instanceof RangeError && !(error instanceof MediaError));
  }
});

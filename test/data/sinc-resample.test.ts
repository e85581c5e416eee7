// The engine's windowed-sinc resampler: tones in the pass band come out as the same tone
// sampled at the new rate, tones above the new Nyquist rate are suppressed rather than
// aliased, many clips at once equal one at a time, and it agrees with libsamplerate.
import { test } from "node:test";
import assert from "node:assert/strict";
import { resampleMono } from "../../src/data/audio/resample.js";
import { resampleClips } from "../../src/data/audio/audio-features.js";
import { SincResampler } from "../../src/data/audio/sinc-resample.js";
import { tensor, tidy } from "../../src/torch/index.js";

const tone = (hz: number, rate: number, n: number, phase = 0) => Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * hz * i) / rate + phase));
const rms = (x: Float32Array) => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
const run = (r: SincResampler, waves: Float32Array, rows: number) => tidy(() => r.resample(tensor(waves, [rows, waves.length / rows])).toTypedArray() as Float32Array);

test("a pass-band tone resampled 44.1 → 16 kHz is the same tone sampled at 16 kHz", () => {
  const r = new SincResampler(44100, 16000);
  for (const hz of [440, 3000, 6000]) {
    const out = run(r, tone(hz, 44100, 44100), 1);
    assert.equal(out.length, 16000);
    const expected = tone(hz, 16000, 16000);
    let worst = 0;
    for (let i = 200; i < 15800; i++) worst = Math.max(worst, Math.abs((out[i] as number) - (expected[i] as number)));
    assert.ok(worst < 0.02, `${hz} Hz: max error ${worst}`);
  }
  r.dispose();
});

test("a tone above the new Nyquist rate is suppressed, not aliased", () => {
  const r = new SincResampler(48000, 16000);
  const out = run(r, tone(12000, 48000, 48000), 1);
  assert.ok(rms(out.subarray(200, -200)) < 0.01, `rms ${rms(out)}`);
  r.dispose();
});

test("clips in one batch come out as each would alone, and upsampling works too", () => {
  const r = new SincResampler(22050, 32000);
  const a = tone(500, 22050, 5000);
  const b = tone(1700, 22050, 5000, 1);
  const both = new Float32Array(10000);
  both.set(a);
  both.set(b, 5000);
  const together = run(r, both, 2);
  const alone = [...run(r, a, 1), ...run(r, b, 1)];
  assert.equal(together.length, 2 * r.outputLength(5000));
  together.forEach((v, i) => assert.ok(Math.abs(v - (alone[i] as number)) < 1e-5));
  r.dispose();
});

test("it agrees with libsamplerate's best converter on a mix of tones", async () => {
  const n = 22050;
  const mix = Float32Array.from({ length: n }, (_, i) => 0.4 * Math.sin((2 * Math.PI * 220 * i) / 22050) + 0.3 * Math.sin((2 * Math.PI * 1330 * i) / 22050) + 0.2 * Math.sin((2 * Math.PI * 5100 * i) / 22050));
  const r = new SincResampler(22050, 16000);
  const ours = run(r, mix, 1);
  const theirs = await resampleMono(mix, 22050, 16000, "best");
  let worst = 0;
  for (let i = 300; i < Math.min(ours.length, theirs.length) - 300; i++) worst = Math.max(worst, Math.abs((ours[i] as number) - (theirs[i] as number)));
  assert.ok(worst < 0.01, `max difference ${worst}`);
  r.dispose();
});

test("rate pairs that reduce to a huge ratio are declined, for libsamplerate to take", () => {
  assert.equal(SincResampler.supports(44100, 16001), false);
  assert.throws(() => new SincResampler(44100, 16001), /too large a ratio/);
  assert.equal(SincResampler.supports(44100, 16000), true);
  assert.equal(SincResampler.supports(11025, 16000), true);
});

test("resampleClips gives each clip what it gives that clip alone, whatever the other clips' lengths and rates", async () => {
  const tone = (n: number, rate: number, hz: number) => Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / rate));
  const clips = [
    { samples: tone(44100, 44100, 440), sampleRate: 44100 },
    { samples: tone(30000, 44100, 1000), sampleRate: 44100 }, // shorter: its tail meets the group's padding
    { samples: tone(16000, 16000, 300), sampleRate: 16000 }, // already at the target rate
    { samples: tone(48000, 48000, 700), sampleRate: 48000 },
  ];
  const resamplers = new Map<number, SincResampler>();
  const length = 16000;
  const rows = async (group: typeof clips) => {
    const t = await resampleClips(group, 16000, length, resamplers);
    try {
      return t.toTypedArray() as Float32Array;
    } finally {
      t.dispose();
    }
  };
  const together = await rows(clips);
  for (const [i, clip] of clips.entries()) {
    const alone = await rows([clip]);
    assert.deepEqual(Array.from(together.subarray(i * length, (i + 1) * length)), Array.from(alone), `clip ${i}`);
  }
  for (const r of resamplers.values()) r.dispose();
});

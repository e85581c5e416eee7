// The audio front end against librosa 0.11's melspectrogram (shared/fixtures/logmel/), plus
// its own contracts: frame count, batching, where a tone lands, and no leaked tensors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeAudio } from "../../src/data/audio/audio.js";
import {
  LOG_FLOOR,
  LogMelFrontEnd,
  hzToMel,
  logMel,
  logMelFrames,
  melBandEdges,
  melFilterbank,
  melPower,
  melToHz,
  resolveLogMelOptions,
} from "../../src/data/audio/logmel.js";
import { liveTensors, tensor, type Tensor } from "../../src/torch/index.js";
import { SHARED } from "../helpers/cli.js";

const FIXTURES = join(SHARED, "fixtures", "logmel");
// The librosa reference is committed under test/fixtures/shared; without it these tests fail
// (they never skip), naming where they looked.
test("the librosa reference values are present", () => {
  assert.ok(existsSync(join(FIXTURES, "reference.json")), `no log-mel fixtures at ${FIXTURES}`);
});

interface Flat {
  shape: number[];
  data: number[];
}
interface Reference {
  params: { sr: number; n_fft: number; win_length: number; hop_length: number; n_mels: number; fmin: number; fmax: number };
  mel_filterbank: Flat;
  clips: Record<string, { file: string; source_sample_rate: number; channels: number; resampled_length: number; mel_power: Flat }>;
}

let cached: Reference | undefined;
function reference(): Reference {
  cached ??= JSON.parse(readFileSync(join(FIXTURES, "reference.json"), "utf8")) as Reference;
  return cached;
}

const OPTIONS = resolveLogMelOptions({ sampleRate: 16000, nMels: 64 });

/** The clip decoded by modalfuse's own decoder, exactly as long as librosa's input was. */
async function clip(name: string): Promise<{ samples: Float32Array; expected: Flat }> {
  const entry = reference().clips[name];
  assert.ok(entry, `reference has no clip ${name}`);
  const samples = await decodeAudio(join(FIXTURES, entry.file), {
    sampleRate: OPTIONS.sampleRate,
    seconds: entry.resampled_length / OPTIONS.sampleRate,
    // librosa resampled with soxr's high-quality filter: the closest of ours is "best".
    resampleQuality: "best",
  });
  assert.equal(samples.length, entry.resampled_length);
  return { samples, expected: entry.mel_power };
}

/** Mel power of one clip as a flat [nMels × frames] array. */
function melPowerOf(samples: Float32Array): Float32Array {
  const x = tensor(samples, [1, samples.length]);
  const out = melPower(x, OPTIONS);
  const values = out.toTypedArray() as Float32Array;
  x.dispose();
  out.dispose();
  return values;
}

/** Largest |a-b| / |b| over the elements where |b| exceeds `floor`. */
function worstRelative(actual: ArrayLike<number>, expected: ArrayLike<number>, floor: number): number {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(expected[i]!) > floor) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.abs(expected[i]!));
  }
  return worst;
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  return m;
}

test("defaults: 25 ms window, 10 ms hop, next power of two FFT, full band", () => {
  assert.deepEqual(OPTIONS, { sampleRate: 16000, nMels: 64, nFft: 512, winLength: 400, hopLength: 160, fMin: 0, fMax: 8000 });
  assert.deepEqual(resolveLogMelOptions({ sampleRate: 22050, nMels: 40 }), {
    sampleRate: 22050, nMels: 40, nFft: 1024, winLength: 551, hopLength: 221, fMin: 0, fMax: 11025,
  });
  assert.deepEqual(resolveLogMelOptions({ sampleRate: 16000, nMels: 80, nFft: 400, hopLength: 100, fMin: 20, fMax: 7600 }), {
    sampleRate: 16000, nMels: 80, nFft: 400, winLength: 400, hopLength: 100, fMin: 20, fMax: 7600,
  });
  assert.throws(() => resolveLogMelOptions({ sampleRate: 16000, nMels: 64, winLength: 600, nFft: 512 }), RangeError);
  assert.throws(() => resolveLogMelOptions({ sampleRate: 16000, nMels: 64, fMax: 9000 }), RangeError);
  assert.throws(() => resolveLogMelOptions({ sampleRate: 16000, nMels: 0 }), RangeError);
});

test("Slaney mel scale: linear to 1 kHz (15 mel), logarithmic above, and invertible", () => {
  // 1000 / (200/3) is 15 to within one ulp, in librosa as here.
  assert.ok(Math.abs(hzToMel(1000) - 15) < 1e-12);
  assert.ok(Math.abs(hzToMel(500) - 7.5) < 1e-12);
  assert.ok(Math.abs(hzToMel(6400) - 42) < 1e-12, "27 mels per factor 6.4 above 1 kHz");
  for (const hz of [0, 123, 999, 1000, 4321, 8000, 22050]) assert.ok(Math.abs(melToHz(hzToMel(hz)) - hz) < 1e-9 * Math.max(1, hz));
});

test("filterbank equals librosa.filters.mel(htk=False, norm='slaney')", (t) => {
  const ref = reference().mel_filterbank;
  assert.deepEqual(ref.shape, [64, 257]);
  const ours = melFilterbank(OPTIONS);
  assert.equal(ours.length, ref.data.length);
  let worstAbs = 0;
  let worstRel = 0;
  for (let i = 0; i < ours.length; i++) {
    const error = Math.abs(ours[i]! - ref.data[i]!);
    worstAbs = Math.max(worstAbs, error);
    if (ref.data[i] !== 0) worstRel = Math.max(worstRel, error / Math.abs(ref.data[i]!));
    else assert.equal(ours[i], 0, `weight ${i} should be zero`);
  }
  t.diagnostic(`max abs error ${worstAbs.toExponential(2)}, max relative error ${worstRel.toExponential(2)}`);
  // The reference is printed to 7 significant digits (weights peak at 0.021): agreement to
  // that rounding is all the file can show.
  assert.ok(worstRel <= 1e-6, `max relative error ${worstRel}`);
  assert.ok(worstAbs <= 1e-8, `max abs error ${worstAbs}`);
});

test("frames = 1 + floor(samples / hop), as the STFT produces", () => {
  assert.equal(logMelFrames(16000, 160), 101);
  assert.equal(logMelFrames(12000, 160), 76);
  assert.equal(logMelFrames(14640, 160), 92);
  assert.equal(logMelFrames(159, 160), 1);
  for (const samples of [1, 159, 160, 161, 1000, 4321]) {
    const wave = tensor(new Float32Array(samples), [1, samples]);
    const out = melPower(wave, OPTIONS);
    assert.deepEqual(out.shape, [1, 64, logMelFrames(samples, 160)], `${samples} samples`);
    wave.dispose();
    out.dispose();
  }
});

for (const name of ["sweep_16k_mono", "noise_16k_mono"]) {
  test(`${name}: mel power matches librosa tightly`, async (t) => {
    const { samples, expected } = await clip(name);
    assert.deepEqual(expected.shape, [64, logMelFrames(samples.length, 160)]);
    const ours = melPowerOf(samples);
    // Relative error on the bins that matter (above 1e-4 of the clip's peak), and absolute
    // error, scaled by the peak, everywhere: float32 FFT rounding decides the quiet bins.
    const peak = maxAbs(expected.data);
    const relative = worstRelative(ours, expected.data, 1e-4 * peak);
    let absolute = 0;
    for (let i = 0; i < ours.length; i++) absolute = Math.max(absolute, Math.abs(ours[i]! - expected.data[i]!));
    t.diagnostic(`max relative error ${relative.toExponential(2)} on bins above 1e-4 of peak; max abs error ${(absolute / peak).toExponential(2)} x peak`);
    // Reached on CPU libtorch: relative <= 3e-6, absolute <= 3e-7 x peak; the margin is for other FFT backends.
    assert.ok(relative <= 1e-4, `max relative error ${relative}`);
    assert.ok(absolute <= 1e-5 * peak, `max abs error ${absolute} (peak ${peak})`);
  });
}

test("speech_22050_stereo: resampled clip agrees with librosa+soxr in log domain", async (t) => {
  const { samples, expected } = await clip("speech_22050_stereo");
  assert.deepEqual(expected.shape, [64, 92]);
  const ours = melPowerOf(samples);
  const a = Array.from(ours, (v) => Math.log(v + LOG_FLOOR));
  const b = expected.data.map((v) => Math.log(v + LOG_FLOOR));
  let meanAbs = 0;
  for (let i = 0; i < a.length; i++) meanAbs += Math.abs(a[i]! - b[i]!);
  meanAbs /= a.length;
  const r = correlation(a, b);
  t.diagnostic(`mean |log difference| ${meanAbs.toExponential(2)}, correlation ${r.toFixed(6)}`);
  // Reached: 3.6e-3 and 0.99996 (libsamplerate "best" vs soxr HQ); "medium" gives 2e-2, 0.9991.
  assert.ok(meanAbs <= 0.02, `mean abs log difference ${meanAbs}`);
  assert.ok(r > 0.999, `correlation ${r}`);
});

test("a batch gives each row what it gives alone", async () => {
  const clips = await Promise.all(["sweep_16k_mono", "noise_16k_mono", "speech_22050_stereo"].map(clip));
  const length = 12000; // the shortest clip; the others are cut to it
  const batch = new Float32Array(clips.length * length);
  clips.forEach((c, i) => batch.set(c.samples.subarray(0, length), i * length));
  const x = tensor(batch, [clips.length, length]);
  const all = logMel(x, OPTIONS);
  assert.deepEqual(all.shape, [3, 64, 76]);
  const together = all.toTypedArray() as Float32Array;
  const rowSize = 64 * 76;
  clips.forEach((c, i) => {
    const one = tensor(c.samples.subarray(0, length), [1, length]);
    const alone = logMel(one, OPTIONS);
    const single = alone.toTypedArray() as Float32Array;
    for (let j = 0; j < rowSize; j++) {
      assert.ok(Math.abs(together[i * rowSize + j]! - single[j]!) <= 1e-5, `row ${i} element ${j}: ${together[i * rowSize + j]} vs ${single[j]}`);
    }
    one.dispose();
    alone.dispose();
  });
  x.dispose();
  all.dispose();
});

test("a pure tone lands in the band centred nearest to it", () => {
  const sampleRate = OPTIONS.sampleRate;
  const edges = melBandEdges(OPTIONS);
  const bands = Array.from({ length: OPTIONS.nMels }, (_, m) => m);
  for (const hz of [300, 1000, 2500, 6000]) {
    const samples = Float32Array.from({ length: sampleRate / 2 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / sampleRate));
    const power = melPowerOf(samples);
    const frames = logMelFrames(samples.length, OPTIONS.hopLength);
    // Mean power per band over the frames away from the zero-padded edges.
    const perBand = bands.map((m) => {
      let sum = 0;
      for (let f = 3; f < frames - 3; f++) sum += power[m * frames + f]!;
      return sum;
    });
    const loudest = perBand.indexOf(Math.max(...perBand));
    const nearest = bands.reduce((best, m) => (Math.abs(edges[m + 1]! - hz) < Math.abs(edges[best + 1]! - hz) ? m : best), 0);
    assert.ok(Math.abs(loudest - nearest) <= 1, `${hz} Hz: loudest band ${loudest}, nearest centre band ${nearest}`);
    // Bands well away from the tone hold almost nothing.
    const far = perBand.filter((_, m) => Math.abs(m - loudest) > 4);
    assert.ok(Math.max(...far) < 1e-4 * perBand[loudest]!, `${hz} Hz leaks into distant bands`);
  }
});

test("logMel is log(melPower + 1e-6): silence sits at the floor", () => {
  const x = tensor(new Float32Array(2 * 1600), [2, 1600]);
  const out = logMel(x, OPTIONS);
  assert.deepEqual(out.shape, [2, 64, 11]);
  for (const v of out.toTypedArray() as Float32Array) assert.ok(Math.abs(v - Math.log(LOG_FLOOR)) < 1e-5);
  x.dispose();
  out.dispose();
});

test("logMel and the front end leave only their result alive", () => {
  const x = tensor(Float32Array.from({ length: 3 * 4000 }, (_, i) => Math.sin(i / 7)), [3, 4000]);
  const before = liveTensors();
  const out = logMel(x, OPTIONS);
  assert.equal(liveTensors(), before + 1, "logMel keeps nothing but its result");

  const front = new LogMelFrontEnd({ sampleRate: 16000, nMels: 64 });
  assert.equal(liveTensors(), before + 3, "the front end holds its window and filterbank");
  assert.equal(front.frames(4000), 26);
  const again = front.forward(x);
  assert.equal(liveTensors(), before + 4);
  assert.ok(sameValues(again, out), "the front end computes what logMel computes");
  again.dispose();
  front.dispose();
  out.dispose();
  assert.equal(liveTensors(), before);
  x.dispose();
});

test("waveforms must be [N, samples]", () => {
  const x = tensor(new Float32Array(1600));
  const before = liveTensors();
  assert.throws(() => logMel(x, OPTIONS), /\[N, samples\]/);
  assert.equal(liveTensors(), before);
  x.dispose();
});

function sameValues(a: Tensor, b: Tensor): boolean {
  return a.allclose(b, 1e-6, 1e-6);
}

function correlation(a: number[], b: number[]): number {
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb);
    aa += (a[i]! - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

// The demo's audio writers and its seeded generator, on their own.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeAudio } from "../../src/data/audio/audio.js";
import { AUDIO_FORMATS, encodeAudio } from "../../src/demo/encode-audio.js";
import { Random, deriveSeed } from "../../src/util/random.js";

/** Frequency of a clean tone from its zero crossings. */
function zeroCrossingHz(samples: Float32Array, sampleRate: number): number {
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) if ((samples[i - 1]! < 0) !== (samples[i]! < 0)) crossings++;
  return (crossings / 2) * (sampleRate / samples.length);
}

for (const format of AUDIO_FORMATS) {
  test(`${format}: a clip decodes back to its tone, mono and stereo, at 22.05 and 48 kHz`, async () => {
    for (const sampleRate of [22050, 48000]) {
      for (const channels of [1, 2]) {
        const tone = Float32Array.from({ length: sampleRate }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / sampleRate));
        const bytes = await encodeAudio(format, { channels: Array.from({ length: channels }, () => tone), sampleRate }, { quality: 0.6, oggSerial: 7 });
        const again = await encodeAudio(format, { channels: Array.from({ length: channels }, () => tone), sampleRate }, { quality: 0.6, oggSerial: 7 });
        assert.deepEqual(again, bytes, "the same input encodes to the same bytes");
        const decoded = await decodeAudio(bytes, { sampleRate: 16000, seconds: 0.8 });
        // Skip the lossy codecs' priming at the start.
        const middle = decoded.subarray(1600, 11200);
        assert.ok(Math.abs(zeroCrossingHz(middle, 16000) - 440) < 10, `${format} ${sampleRate} Hz x${channels}`);
        const peak = middle.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
        assert.ok(peak > 0.4 && peak < 0.6, `${format} peak ${peak}`);
      }
    }
  });
}

test("the seeded generator repeats itself and its derived seeds differ", () => {
  const a = new Random(42);
  const b = new Random(42);
  const draws = Array.from({ length: 100 }, () => a.next());
  assert.deepEqual(Array.from({ length: 100 }, () => b.next()), draws);
  assert.ok(draws.every((v) => v >= 0 && v < 1));
  assert.ok(Math.abs(draws.reduce((s, v) => s + v, 0) / 100 - 0.5) < 0.1);
  const seeds = new Set([deriveSeed(1, 2, 3), deriveSeed(1, 3, 2), deriveSeed(2, 2, 3), deriveSeed(1, 2, 4)]);
  assert.equal(seeds.size, 4);
  const r = new Random(1);
  for (let i = 0; i < 1000; i++) {
    const k = r.int(3, 5);
    assert.ok(k >= 3 && k <= 5 && Number.isInteger(k));
  }
});

// Audio held as waveforms, for a backbone with its own front end: the rows are the clips
// resampled and fitted to length, as float32; the cache keeps them apart from the log-mel
// rows of the same files and settings, and serves each back as it was written.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DecodeCache } from "../../src/data/cache/decode-cache.js";
import { loadAudioColumn, loadWaveforms, type ColumnSource } from "../../src/data/workers/media-loader.js";
import type { AudioFeatureParams } from "../../src/data/audio/audio-features.js";
import { tidy } from "../../src/torch/index.js";
import { MEDIA, tempDir } from "../helpers/cli.js";

const CLIPS = ["tone440_pcm16_mono_16k.wav", "tone1k_stereo_44k.mp3", "tone440_s24_mono_48k.flac", "three_channel_8k.wav"];
const LOG_MEL: AudioFeatureParams = { sampleRate: 32000, seconds: 0.5, nMels: 64, hopMs: 10, windowMs: 25 };
const WAVEFORM: AudioFeatureParams = { ...LOG_MEL, representation: "waveform" };

function source(dir: string, cache: DecodeCache | null): ColumnSource {
  return { cells: [...CLIPS, ""], column: "clip", dir, manifest: "clips.csv", cache };
}

/** The arrays and per-file entries the cache holds. */
function cacheFiles(root: string): string[] {
  return existsSync(root) ? readdirSync(root, { recursive: true }).map(String).filter((f) => f.endsWith(".bin") || f.endsWith(".json")) : [];
}

test("waveform rows are the decoded, resampled clips as float32, an empty cell a silent absent row", async () => {
  const dir = join(MEDIA, "audio");
  const column = await loadAudioColumn(source(dir, null), WAVEFORM);
  assert.equal(column.data.tensor.dtype, "float32");
  assert.deepEqual(column.data.rowShape, [16000]);
  assert.deepEqual(column.present, [true, true, true, true, false]);
  const waves = await loadWaveforms(source(dir, null), WAVEFORM);
  const rows = column.data.tensor.toTypedArray() as Float32Array;
  assert.deepEqual(Array.from(rows), Array.from(waves.data), "the same samples as the waveforms robustness re-decodes");
  assert.ok(rows.subarray(0, 16000).some((v) => Math.abs(v) > 0.1), "a tone is there");
  assert.ok(rows.subarray(4 * 16000).every((v) => v === 0));
});

test("the cache keeps waveform and log-mel rows of the same files apart and serves each back", async () => {
  const dir = tempDir("mf-waveform-cache-");
  for (const clip of CLIPS) copyFileSync(join(MEDIA, "audio", clip), join(dir, clip));
  const cache = new DecodeCache(join(dir, "cache"));
  const logMel = await loadAudioColumn(source(dir, cache), LOG_MEL);
  const afterLogMel = cacheFiles(cache.root).length;
  const waveform = await loadAudioColumn(source(dir, cache), WAVEFORM);
  assert.deepEqual(logMel.data.rowShape, [64, 51]);
  assert.deepEqual(waveform.data.rowShape, [16000], "not the log-mel rows cached under the same settings");
  assert.ok(cacheFiles(cache.root).length > afterLogMel, "the waveforms got entries of their own");
  const files = cacheFiles(cache.root).length;
  const again = await loadAudioColumn(source(dir, cache), WAVEFORM);
  assert.equal(cacheFiles(cache.root).length, files, "read back, nothing new written");
  assert.equal(tidy(() => again.data.tensor.sub(waveform.data.tensor).abs().amax().item()), 0);
  const logMelAgain = await loadAudioColumn(source(dir, cache), LOG_MEL);
  assert.equal(tidy(() => logMelAgain.data.tensor.float().sub(logMel.data.tensor.float()).abs().amax().item()), 0);
});

test("a column of many files, decoded by the worker threads, holds the same waveform rows to float32 rounding", async () => {
  const dir = join(MEDIA, "audio");
  const many: ColumnSource = { cells: Array.from({ length: 4 }, () => CLIPS).flat(), column: "clip", dir, manifest: "clips.csv", cache: null };
  const pooled = await loadAudioColumn(many, WAVEFORM);
  const here = await loadAudioColumn(source(dir, null), WAVEFORM);
  assert.deepEqual(pooled.data.rowShape, [16000]);
  const a = pooled.data.tensor.toTypedArray() as Float32Array;
  const b = here.data.tensor.toTypedArray() as Float32Array;
  // A worker's engine runs on one thread, so a resampling filter may round differently.
  for (let row = 0; row < many.cells.length; row++) {
    const k = row % CLIPS.length;
    const worst = a.subarray(row * 16000, (row + 1) * 16000).reduce((m, v, i) => Math.max(m, Math.abs(v - (b[k * 16000 + i] as number))), 0);
    assert.ok(worst < 1e-6, `row ${row}: max abs diff ${worst}`);
  }
});

// Where the native decoder is unavailable, audio is decoded by the WebAssembly decoders, in
// worker threads for more than a handful of files. This file runs as its own process with
// the native decoder turned off, so that path is exercised end to end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { acquireSharedPool, releaseSharedPool } from "../../src/data/workers/media-pool.js";
import { loadAudioColumn, type LoadedColumn } from "../../src/data/workers/media-loader.js";
import { nativeAudioStatus } from "../../src/data/media/native-media.js";
import { AUDIO_FORMATS, encodeAudio } from "../../src/demo/encode-audio.js";
import { doctor } from "../../src/engine/doctor.js";
import { tidy } from "../../src/torch/index.js";
import { tempDir } from "../helpers/cli.js";
import { mediaFixture } from "./media-fixtures.js";

process.env.MODALFUSE_AUDIO_DECODER = "wasm";

const values = (column: LoadedColumn): number[] => tidy(() => column.data.tensor.float().toArray() as number[]);

test("MODALFUSE_AUDIO_DECODER=wasm turns the native decoder off, and doctor says so", () => {
  assert.equal(nativeAudioStatus().native, false);
  assert.match(doctor().audioDecoder, /^WebAssembly \(chosen by MODALFUSE_AUDIO_DECODER=wasm\)/);
});

test("the WebAssembly decoders in worker threads give what they give on this thread, broken files included", async () => {
  const dir = tempDir("mf-wasm-audio-");
  const cells: string[] = [];
  for (let i = 0; i < 20; i++) {
    const format = AUDIO_FORMATS[i % AUDIO_FORMATS.length] as (typeof AUDIO_FORMATS)[number];
    const sampleRate = 22050;
    const hz = 220 + 40 * i;
    const tone = Float32Array.from({ length: sampleRate / 2 }, (_, k) => 0.4 * Math.sin((2 * Math.PI * hz * k) / sampleRate));
    const name = `clip${i}.${format}`;
    writeFileSync(join(dir, name), await encodeAudio(format, { channels: [tone], sampleRate }, { quality: 0.6, oggSerial: i + 1 }));
    cells.push(name);
  }
  writeFileSync(join(dir, "broken.mp3"), "not a sound at all");
  cells.splice(7, 0, "broken.mp3");
  const params = { sampleRate: 16000, seconds: 0.5, nMels: 32, hopMs: 10, windowMs: 25 };
  const load = (part: string[]) => loadAudioColumn({ cells: part, column: "sound", dir, manifest: "m.csv", cache: null }, params);
  const pooled = await load(cells); // 21 files: decoded by worker threads
  const inline = [...(await Promise.all([load(cells.slice(0, 11)), load(cells.slice(11))]))]; // under 16: this thread
  assert.deepEqual(pooled.present, [...inline[0]!.present, ...inline[1]!.present]);
  assert.deepEqual([...pooled.broken], [7]);
  assert.equal(pooled.issues[0]?.path, "broken.mp3");
  const a = values(pooled);
  const b = [...values(inline[0]!), ...values(inline[1]!)];
  assert.equal(a.length, b.length);
  const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
  assert.ok(worst < 1e-2, `pooled and inline features differ by up to ${worst}`);
  assert.ok(a.slice(0, 32 * 51).some((v) => v > -5), "a tone has energy above the floor");
});

test("columns decoding at the same time share one pool of workers, closed by the last to finish", async () => {
  const a = acquireSharedPool();
  const b = acquireSharedPool();
  assert.equal(a, b, "one pool");
  await releaseSharedPool(a);
  const clip = await b.decode(mediaFixture("audio/tone440_pcm16_mono_16k.wav"), { sampleRate: 16000, seconds: 0.25 });
  assert.equal(clip.sampleRate, 16000, "still open for the other user");
  await releaseSharedPool(b);
  const c = acquireSharedPool();
  assert.notEqual(c, a, "a new pool once the last user released the old one");
  await releaseSharedPool(c);
});

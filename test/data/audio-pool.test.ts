// A large audio column is decoded and featurised by worker threads, a small one on this
// thread: the two must give the same features and the same verdicts, file for file, with
// whichever decoder this machine has.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadAudioColumn, type LoadedColumn } from "../../src/data/workers/media-loader.js";
import { AUDIO_FORMATS, encodeAudio } from "../../src/demo/encode-audio.js";
import { getNumThreads, liveTensors, setNumThreads, tidy } from "../../src/torch/index.js";
import { tempDir } from "../helpers/cli.js";

const values = (column: LoadedColumn): number[] => tidy(() => column.data.tensor.float().toArray() as number[]);

test("worker threads give a large column the features this thread gives small ones, broken and missing files included", async () => {
  const dir = tempDir("mf-audio-pool-");
  const cells: (string | null)[] = [];
  for (let i = 0; i < 40; i++) {
    const format = AUDIO_FORMATS[i % AUDIO_FORMATS.length] as (typeof AUDIO_FORMATS)[number];
    const sampleRate = [22050, 44100, 16000][i % 3] as number;
    const hz = 200 + 37 * i;
    const tone = Float32Array.from({ length: sampleRate }, (_, k) => 0.4 * Math.sin((2 * Math.PI * hz * k) / sampleRate));
    const name = `clip${i}.${format}`;
    writeFileSync(join(dir, name), await encodeAudio(format, { channels: [tone, tone.map((v) => -0.5 * v)], sampleRate }, { quality: 0.6, oggSerial: i }));
    cells.push(name);
  }
  writeFileSync(join(dir, "broken.wav"), "RIFF but not really a sound");
  cells.splice(5, 0, "broken.wav");
  cells.splice(20, 0, "absent.flac");
  cells.splice(33, 0, null);
  const params = { sampleRate: 16000, seconds: 0.75, nMels: 40, hopMs: 10, windowMs: 25 };
  const load = (part: (string | null)[]) => loadAudioColumn({ cells: part, column: "sound", dir, manifest: "m.csv", cache: null }, params, { chunk: 8 });
  const before = liveTensors();
  setNumThreads(3);
  const pooled = await load(cells); // 43 files: worker threads
  // Each worker runs its engine on one thread; with libtorch 1.13 that count is the process's.
  assert.equal(getNumThreads(), 3, "this thread's engine threads are as they were");
  // Under 16 files each, cut on chunk boundaries so each engine call holds the same clips.
  const parts = [cells.slice(0, 8), cells.slice(8, 16), cells.slice(16, 24), cells.slice(24, 32), cells.slice(32, 40), cells.slice(40)];
  const inline = await Promise.all(parts.map(load));
  assert.equal(liveTensors(), before + 1 + parts.length, "no tensor left behind on this thread beyond each column's own");
  assert.deepEqual(pooled.present, inline.flatMap((c) => c.present));
  assert.deepEqual([...pooled.broken], [5]);
  assert.deepEqual(pooled.issues.map((i) => [i.row, i.path, i.problem]), [[5, "broken.wav", pooled.issues[0]?.problem], [20, "absent.flac", "file not found"]]);
  const a = values(pooled);
  const b = inline.flatMap(values);
  assert.equal(a.length, b.length);
  const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
  assert.ok(worst <= 1e-2, `pooled and inline features differ by up to ${worst}`);
  const rowSize = a.length / cells.length;
  assert.ok(a.slice(0, rowSize).some((v) => v > -5), "a tone has energy above the floor");
  assert.ok(a.slice(33 * rowSize, 34 * rowSize).every((v) => v === 0), "an empty cell's row stays zero");
});

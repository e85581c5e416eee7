// The demo data set on disk: layout, manifest, determinism, formats, gaps and broken files.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { after, before, test } from "node:test";
import decodeAudioBytes from "audio-decode";
import { decodeAudio } from "../../src/data/audio/audio.js";
import { decodeImage } from "../../src/data/image/image.js";
import { MediaError } from "../../src/data/media/media-error.js";
import { makeDemoDataset, MANIFEST_COLUMNS, type DemoDatasetSummary } from "../../src/demo/dataset.js";
import { readManifest } from "./demo-stats.js";

const SAMPLES = 60;
const SEED = 11;
let dir = "";
let summary: DemoDatasetSummary;
let rows: Record<string, string>[] = [];
const progress: [number, number][] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "modalfuse-demo-"));
  summary = await makeDemoDataset(dir, { samples: SAMPLES, seed: SEED, onProgress: (done, total) => progress.push([done, total]) });
  rows = readManifest(summary.manifest).rows;
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("the manifest has the documented columns, one row per sample and balanced classes", () => {
  assert.equal(summary.manifest, join(dir, "manifest.csv"));
  assert.deepEqual(readManifest(summary.manifest).header, [...MANIFEST_COLUMNS]);
  for (const column of ["event_id", "attendees", "duration_h", "budget_k", "ticket_price", "venue_type", "photo", "recording", "event"]) {
    assert.ok((MANIFEST_COLUMNS as readonly string[]).includes(column), column);
  }
  assert.equal(rows.length, SAMPLES);
  assert.equal(summary.rows, SAMPLES);
  assert.equal(new Set(rows.map((row) => row.event_id)).size, SAMPLES, "event ids are unique");
  for (const event of ["concert", "lecture", "sports"]) {
    assert.equal(rows.filter((row) => row.event === event).length, SAMPLES / 3, event);
  }
  for (const row of rows) {
    assert.match(row.venue_type!, /^(arena|hall|stadium|auditorium|club|campus)$/);
    assert.ok(row.photo === "" || /^images\/[\w-]+\.(png|jpg)$/.test(row.photo!), row.photo);
    assert.ok(row.recording === "" || /^audio\/[\w-]+\.(wav|flac|ogg|mp3)$/.test(row.recording!), row.recording);
  }
  assert.equal(progress.length, SAMPLES, "onProgress is called once per row");
  assert.deepEqual(progress.at(-1), [SAMPLES, SAMPLES]);
});

test("the same seed writes the same bytes, in worker threads or not; another seed differs", async () => {
  const again = await mkdtemp(join(tmpdir(), "modalfuse-demo-"));
  const other = await mkdtemp(join(tmpdir(), "modalfuse-demo-"));
  try {
    const repeat = await makeDemoDataset(again, { samples: SAMPLES, seed: SEED, workers: 0 });
    assert.deepEqual(await readFile(repeat.manifest), await readFile(summary.manifest));
    for (const row of rows.slice(0, 12)) {
      for (const path of [row.photo!, row.recording!].filter((p) => p !== "")) {
        assert.deepEqual(await readFile(join(again, path)), await readFile(join(dir, path)), path);
      }
    }
    const different = await makeDemoDataset(other, { samples: SAMPLES, seed: SEED + 1 });
    assert.notDeepEqual(await readFile(different.manifest), await readFile(summary.manifest));
  } finally {
    await rm(again, { recursive: true, force: true });
    await rm(other, { recursive: true, force: true });
  }
});

test("about 8% of rows lack a photo, 8% a recording, never both", () => {
  const noPhoto = rows.filter((row) => row.photo === "").length;
  const noRecording = rows.filter((row) => row.recording === "").length;
  assert.deepEqual(summary.missing, { photo: noPhoto, recording: noRecording });
  for (const count of [noPhoto, noRecording]) assert.ok(count >= 1 && count <= 12, `${count} of ${SAMPLES} missing`);
  assert.ok(rows.every((row) => row.photo !== "" || row.recording !== ""), "no row lacks both");
});

test("every referenced file decodes with modalfuse's decoders, except the broken ones, which throw", async () => {
  const failed: { column: string; path: string }[] = [];
  for (const row of rows) {
    if (row.photo) {
      try {
        const pixels = await decodeImage(join(dir, row.photo), { height: 48, width: 64 });
        assert.equal(pixels.length, 3 * 48 * 64);
      } catch (thrown) {
        assert.ok(thrown instanceof MediaError && thrown.kind === "bad", `${row.photo}: ${String(thrown)}`);
        failed.push({ column: "photo", path: row.photo });
      }
    }
    if (row.recording) {
      try {
        const samples = await decodeAudio(join(dir, row.recording), { sampleRate: 16000, seconds: 1.5 });
        assert.equal(samples.length, 24000);
        assert.ok(samples.some((v) => Math.abs(v) > 0.01), `${row.recording} is not silent`);
      } catch (thrown) {
        assert.ok(thrown instanceof MediaError && thrown.kind === "bad", `${row.recording}: ${String(thrown)}`);
        failed.push({ column: "recording", path: row.recording });
      }
    }
  }
  assert.equal(failed.length, summary.broken, `broken files: ${JSON.stringify(failed)}`);
  assert.ok(failed.some((f) => f.column === "photo") && failed.some((f) => f.column === "recording"),
    "both media columns have a broken file");
  // Broken means really broken — empty, a text file, or cut short — not a decoder's whim.
  for (const { path } of failed) {
    const bytes = await readFile(join(dir, path));
    const text = bytes.length > 0 && bytes.every((b) => b === 10 || (b >= 32 && b < 127));
    const cutPng = extname(path) === ".png" && bytes.subarray(1, 4).toString("latin1") === "PNG" && !bytes.includes("IEND");
    const cutWav = extname(path) === ".wav" && bytes.subarray(0, 4).toString("latin1") === "RIFF" && bytes.readUInt32LE(4) + 8 > bytes.length;
    assert.ok(bytes.length === 0 || text || cutPng || cutWav, `${path} is not recognisably broken`);
  }
});

test("media come in every format, at mixed sizes, sample rates and channel counts", async () => {
  const photoExtensions = new Set(rows.filter((row) => row.photo).map((row) => extname(row.photo!)));
  const audioExtensions = new Set(rows.filter((row) => row.recording).map((row) => extname(row.recording!)));
  assert.deepEqual([...photoExtensions].sort(), [".jpg", ".png"]);
  assert.deepEqual([...audioExtensions].sort(), [".flac", ".mp3", ".ogg", ".wav"]);

  // The bytes, not just the names, are of the format named (broken files aside).
  const magic: Record<string, (b: Buffer) => boolean> = {
    ".png": (b) => b.subarray(1, 4).toString("latin1") === "PNG",
    ".jpg": (b) => b[0] === 0xff && b[1] === 0xd8,
    ".wav": (b) => b.subarray(0, 4).toString("latin1") === "RIFF",
    ".flac": (b) => b.subarray(0, 4).toString("latin1") === "fLaC",
    ".ogg": (b) => b.subarray(0, 4).toString("latin1") === "OggS",
    ".mp3": (b) => b.subarray(0, 3).toString("latin1") === "ID3" || (b[0] === 0xff && (b[1]! & 0xe0) === 0xe0),
  };
  const matching: Record<string, number> = {};
  for (const path of rows.flatMap((row) => [row.photo!, row.recording!]).filter((p) => p !== "")) {
    if (magic[extname(path)]!(await readFile(join(dir, path)))) matching[extname(path)] = (matching[extname(path)] ?? 0) + 1;
  }
  for (const extension of Object.keys(magic)) assert.ok((matching[extension] ?? 0) >= 3, `${extension}: ${matching[extension]}`);

  // The source rates and channel counts, straight from the decoder modalfuse wraps.
  const rates = new Set<number>();
  const channels = new Set<number>();
  for (const row of rows.filter((r) => r.recording).slice(0, 30)) {
    try {
      const decoded = await decodeAudioBytes(await readFile(join(dir, row.recording!)));
      rates.add(decoded.sampleRate);
      channels.add(decoded.channelData.length);
    } catch {
      // a broken file
    }
  }
  assert.ok(rates.size >= 3, `sample rates: ${[...rates]}`);
  assert.deepEqual([...channels].sort(), [1, 2]);

  const sizes = new Set<number>();
  for (const row of rows.filter((r) => r.photo)) sizes.add((await stat(join(dir, row.photo!))).size);
  assert.ok(sizes.size > 20, "pictures differ");
});

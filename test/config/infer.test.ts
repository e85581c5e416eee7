// Zero-configuration training: each column's kind inferred from a real table and real media
// files, with a reason that says why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { formatColumnTable, inferColumns, type Inferred } from "../../src/config/infer.js";
import { readManifest, type Manifest } from "../../src/data/table/manifest.js";
import { UserError } from "../../src/errors.js";

const ROWS = 60;

function writeCsv(path: string, header: string[], rows: (string | number)[][]): void {
  const cell = (v: string | number) => (typeof v === "string" && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v));
  writeFileSync(path, [header, ...rows].map((r) => r.map(cell).join(",")).join("\n") + "\n");
}

/** A mono 16-bit PCM WAV of a 440 Hz sine, header written by hand. */
function wav(seconds: number, sampleRate = 16000): Buffer {
  const frames = Math.round(seconds * sampleRate);
  const out = Buffer.alloc(44 + 2 * frames);
  out.write("RIFF", 0, "ascii");
  out.writeUInt32LE(36 + 2 * frames, 4);
  out.write("WAVEfmt ", 8, "ascii");
  out.writeUInt32LE(16, 16); // fmt chunk size
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(2 * sampleRate, 28); // byte rate
  out.writeUInt16LE(2, 32); // block align
  out.writeUInt16LE(16, 34); // bits per sample
  out.write("data", 36, "ascii");
  out.writeUInt32LE(2 * frames, 40);
  for (let i = 0; i < frames; i++) out.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / sampleRate)), 44 + 2 * i);
  return out;
}

const WORDS = ["the", "patient", "reports", "mild", "pain", "after", "walking", "since", "monday", "and", "sleeps", "well"];
const sentence = (i: number) => Array.from({ length: 4 + (i % 5) }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(" ") + ` (visit ${i})`;

/** A table of every kind, with real PNG/JPEG/WAV files, a few paths to missing files and empty cells. */
async function mixedTable(): Promise<{ dir: string; manifest: Manifest }> {
  const dir = mkdtempSync(join(tmpdir(), "mf-infer-"));
  mkdirSync(join(dir, "img"));
  mkdirSync(join(dir, "snd"));
  const header = ["sample", "row_no", "scan", "clip", "weight", "grade", "colour", "note", "token", "blank", "species"];
  const rows: (string | number)[][] = [];
  for (let i = 0; i < ROWS; i++) {
    const missing = i === 1 || i === 4; // paths to files that were never written
    const empty = i === 7 || i === 8;
    const image = `img/s${i}.${i % 2 ? "jpg" : "png"}`;
    const clip = `snd/c${i}.wav`;
    if (!missing && !empty) {
      const pixels = sharp({ create: { width: 8, height: 8, channels: 3, background: i % 3 ? "#f00" : "#00f" } });
      await (i % 2 ? pixels.jpeg() : pixels.png()).toFile(join(dir, image));
      writeFileSync(join(dir, clip), wav(1.2));
    }
    rows.push([
      `r${String(i + 1).padStart(4, "0")}`,
      i,
      empty ? "" : image,
      empty ? "" : clip,
      i === 10 ? "unknown" : i === 20 ? "?" : (50 + ((i * 37) % 23) + i / 7).toFixed(2),
      1 + (i % 3),
      ["red", "green", "blue"][i % 3]!,
      sentence(i),
      `w${i % 40}`,
      "",
      ["cat", "dog", "bird"][i % 3]!,
    ]);
  }
  writeCsv(join(dir, "table.csv"), header, rows);
  return { dir, manifest: await readManifest(join(dir, "table.csv")) };
}

const kindOf = (inferred: Inferred, column: string) => {
  const choice = inferred.columns.find((c) => c.column === column);
  assert.ok(choice, `column ${column} is listed`);
  return choice;
};

test("every column of a mixed table gets a kind and a reason, in the table's order", async () => {
  const { manifest } = await mixedTable();
  const inferred = await inferColumns(manifest, "species");
  assert.deepEqual(inferred.columns.map((c) => c.column), manifest.columns);
  const expect: [string, string, RegExp][] = [
    ["sample", "id", /unique per row.*id/],
    ["row_no", "ignored", /sequential.*sample is the id/],
    ["scan", "image", /\.png\/\.jpg|\.jpg\/\.png/],
    ["clip", "audio", /\.wav; first 5 files found are WAV audio \(2 paths before them have no file\); 1\.5 s/],
    ["weight", "numeric", /58 of 60 values are numbers; the other 2 count as missing/],
    ["grade", "categorical", /only 3 distinct whole numbers/],
    ["colour", "categorical", /3 distinct values in 60 rows/],
    ["note", "text", /free text/],
    ["token", "ignored", /40 distinct values .*too many for categories, too short for text/],
    ["blank", "ignored", /empty in every row/],
    ["species", "label", /3 classes/],
  ];
  for (const [column, kind, reason] of expect) {
    const choice = kindOf(inferred, column);
    assert.equal(choice.kind, kind, `${column}: ${choice.reason}`);
    assert.match(choice.reason, reason, column);
  }
  assert.match(kindOf(inferred, "scan").reason, /first 5 files found are (PNG\/JPEG|JPEG\/PNG) images/);

  assert.deepEqual(inferred.data, {
    train: manifest.path,
    label: "species",
    id: "sample",
    tabular: { numeric: ["weight"], categorical: ["grade", "colour"] },
    image: [{ column: "scan", size: 32 }],
    audio: [{ column: "clip", sample_rate: 16000, seconds: 1.5, n_mels: 64 }],
    text: [{ column: "note" }],
  });
});

test("sequential integers are the id when they come first; an audio clip's length follows its WAV files", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mf-infer-"));
  const rows: (string | number)[][] = [];
  for (let i = 0; i < 30; i++) {
    writeFileSync(join(dir, `a${i}.wav`), wav(i % 2 ? 3.1 : 2.9));
    rows.push([1001 + i, `a${i}.wav`, (i * 0.37).toFixed(3), i % 2 ? "yes" : "no"]);
  }
  writeCsv(join(dir, "m.csv"), ["n", "sound", "x", "y"], rows);
  const inferred = await inferColumns(await readManifest(join(dir, "m.csv")), "y");
  assert.equal(kindOf(inferred, "n").kind, "id");
  assert.match(kindOf(inferred, "n").reason, /sequential: carried as the id/);
  assert.equal(inferred.data.id, "n");
  // The first five files: 2.9, 3.1, 2.9, 3.1, 2.9 s, median 2.9 s, rounded up to 3 s.
  assert.deepEqual(inferred.data.audio, [{ column: "sound", sample_rate: 16000, seconds: 3, n_mels: 64 }]);
  assert.equal(kindOf(inferred, "x").kind, "numeric");

  // Shuffled 1..n is still a row number; unique integers with gaps are a quantity.
  const cells = (values: number[]) => values.map((v, i) => ({ k: v, y: i % 2 ? "a" : "b" }));
  const memory = (rows: Record<string, number | string>[]): Manifest => ({ path: "mem.csv", dir, columns: ["k", "y"], rows });
  assert.equal((await inferColumns(memory(cells([3, 1, 2, 5, 4, 6, 8, 7, 9, 12, 11, 10])), "y")).data.id, "k");
  const gaps = await inferColumns(memory(cells([3, 1, 2, 5, 4, 6, 8, 7, 9, 12, 11, 20])), "y");
  assert.equal(gaps.data.id, null);
  assert.equal(kindOf(gaps, "k").kind, "numeric");
});

test("media columns are confirmed by their bytes: no file found is decided by extension, files of the wrong kind are ignored", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mf-infer-"));
  const rows: string[][] = [];
  for (let i = 0; i < 12; i++) {
    writeFileSync(join(dir, `fake${i}.png`), "not an image at all");
    rows.push([`gone/p${i}.png`, `fake${i}.png`, `gone/s${i}.flac`, i % 2 ? "a" : "b"]);
  }
  writeCsv(join(dir, "m.csv"), ["absent", "fake", "absent_audio", "y"], rows);
  const inferred = await inferColumns(await readManifest(join(dir, "m.csv")), "y");
  assert.equal(kindOf(inferred, "absent").kind, "image");
  assert.match(kindOf(inferred, "absent").reason, /none of the 12 files exist, so decided by extension/);
  assert.equal(kindOf(inferred, "fake").kind, "ignored");
  assert.match(kindOf(inferred, "fake").reason, /paths ending \.png, but the first 5 files found are not images/);
  assert.equal(kindOf(inferred, "absent_audio").kind, "audio");
  assert.deepEqual(inferred.data.audio, [{ column: "absent_audio", sample_rate: 16000, seconds: 1.5, n_mels: 64 }]);
  assert.deepEqual(inferred.data.image, [{ column: "absent", size: 32 }]);
  assert.equal(inferred.data.tabular, null);
});

test("a continuous label is refused as a regression target; a missing label names the columns there are", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mf-infer-"));
  writeCsv(join(dir, "m.csv"), ["x", "price"], Array.from({ length: 40 }, (_, i) => [i % 4, (100 + i * 3.7).toFixed(2)]));
  const manifest = await readManifest(join(dir, "m.csv"));
  await assert.rejects(inferColumns(manifest, "price"), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.equal(error.message.split("\n").length, 1);
    assert.match(error.message, /price looks like a regression target \(40 distinct numbers in 40 rows\).*bin the values into classes.*another --label/);
    return true;
  });
  await assert.rejects(inferColumns(manifest, "diagnosis"), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /no label column diagnosis \(it has: x, price\)/);
    return true;
  });
  // Integer class codes are a label, even with more than 20 classes, while each repeats.
  const rows = Array.from({ length: 100 }, (_, i) => ({ x: String(i % 4), price: String(i % 30) }));
  const codes = await inferColumns({ ...manifest, rows }, "price");
  assert.equal(kindOf(codes, "price").kind, "label");
  assert.equal(kindOf(codes, "x").kind, "categorical");
});

test("Parquet's typed cells: booleans are categorical, numbers numeric", async () => {
  const rows = Array.from({ length: 24 }, (_, i) => ({ flag: i % 3 === 0, ratio: i / 7, y: i % 2 ? "a" : "b" }));
  const inferred = await inferColumns({ path: "t.parquet", dir: tmpdir(), columns: ["flag", "ratio", "y"], rows }, "y");
  assert.equal(kindOf(inferred, "flag").kind, "categorical");
  assert.match(kindOf(inferred, "flag").reason, /true\/false/);
  assert.equal(kindOf(inferred, "ratio").kind, "numeric");
  assert.match(kindOf(inferred, "ratio").reason, /all 24 values are numbers/);
});

test("the column table is aligned: column, kind, why", () => {
  const table = formatColumnTable([
    { column: "sample", kind: "id", reason: "unique per row, not numbers: carried as the id" },
    { column: "weight_kg", kind: "numeric", reason: "all 1,200 values are numbers" },
  ]);
  assert.equal(
    table,
    [
      "column     kind     why",
      "sample     id       unique per row, not numbers: carried as the id",
      "weight_kg  numeric  all 1,200 values are numbers",
    ].join("\n"),
  );
});

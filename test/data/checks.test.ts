// Checks that catch a ruined model before training: number-like labels read as numbers, a
// continuous label refused, cells that are not numbers counted, nested Parquet values
// refused, and inputs too small for a 2x2 pool still trained. Each through the real CLI.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { parquetWriteFile } from "hyparquet-writer";
import { runCli, tempDir, useFixture, userErrorLine, writeCsv } from "../helpers/cli.js";

const readCsv = (path: string) => parse(readFileSync(path, "utf8"), { columns: true }) as Record<string, string>[];
const dir = tempDir("mf-checks-");

function config(name: string, body: string): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, `${body}train: {epochs: 1, batch_size: 8}\n`);
  return path;
}

test('"1", "1.0" and 1 are one class when every label is a number; cells that are not numbers are counted per column', () => {
  const rows = Array.from({ length: 40 }, (_, i) => [i % 3 === 0 ? "abc" : String(i), ["1", "1.0", "2", "2.00"][i % 4] as string]);
  writeCsv(join(dir, "numbers.csv"), ["x", "y"], rows);
  const out = join(dir, "run-numbers");
  const r = runCli(["train", config("numbers", "data:\n  train: numbers.csv\n  label: y\n  tabular: {numeric: [x]}\n"), "--out", out]);
  assert.equal(r.status, 0, r.stderr);
  const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"));
  assert.deepEqual(metrics.classes, ["1", "2"]);
  const issues = readCsv(join(out, "data_issues.csv")).filter((i) => i.column === "x");
  assert.equal(issues.length, 14, "every abc cell is a data issue");
  assert.match(issues[0]?.problem ?? "", /not a number \(abc\): counted as missing/);
  assert.match(r.stdout, /data issues: 14 \(data_issues\.csv: x 14\)/);
});

test("a label that looks continuous is refused with a line that says how to proceed", () => {
  writeCsv(join(dir, "continuous.csv"), ["x", "price"], Array.from({ length: 60 }, (_, i) => [i, (10 + i * 1.37).toFixed(2)]));
  const line = userErrorLine(runCli(["train", config("continuous", "data:\n  train: continuous.csv\n  label: price\n  tabular: {numeric: [x]}\n")]));
  assert.match(line, /label column price looks like a regression target \(60 distinct numbers in 60 rows\).*bin the values into classes.*data\.label/);
});

test("the label used as an input is refused, naming the column", () => {
  writeCsv(join(dir, "self.csv"), ["x", "y"], [[1, "a"], [2, "b"]]);
  assert.match(userErrorLine(runCli(["train", config("self", "data:\n  train: self.csv\n  label: y\n  tabular: {numeric: [x], categorical: [y]}\n")])), /column y is the label \(data\.label\) and cannot also be an input/);
});

test("a nested Parquet value in a numeric column is refused, naming the column", async () => {
  const n = 12;
  await parquetWriteFile({
    filename: join(dir, "nested.parquet"),
    columnData: [
      { name: "x", data: Array.from({ length: n }, (_, i) => ({ reading: i })), type: "JSON" },
      { name: "y", data: Array.from({ length: n }, (_, i) => (i % 2 ? "a" : "b")) },
    ],
  });
  assert.match(userErrorLine(runCli(["train", config("nested", "data:\n  train: nested.parquet\n  label: y\n  tabular: {numeric: [x]}\n")])), /column x holds nested values \(lists or records\)/);
});

test("an image of 2x2 pixels and a 10 ms clip train with either preset: pooling adapts", () => {
  const rows = Array.from({ length: 24 }, (_, i) => [useFixture(dir, i % 2 ? "image/red_blue.png" : "image/gray_gradient.png", `tiny${i}.png`), useFixture(dir, "audio/tone440_pcm16_mono_16k.wav", `tiny${i}.wav`), i % 2 ? "a" : "b"]);
  writeCsv(join(dir, "tiny.csv"), ["pic", "snd", "y"], rows);
  for (const preset of ["seed", "standard"]) {
    const body = `data:\n  train: tiny.csv\n  label: y\n  image: {column: pic, size: 2}\n  audio: {column: snd, seconds: 0.01, n_mels: 8}\nmodel: {preset: ${preset}}\n`;
    const r = runCli(["train", config(`tiny-${preset}`, body), "--out", join(dir, `run-tiny-${preset}`), "--quiet"]);
    assert.equal(r.status, 0, `${preset}: ${r.stderr}`);
  }
});

// The whole path through the real CLI on a manifest modalfuse has never seen: other
// column names, every media format, several sample rates, empty cells, absent and
// corrupt files. It must train, report every bad file, and never crash.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { parquetWriteFile } from "hyparquet-writer";
import { load, train } from "../../src/index.js";
import { SHARED, runCli, tempDir, userErrorLine, writeCsv } from "../helpers/cli.js";
import { clinicConfig, writeClinic } from "../helpers/clinic.js";

const CHECK = join(SHARED, "tools", "check_run_dir.py");

function checkRunDir(...args: string[]): string {
  try {
    return execFileSync("python3", [CHECK, ...args], { encoding: "utf8" }).trim();
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

const readCsv = (path: string) => parse(readFileSync(path, "utf8"), { columns: true }) as Record<string, string>[];

const dir = tempDir("mf-clinic-");
const clinic = writeClinic(dir);
const configPath = join(dir, "config.yaml");
writeFileSync(configPath, clinicConfig("clinic.csv"));
const run = join(dir, "run");

test("train: a new manifest with mixed formats, missing and corrupt files trains and reports every bad file", () => {
  const r = runCli(["train", configPath, "--out", run, "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /test accuracy/);
  assert.match(r.stdout, /data issues: 6 \(data_issues\.csv: lab_a 2, scan 2, voice 2\)/);
  assert.equal(checkRunDir(run), "ok");
  const issues = readCsv(join(run, "data_issues.csv"));
  assert.equal(issues.length, clinic.issues.length);
  for (const expected of clinic.issues) {
    const found = issues.find((i) => Number(i.row) === expected.row && i.column === expected.column);
    assert.ok(found, `no issue for row ${expected.row} ${expected.column}`);
    assert.match(found.problem as string, expected.problem);
  }
  const metrics = JSON.parse(readFileSync(join(run, "metrics.json"), "utf8"));
  assert.equal(metrics.data_issues, 6);
  assert.deepEqual(metrics.classes, ["healthy", "ill"]);
  assert.equal(metrics.rows.train + metrics.rows.validation + metrics.rows.test, 40, "on_bad_file=missing keeps every row");
  const history = readCsv(join(run, "history.csv"));
  assert.equal(history.length, 2);
  const report = readFileSync(join(run, "report.html"), "utf8");
  assert.match(report, /data:image\/png;base64,/);
  assert.match(report, /broken10\.wav/);
});

test("predict: a manifest without a label column gives one row per input row, in input order", () => {
  const order = [17, 3, 30, 9, 0, 25, 11, 6, 7, 38];
  const header = clinic.header.filter((h) => h !== "diagnosis");
  const rows = order.map((i) => (clinic.rows[i] as (string | number)[]).slice(0, -1));
  const manifest = join(dir, "new.csv");
  writeCsv(manifest, header, rows);
  const out = join(dir, "predictions.csv");
  const r = runCli(["predict", run, "--data", manifest, "--output", out, "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(checkRunDir(run, "--predictions", out, "--rows", String(order.length)), "ok");
  const predictions = readCsv(out);
  assert.deepEqual(predictions.map((p) => p.id), order.map((i) => `p${String(i).padStart(3, "0")}`));
  assert.deepEqual(Object.keys(predictions[0] ?? {}), ["id", "prediction", "confidence", "prob_healthy", "prob_ill"]);
  // Rows 9 and 11 name corrupt files: predicted without them, and recorded beside the output.
  assert.match(r.stdout, /2 data issue\(s\) \(files that could not be read/);
  const issues = readCsv(join(dir, "predictions.data_issues.csv"));
  assert.deepEqual(issues.map((i) => [i.row, i.column]), [["3", "scan"], ["6", "voice"]]);
});

test("evaluate: metrics on a labelled manifest, and with modalities dropped", () => {
  const r = runCli(["evaluate", run, "--data", clinic.manifest, "--drop", "image,audio", "--out", join(dir, "eval"), "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /accuracy .* on 40 rows without image, audio/);
  const m = JSON.parse(readFileSync(join(dir, "eval", "metrics.json"), "utf8"));
  assert.deepEqual(m.dropped, ["image", "audio"]);
  assert.ok(m.evaluation.accuracy >= 0 && m.evaluation.accuracy <= 1);
  assert.equal(m.evaluation.rows, 40);
});

test("on_bad_file: skip_row drops rows with corrupt files; error stops with one line naming the file", () => {
  const skipRun = join(dir, "run-skip");
  const skip = runCli(["train", configPath, "--out", skipRun, "--quiet", "--set", "data.on_bad_file=skip_row", "--set", "train.epochs=1"]);
  assert.equal(skip.status, 0, skip.stderr);
  const m = JSON.parse(readFileSync(join(skipRun, "metrics.json"), "utf8"));
  assert.equal(m.rows.train + m.rows.validation + m.rows.test, 40 - clinic.brokenRows.length);
  const error = runCli(["train", configPath, "--out", join(dir, "run-error"), "--quiet", "--set", "data.on_bad_file=error"]);
  assert.match(userErrorLine(error), /clinic\.csv: row 9: scan media\/broken9\.png: truncated/);
});

test("a Parquet manifest trains like the CSV", async () => {
  const columnData = clinic.header.map((name, c) => ({
    name,
    data: clinic.rows.map((r) => (c === 1 ? (typeof r[c] === "number" ? r[c] : null) : c === 2 ? Number(r[c]) : String(r[c]))),
    type: c === 1 || c === 2 ? ("DOUBLE" as const) : ("STRING" as const),
  }));
  const parquet = join(dir, "clinic.parquet");
  await parquetWriteFile({ filename: parquet, columnData });
  writeFileSync(join(dir, "parquet.yaml"), clinicConfig("clinic.parquet").replace("epochs: 2", "epochs: 1"));
  const r = runCli(["train", join(dir, "parquet.yaml"), "--out", join(dir, "run-parquet"), "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(readFileSync(join(dir, "run-parquet", "metrics.json"), "utf8"));
  assert.equal(m.data_issues, 4);
});

test("library API: train from a config object, load, predict rows given as objects", async () => {
  const out = join(dir, "run-api");
  const summary = await train(
    {
      data: { train: clinic.manifest, label: "diagnosis", id: "patient", tabular: { numeric: ["lab_a", "lab_b"], categorical: ["site"] }, audio: { column: "voice", sample_rate: 8000, seconds: 0.5, n_mels: 16 } },
      model: { preset: "seed", features: 8 },
      train: { epochs: 1, batch_size: 8 },
    },
    { out },
  );
  assert.ok(existsSync(join(out, "model.safetensors")));
  assert.equal(summary.classes.length, 2);
  const model = await load(out);
  try {
    const rows = [
      { patient: "x1", lab_a: 5.1, lab_b: 3, site: "north", voice: join(dir, "media", "voice0.wav") },
      { patient: "x2", lab_a: null, lab_b: 1, site: "nowhere", voice: "" },
    ];
    const predictions = await model.predict(rows);
    assert.deepEqual(predictions.map((p) => p.id), ["x1", "x2"]);
    for (const p of predictions) {
      const total = Object.values(p.probabilities).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - 1) < 1e-4);
      assert.equal(p.confidence, Math.max(...Object.values(p.probabilities)));
    }
  } finally {
    model.dispose();
  }
});

test("the same seed trains the same model, bit for bit", async () => {
  const config = {
    data: { train: clinic.manifest, label: "diagnosis", tabular: { numeric: ["lab_a", "lab_b"], categorical: ["site"] }, image: { column: "scan", size: 8 } },
    model: { preset: "standard" as const, features: 8 },
    train: { epochs: 2, batch_size: 8, seed: 3 },
  };
  await train(config, { out: join(dir, "seed-a") });
  await train(config, { out: join(dir, "seed-b") });
  assert.deepEqual(readFileSync(join(dir, "seed-a", "model.safetensors")), readFileSync(join(dir, "seed-b", "model.safetensors")));
  assert.equal(readFileSync(join(dir, "seed-a", "history.csv"), "utf8").split("\n").map((l) => l.split(",").slice(0, 5).join()).join("\n"), readFileSync(join(dir, "seed-b", "history.csv"), "utf8").split("\n").map((l) => l.split(",").slice(0, 5).join()).join("\n"));
});

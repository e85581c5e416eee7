// What each modality adds, through the real CLI: compare, evaluate --robustness and
// predict --explain on a small manifest with every modality.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { runCli, tempDir, userErrorLine } from "../helpers/cli.js";
import { clinicConfig, writeClinic } from "../helpers/clinic.js";

const readCsv = (path: string) => parse(readFileSync(path, "utf8"), { columns: true }) as Record<string, string>[];
const isPng = (path: string) => readFileSync(path).subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

const dir = tempDir("mf-modalities-");
const clinic = writeClinic(dir);
const configPath = join(dir, "config.yaml");
writeFileSync(configPath, clinicConfig("clinic.csv").replace("epochs: 2", "epochs: 1"));
const out = join(dir, "compare");

test("compare trains every single modality, every pair, and the full set per fusion, over seeds", () => {
  // The tabular input gets its own, narrower width: every subset and fusion is built with it.
  const r = runCli(["compare", configPath, "--out", out, "--seeds", "2", "--fusions", "concat,late", "--set", "model.fusion=concat", "--set", "model.encoders.tabular.features=8", "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  const rows = readCsv(join(out, "compare.csv"));
  assert.deepEqual(Object.keys(rows[0] ?? {}), ["modalities", "fusion", "seed", "accuracy", "macro_f1"]);
  const groups = [...new Set(rows.map((x) => `${x.modalities}|${x.fusion}`))];
  assert.deepEqual(groups, [
    "tabular|concat",
    "image|concat",
    "audio|concat",
    "image+tabular|concat",
    "audio+tabular|concat",
    "audio+image|concat",
    "audio+image+tabular|concat",
    "audio+image+tabular|late",
  ]);
  assert.equal(rows.length, groups.length * 2);
  assert.deepEqual([...new Set(rows.map((x) => x.seed))], ["0", "1"]);
  for (const x of rows) assert.ok(Number(x.accuracy) >= 0 && Number(x.accuracy) <= 1);
  assert.ok(isPng(join(out, "compare.png")));
  const single = JSON.parse(readFileSync(join(out, "compare", "audio-concat-seed0", "preprocess.json"), "utf8"));
  assert.deepEqual(single.inputs.map((i: { name: string }) => i.name), ["audio"], "a single-input run sees only its input");
  const full = JSON.parse(readFileSync(join(out, "preprocess.json"), "utf8"));
  assert.deepEqual(full.model.encoders, { tabular: { features: 8 } });
  const arch = JSON.parse(readFileSync(join(out, "architecture.json"), "utf8"));
  assert.deepEqual(arch.encoders.map((e: { output: unknown[] }) => e.output.at(-1)), [8, 16, 16], "each encoder ends at its input's width");
  assert.equal(arch.fusion.detail, "8 + 16 + 16 → 40");
  assert.match(readFileSync(join(out, "report.html"), "utf8"), /What each modality adds/);
});

test("evaluate --robustness measures drops and rising noise for every modality", () => {
  const r = runCli(["evaluate", out, "--data", clinic.manifest, "--robustness", "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  const rows = readCsv(join(out, "robustness.csv"));
  const count = (condition: string, modality?: string) => rows.filter((x) => x.condition === condition && (!modality || x.modality === modality)).length;
  assert.equal(count("clean"), 1);
  assert.deepEqual(rows.filter((x) => x.condition === "drop").map((x) => x.modality), ["tabular", "image", "audio", "image+tabular", "audio+tabular", "audio+image"]);
  assert.ok(count("noise", "image") >= 4 && count("noise", "audio") >= 4 && count("noise", "tabular") >= 4);
  assert.ok(count("columns_dropped", "tabular") >= 3);
  const audio = rows.filter((x) => x.modality === "audio" && x.condition === "noise").map((x) => Number(x.level));
  assert.deepEqual(audio, [...audio].sort((a, b) => b - a), "SNR falls level by level");
  assert.ok(isPng(join(out, "robustness.png")));
  assert.match(readFileSync(join(out, "report.html"), "utf8"), /Robustness/);
  assert.match(userErrorLine(runCli(["evaluate", out, "--data", clinic.manifest, "--robustness", "--drop", "image"])), /leave out --drop/);
  assert.match(userErrorLine(runCli(["evaluate", out, "--data", clinic.manifest, "--drop", "video"])), /--drop video: this model has no video input \(it uses tabular, image, audio\)/);
  // With every tabular column dropped, the rows have no tabular input, as training would see them.
  const allColumns = rows.find((x) => x.condition === "columns_dropped" && Number(x.level) === 1);
  const withoutTabular = rows.find((x) => x.condition === "drop" && x.modality === "tabular");
  assert.equal(allColumns?.accuracy, withoutTabular?.accuracy, "all columns dropped is the tabular input dropped");
});

test("predict --explain adds a contribution per modality: gate weights for gated fusion, else the probability a modality adds", () => {
  const gatedRun = join(dir, "gated");
  assert.equal(runCli(["train", configPath, "--out", gatedRun, "--quiet", "--set", "model.fusion=gated"]).status, 0);
  const gatedOut = join(dir, "gated.csv");
  assert.equal(runCli(["predict", gatedRun, "--data", clinic.manifest, "--output", gatedOut, "--explain", "--quiet"]).status, 0);
  const gated = readCsv(gatedOut);
  assert.deepEqual(Object.keys(gated[0] ?? {}).slice(-3), ["contrib_tabular", "contrib_image", "contrib_audio"]);
  for (const row of gated) {
    const sum = Number(row.contrib_tabular) + Number(row.contrib_image) + Number(row.contrib_audio);
    assert.ok(Math.abs(sum - 1) < 1e-4, `gate weights of ${row.id} sum to ${sum}`);
  }
  assert.equal(Number(gated[6]?.contrib_image), 0, "row 6 has no scan: its gate gives the image nothing");
  const concatOut = join(dir, "concat.csv");
  assert.equal(runCli(["predict", out, "--data", clinic.manifest, "--output", concatOut, "--explain", "--quiet"]).status, 0);
  const concat = readCsv(concatOut);
  assert.equal(Number(concat[7]?.contrib_audio), 0, "row 7 has no recording");
  assert.ok(concat.some((row) => Number(row.contrib_image) !== 0));
});

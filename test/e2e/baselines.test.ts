// Every run measures itself against a logistic regression per input and their late fusion,
// and says so plainly when it loses: through the real CLI, on a table whose class a
// linear model reads off two columns.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { baselineVerdicts } from "../../src/report/baselines.js";
import { Random } from "../../src/util/random.js";
import { runCli, tempDir, writeCsv } from "../helpers/cli.js";

const dir = tempDir("mf-baselines-");
const random = new Random(7);
const rows = Array.from({ length: 240 }, (_, i) => {
  const a = random.normal();
  const b = random.normal();
  const noise = random.normal();
  return [`r${i}`, a.toFixed(4), b.toFixed(4), noise.toFixed(4), a + 0.8 * b > 0 ? "up" : "down"];
});
writeCsv(join(dir, "table.csv"), ["id", "a", "b", "noise", "direction"], rows);
const config = (extra: string) => `data:
  train: table.csv
  label: direction
  id: id
  tabular: {numeric: [a, b, noise]}
train: {epochs: 1, batch_size: 32, seed: 0${extra}}
`;

test("a model that has barely trained is reported as below its linear baseline, in the summary and the report", () => {
  // One epoch at a vanishing learning rate: the network is still its random start.
  writeFileSync(join(dir, "untrained.yaml"), config(", lr: 0.0000001"));
  const run = join(dir, "untrained");
  const r = runCli(["train", join(dir, "untrained.yaml"), "--out", run, "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  const metrics = JSON.parse(readFileSync(join(run, "metrics.json"), "utf8"));
  const linear = metrics.baselines.inputs.tabular;
  assert.ok(linear.test > 0.85, `the logistic regression reads the class off a and b (${linear.test})`);
  assert.ok(metrics.baselines.late_fusion.test > 0.85);
  assert.ok(metrics.test.accuracy < metrics.baselines.late_fusion.test, `the untrained model (${metrics.test.accuracy}) is below it`);
  assert.match(r.stdout, /The model is below its linear baseline: \d+\.\d% test accuracy against \d+\.\d% for the late fusion/);
  const report = readFileSync(join(run, "report.html"), "utf8");
  assert.match(report, /Against linear baselines/);
  assert.match(report, /The model is below its linear baseline/);
  assert.match(report, /logistic regression, tabular only/);
});

test("a trained model that matches the baseline is not called below it", () => {
  writeFileSync(join(dir, "trained.yaml"), config(", lr: 0.003").replace("epochs: 1", "epochs: 40"));
  const run = join(dir, "trained");
  const r = runCli(["train", join(dir, "trained.yaml"), "--out", run, "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  const metrics = JSON.parse(readFileSync(join(run, "metrics.json"), "utf8"));
  const below = metrics.test.accuracy < metrics.baselines.late_fusion.test;
  assert.equal(/below its linear baseline/.test(readFileSync(join(run, "report.html"), "utf8")), below, "the report says 'below' exactly when it is");
});

test("the verdicts name each way the model can lose, and say when it wins", () => {
  const model = (test: number) => ({ test: { accuracy: test }, validation: { accuracy: test } });
  const baselines = { inputs: { image: { validation: 0.7, test: 0.72 }, audio: { validation: 0.6, test: 0.61 } }, late_fusion: { validation: 0.8, test: 0.81 } };
  assert.deepEqual(baselineVerdicts(model(0.7), baselines), [
    "The model is below its linear baseline: 70.0% test accuracy against 81.0% for the late fusion of one logistic regression per input.",
    "The model is below the linear baseline of image alone: 70.0% against 72.0%.",
  ]);
  assert.deepEqual(baselineVerdicts(model(0.9), baselines), ["The model beats its linear baselines: 90.0% test accuracy against 81.0% for their late fusion and 72.0% for the best single input (image)."]);
  const noisyFusion = { ...baselines, late_fusion: { validation: 0.65, test: 0.66 } };
  assert.match((baselineVerdicts(model(0.9), noisyFusion)[0] as string), /Fusing the linear models loses to image alone \(66\.0% against 72\.0%\)/);
});

test("train --time-limit plans the epochs that fit, stops there, and says so", () => {
  // Without early stopping, only the time limit can end this run before its 10,000 epochs.
  writeFileSync(join(dir, "long.yaml"), config(", early_stopping: 0").replace("epochs: 1", "epochs: 10000"));
  const run = join(dir, "timed");
  const r = runCli(["train", join(dir, "long.yaml"), "--out", run, "--time-limit", "20s", "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  const metrics = JSON.parse(readFileSync(join(run, "metrics.json"), "utf8"));
  assert.equal(metrics.time_limit_s, 20);
  assert.equal(metrics.stopped_by, "time_limit");
  assert.ok(metrics.planned_epochs > 1 && metrics.planned_epochs < 10000, `planned ${metrics.planned_epochs} epochs`);
  assert.ok(metrics.epochs_run <= metrics.planned_epochs + 1, `ran ${metrics.epochs_run} of ${metrics.planned_epochs} planned`);
  assert.ok(metrics.train_seconds < 20, `trained ${metrics.train_seconds} s within the 20 s budget`);
  assert.match(r.stdout, /stopped by the time limit.*the time limit allowed \d+/);
});

// What the summary and report.html say, through the real CLI, against what the run did: rows
// without an input are counted even when no file was bad, robustness names the manifest it
// measured, figures of a model since replaced are left out, and an empty test split is
// "no test rows", never 0.0%.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { runCli, tempDir, useFixture, userErrorLine, writeCsv } from "../helpers/cli.js";

const dir = tempDir("mf-truthful-");
const IMAGES = ["image/red_blue.png", "image/red_blue.jpg", "image/palette.png", "image/rgba.png"];
// Every fifth photo cell is empty: missing for that row, but not a data issue (no file is bad).
const rows = Array.from({ length: 30 }, (_, i) => {
  const ill = i % 2 === 1;
  const image = IMAGES[i % IMAGES.length] as string;
  const photo = i % 5 === 2 ? "" : useFixture(dir, image, `photo${i}${image.slice(-4)}`);
  return [`r${i}`, (ill ? 5 : 1) + (i % 7) * 0.1, photo, ill ? "ill" : "healthy"];
});
writeCsv(join(dir, "train.csv"), ["id", "x", "photo", "label"], rows);
copyFileSync(join(dir, "train.csv"), join(dir, "holdout.csv"));
const configPath = join(dir, "config.yaml");
writeFileSync(
  configPath,
  `data:
  train: train.csv
  split: {validation: 0.2, test: 0.2, seed: 1}
  label: label
  id: id
  tabular: {numeric: [x]}
  image: {column: photo, size: 16}
model: {preset: standard, features: 8}
train: {epochs: 1, batch_size: 8, seed: 0}
`,
);
const run = join(dir, "run");
const trained = runCli(["train", configPath, "--out", run, "--quiet"]);

const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));
const readCsv = (path: string) => parse(readFileSync(path, "utf8"), { columns: true }) as Record<string, string>[];
/** The HTML of one report section, by id ("" when the report has none). */
function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}"`);
  return start < 0 ? "" : html.slice(start, html.indexOf("</section>", start));
}

test("the report counts the rows that lack an input as metrics.json does, even when no file was bad", () => {
  assert.equal(trained.status, 0, trained.stderr);
  const metrics = readJson(join(run, "metrics.json"));
  assert.equal(metrics.data_issues, 0);
  const parts = Object.entries(metrics.missing as Record<string, Record<string, number>>).filter(([, m]) => (m.image ?? 0) > 0);
  const total = parts.reduce((sum, [, m]) => sum + (m.image ?? 0), 0);
  assert.equal(total, 6, "every fifth photo is missing");
  const issues = section(readFileSync(join(run, "report.html"), "utf8"), "data-issues");
  assert.doesNotMatch(issues, /none —|no value was missing/);
  assert.ok(issues.includes(`image ${total} (${parts.map(([part, m]) => `${part} ${m.image}`).join(", ")})`), issues);
});

test("evaluate --robustness names the manifest it measured, in robustness.csv and in the report", () => {
  assert.equal(trained.status, 0, trained.stderr);
  const r = runCli(["evaluate", run, "--data", join(dir, "holdout.csv"), "--robustness", "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  const measured = readCsv(join(run, "robustness.csv"));
  assert.ok(measured.length > 0);
  assert.deepEqual([...new Set(measured.map((row) => row.manifest))], ["holdout.csv"]);
  const robustness = section(readFileSync(join(run, "report.html"), "utf8"), "robustness");
  assert.ok(robustness.includes("Accuracy on holdout.csv, the manifest given to evaluate --robustness"), robustness.slice(0, 400));
  assert.doesNotMatch(robustness.replace(/base64,[A-Za-z0-9+/=]+/g, ""), /test accuracy/);
});

test("compare training a new model into the directory leaves the old model's robustness out of the report", () => {
  assert.ok(existsSync(join(run, "robustness.csv")), "the previous test measured the first model");
  const r = runCli(["compare", configPath, "--out", run, "--seeds", "1", "--quiet", "--set", "train.seed=1"]);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(join(run, "report.html"), "utf8");
  assert.notEqual(section(html, "compare"), "", "what compare measured is shown");
  assert.equal(section(html, "robustness"), "");
  assert.ok(!html.includes('href="#robustness"') && !html.includes("holdout.csv"), "nothing said about the old model's robustness");
});

test("an empty test split is reported as no test rows, never as 0.0% on 0 rows", () => {
  const out = join(dir, "run-no-test");
  const r = runCli(["train", configPath, "--out", out, "--quiet", "--set", "data.split.test=0"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /no test rows/);
  assert.doesNotMatch(r.stdout, /on 0 rows|NaN/);
  const metrics = readJson(join(out, "metrics.json"));
  assert.equal(metrics.rows.test, 0);
  assert.equal(metrics.test.accuracy, null);
  assert.equal(metrics.test.macro_f1, null);
  const html = readFileSync(join(out, "report.html"), "utf8");
  assert.ok(html.includes('<div class="label">Test accuracy</div><div class="value">no test rows</div>'));
  assert.ok(section(html, "per-class").includes("No test rows"));
  assert.ok(!html.replace(/base64,[A-Za-z0-9+/=]+/g, "").includes("NaN"));
  // compare judges every model by its test accuracy: without test rows it stops at once.
  assert.match(userErrorLine(runCli(["compare", configPath, "--out", join(dir, "compare"), "--set", "data.split.test=0", "--seeds", "1", "--quiet"])), /config\.yaml: compare scores every model on test rows, and this config has none/);
});

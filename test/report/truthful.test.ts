// The report states only what the run directory's files show about the model now in it:
// missing rows as metrics.json counts them, the manifest robustness was measured on, "no test
// rows" for an empty test split, and nothing from a compare or robustness run whose model has
// since been replaced.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, stat, utimes, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { parseRobustness, robustnessSvg, writeReport } from "../../src/report/index.js";
import { DEFAULT_CLASSES, compareCsv, robustnessCsv, withRun } from "./run-fixture.js";

function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}"`);
  return start < 0 ? "" : html.slice(start, html.indexOf("</section>", start));
}

/** robustness.csv as `evaluate --robustness` now writes it: every row names its manifest. */
const withManifest = (manifest: string) =>
  robustnessCsv()
    .trim()
    .split("\n")
    .map((line, i) => `${line},${i === 0 ? "manifest" : manifest}`)
    .join("\n") + "\n";

async function metricsWith(dir: string, change: (m: Record<string, unknown>) => void): Promise<void> {
  const m = JSON.parse(await readFile(join(dir, "metrics.json"), "utf8")) as Record<string, unknown>;
  change(m);
  await writeFile(join(dir, "metrics.json"), JSON.stringify(m));
}

test("rows without an input are counted from metrics.json, and 'none' is said only when nothing was missing", async () => {
  await withRun({ issues: 0 }, async (dir) => {
    await metricsWith(dir, (m) => (m.missing = { train: { tabular: 0, image: 12, audio: 3 }, validation: { tabular: 0, image: 2, audio: 0 }, test: { tabular: 0, image: 1, audio: 0 } }));
    await writeReport(dir);
    const issues = section(await readFile(join(dir, "report.html"), "utf8"), "data-issues");
    assert.doesNotMatch(issues, /none/);
    assert.ok(issues.includes("image 15 (train 12, validation 2, test 1) · audio 3 (train 3)"), issues);
    assert.ok(!issues.includes("tabular"), "an input no row lacked is not listed");

    await metricsWith(dir, (m) => (m.missing = { train: { image: 0 }, validation: { image: 0 }, test: { image: 0 } }));
    await writeReport(dir);
    assert.match(section(await readFile(join(dir, "report.html"), "utf8"), "data-issues"), /none — every file named was found and decoded, every value parsed, and every row had each of its inputs\./);
  });
});

test("robustness names the manifest it was measured on, never calling it test accuracy", async () => {
  const rows = parseRobustness(Buffer.from(withManifest("holdout.csv")));
  assert.ok(rows.every((r) => r.manifest === "holdout.csv"));
  const svg = robustnessSvg(rows);
  assert.ok(svg.includes("accuracy on holdout.csv with degraded or missing inputs"));
  assert.ok(!svg.includes("test accuracy"));
  await withRun({ extra: { "robustness.csv": withManifest("holdout.csv") } }, async (dir) => {
    await writeReport(dir);
    const robustness = section(await readFile(join(dir, "report.html"), "utf8"), "robustness");
    assert.ok(robustness.includes("<p>Accuracy on holdout.csv, the manifest given to evaluate --robustness"));
    assert.ok(robustness.includes("Dashed: clean accuracy on holdout.csv (93.0%)."));
  });
  // Files written before the column existed name no manifest, and claim none.
  assert.ok(!robustnessSvg(parseRobustness(Buffer.from(robustnessCsv()))).includes("test accuracy"));
});

test("compare.csv and robustness.csv older than model.safetensors are left out without a word", async () => {
  await withRun({ extra: { "compare.csv": compareCsv(), "robustness.csv": robustnessCsv() } }, async (dir) => {
    await writeReport(dir);
    const model = (await stat(join(dir, "model.safetensors"))).mtime;
    const earlier = new Date(model.getTime() - 60_000);
    for (const name of ["compare.csv", "robustness.csv", "compare.png", "robustness.png"]) await utimes(join(dir, name), earlier, earlier);
    const { files } = await writeReport(dir);
    assert.deepEqual(files.map((f) => basename(f)), ["curves.png", "confusion.png", "architecture.png", "report.html"]);
    const html = await readFile(join(dir, "report.html"), "utf8");
    for (const id of ["compare", "robustness"]) {
      assert.equal(section(html, id), "");
      assert.ok(!html.includes(`href="#${id}"`));
    }
    // Written again after the model (a new compare or evaluate --robustness), they are shown.
    const later = new Date(model.getTime() + 60_000);
    await utimes(join(dir, "robustness.csv"), later, later);
    const again = await writeReport(dir);
    assert.ok(again.files.some((f) => basename(f) === "robustness.png") && !again.files.some((f) => basename(f) === "compare.png"));
  });
});

test("a run without test rows says so instead of 0.0%", async () => {
  await withRun({ issues: 0 }, async (dir) => {
    // As the trainer writes it: no score exists, so JSON holds null, and the matrix is all zeros.
    const confusion = DEFAULT_CLASSES.map(() => DEFAULT_CLASSES.map(() => 0));
    const per_class = Object.fromEntries(DEFAULT_CLASSES.map((c) => [c, { precision: null, recall: null, f1: null, support: 0 }]));
    await metricsWith(dir, (m) => (m.test = { accuracy: null, macro_f1: null, loss: null, per_class, confusion, rows: 0 }));
    await writeReport(dir);
    const html = await readFile(join(dir, "report.html"), "utf8");
    assert.ok(html.includes('<div class="label">Test accuracy</div><div class="value">no test rows</div>'));
    assert.ok(html.includes('<div class="label">Test macro-F1</div><div class="value">no test rows</div>'));
    assert.ok(section(html, "per-class").includes("No test rows: the test split is empty"));
    assert.ok(section(html, "confusion").includes("No test rows"));
    assert.ok(!html.replace(/base64,[A-Za-z0-9+/=]+/g, "").match(/NaN|0\.0%/));
  });
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import {
  architectureSvg,
  confusionSvg,
  curvesSvg,
  parseArchitecture,
  parseHistory,
  parseMetrics,
  pngSize,
  writeReport,
  type Metrics,
} from "../../src/report/index.js";
import { svgSize } from "../../src/report/svg.js";
import { withRun, type FixtureOptions } from "./run-fixture.js";
import { SHARED } from "../helpers/cli.js";

const CHECKER = join(SHARED, "tools", "check_run_dir.py");

async function readText(dir: string, name: string): Promise<string> {
  return readFile(join(dir, name), "utf8");
}

async function metricsOf(dir: string): Promise<Metrics> {
  return parseMetrics(await readFile(join(dir, "metrics.json")));
}

/** The PNG must be exactly twice the size of the SVG the renderer draws from the same files. */
async function assertPngMatches(dir: string, name: string, svg: string): Promise<void> {
  const png = await readFile(join(dir, name));
  const { width, height } = pngSize(png);
  const own = svgSize(svg);
  assert.equal(width, own.width * 2, `${name} width`);
  assert.ok(Math.abs(height - own.height * 2) <= 1, `${name} height ${height} vs ${own.height * 2}`);
}

function dataUris(html: string): string[] {
  return [...html.matchAll(/<img src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/g)].map((m) => m[1] ?? "");
}

test("a realistic run gets four files whose pictures are PNGs of the expected size", async () => {
  await withRun({}, async (dir) => {
    const { files } = await writeReport(dir);
    assert.deepEqual(files.map((f) => basename(f)), ["curves.png", "confusion.png", "architecture.png", "report.html"]);
    const history = parseHistory(await readFile(join(dir, "history.csv")));
    const m = await metricsOf(dir);
    const arch = parseArchitecture(await readFile(join(dir, "architecture.json")));
    assert.deepEqual(pngSize(await readFile(join(dir, "curves.png"))), { width: 2200, height: 880 });
    await assertPngMatches(dir, "curves.png", curvesSvg(history, { bestEpoch: m.best_epoch }));
    await assertPngMatches(dir, "confusion.png", confusionSvg(m.classes, m.test.confusion));
    await assertPngMatches(dir, "architecture.png", architectureSvg(arch));
  });
});

test("check_run_dir.py accepts the run directory", async (t) => {
  if (spawnSync("python3", ["--version"]).status !== 0) return t.skip("python3 not available");
  await withRun({}, async (dir) => {
    await writeReport(dir);
    const r = spawnSync("python3", [CHECKER, dir], { encoding: "utf8" });
    assert.equal(r.stdout.trim(), "ok", r.stdout + r.stderr);
    assert.equal(r.status, 0);
  });
});

test("report.html is self-contained and shows every section", async () => {
  await withRun({}, async (dir) => {
    await writeReport(dir);
    const html = await readText(dir, "report.html");
    const uris = dataUris(html);
    assert.equal(uris.length, 3);
    for (const [i, name] of ["curves.png", "confusion.png", "architecture.png"].entries()) {
      assert.ok(Buffer.from(uris[i] ?? "", "base64").equals(await readFile(join(dir, name))), `${name} inlined byte for byte`);
    }
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?\s*https?:/i);
    assert.doesNotMatch(html, /<script|<link/i, "no scripts, no external stylesheets");
    assert.match(html, /<style>/);
    for (const heading of ["Training curves", "Confusion matrix (test)", "Per-class metrics", "Architecture", "Data issues", "Run summary", "Resolved configuration"]) {
      assert.ok(html.includes(`<h2>${heading}</h2>`), `section ${heading}`);
    }
    assert.ok(html.includes("<h3>Test</h3>") && html.includes("<h3>Validation</h3>"));
  });
});

test("report.html headline and per-class tables carry the numbers from metrics.json", async () => {
  await withRun({}, async (dir) => {
    await writeReport(dir);
    const html = await readText(dir, "report.html");
    const m = await metricsOf(dir);
    assert.ok(html.includes("Predicting <code>event</code> · 3 classes"));
    assert.ok(html.includes("concert, lecture, sports"));
    assert.ok(html.includes(`${(m.test.accuracy * 100).toFixed(1)}%`), "test accuracy");
    assert.ok(html.includes(`>${m.test.macro_f1.toFixed(3)}<`), "test macro-F1");
    assert.ok(html.includes(`<div class="label">Data issues</div><div class="value">4</div>`));
    assert.ok(html.includes("<div class=\"value\">419,751</div>"), "parameter count");
    for (const split of [m.test, m.validation]) {
      for (const c of m.classes) {
        const s = split.per_class[c]!;
        const row = new RegExp(`<tr><td>${c}</td><td class="num">${s.precision.toFixed(3)}</td><td class="num">${s.recall.toFixed(3)}</td><td class="num"[^>]*>${s.f1.toFixed(3)}</td><td class="num">${s.support}</td></tr>`);
        assert.match(html, row, `${c} row`);
      }
    }
    for (const fact of ["train 700 · validation 150 · test 150", "51.2 s", "standard", "concat", "<dd>cpu</dd>", "<dd>12</dd>"]) {
      assert.ok(html.includes(fact), `summary shows ${fact}`);
    }
    assert.ok(html.includes("<pre>data:\n  train: train.csv"), "config in a <pre>");
    assert.ok(html.includes("images/img_0.png") && html.includes("4 issues in total"));
  });
});

test("text from the run's files is escaped in report.html", async () => {
  const evil = "<script>x</script>";
  const options: FixtureOptions = {
    classes: ["concert", evil, "sports & games"],
    extra: {
      "config.yaml": "data:\n  label: \"</pre><script>alert(1)</script>\"\n",
      "data_issues.csv": "row,column,path,problem\n1,photo,\"<img src=x onerror=alert(1)>.png\",\"bad, \"\"quoted\"\" file\"\n",
    },
  };
  await withRun(options, async (dir) => {
    await writeReport(dir);
    const html = await readText(dir, "report.html");
    assert.ok(!html.includes(evil) && !/<script/i.test(html));
    assert.ok(!html.includes("<img src=x"));
    assert.ok(html.includes("&#60;script&#62;x&#60;/script&#62;"), "the class name is shown, escaped");
    assert.ok(html.includes("sports &#38; games"));
    assert.ok(html.includes("&#60;/pre&#62;&#60;script&#62;alert(1)&#60;/script&#62;"));
    assert.ok(html.includes("bad, &#34;quoted&#34; file"), "CSV quoting is honoured");
    assert.equal(dataUris(html).length, 3);
  });
});

test("12 classes, 60 epochs and 5 encoders", async () => {
  const classes = Array.from({ length: 12 }, (_, i) => (i === 3 ? "wedding reception with a live band and speeches" : `class ${i + 1}`));
  await withRun({ classes, epochs: 60, encoders: 5, imageLayers: 30 }, async (dir) => {
    await writeReport(dir);
    const m = await metricsOf(dir);
    const arch = parseArchitecture(await readFile(join(dir, "architecture.json")));
    await assertPngMatches(dir, "confusion.png", confusionSvg(m.classes, m.test.confusion));
    await assertPngMatches(dir, "architecture.png", architectureSvg(arch));
    assert.equal(arch.encoders.length, 5);
    const html = await readText(dir, "report.html");
    for (const c of classes) assert.ok(html.includes(`<tr><td>${c}</td>`), `${c} in the table, untruncated`);
    assert.ok(html.includes("60 epochs"));
  });
});

test("2 classes, 1 epoch, 1 encoder and no data issues", async () => {
  await withRun({ classes: ["no", "yes"], epochs: 1, encoders: 1, issues: 0 }, async (dir) => {
    await writeReport(dir);
    const history = parseHistory(await readFile(join(dir, "history.csv")));
    assert.equal(history.length, 1);
    await assertPngMatches(dir, "curves.png", curvesSvg(history, { bestEpoch: 1 }));
    const html = await readText(dir, "report.html");
    assert.match(html, /<h2>Data issues<\/h2>\n<p>none/);
    assert.ok(html.includes("1 epoch ·") || html.includes("1 epoch<"));
  });
});

test("more than 50 data issues: the first 50 rows and the total", async () => {
  await withRun({ issues: 75 }, async (dir) => {
    await writeReport(dir);
    const html = await readText(dir, "report.html");
    const section = html.slice(html.indexOf('<section id="data-issues"'), html.indexOf("</section>", html.indexOf('<section id="data-issues"')));
    assert.equal((section.match(/<td class="path">/g) ?? []).length, 50);
    assert.ok(section.includes("75 issues in total") && section.includes("first 50 of 75"));
    assert.ok(section.includes("images/img_48.png") && !section.includes("images/img_50.png"));
  });
});

test("a missing history.csv or metrics.json is a clear error naming the file", async () => {
  await withRun({ omit: ["history.csv"] }, async (dir) => {
    await assert.rejects(writeReport(dir), (e: Error) => e.message.startsWith("history.csv not found") && e.message.includes(dir));
  });
  await withRun({ omit: ["metrics.json"] }, async (dir) => {
    await assert.rejects(writeReport(dir), /^Error: metrics\.json not found/);
  });
  await withRun({ extra: { "history.csv": "epoch,train_loss\n1,0.5\n" } }, async (dir) => {
    await assert.rejects(writeReport(dir), /history\.csv lacks columns: train_accuracy, val_loss, val_accuracy, lr, seconds/);
  });
  await withRun({ extra: { "metrics.json": '{"classes": ["a"], "test": {}}' } }, async (dir) => {
    await assert.rejects(writeReport(dir), /metrics\.json is malformed/);
  });
});

test("optional files: minimal metrics, no architecture.json, no data_issues.csv, empty validation cells", async () => {
  const metrics = {
    classes: ["a", "b"],
    test: { accuracy: 0.5, macro_f1: 0.4, per_class: { a: { precision: 0.5, recall: 1, f1: 0.667, support: 2 }, b: { precision: null, recall: 0, f1: 0, support: 2 } }, confusion: [[2, 0], [2, 0]] },
    validation: { accuracy: 0.5, macro_f1: 0.4, per_class: {}, confusion: [[1, 0], [1, 0]] },
    data_issues: 2,
  };
  const history = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds\n1,0.9,0.5,,,0.001,1.2\n2,0.7,0.6,,,0.001,1.1\n";
  await withRun({ omit: ["architecture.json", "data_issues.csv"], extra: { "metrics.json": JSON.stringify(metrics), "history.csv": history } }, async (dir) => {
    await writeReport(dir);
    const html = await readText(dir, "report.html");
    assert.ok(html.includes("<h1>Classification · 2 classes</h1>"), "no label column named");
    assert.ok(html.includes("architecture.json was not written for this run"));
    assert.ok(html.includes("2 issues counted"));
    assert.ok(html.includes('<td>b</td><td class="num">—</td>'), "an undefined precision shows as a dash");
    const words = html.replace(/base64,[A-Za-z0-9+/=]+/g, "");
    assert.ok(!words.includes("NaN") && !words.includes("undefined"));
    assert.ok(pngSize(await readFile(join(dir, "architecture.png"))).width > 0);
  });
});

test("a compare.png or robustness.png without its CSV is embedded as it is", async () => {
  await withRun({}, async (first) => {
    await writeReport(first);
    const picture = await readFile(join(first, "confusion.png"));
    await withRun({ extra: { "robustness.png": picture, "compare.png": picture } }, async (dir) => {
      const { files } = await writeReport(dir);
      assert.equal(files.length, 4, "pictures without data are not redrawn");
      const html = await readText(dir, "report.html");
      assert.ok(html.includes("<h2>What each modality adds</h2>") && html.includes("<h2>Robustness</h2>"));
      assert.equal(dataUris(html).length, 5, "both embedded as well");
      assert.ok(html.includes('href="#robustness"') && html.includes('href="#compare"'));
      assert.ok((await readFile(join(dir, "robustness.png"))).equals(picture), "left untouched");
    });
  });
});

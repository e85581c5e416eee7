// compare.csv and robustness.csv: parsing, the two pictures, and their report sections.
import { test } from "node:test";
import assert from "node:assert/strict";
import { access, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import {
  compareGroups,
  compareHeadline,
  compareSvg,
  parseCompare,
  parseRobustness,
  pngSize,
  robustnessSvg,
  summariseRobustness,
  writeReport,
} from "../../src/report/index.js";
import { svgSize, textWidth } from "../../src/report/svg.js";
import { COMPARE_MEANS, compareCsv, robustnessCsv, withRun } from "./run-fixture.js";

/** The text content of every <text> element, entities decoded. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>(?:<title>.*?<\/title>)?(.*?)<\/text>/g)].map((m) =>
    (m[1] ?? "").replace(/<[^>]+>/g, "").replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))),
  );
}

/** x of the first <text> whose content is exactly `content`. */
function textX(svg: string, content: string): number {
  const m = new RegExp(`<text x="([\\d.]+)"[^>]*>(?:<title>[^<]*</title>)?${content.replace(/[+.]/g, "\\$&")}</text>`).exec(svg);
  assert.ok(m, `no text ${content}`);
  return Number(m[1]);
}

const exists = (path: string) => access(path).then(() => true, () => false);
const compareRows = () => parseCompare(Buffer.from(compareCsv()));
const robustnessRows = (units = true) => parseRobustness(Buffer.from(robustnessCsv(units)));

test("compare: 10 groups, singles → pairs → full set, means and spreads over 3 seeds", () => {
  const rows = compareRows();
  assert.equal(rows.length, 30);
  const groups = compareGroups(rows);
  assert.deepEqual(groups.map((g) => g.size), [1, 1, 1, 2, 2, 2, 3, 3, 3, 3]);
  assert.deepEqual(groups.map((g) => g.label).slice(0, 6), ["tabular", "image", "audio", "image+tabular", "audio+tabular", "audio+image"]);
  assert.deepEqual(groups.slice(6).map((g) => g.label), ["concat", "gated", "attention", "late"].map((f) => `audio+image+tabular · ${f}`));
  for (const [g, [, , mean]] of groups.map((g, i) => [g, COMPARE_MEANS[i]!] as const)) {
    assert.equal(g.seeds, 3);
    assert.ok(Math.abs(g.accuracy.mean - mean) < 1e-9, `${g.label} mean`);
    assert.ok(Math.abs(g.accuracy.max - g.accuracy.min - 0.026) < 1e-9, `${g.label} spread`);
  }
  const h = compareHeadline(groups)!;
  assert.equal(h.bestSingle.modalities, "image");
  assert.equal(h.bestFull.fusion, "gated");
  assert.equal(h.gainPoints, 17);
  // "image+audio" and "audio+image" are one subset.
  const swapped = parseCompare(Buffer.from("modalities,fusion,seed,accuracy,macro_f1\naudio+image,concat,0,0.8,0.7\nimage+audio,concat,1,0.9,0.8\n"));
  assert.equal(compareGroups(swapped).length, 1);
});

test("compare.png: title, legend, axis, every group label readable, a whisker and three dots per bar", () => {
  const svg = compareSvg(compareRows());
  const t = texts(svg);
  for (const s of ["What each modality adds", "accuracy", "macro-F1", "worst to best seed", "one seed", "test score", "0%", "100%"]) {
    assert.ok(t.includes(s), `missing ${s}`);
  }
  for (const s of ["tabular", "image", "audio", "image+tabular", "audio+tabular", "audio+image", "concat", "gated", "attention", "late"]) {
    assert.ok(t.includes(s), `group label ${s}`);
  }
  for (const s of ["one modality", "pairs", "all three modalities"]) assert.ok(t.includes(s), `tier ${s}`);
  // The long full-set label is wrapped at a "+", never cut, and carries its full text as a title.
  assert.ok(svg.includes("<title>audio+image+tabular · attention</title>"));
  assert.equal(t.filter((s) => s === "audio+image+").length, 4);
  assert.ok(!t.some((s) => s.endsWith("…")), "nothing truncated");
  // Labels of neighbouring groups don't overlap.
  const pairs = ["image+tabular", "audio+tabular", "audio+image"].map((s) => ({ x: textX(svg, s), w: textWidth(s, 12) }));
  for (let i = 1; i < pairs.length; i++) assert.ok(pairs[i]!.x - pairs[i]!.w / 2 > pairs[i - 1]!.x + pairs[i - 1]!.w / 2 + 8);
  assert.ok(t.includes("95.0") && t.includes("66.0"), "mean values labelled");
  assert.equal((svg.match(/<circle/g) ?? []).length, 60 + 1, "a dot per seed and score, plus the legend's");
  assert.ok(!svg.includes("NaN") && !svg.includes("Infinity"));
  assert.ok(svgSize(svg).width <= 1300);
});

test("robustness: series per condition, audio SNR reversed, clean and drops summarised", () => {
  for (const units of [true, false]) {
    const s = summariseRobustness(robustnessRows(units));
    assert.equal(s.clean, 0.93);
    assert.deepEqual(s.drops.map((d) => d.modality), ["image", "audio", "tabular", "audio+image", "audio+tabular", "image+tabular"]);
    assert.deepEqual(s.lines.map((l) => `${l.condition}:${l.modality}`), ["noise:tabular", "noise:image", "noise:audio", "columns_dropped:tabular"]);
    const audio = s.lines.find((l) => l.modality === "audio")!;
    assert.ok(audio.reversed, `audio reversed (units ${units})`);
    assert.deepEqual(audio.points.map((p) => p.level), [30, 20, 10, 5, 0], "mildest first");
    assert.ok(s.lines.filter((l) => l.modality !== "audio").every((l) => !l.reversed));
  }
});

test("robustness.png: four small panels with their own axes, dashed clean line, drop bars next to clean", () => {
  const svg = robustnessSvg(robustnessRows());
  const t = texts(svg);
  for (const s of [
    "Robustness", "tabular noise", "image noise", "audio noise", "tabular: columns dropped",
    "noise σ (scaled values)", "noise σ (0..1 pixels)", "dB SNR", "fraction of columns", "noisier →", "more dropped →", "accuracy",
    "clean (93.0%)", "Accuracy with modalities missing", "clean (all modalities)", "without image", "without audio+image",
    "81.0% (−12.0 pts)", "67.0% (−26.0 pts)",
  ]) {
    assert.ok(t.includes(s), `missing ${s}`);
  }
  // Audio's x axis runs 30 dB at the left to 0 dB at the right: noisier to the right.
  assert.ok(textX(svg, "30") < textX(svg, "20") && textX(svg, "20") < textX(svg, "0"));
  assert.ok(textX(svg, "0.05") < textX(svg, "0.4"));
  assert.equal((svg.match(/stroke-dasharray="5 4"/g) ?? []).length, 4 + 1 + 1, "clean line in each panel, in the legend and across the bars");
  assert.ok(!svg.includes("NaN") && !svg.includes("Infinity"));
  const plain = texts(robustnessSvg(robustnessRows(false)));
  assert.ok(plain.includes("SNR (dB)") && plain.includes("noise level"), "without a unit column the axes say what the level is by convention");
});

test("writeReport draws compare.png and robustness.png and gives each a section", async () => {
  await withRun({ extra: { "compare.csv": compareCsv(), "robustness.csv": robustnessCsv() } }, async (dir) => {
    const { files } = await writeReport(dir);
    assert.deepEqual(files.map((f) => basename(f)), ["curves.png", "confusion.png", "architecture.png", "compare.png", "robustness.png", "report.html"]);
    const compare = await readFile(join(dir, "compare.png"));
    const robustness = await readFile(join(dir, "robustness.png"));
    for (const [png, svg] of [[compare, compareSvg(compareRows())], [robustness, robustnessSvg(robustnessRows())]] as const) {
      const size = pngSize(png);
      const own = svgSize(svg);
      assert.equal(size.width, own.width * 2);
      assert.ok(Math.abs(size.height - own.height * 2) <= 1);
      assert.ok(size.width >= 1800 && size.height >= 900, `sharp enough: ${size.width} × ${size.height}`);
    }

    const html = await readFile(join(dir, "report.html"), "utf8");
    assert.ok(html.includes("<h2>What each modality adds</h2>") && html.includes("<h2>Robustness</h2>"));
    const uris = [...html.matchAll(/data:image\/png;base64,([A-Za-z0-9+/=]+)/g)].map((m) => Buffer.from(m[1] ?? "", "base64"));
    assert.ok(uris.some((u) => u.equals(compare)) && uris.some((u) => u.equals(robustness)), "pictures inlined byte for byte");

    // The sentence, recomputed here from the CSV rather than taken from the renderer.
    const means = new Map<string, number[]>();
    for (const r of compareRows()) means.set(`${r.modalities}|${r.fusion}`, [...(means.get(`${r.modalities}|${r.fusion}`) ?? []), r.accuracy]);
    const avg = [...means].map(([k, v]) => [k, v.reduce((a, b) => a + b, 0) / v.length] as const);
    const single = Math.max(...avg.filter(([k]) => !k.includes("+")).map(([, v]) => v));
    const full = Math.max(...avg.filter(([k]) => k.startsWith("audio+image+tabular|")).map(([, v]) => v));
    assert.equal((single * 100).toFixed(1), "78.0");
    assert.equal((full * 100).toFixed(1), "95.0");
    const sentence = `The best single modality, image, reaches ${(single * 100).toFixed(1)}% mean accuracy; all three modalities fused with the best fusion, gated, reach ${(full * 100).toFixed(1)}% — ${((full - single) * 100).toFixed(1)} points more.`;
    assert.ok(html.includes(sentence), "computed sentence");
    assert.ok(html.includes("17.0 points more"));

    const section = (id: string) => html.slice(html.indexOf(`<section id="${id}"`), html.indexOf("</section>", html.indexOf(`<section id="${id}"`)));
    const cmp = section("compare");
    assert.equal((cmp.match(/<tr>/g) ?? []).length, 1 + 10, "one row per group, not per seed");
    assert.ok(cmp.includes('<td>audio+image+tabular</td><td>gated</td><td class="num">3</td><td class="num">95.0% ± 1.3</td>'));
    const rob = section("robustness");
    assert.equal((rob.match(/<tr>/g) ?? []).length, 1 + 11, "one row per condition and modality");
    assert.ok(rob.includes("<td>30 → 0 dB SNR · 5 levels</td>") && rob.includes("92.9% → 83.0%"));
    assert.ok(rob.includes('<td>drop</td><td>audio+image</td><td>—</td><td class="num">67.0%</td><td class="num">−26.0 pts</td>'));
    assert.ok(html.includes('href="#compare">Modalities<') && html.includes('href="#robustness">Robustness<'));
    assert.ok(!html.replace(/base64,[A-Za-z0-9+/=]+/g, "").includes("NaN"));
  });
});

test("a malformed compare.csv or robustness.csv is an error naming the file and the problem, before anything is written", async () => {
  const cases: Array<[string, string, RegExp]> = [
    ["compare.csv", "modalities,fusion,accuracy\ntabular,concat,0.6\n", /^compare\.csv lacks columns: seed, macro_f1/],
    ["compare.csv", "modalities,fusion,seed,accuracy,macro_f1\ntabular,concat,0,0.6,0.5\nimage,concat,0,high,0.5\n", /^compare\.csv row 3: accuracy is not a number: "high"/],
    ["compare.csv", "modalities,fusion,seed,accuracy,macro_f1\ntabular,concat,0,66.0,61.0\n", /^compare\.csv row 2: accuracy must be between 0 and 1, got 66/],
    ["compare.csv", "modalities,fusion,seed,accuracy,macro_f1\n", /^compare\.csv has no rows/],
    ["robustness.csv", "condition,modality,accuracy\nclean,all,0.9\n", /^robustness\.csv lacks columns: level/],
    ["robustness.csv", "condition,modality,level,accuracy\nclean,all,0,0.9\nnoise,audio,,0.8\n", /^robustness\.csv row 3: level is empty/],
    ["robustness.csv", "condition,modality,level,accuracy\nnoise,image,0.1,n/a\n", /^robustness\.csv row 2: accuracy is not a number/],
  ];
  for (const [name, content, message] of cases) {
    await withRun({ extra: { [name]: content } }, async (dir) => {
      await assert.rejects(writeReport(dir), (e: Error) => {
        assert.match(e.message, message);
        return true;
      });
      assert.ok(!(await exists(join(dir, "report.html"))), "nothing half-written");
    });
  }
});

test("a compare.csv without single modalities still renders, without the sentence", async () => {
  const csv = "modalities,fusion,seed,accuracy,macro_f1\naudio+image,concat,0,0.8,0.75\naudio+image,gated,0,0.82,0.78\n";
  const svg = compareSvg(parseCompare(Buffer.from(csv)));
  assert.ok(texts(svg).includes("both modalities") && svg.includes("<title>audio+image · gated</title>"));
  assert.ok(!texts(svg).includes("worst to best seed"), "no whiskers to explain with one seed");
  await withRun({ extra: { "compare.csv": csv } }, async (dir) => {
    await writeReport(dir);
    const html = await readFile(join(dir, "report.html"), "utf8");
    assert.ok(html.includes("<h2>What each modality adds</h2>") && !html.includes("The best single modality"));
  });
});

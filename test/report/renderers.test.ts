import { test } from "node:test";
import assert from "node:assert/strict";
import { architectureSvg, confusionSvg, curvesSvg, pngSize, svgToPng } from "../../src/report/index.js";
import { escapeXml, niceTicks, svgSize, textWidth, truncate } from "../../src/report/svg.js";
import { makeArchitecture, makeConfusion, makeHistory } from "./run-fixture.js";

/** The text content of every <text> element, entities decoded, for "what does the picture say" checks. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>(?:<title>.*?<\/title>)?(.*?)<\/text>/g)].map((m) =>
    (m[1] ?? "").replace(/<[^>]+>/g, "").replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))),
  );
}

test("curves: both panels with axis labels, legend and the best epoch marked", () => {
  const svg = curvesSvg(makeHistory(12), { bestEpoch: 9 });
  const t = texts(svg);
  for (const label of ["Loss", "Accuracy", "loss", "accuracy", "epoch", "train", "validation", "best validation epoch (9)"]) {
    assert.ok(t.includes(label), `missing text ${label}`);
  }
  assert.equal(t.filter((s) => s === "epoch").length, 2, "each panel has its own x label");
  assert.equal((svg.match(/<path d="M/g) ?? []).length, 4, "train and validation lines in two panels");
  assert.ok(t.includes("12"), "the last epoch is a tick");
  assert.ok(!svg.includes("NaN"));
});

test("curves: the best epoch defaults to the lowest validation loss", () => {
  const history = makeHistory(30);
  const best = history.reduce((a, b) => (b.val_loss < a.val_loss ? b : a));
  assert.ok(texts(curvesSvg(history)).includes(`best validation epoch (${best.epoch})`));
});

test("curves: one epoch and sixty epochs both render sensibly", () => {
  const one = curvesSvg(makeHistory(1));
  assert.ok(!one.includes("NaN") && !one.includes("Infinity"));
  assert.ok(texts(one).includes("1"), "the single epoch is a tick");
  assert.ok(texts(one).includes("Training history — 1 epoch"));
  const sixty = curvesSvg(makeHistory(60));
  assert.ok(texts(sixty).includes("60"));
  // Sixty epochs are drawn as lines; per-point markers would smear.
  assert.equal((sixty.match(/<circle/g) ?? []).length, 2, "only the best-epoch markers");
});

test("curves: a missing validation value breaks the line instead of plotting 0", () => {
  const history = makeHistory(5).map((r, i) => (i === 2 ? { ...r, val_loss: Number.NaN, val_accuracy: Number.NaN } : r));
  const svg = curvesSvg(history);
  assert.ok(!svg.includes("NaN"));
  const valPaths = [...svg.matchAll(/<path d="([^"]+)"[^>]*stroke="#ea580c"/g)].map((m) => m[1] ?? "");
  assert.equal(valPaths.length, 2);
  for (const d of valPaths) assert.equal((d.match(/M/g) ?? []).length, 2, "a gap starts a new sub-path");
});

test("curves: an empty history is an error, not a blank picture", () => {
  assert.throws(() => curvesSvg([]), /no epochs/);
});

test("confusion: class names on both axes, counts in cells, matrix size checked", () => {
  const classes = ["concert", "lecture", "sports"];
  const svg = confusionSvg(classes, [[48, 2, 0], [3, 45, 2], [2, 0, 48]]);
  const t = texts(svg);
  for (const c of classes) assert.equal(t.filter((s) => s === c).length, 2, `${c} on both axes`);
  for (const n of ["48", "45", "3"]) assert.ok(t.includes(n));
  assert.ok(t.includes("96%"), "row-normalised rate shown in large cells");
  assert.ok(t.includes("true class") && t.includes("predicted class"));
  assert.throws(() => confusionSvg(classes, [[1, 2], [3, 4]]), /3 × 3/);
});

test("confusion: long names are truncated with an ellipsis and rotated, full name kept as a title", () => {
  const long = "stadium crowd noise at night recorded from the upper stand";
  const classes = ["concert", long, ...Array.from({ length: 10 }, (_, i) => `class ${i}`)];
  const svg = confusionSvg(classes, makeConfusion(12));
  const t = texts(svg);
  const shortened = t.filter((s) => s.startsWith("stadium crowd") && s.endsWith("…"));
  assert.equal(shortened.length, 2);
  assert.ok(shortened.every((s) => textWidth(s, 12) <= 170));
  assert.ok(svg.includes(`<title>${long}</title>`));
  assert.ok(svg.includes("rotate(-45"), "column labels rotate when they do not fit under a cell");
  assert.ok(!confusionSvg(["no", "yes"], [[5, 1], [2, 7]]).includes("rotate(-45"), "short labels stay horizontal");
});

test("confusion: a malicious class name is escaped in the SVG", () => {
  const svg = confusionSvg(["<script>x</script>", "b"], [[1, 0], [0, 1]]);
  assert.ok(!svg.includes("<script>"));
  assert.ok(svg.includes("&#60;script&#62;x&#60;/script&#62;"));
});

for (const encoders of [1, 3, 5]) {
  test(`architecture: ${encoders} encoder column(s) into fusion, head and output`, () => {
    const arch = makeArchitecture(encoders, 3);
    const svg = architectureSvg(arch);
    const t = texts(svg).join("\n");
    for (const enc of arch.encoders) {
      assert.ok(t.includes(`${enc.modality} encoder`));
      assert.ok(t.includes(`input ${enc.input!.join(" × ")}`));
    }
    assert.equal(t.split("\n").filter((s) => s.endsWith(" encoder")).length, encoders);
    assert.ok(t.includes(`fusion: concat  ${encoders} × 128 → ${128 * encoders}`));
    assert.ok(t.includes(`→ N × ${128 * encoders}`));
    assert.ok(t.includes("classifier head") && t.includes("output N × 3"));
    assert.ok(t.includes(`${(123456 + 98765 * encoders).toLocaleString("en-US")} parameters`));
    for (const name of ["Linear", "ReLU", "Dropout"]) assert.ok(t.includes(name));
    // Every encoder column ends in an arrow to the fusion box.
    const arrows = (svg.match(/marker-end/g) ?? []).length;
    assert.ok(arrows >= encoders * 2 + 4);
    const { width } = svgSize(svg);
    assert.ok(width >= encoders * 240, "one column per encoder");
  });
}

test("architecture: a long layer list keeps its ends and elides the middle", () => {
  const arch = makeArchitecture(2, 3, 30);
  const image = arch.encoders[1]!;
  const t = texts(architectureSvg(arch));
  assert.ok(t.includes("… 24 more layers"));
  assert.ok(t.includes(`→ ${image.layers[0]!.output!.join(" × ")}`), "first layer shown");
  assert.ok(t.includes(`→ ${image.layers[29]!.output!.join(" × ")}`), "last layer shown");
  const heightLong = svgSize(architectureSvg(arch)).height;
  const heightMid = svgSize(architectureSvg(makeArchitecture(2, 3, 8))).height;
  assert.equal(heightLong, svgSize(architectureSvg(makeArchitecture(2, 3, 9))).height, "elided lists have a fixed height");
  assert.ok(heightLong <= heightMid + 1, "30 layers draw no taller than 8");
});

test("svgToPng: renders at the requested width, or the SVG's own", () => {
  const svg = confusionSvg(["a", "b"], [[1, 0], [0, 1]]);
  const own = svgSize(svg);
  assert.deepEqual(pngSize(svgToPng(svg)), own);
  const wide = pngSize(svgToPng(svg, own.width * 2));
  assert.equal(wide.width, own.width * 2);
  assert.ok(Math.abs(wide.height - own.height * 2) <= 1);
  assert.throws(() => pngSize(Buffer.from("GIF89a not a png at all....")), /not a PNG/);
});

test("svg helpers: escaping, truncation and round ticks", () => {
  assert.equal(escapeXml(`<a href="x">&'`), "&#60;a href=&#34;x&#34;&#62;&#38;&#39;");
  assert.equal(truncate("short", 100, 12), "short");
  const cut = truncate("a very long class name indeed", 80, 12);
  assert.ok(cut.endsWith("…") && textWidth(cut, 12) <= 80);
  assert.deepEqual(niceTicks(0.12, 1.04, 5), [0, 0.2, 0.4, 0.6, 0.8, 1, 1.2]);
  assert.deepEqual(niceTicks(1, 60, 8), [0, 10, 20, 30, 40, 50, 60]);
  assert.ok(niceTicks(3, 3).length >= 2, "a flat series still gets an axis");
});

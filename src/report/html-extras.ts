// Section bodies for compare.csv and robustness.csv: the picture, one sentence or caption
// worked out from the numbers, and a compact table of group summaries instead of every row.
import { compareGroups, compareHeadline, type CompareGroup } from "./compare.js";
import { escapeHtml, img, pct, table, type Cell } from "./html-parts.js";
import { accuracyLabel, formatLevel, summariseRobustness, type RobustnessSeries } from "./robustness.js";
import type { CompareRow, RobustnessRow } from "./types.js";

export interface SectionImage {
  png: Uint8Array;
  width: number;
}

const WORDS = ["", "one", "two", "three", "four", "five", "six"];

/** "+18.7 points" style difference, with a real minus sign. */
export function points(delta: number): string {
  const d = Math.round(delta * 10) / 10;
  return `${d > 0 ? "+" : d < 0 ? "−" : "±"}${Math.abs(d).toFixed(1)} pts`;
}

/** The takeaway sentence: best single modality, best fused set, and the gap in points. */
export function compareSentence(groups: readonly CompareGroup[]): string | undefined {
  const h = compareHeadline(groups);
  if (!h) return undefined;
  const n = h.bestFull.size;
  const fusions = new Set(groups.filter((g) => g.full).map((g) => g.fusion));
  const how = fusions.size > 1 ? `with the best fusion, ${h.bestFull.fusion},` : `with ${h.bestFull.fusion} fusion`;
  const gap = h.gainPoints > 0 ? `${h.gainPoints.toFixed(1)} points more` : h.gainPoints < 0 ? `${(-h.gainPoints).toFixed(1)} points less` : "no difference";
  return (
    `The best single modality, ${h.bestSingle.modalities}, reaches ${pct(h.bestSingle.accuracy.mean)} mean accuracy; ` +
    `all ${WORDS[n] ?? n} modalities fused ${how} reach ${pct(h.bestFull.accuracy.mean)} — ${gap}.`
  );
}

/** "97.0% ± 0.4": the mean, and half the distance between the worst and best seed (the whisker). */
function meanSpread(s: CompareGroup["accuracy"], seeds: number): Cell {
  const half = ((s.max - s.min) / 2) * 100;
  return { text: seeds > 1 ? `${pct(s.mean)} ± ${half.toFixed(1)}` : pct(s.mean), num: true };
}

export function compareBody(rows: readonly CompareRow[], image: SectionImage, title: string): string {
  const groups = compareGroups(rows);
  const sentence = compareSentence(groups);
  const head = ["modalities", "fusion", { text: "seeds", num: true }, { text: "accuracy", num: true }, { text: "macro-F1", num: true }];
  const body = groups.map((g) => [g.modalities, g.fusion, { text: String(g.seeds), num: true }, meanSpread(g.accuracy, g.seeds), meanSpread(g.macro_f1, g.seeds)]);
  return [
    sentence ? `<p>${escapeHtml(sentence)}</p>` : "",
    `<figure>${img(image.png, title, image.width)}<figcaption>Bars: mean test score over seeds · whisker: worst to best seed · dots: one per seed.</figcaption></figure>`,
    table(head, body),
    `<p class="note">± is half the distance between the worst and the best seed, in percentage points; compare.csv has every run.</p>`,
  ].join("\n");
}

/** The unit a series' levels are in, as the table shows it. */
function unitOf(s: RobustnessSeries): string {
  if (s.unit) return s.unit;
  if (s.condition === "columns_dropped") return "of columns";
  return s.reversed ? "dB SNR" : "";
}

export function robustnessBody(rows: readonly RobustnessRow[], image: SectionImage, title: string): string {
  const summary = summariseRobustness(rows);
  const clean = summary.clean;
  const tableRows = summary.series.map((s) => {
    const first = s.points[0]!;
    const last = s.points[s.points.length - 1]!;
    const levelled = s.condition !== "clean" && s.condition !== "drop" && s.points.every((p) => Number.isFinite(p.level));
    const unit = unitOf(s);
    const levels = !levelled
      ? "—"
      : s.points.length === 1
        ? `${formatLevel(first.level)} ${unit}`.trim()
        : `${formatLevel(first.level)} → ${formatLevel(last.level)} ${unit}`.trim() + ` · ${s.points.length} levels`;
    const accuracy = s.points.length === 1 ? pct(first.accuracy) : `${pct(first.accuracy)} → ${pct(last.accuracy)}`;
    // Against clean at the harshest level: how much accuracy the perturbation costs at worst.
    const delta = clean === undefined || s.condition === "clean" ? "—" : points(Math.round(last.accuracy * 1000) / 10 - Math.round(clean * 1000) / 10);
    return [s.condition, s.modality, levels, { text: accuracy, num: true }, { text: delta, num: true }];
  });
  const head = ["condition", "modality", "levels", { text: "accuracy", num: true }, { text: "vs clean (harshest)", num: true }];
  const reversed = summary.lines.filter((s) => s.reversed).map((s) => s.modality);
  // Named, because evaluate --robustness measures whatever manifest it is given, not necessarily the test split.
  const measured = summary.manifests.length
    ? `Accuracy on ${summary.manifests.join(", ")}, the manifest given to evaluate --robustness, with inputs removed and under rising perturbations.`
    : "Accuracy on the manifest given to evaluate --robustness (robustness.csv does not name it), with inputs removed and under rising perturbations.";
  const caption = [
    clean !== undefined ? `Dashed: clean ${accuracyLabel(summary)} (${pct(clean)}).` : "No clean row in robustness.csv.",
    reversed.length ? `Noise on ${reversed.join(", ")} is a signal-to-noise ratio, where lower is noisier, so that axis runs from high to low.` : "",
  ].filter(Boolean).join(" ");
  return [
    `<p>${escapeHtml(measured)}</p>`,
    `<figure>${img(image.png, title, image.width)}<figcaption>${escapeHtml(caption)}</figcaption></figure>`,
    table(head, tableRows),
  ].join("\n");
}

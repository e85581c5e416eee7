// compare.png: "What each modality adds". One group of bars per (modalities, fusion) —
// single modalities, then pairs, then the full set once per fusion — so the gain from
// each added modality reads left to right. Bars are means over seeds; the whisker and dots
// show how much a seed moves them, which is what decides whether a gap is real.
import type { CompareRow } from "./types.js";
import { GRID, INK, MUTED, el, line, rect, round, svgDocument, text, textWidth } from "./svg.js";

export const ACCURACY_COLOUR = "#4e79a7";
export const F1_COLOUR = "#f28e2b";
export const COMPARE_TITLE = "What each modality adds";

export interface Spread {
  mean: number;
  min: number;
  max: number;
}

export interface CompareGroup {
  /** Sorted "+"-joined modality names. */
  modalities: string;
  fusion: string;
  /** How many modalities the group uses. */
  size: number;
  /** Uses every modality that appears in the file. */
  full: boolean;
  /** "image", or "audio+image+tabular · gated" where the fusion tells groups apart. */
  label: string;
  seeds: number;
  accuracy: Spread;
  macro_f1: Spread;
  /** Per-seed values, in file order, for the dots. */
  runs: Array<{ seed: string; accuracy: number; macro_f1: number }>;
}

function spread(values: readonly number[]): Spread {
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, min: Math.min(...values), max: Math.max(...values) };
}

/**
 * Groups rows by (modalities, fusion), ordered singles → pairs → … → full set, keeping file
 * order within a size. The fusion joins the label for the full set, and for any subset that
 * was trained with more than one fusion; elsewhere it is the same for every group and only noise.
 */
export function compareGroups(rows: readonly CompareRow[]): CompareGroup[] {
  if (rows.length === 0) throw new Error("compare has no rows to plot");
  const byKey = new Map<string, CompareRow[]>();
  for (const r of rows) {
    const key = `${r.modalities}\u0000${r.fusion}`;
    const list = byKey.get(key);
    if (list) list.push(r);
    else byKey.set(key, [r]);
  }
  const sizeOf = (m: string) => m.split("+").length;
  const fullSize = Math.max(...rows.map((r) => sizeOf(r.modalities)));
  const fusionsOf = new Map<string, Set<string>>();
  for (const r of rows) fusionsOf.set(r.modalities, (fusionsOf.get(r.modalities) ?? new Set()).add(r.fusion));
  const groups = [...byKey.values()].map((runs): CompareGroup => {
    const { modalities, fusion } = runs[0]!;
    const size = sizeOf(modalities);
    const full = size === fullSize && fullSize > 1;
    const named = full || (fusionsOf.get(modalities)?.size ?? 1) > 1;
    return {
      modalities,
      fusion,
      size,
      full,
      label: named ? `${modalities} · ${fusion}` : modalities,
      seeds: runs.length,
      accuracy: spread(runs.map((r) => r.accuracy)),
      macro_f1: spread(runs.map((r) => r.macro_f1)),
      runs: runs.map((r) => ({ seed: r.seed, accuracy: r.accuracy, macro_f1: r.macro_f1 })),
    };
  });
  // Array.prototype.sort is stable, so file order survives within a size.
  return groups.sort((a, b) => a.size - b.size);
}

export interface CompareHeadline {
  bestSingle: CompareGroup;
  bestFull: CompareGroup;
  /** bestFull minus bestSingle mean accuracy, in percentage points, from the one-decimal values shown. */
  gainPoints: number;
}

/** The numbers behind the section's sentence; undefined without both a single modality and a fused set. */
export function compareHeadline(groups: readonly CompareGroup[]): CompareHeadline | undefined {
  const best = (gs: CompareGroup[]) => gs.reduce<CompareGroup | undefined>((b, g) => (!b || g.accuracy.mean > b.accuracy.mean ? g : b), undefined);
  const bestSingle = best(groups.filter((g) => g.size === 1));
  const bestFull = best(groups.filter((g) => g.full));
  if (!bestSingle || !bestFull) return undefined;
  // Subtract the rounded percentages so the sentence's three numbers agree with each other.
  const p = (v: number) => Math.round(v * 1000) / 10;
  const gainPoints = Math.round((p(bestFull.accuracy.mean) - p(bestSingle.accuracy.mean)) * 10) / 10;
  return { bestSingle, bestFull, gainPoints };
}

const NUMBER_WORDS = ["", "one", "two", "three", "four", "five", "six"];
const count = (n: number) => NUMBER_WORDS[n] ?? String(n);

/** Name of a band of groups under the x axis. */
function tierName(size: number, full: boolean): string {
  if (full) return size === 2 ? "both modalities" : `all ${count(size)} modalities`;
  if (size === 1) return "one modality";
  return size === 2 ? "pairs" : `${count(size)} modalities`;
}

const LABEL_SIZE = 12;
/** Widest a label line may be before it wraps at a "+". */
const LABEL_WRAP_PX = 92;
const BAR_W = 28;
const BAR_GAP = 4;
const TIER_GAP = 26;
const LEFT = 78;
const RIGHT = 24;
const PLOT_TOP = 122;
const PLOT_H = 290;
const PLOT_BOTTOM = PLOT_TOP + PLOT_H;
const LINE_H = 15;

/**
 * A group label as lines: modality names packed greedily, breaking only after a "+", so no
 * name is cut; then the fusion on a line of its own. Rotated text would read worse.
 */
export function labelLines(g: CompareGroup): string[] {
  const parts = g.modalities.split("+").map((m, i, all) => (i < all.length - 1 ? `${m}+` : m));
  const lines: string[] = [];
  for (const part of parts) {
    const last = lines.length - 1;
    if (last >= 0 && textWidth(lines[last]! + part, LABEL_SIZE) <= LABEL_WRAP_PX) lines[last] += part;
    else lines.push(part);
  }
  if (g.label !== g.modalities) lines.push(g.fusion);
  return lines;
}

const pct1 = (v: number) => (v * 100).toFixed(1);

export function compareSvg(rows: readonly CompareRow[]): string {
  const groups = compareGroups(rows);
  const lines = groups.map(labelLines);
  const widest = Math.max(...lines.flat().map((l) => textWidth(l, LABEL_SIZE)));
  // At least 18 px between neighbouring labels, so "image+tabular" and "audio+tabular" never touch.
  const slot = Math.max(2 * BAR_W + BAR_GAP + 24, widest + 18);

  // Tiers: runs of groups that share a size (and fullness), separated by a gap and a rule.
  const tiers: Array<{ name: string; from: number; to: number }> = [];
  groups.forEach((g, i) => {
    const name = tierName(g.size, g.full);
    const last = tiers[tiers.length - 1];
    if (last && last.name === name) last.to = i;
    else tiers.push({ name, from: i, to: i });
  });
  const slotX: number[] = [];
  let x = LEFT + 8;
  tiers.forEach((t, k) => {
    if (k > 0) x += TIER_GAP;
    for (let i = t.from; i <= t.to; i++) {
      slotX[i] = x;
      x += slot;
    }
  });
  const plotRight = x + 8;
  const maxLines = Math.max(...lines.map((l) => l.length));
  const labelsBottom = PLOT_BOTTOM + 10 + maxLines * LINE_H;
  const tierY = labelsBottom + 10;
  const height = tierY + 34;

  const seedCounts = [...new Set(groups.map((g) => g.seeds))];
  const seedText = seedCounts.length === 1 ? `${seedCounts[0]} seed${seedCounts[0] === 1 ? "" : "s"}` : `${Math.min(...seedCounts)}–${Math.max(...seedCounts)} seeds`;
  // Subsets trained with one shared fusion don't name it under every bar; say it once here.
  const partial = groups.filter((g) => g.label === g.modalities && g.size > 1);
  const partialFusions = [...new Set(partial.map((g) => g.fusion))];
  const subtitle = [
    `test scores in %, mean over ${seedText}`,
    partialFusions.length === 1 ? `subsets fused with ${partialFusions[0]}` : "",
  ].filter(Boolean).join(" · ");

  const legendWidth = 560;
  const width = Math.max(plotRight + RIGHT, textWidth(COMPARE_TITLE, 18, "bold") + 48, textWidth(subtitle, 12) + 48, legendWidth);
  let body = text(24, 32, COMPARE_TITLE, { size: 18, weight: "bold" });
  body += text(24, 54, subtitle, { size: 12, fill: MUTED });
  body += legend(24, 82, groups.some((g) => g.seeds > 1));

  const sy = (v: number) => PLOT_BOTTOM - v * PLOT_H;
  for (let t = 0; t <= 100; t += 20) {
    const y = sy(t / 100);
    body += line(LEFT, y, plotRight, y, t === 0 ? "#9ca3af" : GRID);
    body += text(LEFT - 8, y + 4, `${t}%`, { size: 11, anchor: "end", fill: MUTED });
  }
  body += text(24, (PLOT_TOP + PLOT_BOTTOM) / 2, "test score", { size: 12, anchor: "middle", rotate: -90 });

  tiers.forEach((t, k) => {
    const left = slotX[t.from]!;
    const right = slotX[t.to]! + slot;
    if (k > 0) body += line(left - TIER_GAP / 2, PLOT_TOP - 6, left - TIER_GAP / 2, tierY, GRID, { "stroke-dasharray": "4 3" });
    body += line(left + 6, tierY, right - 6, tierY, MUTED);
    body += text((left + right) / 2, tierY + 17, t.name, { size: 12, anchor: "middle", weight: "bold", fill: MUTED });
  });

  groups.forEach((g, i) => {
    const cx = slotX[i]! + slot / 2;
    body += bar(cx - BAR_GAP / 2 - BAR_W / 2, g.accuracy, g.runs.map((r) => r.accuracy), ACCURACY_COLOUR, sy);
    body += bar(cx + BAR_GAP / 2 + BAR_W / 2, g.macro_f1, g.runs.map((r) => r.macro_f1), F1_COLOUR, sy);
    lines[i]!.forEach((l, j) => {
      const fusionLine = g.label !== g.modalities && j === lines[i]!.length - 1;
      body += text(cx, PLOT_BOTTOM + 8 + (j + 1) * LINE_H - 3, l, {
        size: LABEL_SIZE,
        anchor: "middle",
        fill: fusionLine ? MUTED : INK,
        title: j === 0 ? g.label : undefined,
      });
    });
  });
  return svgDocument(width, height, body);
}

/** One bar at the mean, the min–max whisker, a dot per seed and the mean's value on top. */
function bar(cx: number, s: Spread, values: number[], colour: string, sy: (v: number) => number): string {
  let out = rect(cx - BAR_W / 2, sy(s.mean), BAR_W, sy(0) - sy(s.mean), { fill: colour });
  if (values.length > 1 && s.max > s.min) {
    out += line(cx, sy(s.min), cx, sy(s.max), INK, { "stroke-width": 1.5 });
    out += line(cx - 5, sy(s.min), cx + 5, sy(s.min), INK, { "stroke-width": 1.5 });
    out += line(cx - 5, sy(s.max), cx + 5, sy(s.max), INK, { "stroke-width": 1.5 });
  }
  // Dots sit side by side across the bar so equal seeds stay countable.
  const step = values.length > 1 ? Math.min(7, (BAR_W - 10) / (values.length - 1)) : 0;
  values.forEach((v, k) => {
    const dx = (k - (values.length - 1) / 2) * step;
    out += el("circle", { cx: round(cx + dx), cy: round(sy(v)), r: 2.8, fill: "#ffffff", stroke: INK, "stroke-width": 1.2 });
  });
  out += text(cx, sy(Math.max(s.max, s.mean)) - 6, pct1(s.mean), { size: 10.5, anchor: "middle" });
  return out;
}

function legend(x: number, y: number, whiskers: boolean): string {
  let out = "";
  for (const [label, colour] of [["accuracy", ACCURACY_COLOUR], ["macro-F1", F1_COLOUR]] as const) {
    out += rect(x, y - 10, 14, 14, { fill: colour });
    out += text(x + 20, y + 1, label, { size: 13 });
    x += 20 + textWidth(label, 13) + 24;
  }
  // With one seed per group there are no whiskers to explain.
  if (whiskers) {
    out += line(x + 7, y - 11, x + 7, y + 5, INK, { "stroke-width": 1.5 });
    out += line(x + 2, y - 11, x + 12, y - 11, INK, { "stroke-width": 1.5 });
    out += line(x + 2, y + 5, x + 12, y + 5, INK, { "stroke-width": 1.5 });
    const whisker = "worst to best seed";
    out += text(x + 20, y + 1, whisker, { size: 13 });
    x += 20 + textWidth(whisker, 13) + 24;
  }
  out += el("circle", { cx: x + 6, cy: y - 3, r: 3.2, fill: "#ffffff", stroke: INK, "stroke-width": 1.2 });
  out += text(x + 16, y + 1, "one seed", { size: 13 });
  return out;
}

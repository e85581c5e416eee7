// robustness.png: how accuracy on the manifest given to `evaluate --robustness` (named when
// robustness.csv records it) holds up when inputs degrade. Top: one small panel per
// perturbed modality (noise, and dropped tabular columns), each with its own x axis because
// σ, dB SNR and fractions don't share a unit; all panels share the y axis so drops compare.
// Bottom: accuracy with whole modalities missing, next to clean.
import { MODALITY_COLOURS, SPARE_COLOURS } from "./architecture.js";
import type { RobustnessRow } from "./types.js";
import { GRID, MUTED, el, line, niceTicks, rect, round, svgDocument, text, textWidth, truncate } from "./svg.js";

export const ROBUSTNESS_TITLE = "Robustness";
const CLEAN_COLOUR = "#6b7280";
const DROP_COLOUR = "#4e79a7";

export interface RobustnessPoint {
  level: number;
  accuracy: number;
}

/** All rows of one (condition, modality), duplicates averaged, sorted by level. */
export interface RobustnessSeries {
  condition: string;
  modality: string;
  unit: string | undefined;
  points: RobustnessPoint[];
  /** The x axis runs from high to low level, because a lower level is the harsher one (SNR). */
  reversed: boolean;
}

export interface RobustnessSummary {
  /** The manifests the rows were measured on (file names), in file order; empty where robustness.csv does not say. */
  manifests: string[];
  /** Mean clean accuracy; undefined when the file has no clean row. */
  clean: number | undefined;
  /** drop rows, one per modality set, singles before pairs. */
  drops: Array<{ modality: string; accuracy: number }>;
  /** noise and columns_dropped series: the lines. */
  lines: RobustnessSeries[];
  /** Every (condition, modality) in file order, for the table. */
  series: RobustnessSeries[];
}

const LINE_CONDITIONS = new Set(["noise", "columns_dropped", "words_dropped", "typos"]);

/** Lower is noisier when the level is a signal-to-noise ratio; without a unit, audio noise is SNR by convention. */
export function isReversed(condition: string, modality: string, unit: string | undefined): boolean {
  if (unit) return /\bdB\b|SNR/i.test(unit);
  return condition === "noise" && modality === "audio";
}

export function summariseRobustness(rows: readonly RobustnessRow[]): RobustnessSummary {
  const byKey = new Map<string, RobustnessRow[]>();
  for (const r of rows) {
    const key = `${r.condition}\u0000${r.modality}`;
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  const mean = (vs: number[]) => vs.reduce((a, b) => a + b, 0) / vs.length;
  const series = [...byKey.values()].map((rs): RobustnessSeries => {
    const { condition, modality } = rs[0]!;
    const unit = rs.find((r) => r.unit)?.unit;
    const levels = new Map<number, number[]>();
    for (const r of rs) levels.set(r.level, [...(levels.get(r.level) ?? []), r.accuracy]);
    const points = [...levels].map(([level, accs]) => ({ level, accuracy: mean(accs) }));
    const reversed = isReversed(condition, modality, unit);
    // Mildest first: ascending level, or descending where lower is harsher.
    points.sort((a, b) => (reversed ? b.level - a.level : a.level - b.level));
    return { condition, modality, unit, points, reversed };
  });
  const cleanRows = rows.filter((r) => r.condition === "clean");
  const drops = series
    .filter((s) => s.condition === "drop")
    .map((s) => ({ modality: s.modality, accuracy: mean(s.points.map((p) => p.accuracy)) }))
    .sort((a, b) => a.modality.split("+").length - b.modality.split("+").length);
  return {
    manifests: [...new Set(rows.map((r) => r.manifest).filter((m): m is string => m !== undefined && m !== ""))],
    clean: cleanRows.length ? mean(cleanRows.map((r) => r.accuracy)) : undefined,
    drops,
    lines: series.filter((s) => LINE_CONDITIONS.has(s.condition) && s.points.length > 0),
    series,
  };
}

/**
 * What the accuracy was measured on: the manifest given to `evaluate --robustness`, which
 * need not be the run's test split, so the picture never calls it test accuracy.
 */
export function accuracyLabel(s: Pick<RobustnessSummary, "manifests">): string {
  return s.manifests.length ? `accuracy on ${s.manifests.join(", ")}` : "accuracy";
}

/** Axis title for a series' levels: the CSV's unit when given, otherwise what the level means by convention. */
export function levelLabel(s: Pick<RobustnessSeries, "condition" | "modality" | "unit" | "reversed">): string {
  // "σ (scaled values)" becomes "noise σ (scaled values)"; "dB SNR" and "fraction of columns" say enough alone.
  if (s.unit) return s.condition === "noise" && !s.reversed ? `noise ${s.unit}` : s.unit;
  // Short: the "more dropped →" beside it says the rest.
  if (s.condition === "columns_dropped") return "fraction of columns";
  return s.reversed ? "SNR (dB)" : "noise level";
}

const PANEL_TITLES: Record<string, string> = { columns_dropped: "columns dropped", words_dropped: "words dropped", typos: "typos" };

function panelTitle(s: RobustnessSeries): string {
  const title = PANEL_TITLES[s.condition];
  return title ? `${s.modality}: ${title}` : `${s.modality} noise`;
}

/** A level as written in the CSV, without float noise (0.30000000000000004). */
export function formatLevel(v: number): string {
  return String(Number(v.toPrecision(6)));
}

function colourOf(modality: string, i: number): string {
  return (MODALITY_COLOURS[modality.toLowerCase()] ?? SPARE_COLOURS[i % SPARE_COLOURS.length]!).ink;
}

const WIDTH = 1100;
const LEFT = 78;
const RIGHT = 28;
const PANEL_GAP = 34;
const PANEL_H = 190;
const BAR_H = 20;
const BAR_STEP = 30;
const pct1 = (v: number) => `${(v * 100).toFixed(1)}%`;

/** A value label on a white patch, so the dashed clean line can cross behind it without striking it through. */
function valueLabel(x: number, y: number, content: string, size: number, anchor: "start" | "middle"): string {
  const w = textWidth(content, size) + 4;
  const left = anchor === "middle" ? x - w / 2 : x - 2;
  return rect(left, y - size * 0.85, w, size * 1.15, { fill: "#ffffff", "fill-opacity": 0.85 }) + text(x, y, content, { size, anchor });
}

export function robustnessSvg(rows: readonly RobustnessRow[]): string {
  if (rows.length === 0) throw new Error("robustness has no rows to plot");
  const s = summariseRobustness(rows);
  const cleanText = s.clean !== undefined ? ` · clean accuracy ${pct1(s.clean)}` : "";
  let body = text(24, 32, ROBUSTNESS_TITLE, { size: 18, weight: "bold" });
  body += text(24, 54, `${accuracyLabel(s)} with degraded or missing inputs${cleanText}`, { size: 12, fill: MUTED });
  let y = 70;
  if (s.lines.length) {
    const out = linePanels(s, y);
    body += out.svg;
    y = out.bottom;
  }
  if (s.drops.length) {
    const out = dropPanel(s, y);
    body += out.svg;
    y = out.bottom;
  }
  if (!s.lines.length && !s.drops.length) {
    body += text(24, y + 30, "robustness.csv has no drop or perturbation rows to draw.", { size: 13, fill: MUTED });
    y += 50;
  }
  return svgDocument(WIDTH, y + 16, body);
}

/** Small multiples: accuracy against level, one panel per (condition, modality), shared y axis. */
function linePanels(s: RobustnessSummary, top: number): { svg: string; bottom: number } {
  let out = text(24, top + 30, "Accuracy as the perturbation grows", { size: 14, weight: "bold" });
  // Legend: what the dashed line is, once for all panels.
  if (s.clean !== undefined) {
    const lx = 24 + textWidth("Accuracy as the perturbation grows", 14, "bold") + 32;
    out += line(lx, top + 25, lx + 28, top + 25, CLEAN_COLOUR, { "stroke-width": 1.5, "stroke-dasharray": "5 4" });
    out += text(lx + 36, top + 29, `clean (${pct1(s.clean)})`, { size: 12, fill: MUTED });
  }
  const plotTop = top + 76;
  const plotBottom = plotTop + PANEL_H;
  const values = [...s.lines.flatMap((l) => l.points.map((p) => p.accuracy)), ...(s.clean !== undefined ? [s.clean] : [])];
  // Whole tens of percent, as in curves.png: a 2-point dip should look like 2 points.
  let lo = Math.max(0, Math.floor(Math.min(...values) * 10) / 10);
  const hi = Math.min(1, Math.ceil(Math.max(...values) * 10) / 10);
  if (hi - lo < 0.2) lo = Math.max(0, hi - 0.2);
  const yTicks = niceTicks(lo, hi, 5).filter((t) => t >= lo - 1e-9 && t <= hi + 1e-9);
  const y0 = yTicks[0] ?? lo;
  const y1 = yTicks[yTicks.length - 1] ?? hi;
  const sy = (v: number) => plotBottom - ((v - y0) / (y1 - y0 || 1)) * PANEL_H;

  const n = s.lines.length;
  const width = (WIDTH - LEFT - RIGHT - PANEL_GAP * (n - 1)) / n;
  s.lines.forEach((series, i) => {
    const left = LEFT + i * (width + PANEL_GAP);
    out += panel(series, i, left, width, plotTop, plotBottom, yTicks, sy, s.clean, i === 0);
  });
  out += text(24, (plotTop + plotBottom) / 2, truncate(accuracyLabel(s), PANEL_H, 12), { size: 12, anchor: "middle", rotate: -90 });
  return { svg: out, bottom: plotBottom + 62 };
}

function panel(
  s: RobustnessSeries,
  index: number,
  left: number,
  width: number,
  plotTop: number,
  plotBottom: number,
  yTicks: number[],
  sy: (v: number) => number,
  clean: number | undefined,
  yLabels: boolean,
): string {
  const colour = colourOf(s.modality, index);
  const levels = s.points.map((p) => p.level);
  let a = Math.min(...levels);
  let b = Math.max(...levels);
  if (a === b) [a, b] = [a - 0.5, b + 0.5];
  const pad = (b - a) * 0.06;
  // Reversed axes run from the highest level at the left to the lowest at the right.
  const [from, to] = s.reversed ? [b + pad, a - pad] : [a - pad, b + pad];
  const sx = (v: number) => left + ((v - from) / (to - from)) * width;

  let out = text(left, plotTop - 24, truncate(panelTitle(s), width, 13, "bold"), { size: 13, weight: "bold", fill: colour });
  for (const t of yTicks) {
    out += line(left, sy(t), left + width, sy(t), GRID);
    if (yLabels) out += text(left - 8, sy(t) + 4, `${Math.round(t * 100)}%`, { size: 11, anchor: "end", fill: MUTED });
  }
  out += rect(left, plotTop, width, plotBottom - plotTop, { fill: "none", stroke: "#9ca3af" });
  // The measured levels are the ticks: they are few, and uneven spacing is information.
  const fontSize = 11;
  let lastRight = -Infinity;
  const ordered = [...levels].sort((p, q) => sx(p) - sx(q));
  for (const v of ordered) {
    const label = formatLevel(v);
    const half = textWidth(label, fontSize) / 2;
    out += line(sx(v), plotBottom, sx(v), plotBottom + 4, MUTED);
    // Crowded levels keep their tick mark but skip a label that would overprint its neighbour.
    if (sx(v) - half < lastRight + 4) continue;
    out += text(sx(v), plotBottom + 17, label, { size: fontSize, anchor: "middle", fill: MUTED });
    lastRight = sx(v) + half;
  }
  const axis = levelLabel(s);
  const harsher = s.condition === "columns_dropped" || s.condition === "words_dropped" ? "more dropped →" : s.condition === "typos" ? "more typos →" : "noisier →";
  out += text(left, plotBottom + 38, truncate(axis, width - textWidth(harsher, 11) - 12, 12), { size: 12, title: axis });
  out += text(left + width, plotBottom + 38, harsher, { size: 11, anchor: "end", fill: MUTED });

  if (clean !== undefined) {
    out += line(left, sy(clean), left + width, sy(clean), CLEAN_COLOUR, { "stroke-width": 1.5, "stroke-dasharray": "5 4" });
  }
  const d = s.points.map((p, k) => `${k ? "L" : "M"}${round(sx(p.level))} ${round(sy(p.accuracy))}`).join("");
  out += el("path", { d, fill: "none", stroke: colour, "stroke-width": 2.4, "stroke-linejoin": "round" });
  const label = s.points.length <= 6;
  s.points.forEach((p, k) => {
    out += el("circle", { cx: round(sx(p.level)), cy: round(sy(p.accuracy)), r: 3.5, fill: colour });
    // Label every point while they fit, else only the harshest; below the line, where the
    // falling curve leaves room, except for the first point, which sits near the dashed clean line.
    if (label || k === s.points.length - 1) {
      const below = k > 0 && sy(p.accuracy) + 18 < plotBottom;
      const value = (p.accuracy * 100).toFixed(1);
      // Kept inside the frame so the label's white patch never cuts the panel border.
      const half = textWidth(value, 10.5) / 2 + 3;
      const x = Math.min(left + width - half, Math.max(left + half, sx(p.level)));
      out += valueLabel(x, sy(p.accuracy) + (below ? 16 : -8), value, 10.5, "middle");
    }
  });
  return out;
}

/** Horizontal bars: clean, then each modality (set) dropped, with the loss in points beside. */
function dropPanel(s: RobustnessSummary, top: number): { svg: string; bottom: number } {
  let out = text(24, top + 30, "Accuracy with modalities missing", { size: 14, weight: "bold" });
  const bars = [
    ...(s.clean !== undefined ? [{ label: "clean (all modalities)", accuracy: s.clean, clean: true }] : []),
    ...s.drops.map((d) => ({ label: `without ${d.modality}`, accuracy: d.accuracy, clean: false })),
  ];
  const labelW = Math.min(260, Math.max(...bars.map((b) => textWidth(b.label, 12))));
  const left = Math.max(LEFT, 24 + labelW + 12);
  const right = WIDTH - RIGHT - 150;
  const barsTop = top + 50;
  const sx = (v: number) => left + v * (right - left);
  for (let t = 0; t <= 100; t += 20) {
    const x = sx(t / 100);
    out += line(x, barsTop - 6, x, barsTop + bars.length * BAR_STEP, t === 0 ? "#9ca3af" : GRID);
    out += text(x, barsTop + bars.length * BAR_STEP + 16, `${t}%`, { size: 11, anchor: "middle", fill: MUTED });
  }
  // The clean reference goes first, behind the bars and their labels.
  if (s.clean !== undefined) {
    const x = sx(s.clean);
    out += line(x, barsTop - 6, x, barsTop + bars.length * BAR_STEP, CLEAN_COLOUR, { "stroke-width": 1.5, "stroke-dasharray": "5 4" });
  }
  bars.forEach((b, i) => {
    const y = barsTop + i * BAR_STEP;
    out += text(left - 10, y + BAR_H / 2 + 4, truncate(b.label, labelW, 12), { size: 12, anchor: "end", weight: b.clean ? "bold" : "normal", title: b.label });
    out += rect(left, y, sx(b.accuracy) - left, BAR_H, { fill: b.clean ? CLEAN_COLOUR : DROP_COLOUR });
    let note = pct1(b.accuracy);
    if (!b.clean && s.clean !== undefined) {
      // From the one-decimal percentages shown, so the three numbers on a row agree.
      const delta = Math.round((Math.round(b.accuracy * 1000) - Math.round(s.clean * 1000))) / 10;
      note += ` (${delta > 0 ? "+" : delta < 0 ? "−" : "±"}${Math.abs(delta).toFixed(1)} pts)`;
    }
    out += valueLabel(sx(b.accuracy) + 6, y + BAR_H / 2 + 4, note, 11.5, "start");
  });
  out += text((left + right) / 2, barsTop + bars.length * BAR_STEP + 36, accuracyLabel(s), { size: 12, anchor: "middle" });
  return { svg: out, bottom: barsTop + bars.length * BAR_STEP + 44 };
}

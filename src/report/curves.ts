// curves.png: loss and accuracy per epoch, train against validation, side by side,
// with the best validation epoch marked in both panels.
import type { HistoryRow } from "./types.js";
import { GRID, MUTED, el, line, niceTicks, rect, round, svgDocument, text, textWidth, tickFormatter } from "./svg.js";

export const TRAIN_COLOUR = "#2563eb";
export const VAL_COLOUR = "#ea580c";
const BEST_COLOUR = "#059669";

const WIDTH = 1100;
const HEIGHT = 440;
const PLOT_TOP = 96;
const PLOT_BOTTOM = HEIGHT - 60;

export interface CurvesOptions {
  /** Epoch to mark; defaults to the epoch with the lowest validation loss. */
  bestEpoch?: number | undefined;
}

/** The epoch with the lowest finite validation loss, or undefined when there is none. */
export function bestValidationEpoch(history: readonly HistoryRow[]): number | undefined {
  let best: HistoryRow | undefined;
  for (const row of history) {
    if (Number.isFinite(row.val_loss) && (!best || row.val_loss < best.val_loss)) best = row;
  }
  return best?.epoch;
}

interface Panel {
  title: string;
  yLabel: string;
  train: (r: HistoryRow) => number;
  val: (r: HistoryRow) => number;
  percent: boolean;
}

const PANELS: Panel[] = [
  { title: "Loss", yLabel: "loss", train: (r) => r.train_loss, val: (r) => r.val_loss, percent: false },
  { title: "Accuracy", yLabel: "accuracy", train: (r) => r.train_accuracy, val: (r) => r.val_accuracy, percent: true },
];

export function curvesSvg(history: readonly HistoryRow[], options: CurvesOptions = {}): string {
  if (history.length === 0) throw new Error("history has no epochs to plot");
  const best = options.bestEpoch ?? bestValidationEpoch(history);
  const epochs = history.map((r) => r.epoch);
  const n = history.length;
  const title = `Training history — ${n} epoch${n === 1 ? "" : "s"}`;

  let body = text(24, 32, title, { size: 18, weight: "bold" });
  const hasValidation = history.some((r) => Number.isFinite(r.val_loss) || Number.isFinite(r.val_accuracy));
  body += legend(best, hasValidation);
  const half = WIDTH / 2;
  PANELS.forEach((p, i) => {
    body += panel(p, history, epochs, best, i * half + 78, half - 78 - 28);
  });
  return svgDocument(WIDTH, HEIGHT, body);
}

function legend(best: number | undefined, hasValidation: boolean): string {
  const items: Array<[string, string, string | undefined]> = [
    ["train", TRAIN_COLOUR, undefined],
    [hasValidation ? "validation" : "validation (not recorded)", VAL_COLOUR, undefined],
  ];
  if (best !== undefined) items.push([`best validation epoch (${best})`, BEST_COLOUR, "5 4"]);
  let x = 24;
  let out = "";
  for (const [label, colour, dash] of items) {
    out += line(x, 58, x + 28, 58, colour, { "stroke-width": 2.5, "stroke-dasharray": dash });
    out += text(x + 36, 62, label, { size: 13 });
    x += 36 + textWidth(label, 13) + 28;
  }
  return out;
}

function panel(
  p: Panel,
  history: readonly HistoryRow[],
  epochs: number[],
  best: number | undefined,
  left: number,
  width: number,
): string {
  const values = history.flatMap((r) => [p.train(r), p.val(r)]).filter(Number.isFinite);
  let lo = values.length ? Math.min(...values) : 0;
  let hi = values.length ? Math.max(...values) : 1;
  if (p.percent) {
    // Whole tens of percent, so one epoch's 46%–52% is not blown up into a dramatic slope.
    [lo, hi] = [Math.max(0, Math.floor(lo * 10) / 10), Math.min(1, Math.ceil(hi * 10) / 10)];
    if (hi - lo < 0.1) [lo, hi] = hi >= 1 ? [0.9, 1] : [lo, lo + 0.1];
  } else {
    // Losses are non-negative; starting at 0 shows how far training got, not just the wiggles.
    lo = Math.min(0, lo);
  }
  const yTicks = niceTicks(lo, hi, 5).filter((t) => !p.percent || (t >= 0 && t <= 1 + 1e-9));
  const y0 = yTicks[0] ?? 0;
  const y1 = yTicks[yTicks.length - 1] ?? 1;

  const first = epochs[0] ?? 1;
  const last = epochs[epochs.length - 1] ?? first;
  // One epoch would make a zero-width axis; give it half an epoch either side.
  const [x0, x1] = last > first ? [first, last] : [first - 0.5, first + 0.5];
  const xTicks = niceTicks(x0, x1, Math.min(8, Math.max(1, last - first)))
    .filter((t) => Number.isInteger(t) && t >= x0 && t <= x1);

  const sx = (v: number) => left + ((v - x0) / (x1 - x0)) * width;
  const sy = (v: number) => PLOT_BOTTOM - ((v - y0) / (y1 - y0 || 1)) * (PLOT_BOTTOM - PLOT_TOP);
  const fmtY = p.percent ? (v: number) => `${Math.round(v * 100)}%` : tickFormatter(yTicks);

  let out = text(left, PLOT_TOP - 14, p.title, { size: 14, weight: "bold" });
  for (const t of yTicks) {
    out += line(left, sy(t), left + width, sy(t), GRID);
    out += text(left - 8, sy(t) + 4, fmtY(t), { size: 11, anchor: "end", fill: MUTED });
  }
  for (const t of xTicks) {
    out += line(sx(t), PLOT_BOTTOM, sx(t), PLOT_BOTTOM + 5, MUTED);
    out += text(sx(t), PLOT_BOTTOM + 19, String(t), { size: 11, anchor: "middle", fill: MUTED });
  }
  out += rect(left, PLOT_TOP, width, PLOT_BOTTOM - PLOT_TOP, { fill: "none", stroke: "#9ca3af" });
  out += text(left + width / 2, PLOT_BOTTOM + 42, "epoch", { size: 12, anchor: "middle" });
  const yMid = (PLOT_TOP + PLOT_BOTTOM) / 2;
  out += text(left - 56, yMid, p.yLabel, { size: 12, anchor: "middle", rotate: -90 });

  if (best !== undefined && best >= x0 && best <= x1) {
    out += line(sx(best), PLOT_TOP, sx(best), PLOT_BOTTOM, BEST_COLOUR, { "stroke-width": 1.5, "stroke-dasharray": "5 4" });
  }
  // Markers only while they stay apart; 60 epochs of dots would blur into a thick line.
  const dots = history.length <= 30;
  out += series(history, p.train, TRAIN_COLOUR, sx, sy, dots);
  out += series(history, p.val, VAL_COLOUR, sx, sy, dots);
  const bestRow = history.find((r) => r.epoch === best);
  if (bestRow && Number.isFinite(p.val(bestRow))) {
    out += el("circle", { cx: round(sx(bestRow.epoch)), cy: round(sy(p.val(bestRow))), r: 5.5, fill: VAL_COLOUR, stroke: BEST_COLOUR, "stroke-width": 2.5 });
  }
  return out;
}

/** One line; NaN values (no validation split that epoch) break it instead of dropping to 0. */
function series(
  history: readonly HistoryRow[],
  value: (r: HistoryRow) => number,
  colour: string,
  sx: (v: number) => number,
  sy: (v: number) => number,
  dots: boolean,
): string {
  let d = "";
  let pen = false;
  let marks = "";
  for (const r of history) {
    const v = value(r);
    if (!Number.isFinite(v)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${round(sx(r.epoch))} ${round(sy(v))}`;
    pen = true;
    if (dots) marks += el("circle", { cx: round(sx(r.epoch)), cy: round(sy(v)), r: history.length === 1 ? 4.5 : 3, fill: colour });
  }
  const path = d ? el("path", { d, fill: "none", stroke: colour, "stroke-width": 2.2, "stroke-linejoin": "round" }) : "";
  return path + marks;
}

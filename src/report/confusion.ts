// confusion.png: the test confusion matrix. Cells hold counts; colour is the row-normalised
// rate, so a rare class's mistakes show as plainly as a common one's.
import { GRID, INK, MUTED, el, escapeXml, rect, svgDocument, text, textWidth, truncate } from "./svg.js";

export interface ConfusionOptions {
  /** Picture title; defaults to "Confusion matrix (test)". */
  title?: string;
}

// Sequential blues (light → dark), readable in greyscale print too.
const STOPS: Array<[number, [number, number, number]]> = [
  [0, [247, 251, 255]],
  [0.5, [107, 174, 214]],
  [1, [8, 48, 107]],
];

/** Cell colour for a rate in [0, 1]. */
export function rateColour(rate: number): string {
  const r = Math.min(1, Math.max(0, Number.isFinite(rate) ? rate : 0));
  const i = r <= 0.5 ? 0 : 1;
  const [a, ca] = STOPS[i]!;
  const [b, cb] = STOPS[i + 1]!;
  const t = (r - a) / (b - a);
  const mix = ca.map((c, k) => Math.round(c + (cb[k]! - c) * t));
  return `rgb(${mix.join(",")})`;
}

const MAX_LABEL_PX = 170;
const SUBTITLE = "rows: true class · columns: predicted class · colour: share of the true class";

export function confusionSvg(classes: readonly string[], matrix: readonly (readonly number[])[], options: ConfusionOptions = {}): string {
  const n = classes.length;
  if (n === 0) throw new Error("confusion matrix has no classes");
  if (matrix.length !== n || matrix.some((row) => row.length !== n)) {
    throw new Error(`confusion matrix must be ${n} × ${n} for ${n} classes`);
  }
  const title = options.title ?? "Confusion matrix (test)";
  const cell = Math.max(30, Math.min(84, Math.floor(600 / n)));
  const labelSize = n <= 6 ? 13 : n <= 15 ? 12 : 11;
  const labels = classes.map((c) => truncate(c, MAX_LABEL_PX, labelSize));
  const labelPx = Math.max(...labels.map((l) => textWidth(l, labelSize)));
  // Column labels stay horizontal only when every one fits under its own cell.
  const rotate = labelPx > cell - 8;
  const colLabelDepth = rotate ? labelPx * Math.SQRT1_2 + labelSize + 8 : labelSize + 12;

  const gridLeft = 24 + 22 + labelPx + 12;
  const gridTop = 78;
  const gridSize = n * cell;
  const barLeft = gridLeft + gridSize + 28;
  const width = Math.max(barLeft + 16 + 110, textWidth(title, 18, "bold") + 48, textWidth(SUBTITLE, 12) + 48);
  const height = gridTop + gridSize + 10 + colLabelDepth + 34;

  let body = text(24, 32, title, { size: 18, weight: "bold" });
  body += text(24, 54, SUBTITLE, { size: 12, fill: MUTED });

  const countSize = Math.min(18, Math.max(10, cell * 0.3));
  const showRate = cell >= 56;
  matrix.forEach((row, i) => {
    const total = row.reduce((s, v) => s + v, 0);
    row.forEach((count, j) => {
      const rate = total > 0 ? count / total : 0;
      const x = gridLeft + j * cell;
      const y = gridTop + i * cell;
      const fill = total > 0 ? rateColour(rate) : "#f3f4f6";
      const tip = `true ${classes[i]} → predicted ${classes[j]}: ${count}${total > 0 ? ` (${(rate * 100).toFixed(1)}%)` : ""}`;
      body += el("g", {}, el("title", {}, escapeXml(tip)) + rect(x, y, cell, cell, { fill, stroke: "#ffffff", "stroke-width": 1 }));
      const ink = rate > 0.55 ? "#ffffff" : INK;
      const cy = y + cell / 2 + countSize * 0.35 - (showRate ? 6 : 0);
      body += text(x + cell / 2, cy, String(count), { size: countSize, anchor: "middle", fill: ink, weight: i === j ? "bold" : "normal" });
      if (showRate && total > 0) {
        body += text(x + cell / 2, cy + 16, `${Math.round(rate * 100)}%`, { size: 10, anchor: "middle", fill: rate > 0.55 ? "#dbeafe" : MUTED });
      }
    });
  });
  body += rect(gridLeft, gridTop, gridSize, gridSize, { fill: "none", stroke: "#9ca3af" });

  labels.forEach((label, i) => {
    const full = classes[i] ?? "";
    const cy = gridTop + i * cell + cell / 2 + labelSize * 0.35;
    body += text(gridLeft - 8, cy, label, { size: labelSize, anchor: "end", title: full });
    const cx = gridLeft + i * cell + cell / 2;
    body += rotate
      ? text(cx + 4, gridTop + gridSize + 14, label, { size: labelSize, anchor: "end", rotate: -45, title: full })
      : text(cx, gridTop + gridSize + labelSize + 6, label, { size: labelSize, anchor: "middle", title: full });
  });
  body += text(28, gridTop + gridSize / 2, "true class", { size: 13, anchor: "middle", rotate: -90, weight: "bold" });
  body += text(gridLeft + gridSize / 2, gridTop + gridSize + colLabelDepth + 22, "predicted class", { size: 13, anchor: "middle", weight: "bold" });
  body += colourBar(barLeft, gridTop, Math.max(gridSize, 120));
  return svgDocument(width, height, body);
}

function colourBar(left: number, top: number, height: number): string {
  const stops = STOPS.map(([o, c]) => el("stop", { offset: o, "stop-color": `rgb(${c.join(",")})` })).join("");
  // Gradient runs bottom (0%) to top (100%), like a y axis.
  let out = el("defs", {}, el("linearGradient", { id: "rate", x1: 0, y1: 1, x2: 0, y2: 0 }, stops));
  out += rect(left, top, 16, height, { fill: "url(#rate)", stroke: GRID });
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    const y = top + height - v * height;
    out += rect(left + 16, y - 0.5, 4, 1, { fill: MUTED });
    out += text(left + 24, y + 4, `${v * 100}%`, { size: 11, fill: MUTED });
  }
  out += text(left + 76, top + height / 2, "share of true class", { size: 11, anchor: "middle", rotate: -90, fill: MUTED });
  return out;
}

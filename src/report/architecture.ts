// architecture.png: the model as one column per modality encoder, arrows into the fusion
// box, then the classifier head and the output, each layer labelled with its output shape.
import type { ArchLayer, Architecture, Shape } from "./types.js";
import { INK, MUTED, el, escapeXml, groupDigits, rect, round, svgDocument, text, textWidth, truncate } from "./svg.js";

const COL_W = 240;
const COL_GAP = 28;
const MARGIN = 32;
const TOP = 84;
const HEADER_H = 48;
const BOX_H = 44;
const STEP = BOX_H + 18; // box plus the arrow to the next one
const PILL_H = 26;
/** Longer layer lists keep their first and last few layers and elide the middle. */
const MAX_LAYERS = 8;
const KEEP_EACH_END = 3;

export interface Palette {
  ink: string;
  fill: string;
}

export const MODALITY_COLOURS: Record<string, Palette> = {
  tabular: { ink: "#0f766e", fill: "#f0fdfa" },
  image: { ink: "#6d28d9", fill: "#f5f3ff" },
  audio: { ink: "#c2410c", fill: "#fff7ed" },
  text: { ink: "#be185d", fill: "#fdf2f8" },
};
export const SPARE_COLOURS: Palette[] = [
  { ink: "#0369a1", fill: "#f0f9ff" },
  { ink: "#be185d", fill: "#fdf2f8" },
  { ink: "#4d7c0f", fill: "#f7fee7" },
];
const FUSION: Palette = { ink: "#1e3a8a", fill: "#dbeafe" };
const HEAD: Palette = { ink: "#374151", fill: "#f9fafb" };

export function formatShape(shape: Shape | undefined): string {
  return shape && shape.length ? shape.join(" × ") : "?";
}

/** A layer list as drawn: elided entries become a single "… N more layers" box. */
export function visibleLayers(layers: readonly ArchLayer[]): Array<ArchLayer | { elided: number }> {
  if (layers.length <= MAX_LAYERS) return [...layers];
  const hidden = layers.length - 2 * KEEP_EACH_END;
  return [...layers.slice(0, KEEP_EACH_END), { elided: hidden }, ...layers.slice(-KEEP_EACH_END)];
}

function arrowDefs(): string {
  const head = el("path", { d: "M0 0 L8 4 L0 8 z", fill: MUTED });
  return el("defs", {}, el("marker", { id: "arrow", viewBox: "0 0 8 8", refX: 8, refY: 4, markerWidth: 8, markerHeight: 8, orient: "auto" }, head));
}

function arrow(x1: number, y1: number, x2: number, y2: number): string {
  return el("path", { d: `M${round(x1)} ${round(y1)} L${round(x2)} ${round(y2)}`, stroke: MUTED, "stroke-width": 1.5, fill: "none", "marker-end": "url(#arrow)" });
}

/** A layer box: "Name detail" on top, the output shape below in monospace. */
function layerBox(cx: number, y: number, w: number, layer: ArchLayer | { elided: number }, p: Palette): string {
  const x = cx - w / 2;
  if ("elided" in layer) {
    return (
      rect(x, y, w, BOX_H, { rx: 6, fill: "#ffffff", stroke: p.ink, "stroke-dasharray": "4 3" }) +
      text(cx, y + BOX_H / 2 + 5, `… ${layer.elided} more layers`, { size: 13, anchor: "middle", fill: MUTED })
    );
  }
  const room = w - 16;
  const name = truncate(layer.name, room, 13, "bold");
  const detailRoom = room - textWidth(name, 13, "bold") - textWidth("  ", 12);
  const detail = layer.detail && detailRoom > 30 ? truncate(layer.detail, detailRoom, 12) : "";
  const label =
    el("tspan", { "font-weight": "bold" }, escapeXml(name)) +
    (detail ? el("tspan", { fill: MUTED, "font-size": 12 }, escapeXml("  " + detail)) : "");
  const full = layer.detail ? `${layer.name} ${layer.detail}` : layer.name;
  return (
    el("g", {}, el("title", {}, escapeXml(full)) + rect(x, y, w, BOX_H, { rx: 6, fill: p.fill, stroke: p.ink })) +
    el("text", { x: round(x + 8), y: round(y + 18), "font-size": 13, fill: INK }, label) +
    (layer.output ? text(x + 8, y + 35, "→ " + truncate(formatShape(layer.output), room - 20, 11, "mono"), { size: 11, mono: true, fill: p.ink }) : "")
  );
}

/** A vertical stack of layer boxes joined by arrows; returns the SVG and the y below it. */
function stack(cx: number, top: number, w: number, layers: readonly ArchLayer[], p: Palette): { svg: string; bottom: number } {
  let svg = "";
  let y = top;
  for (const layer of visibleLayers(layers)) {
    svg += arrow(cx, y - 18, cx, y);
    svg += layerBox(cx, y, w, layer, p);
    y += STEP;
  }
  return { svg, bottom: y - STEP + BOX_H };
}

function pill(cx: number, y: number, label: string, p: Palette): string {
  const w = Math.min(COL_W - 20, textWidth(label, 12, "mono") + 24);
  return rect(cx - w / 2, y, w, PILL_H, { rx: PILL_H / 2, fill: p.ink }) + text(cx, y + 17, truncate(label, COL_W - 44, 12, "mono"), { size: 12, anchor: "middle", mono: true, fill: "#ffffff" });
}

export function architectureSvg(arch: Architecture): string {
  const n = arch.encoders.length;
  const colsWidth = n * COL_W + Math.max(0, n - 1) * COL_GAP;
  const params = arch.parameters !== undefined ? `${groupDigits(arch.parameters)} parameters` : undefined;
  const subtitle = [arch.preset !== undefined ? `preset ${arch.preset}` : undefined, `fusion ${arch.fusion.name}`, params]
    .filter((s): s is string => s !== undefined)
    .join(" · ");
  const width = Math.max(colsWidth, COL_W + 80, textWidth(subtitle, 13) + 20) + 2 * MARGIN;
  const firstCx = width / 2 - colsWidth / 2 + COL_W / 2;

  let body = arrowDefs();
  body += text(MARGIN, 34, "Model architecture", { size: 18, weight: "bold" });
  body += text(MARGIN, 56, subtitle, { size: 13, fill: MUTED });

  // Encoder columns: header, layers, output pill; remember where each ends.
  const ends: Array<{ cx: number; y: number }> = [];
  arch.encoders.forEach((enc, i) => {
    const p = MODALITY_COLOURS[(enc.kind ?? enc.modality).toLowerCase()] ?? SPARE_COLOURS[i % SPARE_COLOURS.length]!;
    const cx = firstCx + i * (COL_W + COL_GAP);
    const x = cx - COL_W / 2;
    body += rect(x, TOP, COL_W, HEADER_H, { rx: 8, fill: p.ink });
    body += text(cx, TOP + 20, truncate(`${enc.modality} encoder`, COL_W - 20, 14, "bold"), { size: 14, anchor: "middle", weight: "bold", fill: "#ffffff" });
    if (enc.input?.length) {
      body += text(cx, TOP + 38, truncate(`input ${formatShape(enc.input)}`, COL_W - 20, 11, "mono"), { size: 11, anchor: "middle", mono: true, fill: "#ffffff" });
    }
    const s = stack(cx, TOP + HEADER_H + 18, COL_W - 16, enc.layers, p);
    body += s.svg;
    const outTop = (enc.layers.length ? s.bottom : TOP + HEADER_H) + 18;
    body += arrow(cx, outTop - 18, cx, outTop);
    body += pill(cx, outTop, formatShape(enc.output), p);
    let end = outTop + PILL_H;
    if (enc.missing) {
      body += text(cx, end + 16, truncate(`if missing: ${enc.missing}`, COL_W - 4, 11), { size: 11, anchor: "middle", fill: MUTED });
      end += 20;
    }
    ends.push({ cx, y: end });
  });

  // Fusion spans the encoder columns so every arrow lands on it vertically.
  const fusionTop = Math.max(TOP + HEADER_H, ...ends.map((e) => e.y)) + 40;
  const fusionW = Math.max(COL_W + 40, colsWidth - COL_W + 80);
  const cx = width / 2;
  for (const e of ends) body += arrow(e.cx, e.y + 4, e.cx, fusionTop);
  body += rect(cx - fusionW / 2, fusionTop, fusionW, 56, { rx: 8, fill: FUSION.fill, stroke: FUSION.ink, "stroke-width": 1.5 });
  const fusionLabel = truncate(`fusion: ${arch.fusion.name}${arch.fusion.detail ? `  ${arch.fusion.detail}` : ""}`, fusionW - 24, 14, "bold");
  body += text(cx, fusionTop + 23, fusionLabel, { size: 14, anchor: "middle", weight: "bold", fill: FUSION.ink });
  body += text(cx, fusionTop + 43, `→ ${formatShape(arch.fusion.output)}`, { size: 12, anchor: "middle", mono: true, fill: FUSION.ink });

  // Head: a titled stack under the fusion box, then the logits.
  const headTop = fusionTop + 56 + 18;
  const headW = COL_W + 20;
  body += arrow(cx, fusionTop + 56, cx, headTop);
  body += rect(cx - headW / 2, headTop, headW, 30, { rx: 8, fill: HEAD.ink });
  body += text(cx, headTop + 20, "classifier head", { size: 14, anchor: "middle", weight: "bold", fill: "#ffffff" });
  const head = stack(cx, headTop + 30 + 18, headW, arch.head.layers, HEAD);
  body += head.svg;
  const outTop = (arch.head.layers.length ? head.bottom : headTop + 30) + 18;
  body += arrow(cx, outTop - 18, cx, outTop);
  body += pill(cx, outTop, `output ${formatShape(arch.head.output)}`, FUSION);
  const height = outTop + PILL_H + 28;
  return svgDocument(width, height, body);
}

/** Stands in for the picture when the run has no architecture.json (e.g. an older run). */
export function noArchitectureSvg(): string {
  const body =
    text(MARGIN, 34, "Model architecture", { size: 18, weight: "bold" }) +
    text(MARGIN, 64, "architecture.json was not found in this run directory.", { size: 13, fill: MUTED });
  return svgDocument(520, 90, body);
}

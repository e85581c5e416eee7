// Small helpers shared by the hand-written SVG pictures: escaping, text measuring,
// tick choice and element builders. Every picture is rendered with DejaVu Sans (see png.ts),
// so width estimates below are tuned to that font.

export const FONT = "DejaVu Sans";
export const MONO = "DejaVu Sans Mono";

export const INK = "#1f2937";
export const MUTED = "#6b7280";
export const GRID = "#e5e7eb";

/** Escapes text for XML/HTML element content and attribute values alike. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Advance widths of DejaVu Sans in em; the font is wide, so a guess of 0.5 em per
// character would let labels overlap. Narrow and wide glyphs are told apart roughly;
// checked against resvg's own layout to within a few percent, erring wide.
const NARROW = new Set("iljtfrI.,:;'!|()[] ");
const WIDE = new Set("mwMWOQGDHNU@%");
/** DejaVu Sans Bold runs about 12% wider than the regular face. */
const BOLD_FACTOR = 1.13;

export type Face = "regular" | "bold" | "mono";

/** Estimated rendered width of `text` in px; errs on the wide side so nothing clips. */
export function textWidth(text: string, fontSize: number, face: Face = "regular"): number {
  if (face === "mono") return [...text].length * 0.602 * fontSize;
  let em = 0;
  for (const ch of text) {
    if (NARROW.has(ch)) em += 0.34;
    else if (WIDE.has(ch)) em += 0.86;
    else if (ch >= "A" && ch <= "Z") em += 0.7;
    else if (ch >= "0" && ch <= "9") em += 0.64;
    else em += 0.62;
  }
  return em * fontSize * (face === "bold" ? BOLD_FACTOR : 1);
}

/** Shortens `text` with a trailing ellipsis so it fits `maxWidth` px. */
export function truncate(text: string, maxWidth: number, fontSize: number, face: Face = "regular"): string {
  if (textWidth(text, fontSize, face) <= maxWidth) return text;
  const chars = [...text];
  while (chars.length > 1 && textWidth(chars.join("") + "…", fontSize, face) > maxWidth) chars.pop();
  return chars.join("").trimEnd() + "…";
}

/** Round tick values covering [lo, hi], about `count` of them, at 1/2/5 × 10^k steps. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi <= lo) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v < hi + step - 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Formats a tick so all ticks of one axis share the decimals the step needs. */
export function tickFormatter(ticks: number[]): (v: number) => string {
  const step = ticks.length > 1 ? Math.abs((ticks[1] ?? 0) - (ticks[0] ?? 0)) : 1;
  let decimals = step > 0 ? Math.max(0, -Math.floor(Math.log10(step))) : 0;
  // 0.25 needs two decimals although its magnitude suggests one.
  while (decimals < 6 && Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-6) decimals++;
  return (v) => v.toFixed(decimals);
}

/** Thousands separators for parameter counts and the like, independent of the locale. */
export function groupDigits(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

type Attrs = Record<string, string | number | undefined>;

function attrs(a: Attrs): string {
  return Object.entries(a)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join("");
}

export function el(tag: string, a: Attrs, children = ""): string {
  return children === "" ? `<${tag}${attrs(a)}/>` : `<${tag}${attrs(a)}>${children}</${tag}>`;
}

export interface TextOptions {
  size?: number;
  anchor?: "start" | "middle" | "end";
  weight?: "normal" | "bold";
  fill?: string;
  mono?: boolean;
  /** Degrees, about the text's own anchor point. */
  rotate?: number;
  /** A hover title carrying the untruncated text (browsers show it; PNGs ignore it). */
  title?: string;
}

/** A single line of text; `content` is escaped here, so callers pass raw strings. */
export function text(x: number, y: number, content: string, o: TextOptions = {}): string {
  const title = o.title !== undefined && o.title !== content ? el("title", {}, escapeXml(o.title)) : "";
  return el(
    "text",
    {
      x: round(x),
      y: round(y),
      "font-size": o.size ?? 12,
      "text-anchor": o.anchor ?? "start",
      "font-weight": o.weight === "bold" ? "bold" : undefined,
      "font-family": o.mono ? MONO : undefined,
      fill: o.fill ?? INK,
      transform: o.rotate ? `rotate(${o.rotate} ${round(x)} ${round(y)})` : undefined,
    },
    title + (escapeXml(content) || " "),
  );
}

export function line(x1: number, y1: number, x2: number, y2: number, stroke: string, extra: Attrs = {}): string {
  return el("line", { x1: round(x1), y1: round(y1), x2: round(x2), y2: round(y2), stroke, ...extra });
}

export function rect(x: number, y: number, w: number, h: number, extra: Attrs = {}): string {
  return el("rect", { x: round(x), y: round(y), width: round(w), height: round(h), ...extra });
}

/** A whole picture: fixed pixel size, white background, DejaVu Sans as the default font. */
export function svgDocument(width: number, height: number, body: string): string {
  const w = Math.ceil(width);
  const h = Math.ceil(height);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ` +
    `font-family="${FONT}">` +
    rect(0, 0, w, h, { fill: "#ffffff" }) +
    body +
    `</svg>`
  );
}

/** Pixel size declared on an svgDocument's root element. */
export function svgSize(svg: string): { width: number; height: number } {
  const m = /<svg[^>]*\bwidth="(\d+(?:\.\d+)?)"[^>]*\bheight="(\d+(?:\.\d+)?)"/.exec(svg);
  if (!m) throw new Error("SVG has no width/height on its root element");
  return { width: Number(m[1]), height: Number(m[2]) };
}

export function round(v: number): number {
  return Math.round(v * 10) / 10;
}

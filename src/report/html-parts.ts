// Building blocks for report.html: escaping, number formats, tables and images.
// Everything that came from a file passes through escapeHtml before it reaches the page.
import { escapeXml, groupDigits } from "./svg.js";
import type { CsvTable } from "./types.js";

export const escapeHtml = escapeXml;

/** 0.931 → "93.1%"; undefined or NaN → "—" (the metric did not exist for this run). */
export function pct(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? "—" : `${(v * 100).toFixed(1)}%`;
}

export function fixed(v: number | undefined, digits = 3): string {
  return v === undefined || !Number.isFinite(v) ? "—" : v.toFixed(digits);
}

export function integer(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? "—" : groupDigits(v);
}

/** 51.2 → "51.2 s"; 3725 → "1 h 2 min". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "—";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** An inline PNG. `width` is the CSS width; pictures are rendered at 2× for sharp screens. */
export function img(png: Uint8Array, alt: string, width?: number): string {
  const w = width !== undefined ? ` width="${Math.round(width)}"` : "";
  return `<img src="data:image/png;base64,${Buffer.from(png).toString("base64")}" alt="${escapeHtml(alt)}"${w}>`;
}

export interface Cell {
  text: string;
  /** Right-aligned, tabular figures. */
  num?: boolean;
  cls?: string;
  /** Raw inline style, built by this module only (never from file content). */
  style?: string;
}

function cellHtml(tag: "td" | "th", c: Cell | string): string {
  const cell = typeof c === "string" ? { text: c } : c;
  const classes = [cell.num ? "num" : "", cell.cls ?? ""].filter(Boolean).join(" ");
  const cls = classes ? ` class="${classes}"` : "";
  const style = cell.style ? ` style="${cell.style}"` : "";
  return `<${tag}${cls}${style}>${escapeHtml(cell.text)}</${tag}>`;
}

export function table(head: Array<Cell | string>, rows: Array<Array<Cell | string>>, foot: Array<Array<Cell | string>> = []): string {
  const tr = (tag: "td" | "th", r: Array<Cell | string>) => `<tr>${r.map((c) => cellHtml(tag, c)).join("")}</tr>`;
  const tfoot = foot.length ? `<tfoot>${foot.map((r) => tr("td", r)).join("")}</tfoot>` : "";
  return `<div class="scroll"><table><thead>${tr("th", head)}</thead><tbody>${rows.map((r) => tr("td", r)).join("\n")}</tbody>${tfoot}</table></div>`;
}

/** A CSV shown as it is; cells that look like numbers are right-aligned. */
export function csvTable(t: CsvTable, limit = Infinity): string {
  const numeric = (s: string) => s.trim() !== "" && Number.isFinite(Number(s));
  const rows = t.rows.slice(0, limit).map((r) => t.columns.map((_, i) => ({ text: r[i] ?? "", num: numeric(r[i] ?? "") })));
  const head = t.columns.map((c, i) => ({ text: c, num: t.rows.length > 0 && t.rows.every((r) => numeric(r[i] ?? "")) }));
  return table(head, rows);
}

/** A light bar behind a score cell (F1), so weak classes stand out at a glance. */
export function scoreCell(v: number | undefined): Cell {
  const cell: Cell = { text: fixed(v), num: true };
  if (v !== undefined && Number.isFinite(v)) {
    const p = Math.round(Math.min(1, Math.max(0, v)) * 100);
    cell.style = `background: linear-gradient(to left, #dbeafe ${p}%, transparent ${p}%)`;
  }
  return cell;
}

// The report layer: turns a run directory's history, metrics, architecture and data issues
// into curves.png, confusion.png, architecture.png and report.html in the same directory,
// plus compare.png and robustness.png when compare.csv / robustness.csv are there.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { architectureSvg, noArchitectureSvg } from "./architecture.js";
import { compareSvg } from "./compare.js";
import { confusionSvg } from "./confusion.js";
import { curvesSvg } from "./curves.js";
import { reportHtml, type PageImage } from "./html.js";
import { svgToPng } from "./png.js";
import { readRun } from "./read-run.js";
import { robustnessSvg } from "./robustness.js";
import { svgSize } from "./svg.js";

export { architectureSvg, noArchitectureSvg, formatShape } from "./architecture.js";
export { confusionSvg } from "./confusion.js";
export { compareSvg, compareGroups, compareHeadline, COMPARE_TITLE } from "./compare.js";
export type { CompareGroup, CompareHeadline, Spread } from "./compare.js";
export { robustnessSvg, summariseRobustness, accuracyLabel, ROBUSTNESS_TITLE } from "./robustness.js";
export type { RobustnessSummary, RobustnessSeries, RobustnessPoint } from "./robustness.js";
export { compareSentence } from "./html-extras.js";
export { curvesSvg, bestValidationEpoch } from "./curves.js";
export { reportHtml } from "./html.js";
export { svgToPng, pngSize } from "./png.js";
export { readRun, parseHistory, parseMetrics, parseArchitecture, parseCompare, parseRobustness } from "./read-run.js";
export { compareRows, robustnessRows, COMPARE_COLUMNS, ROBUSTNESS_COLUMNS } from "./read-extras.js";
export type { RunData } from "./read-run.js";
export type * from "./types.js";

/** PNGs hold twice the SVG's pixels so they stay sharp on high-density screens and in print. */
export const PNG_SCALE = 2;

export const REPORT_FILES = ["curves.png", "confusion.png", "architecture.png", "report.html"] as const;

function picture(svg: string): PageImage {
  const { width } = svgSize(svg);
  return { png: svgToPng(svg, width * PNG_SCALE), width };
}

/**
 * Writes curves.png, confusion.png, architecture.png and report.html into `runDir`,
 * reading only the files there — and compare.png / robustness.png, drawn from compare.csv /
 * robustness.csv when those exist (replacing any picture of that name). Throws an Error
 * naming the file when history.csv or metrics.json is missing, or any of these is malformed.
 */
export async function writeReport(runDir: string): Promise<{ files: string[] }> {
  const run = await readRun(runDir);
  const m = run.metrics;
  const images = {
    curves: picture(curvesSvg(run.history, { bestEpoch: m.best_epoch })),
    confusion: picture(confusionSvg(m.classes, m.test.confusion)),
    architecture: picture(run.architecture ? architectureSvg(run.architecture) : noArchitectureSvg()),
    compare: run.compare ? picture(compareSvg(run.compare)) : undefined,
    robustness: run.robustness ? picture(robustnessSvg(run.robustness)) : undefined,
  };
  const outputs: Array<[string, Uint8Array | string]> = [
    ["curves.png", images.curves.png],
    ["confusion.png", images.confusion.png],
    ["architecture.png", images.architecture.png],
  ];
  if (images.compare) outputs.push(["compare.png", images.compare.png]);
  if (images.robustness) outputs.push(["robustness.png", images.robustness.png]);
  outputs.push(["report.html", reportHtml(run, images)]);
  const files: string[] = [];
  for (const [name, data] of outputs) {
    const path = join(runDir, name);
    await writeFile(path, data);
    files.push(path);
  }
  return { files };
}

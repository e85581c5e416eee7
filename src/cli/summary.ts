// The one-screen summary printed after a run or an evaluation.
import type { Metrics } from "../training/metrics.js";
import type { RunSummary } from "../training/run.js";

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function metricsTable(classes: string[], m: Metrics): string {
  const width = Math.max(8, ...classes.map((c) => c.length));
  const lines = [`  ${"class".padEnd(width)}  precision  recall     f1  support`];
  for (const c of classes) {
    const p = m.per_class[c];
    if (!p) continue;
    lines.push(`  ${c.padEnd(width)}  ${pct(p.precision).padStart(9)}  ${pct(p.recall).padStart(6)}  ${pct(p.f1).padStart(5)}  ${String(p.support).padStart(7)}`);
  }
  return lines.join("\n");
}

const STOPPED = { none: "", early_stopping: " (stopped early: validation stopped improving)", time_limit: " (stopped by the time limit)" };

export function runSummary(s: RunSummary): string {
  return [
    "",
    `test accuracy ${pct(s.test.accuracy)}, macro-F1 ${pct(s.test.macro_f1)} on ${s.rows.test} rows (validation ${pct(s.validation.accuracy)})`,
    metricsTable(s.classes, s.test),
    ...s.baselineVerdicts,
    `rows: ${s.rows.train} train, ${s.rows.validation} validation, ${s.rows.test} test; data issues: ${s.dataIssues}${s.dataIssues ? ` (data_issues.csv: ${s.dataIssuesByColumn.map(([c, n]) => `${c} ${n}`).join(", ")})` : ""}`,
    `epochs: ${s.epochsRun}${STOPPED[s.stoppedBy ?? "none"]}, best ${s.bestEpoch}${s.plannedEpochs !== null ? `; the time limit allowed ${s.plannedEpochs}` : ""}; ${s.trainSeconds.toFixed(1)} s on ${s.device}`,
    `run directory: ${s.dir} (report.html)`,
  ].join("\n");
}

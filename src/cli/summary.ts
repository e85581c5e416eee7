// The one-screen summary printed after a run or an evaluation.
import type { Metrics } from "../training/metrics.js";
import type { RunSummary } from "../training/run.js";

// A score that does not exist (no labelled rows) is NaN: shown as a dash, never as "NaN%".
const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : "—");

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

/** "validation 62.5%", or that there was nothing to score there. */
function validationPart(s: RunSummary): string {
  return s.rows.validation > 0 && Number.isFinite(s.validation.accuracy) ? `validation ${pct(s.validation.accuracy)}` : "no validation rows";
}

/** The test scores, or a plain statement that the run had no test rows to score. */
function testLines(s: RunSummary): string[] {
  if (s.rows.test === 0 || !Number.isFinite(s.test.accuracy)) {
    return [`no test rows: the test split is empty, so the run has no test accuracy (${validationPart(s)})`];
  }
  return [`test accuracy ${pct(s.test.accuracy)}, macro-F1 ${pct(s.test.macro_f1)} on ${s.rows.test} rows (${validationPart(s)})`, metricsTable(s.classes, s.test)];
}

export function runSummary(s: RunSummary): string {
  return [
    "",
    ...testLines(s),
    ...s.baselineVerdicts,
    `rows: ${s.rows.train} train, ${s.rows.validation} validation, ${s.rows.test} test; data issues: ${s.dataIssues}${s.dataIssues ? ` (data_issues.csv: ${s.dataIssuesByColumn.map(([c, n]) => `${c} ${n}`).join(", ")})` : ""}`,
    `epochs: ${s.epochsRun}${STOPPED[s.stoppedBy ?? "none"]}, best ${s.bestEpoch}${s.plannedEpochs !== null ? `; the time limit allowed ${s.plannedEpochs}` : ""}; ${s.trainSeconds.toFixed(1)} s on ${s.device}`,
    `run directory: ${s.dir} (report.html)`,
  ].join("\n");
}

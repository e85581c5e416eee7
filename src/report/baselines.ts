// The report's "Against linear baselines" section: the model's accuracy beside a logistic
// regression per input and their late fusion, fitted in the same run on the same rows, and
// a verdict in plain words whenever the model loses to any of them.
import { escapeHtml, pct, table } from "./html-parts.js";
import type { Metrics } from "./types.js";

export interface BaselineScores {
  validation: number | null;
  test: number | null;
}

export interface RunBaselines {
  inputs: Record<string, BaselineScores>;
  late_fusion: BaselineScores;
  seconds?: number;
}

type Part = "test" | "validation";

/** The sentences the section states (exported for the CLI summary and the tests). */
export function baselineVerdicts(m: Record<Part, { accuracy: number }>, b: RunBaselines): string[] {
  // Judged on test rows; on validation rows where the run had no test rows.
  const part: Part = b.late_fusion.test !== null && Number.isFinite(m.test.accuracy) ? "test" : "validation";
  const model = m[part].accuracy;
  const late = b.late_fusion[part];
  const singles = Object.entries(b.inputs).filter((e): e is [string, BaselineScores & Record<Part, number>] => e[1][part] !== null);
  const best = singles.reduce<[string, number] | null>((top, [name, s]) => (top === null || s[part] > top[1] ? [name, s[part]] : top), null);
  if (!Number.isFinite(model) || late === null) return [`No ${part} rows to compare on.`];
  const verdicts: string[] = [];
  if (model < late) verdicts.push(`The model is below its linear baseline: ${pct(model)} ${part} accuracy against ${pct(late)} for the late fusion of one logistic regression per input.`);
  if (best && model < best[1]) verdicts.push(`The model is below the linear baseline of ${best[0]} alone: ${pct(model)} against ${pct(best[1])}.`);
  if (best && late < best[1]) verdicts.push(`Fusing the linear models loses to ${best[0]} alone (${pct(late)} against ${pct(best[1])}): the other inputs add noise there.`);
  if (verdicts.length === 0) verdicts.push(`The model beats its linear baselines: ${pct(model)} ${part} accuracy against ${pct(late)} for their late fusion${best ? ` and ${pct(best[1])} for the best single input (${best[0]})` : ""}.`);
  return verdicts;
}

export interface RunEnsemble {
  network_weight: number;
  linear_weight: number;
  network_alone: { validation: number; test: number };
}

/** How the model's prediction is made, when it is an ensemble with its linear members. */
function ensembleNote(e: RunEnsemble | undefined): string {
  if (!e) return "";
  if (e.linear_weight === 0) return `The network alone makes the predictions: adding its linear members did not help on validation rows.`;
  const mix = e.network_weight === 0 ? "the linear members alone (they beat the network on validation rows)" : `the network's log-probabilities plus ${e.linear_weight} × the linear members' late fusion, a weight chosen on validation rows`;
  return `The model's predictions are an ensemble: ${mix}. The network alone scored ${pct(e.network_alone.validation)} on validation and ${pct(e.network_alone.test)} on test rows.`;
}

export function baselinesBody(m: Metrics, b: RunBaselines): string {
  const row = (name: string, s: BaselineScores) => [name, { text: pct(s.validation ?? undefined), num: true }, { text: pct(s.test ?? undefined), num: true }];
  const rows = [
    [`the model (${m.fusion ?? "fused"})`, { text: pct(m.validation.accuracy), num: true }, { text: pct(m.test.accuracy), num: true }],
    row("logistic regression, late fusion", b.late_fusion),
    ...Object.entries(b.inputs).map(([name, s]) => row(`logistic regression, ${name} only`, s)),
  ];
  const verdicts = [...baselineVerdicts(m, b), ensembleNote(m.ensemble as RunEnsemble | undefined)].filter(Boolean).map((v) => `<p class="verdict">${escapeHtml(v)}</p>`);
  const how =
    "Each input's logistic regression sees simple features — the scaled numbers and one-hot categories, the pixels, each mel band's mean, spread and peak over time — and is scored on the rows that have that input; the late fusion sums their log-probabilities over the inputs each row has.";
  const seconds = b.seconds !== undefined ? ` Fitted in ${b.seconds.toFixed(1)} s.` : "";
  return `${verdicts.join("\n")}\n${table(["", { text: "validation", num: true }, { text: "test", num: true }], rows)}\n<p>${escapeHtml(how + seconds)}</p>`;
}

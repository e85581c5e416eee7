// predictions.csv as `predict` writes it and the server returns it: the id (or row), the
// prediction, its confidence, each class's probability and, when explained, each input's
// contribution.
import { stringify } from "csv-stringify/sync";
import type { Prediction } from "./inference.js";

export function predictionsCsv(predictions: Prediction[], o: { classes: string[]; hasId: boolean; inputs: string[] }): string {
  const header = [o.hasId ? "id" : "row", "prediction", "confidence", ...o.classes.map((c) => `prob_${c}`), ...o.inputs.map((m) => `contrib_${m}`)];
  const rows = predictions.map((p) => [
    p.id,
    p.prediction,
    p.confidence.toFixed(6),
    ...o.classes.map((c) => (p.probabilities[c] as number).toFixed(6)),
    ...o.inputs.map((m) => (p.contributions?.[m] ?? 0).toFixed(6)),
  ]);
  return stringify([header, ...rows]);
}

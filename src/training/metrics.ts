// Classification metrics from true and predicted class indices. With no labelled rows
// (an empty test split) no score exists: accuracy, macro-F1 and the per-class scores are
// NaN, which metrics.json holds as null and every reader shows as "no rows", never 0%.

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Metrics {
  /** NaN when there were no labelled rows (null in metrics.json). */
  accuracy: number;
  /** NaN when there were no labelled rows (null in metrics.json). */
  macro_f1: number;
  loss?: number;
  per_class: Record<string, ClassMetrics>;
  /** Rows: true class; columns: predicted class. */
  confusion: number[][];
  rows: number;
}

export function classificationMetrics(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: string[], loss?: number): Metrics {
  const k = classes.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] as number;
    const p = predicted[i] as number;
    (confusion[t] as number[])[p] = ((confusion[t] as number[])[p] as number) + 1;
    if (t === p) correct++;
  }
  const per_class: Record<string, ClassMetrics> = {};
  let f1Sum = 0;
  classes.forEach((name, c) => {
    const tp = (confusion[c] as number[])[c] as number;
    const support = (confusion[c] as number[]).reduce((a, b) => a + b, 0);
    const predictedCount = confusion.reduce((a, row) => a + (row[c] as number), 0);
    const precision = predictedCount ? tp / predictedCount : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    per_class[name] = truth.length ? { precision, recall, f1, support } : { precision: NaN, recall: NaN, f1: NaN, support };
    f1Sum += f1;
  });
  return {
    accuracy: truth.length ? correct / truth.length : NaN,
    macro_f1: truth.length && k ? f1Sum / k : NaN,
    ...(loss === undefined ? {} : { loss }),
    per_class,
    confusion,
    rows: truth.length,
  };
}

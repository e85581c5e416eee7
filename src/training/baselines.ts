// The linear baselines every run measures itself against: one multinomial logistic
// regression per input on simple features (the numbers and one-hot categories; the
// pixels; each mel band's mean, spread and peak over time), and their late fusion (the
// log-probabilities of the inputs a row has, summed). Fitted on the training rows, the
// L2 strength chosen on the validation rows, scored on validation and test — in seconds,
// so a report can say plainly whether the model beats the simplest thing that could work.
import type { TensorDataset } from "../data/dataset.js";
import type { InputState } from "../inputs/kind.js";
import { kindOf } from "../inputs/registry.js";
import { simpleFeatures, type LinearModel } from "../model/linear-members.js";
import { F, arange, cat, keep, noGrad, optim, tensor, tidy, zeros, type Tensor } from "../torch/index.js";

export interface BaselineScore {
  validation: number | null;
  test: number | null;
}

export interface Baselines {
  /** Accuracy of each input's logistic regression, on the rows that have that input. */
  inputs: Record<string, BaselineScore & { l2: number; features: number }>;
  /** Accuracy of their late fusion on all rows (a row with no input gets the training prior). */
  late_fusion: BaselineScore;
  seconds: number;
}

const L2_PATH = [1, 1e-1, 1e-2, 1e-3, 1e-4];
const FIRST_STEPS = 150;
const PATH_STEPS = 60;
const CHUNK = 1024;

interface Design {
  x: Tensor;
  labels: Tensor;
  present: Record<string, Tensor>;
}

/** Every row's simple features per input, built in chunks (kept; the caller disposes). */
function design(data: TensorDataset, inputs: InputState[], device: string): Record<string, Design> {
  const out: Record<string, { xs: Tensor[]; labels: Tensor[]; present: Tensor[] }> = {};
  for (const input of inputs) out[input.name] = { xs: [], labels: [], present: [] };
  for (let start = 0; start < data.size; start += CHUNK) {
    tidy(() => {
      const batch = data.batch(arange(start, Math.min(data.size, start + CHUNK), 1, { device }));
      for (const input of inputs) {
        const o = out[input.name] as { xs: Tensor[]; labels: Tensor[]; present: Tensor[] };
        o.xs.push(keep(simpleFeatures(batch, input).float()));
        // Each input's design owns its rows' labels (a few bytes a row).
        o.labels.push(keep(batch.labels.clone()));
        o.present.push(keep((batch.present[input.name] as Tensor).clone()));
      }
    });
  }
  const result: Record<string, Design> = {};
  for (const input of inputs) {
    const o = out[input.name] as { xs: Tensor[]; labels: Tensor[]; present: Tensor[] };
    // A part without rows (an empty test split) has nothing to concatenate: its design is
    // zero rows of the input's width, which scores as "no rows" (null), not as a crash.
    result[input.name] =
      o.xs.length === 0
        ? { x: keep(zeros([0, kindOf(input).simpleWidth(input)], { device })), labels: keep(zeros([0], { dtype: "int64", device })), present: { [input.name]: keep(zeros([0], { dtype: "bool", device })) } }
        : { x: keep(cat(o.xs, 0)), labels: keep(cat(o.labels, 0)), present: { [input.name]: keep(cat(o.present, 0)) } };
    for (const t of [...o.xs, ...o.labels, ...o.present]) t.dispose();
  }
  return result;
}

type Fitted = LinearModel;

/**
 * Multinomial logistic regressions by full-batch Adam (the problem is convex and small),
 * one per L2 strength, strongest first, each starting from the previous solution: the
 * path costs little more than one fit.
 */
function fitLogisticPath(x: Tensor, y: Tensor, classes: number): { l2: number; fitted: Fitted }[] {
  const mean = x.mean(0, true);
  const std = x.std(0, true, false).clamp(1e-6);
  const weight = keep(zeros([x.size(1), classes], { device: x.device }).requiresGrad_(true));
  const bias = keep(zeros([classes], { device: x.device }).requiresGrad_(true));
  const xs = keep(x.sub(mean).div(std));
  const path: { l2: number; fitted: Fitted }[] = [];
  try {
    L2_PATH.forEach((l2, i) => {
      const opt = new optim.Adam([weight, bias], { lr: 0.05 });
      try {
        const steps = i === 0 ? FIRST_STEPS : PATH_STEPS;
        for (let step = 0; step < steps; step++) {
          // Adam's steps do not shrink near the optimum by themselves: without a decaying
          // rate a strongly penalised fit jitters around weights far smaller than its steps.
          opt.lr = 0.025 * (1 + Math.cos((Math.PI * step) / steps));
          tidy(() => {
            opt.zeroGrad();
            F.crossEntropy(xs.matmul(weight).add(bias), y).add(weight.pow(2).sum().mul(l2 / 2)).backward();
            opt.step();
          });
        }
      } finally {
        opt.dispose();
      }
      path.push({ l2, fitted: noGrad(() => ({ weight: keep(weight.detach().clone()), bias: keep(bias.detach().clone()), mean: keep(mean.clone()), std: keep(std.clone()) })) });
    });
  } finally {
    for (const t of [weight, bias, xs, mean, std]) t.dispose();
  }
  return path;
}

function logProbs(f: Fitted, x: Tensor): Tensor {
  return noGrad(() => x.sub(f.mean).div(f.std).matmul(f.weight).add(f.bias).logSoftmax(1));
}

function accuracy(logp: Tensor, labels: Tensor, rows: Tensor): number | null {
  const known = rows.logicalAnd(labels.ge(0));
  const n = known.sum().item();
  if (n === 0) return null;
  return logp.argmax(1).eq(labels).logicalAnd(known).sum().item() / n;
}

/** Frees the fitted models linearBaselines returns. */
export function disposeModels(models: Record<string, LinearModel>): void {
  for (const f of Object.values(models)) dispose(f);
}

/** Rows of a part that have input m and a label. */
function rowsWith(d: Design, m: string): number[] {
  const [present, labels] = tidy(() => [(d.present[m] as Tensor).toArray() as boolean[] | number[], d.labels.toArray() as number[]]);
  const rows: number[] = [];
  present.forEach((p, i) => {
    if (p && (labels[i] as number) >= 0) rows.push(i);
  });
  return rows;
}

/** Training class frequencies, smoothed by one count per class, [1, C]. */
function classPrior(train: Record<string, Design>, classes: number, device: string): Tensor {
  const counts = new Float32Array(classes).fill(1);
  const labels = Object.values(train)[0]?.labels;
  if (labels) for (const c of tidy(() => labels.toArray() as number[])) if (c >= 0) counts[c] = (counts[c] as number) + 1;
  const total = counts.reduce((a, b) => a + b, 0);
  return tensor(counts.map((c) => c / total), [1, classes], { device });
}

function dispose(f: Fitted): void {
  for (const t of [f.weight, f.bias, f.mean, f.std]) t.dispose();
}

export function linearBaselines(
  parts: { train: TensorDataset; validation: TensorDataset; test: TensorDataset },
  inputStates: InputState[],
  classes: number,
  device: string,
): { report: Baselines; models: Record<string, LinearModel> } {
  const started = performance.now();
  const sets = { train: design(parts.train, inputStates, device), validation: design(parts.validation, inputStates, device), test: design(parts.test, inputStates, device) };
  const inputs: Baselines["inputs"] = {};
  const models: Record<string, LinearModel> = {};
  // The sums start from a vanishing multiple of the training prior: it decides only rows
  // that have no input at all.
  const prior = tidy(() => keep(classPrior(sets.train, classes, device).log().mul(1e-6)));
  const fused = { validation: prior, test: prior };
  try {
    for (const m of inputStates.map((i) => i.name)) {
      const [tr, va, te] = [sets.train[m], sets.validation[m], sets.test[m]] as [Design, Design, Design];
      const rows = rowsWith(tr, m);
      if (rows.length < 2) continue;
      const [x, y] = tidy(() => {
        const index = tensor(rows, [rows.length], { dtype: "int64", device });
        return [keep(tr.x.indexSelect(0, index)), keep(tr.labels.indexSelect(0, index))];
      });
      let best: { fitted: Fitted; l2: number; val: number } | null = null;
      for (const { l2, fitted } of tidy(() => fitLogisticPath(x, y, classes))) {
        // Without validation rows the strongest penalty stands.
        const val = tidy(() => accuracy(logProbs(fitted, va.x), va.labels, va.present[m] as Tensor)) ?? -1;
        if (!best || val > best.val) {
          if (best) dispose(best.fitted);
          best = { fitted, l2, val };
        } else dispose(fitted);
      }
      x.dispose();
      y.dispose();
      const chosen = best as { fitted: Fitted; l2: number };
      for (const [part, d] of [["validation", va], ["test", te]] as const) {
        tidy(() => {
          const mask = (d.present[m] as Tensor).float().unsqueeze(1);
          const term = logProbs(chosen.fitted, d.x).mul(mask);
          const sum = fused[part];
          fused[part] = keep(sum.add(term));
          if (sum !== prior) sum.dispose();
        });
      }
      inputs[m] = {
        validation: tidy(() => accuracy(logProbs(chosen.fitted, va.x), va.labels, va.present[m] as Tensor)),
        test: tidy(() => accuracy(logProbs(chosen.fitted, te.x), te.labels, te.present[m] as Tensor)),
        l2: chosen.l2,
        features: va.x.size(1),
      };
      models[m] = chosen.fitted;
    }
    const lateFusion = (part: "validation" | "test"): number | null =>
      tidy(() => {
        const d = Object.values(sets[part])[0];
        return d && Object.keys(inputs).length > 0 ? accuracy(fused[part].expand([d.labels.size(0), classes]), d.labels, d.labels.ge(0)) : null;
      });
    const report = { inputs, late_fusion: { validation: lateFusion("validation"), test: lateFusion("test") }, seconds: Number(((performance.now() - started) / 1000).toFixed(2)) };
    return { report, models };
  } finally {
    for (const t of new Set([prior, fused.validation, fused.test])) t.dispose();
    for (const set of Object.values(sets)) for (const d of Object.values(set)) for (const t of [d.x, d.labels, ...Object.values(d.present)]) t.dispose();
  }
}

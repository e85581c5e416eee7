// Optimizers and schedules against torch.optim on identical parameters and losses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { F, optim, tidy, type Tensor } from "../../src/torch/index.js";
import { assertClose, makeInputs, probeLike, runReference, toTensors, type WireCase } from "../helpers/reference.js";

const EXPR = "F.linear(torch.tanh(F.linear(x, w1, b1)), w2)";
const inputs = (name: string) => makeInputs(name, { x: { shape: [6, 4], grad: false }, w1: { shape: [5, 4] }, b1: { shape: [5] }, w2: { shape: [3, 5] } });

interface OptimCase {
  name: string;
  kind: "sgd" | "adam" | "adamw";
  options: Record<string, unknown>;
  clip?: number;
  make: (params: Tensor[]) => optim.Optimizer;
}

const optimCases: OptimCase[] = [
  { name: "sgd", kind: "sgd", options: { lr: 0.1 }, make: (p) => new optim.SGD(p, { lr: 0.1 }) },
  { name: "sgd momentum decay", kind: "sgd", options: { lr: 0.05, momentum: 0.9, weight_decay: 0.01, dampening: 0.1 }, make: (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9, weightDecay: 0.01, dampening: 0.1 }) },
  { name: "sgd nesterov", kind: "sgd", options: { lr: 0.05, momentum: 0.9, nesterov: true }, make: (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true }) },
  { name: "adam", kind: "adam", options: { lr: 0.01 }, make: (p) => new optim.Adam(p, { lr: 0.01 }) },
  { name: "adam l2 betas", kind: "adam", options: { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, weight_decay: 0.1 }, make: (p) => new optim.Adam(p, { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 }) },
  { name: "adamw", kind: "adamw", options: { lr: 0.01, weight_decay: 0.05 }, make: (p) => new optim.AdamW(p, { lr: 0.01, weightDecay: 0.05 }) },
  { name: "adamw clipped", kind: "adamw", options: { lr: 0.01 }, clip: 0.5, make: (p) => new optim.AdamW(p, { lr: 0.01 }) },
];

test("SGD, Adam and AdamW take PyTorch's steps", () => {
  const steps = 5;
  const wire: WireCase[] = optimCases.map((c) => ({
    name: c.name,
    inputs: inputs(c.name),
    expr: EXPR,
    optim: { kind: c.kind, options: c.options, steps, ...(c.clip ? { clip: c.clip } : {}) },
  }));
  const { results } = runReference(wire);
  for (const [i, c] of optimCases.entries()) {
    const ref = results[c.name];
    assert.ok(ref?.params, `${c.name}: ${ref?.error}`);
    const t = toTensors((wire[i] as WireCase).inputs);
    const [x, w1, b1, w2] = [t.x, t.w1, t.b1, t.w2] as Tensor[] as [Tensor, Tensor, Tensor, Tensor];
    const opt = c.make([w1, b1, w2]);
    for (let s = 0; s < steps; s++) {
      tidy(() => {
        opt.zeroGrad();
        const out = F.linear(F.linear(x, w1, b1).tanh(), w2);
        out.mul(probeLike(out)).sum().backward();
        if (c.clip) optim.clipGradNorm([w1, b1, w2], c.clip);
        opt.step();
      });
    }
    for (const [name, p] of Object.entries({ w1, b1, w2 })) assertClose(p.toArray(), ref.params[name] ?? [], `${c.name} ${name}`, 1e-5, 1e-6);
    opt.dispose();
    for (const v of Object.values(t)) v.dispose();
  }
});

test("step and plateau schedules follow torch.optim.lr_scheduler", () => {
  const metrics = [1, 0.9, 0.95, 0.96, 0.97, 0.98, 0.85, 0.9, 0.91, 0.92, 0.93, 0.94];
  const { results } = runReference([
    { name: "step", inputs: {}, schedule: { kind: "step", lr: 0.1, stepSize: 3, gamma: 0.5, metrics } },
    { name: "plateau", inputs: {}, schedule: { kind: "plateau", lr: 0.1, mode: "min", factor: 0.5, patience: 2, threshold: 1e-4, cooldown: 1, minLr: 0.01, metrics } },
  ]);
  const param = toTensors(makeInputs("p", { p: { shape: [1] } })).p as Tensor;
  const run = (make: (o: optim.Optimizer) => optim.Schedule) => {
    const opt = new optim.SGD([param], { lr: 0.1 });
    const schedule = make(opt);
    return metrics.map((m) => {
      schedule.step(m);
      return opt.lr;
    });
  };
  assertClose(run((o) => new optim.StepDecay(o, { stepSize: 3, gamma: 0.5 })), results.step?.lrs ?? [], "StepLR", 1e-12, 1e-12);
  assertClose(run((o) => new optim.ReduceOnPlateau(o, { factor: 0.5, patience: 2, cooldown: 1, minLr: 0.01 })), results.plateau?.lrs ?? [], "ReduceLROnPlateau", 1e-12, 1e-12);
  param.dispose();
});

test("cosine with warm-up rises linearly, peaks at the base rate, and ends at the floor", () => {
  const param = toTensors(makeInputs("q", { p: { shape: [1] } })).p as Tensor;
  const opt = new optim.SGD([param], { lr: 1 });
  const schedule = new optim.CosineWithWarmup(opt, { warmupSteps: 4, totalSteps: 14, minLr: 0.1 });
  const lrs = [opt.lr];
  for (let i = 0; i < 14; i++) {
    schedule.step();
    lrs.push(opt.lr);
  }
  assertClose(lrs.slice(0, 5), [0.2, 0.4, 0.6, 0.8, 1], "warm-up", 1e-12, 1e-12);
  assert.ok(lrs.slice(4).every((lr, i, a) => i === 0 || lr <= (a[i - 1] as number)), "decays monotonically after warm-up");
  assertClose([lrs[9] as number], [0.55], "half way", 1e-12, 1e-12);
  assertClose([lrs[14] as number], [0.1], "end", 1e-12, 1e-12);
  param.dispose();
});

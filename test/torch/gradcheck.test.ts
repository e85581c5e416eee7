// Autograd against central finite differences in float64, independent of PyTorch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { F, nn, noGrad, tensor, tidy, type Tensor } from "../../src/torch/index.js";
import { assertClose, prng } from "../helpers/reference.js";

/** d(sum(f(x) * probe))/dx by central differences, one element at a time. */
function numericGradient(f: (x: Tensor) => Tensor, values: number[], shape: number[], probe: number[], h = 1e-6): number[] {
  const objective = (v: number[]) =>
    tidy(() => {
      const out = f(tensor(v, shape, { dtype: "float64" })).toArray();
      return out.reduce((s, o, i) => s + o * (probe[i % probe.length] as number), 0);
    });
  return values.map((_, i) => {
    const up = values.slice();
    const down = values.slice();
    up[i] = (up[i] as number) + h;
    down[i] = (down[i] as number) - h;
    return (objective(up) - objective(down)) / (2 * h);
  });
}

function check(name: string, shape: number[], f: (x: Tensor) => Tensor): void {
  const random = prng(name);
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, () => random() * 2 - 1);
  const probe = Array.from({ length: 64 }, (_, i) => Math.cos(0.37 * i) + 0.1);
  const analytic = tidy(() => {
    const x = tensor(values, shape, { dtype: "float64" }).requiresGrad_(true);
    const out = f(x);
    const numel = out.numel;
    const p = tensor(Array.from({ length: numel }, (_, i) => probe[i % probe.length] as number), out.shape, { dtype: "float64" });
    out.mul(p).sum().backward();
    return (x.grad as Tensor).toArray();
  });
  assertClose(analytic, numericGradient(f, values, shape, probe), `${name} gradient`, 1e-5, 1e-6);
}

function float64(m: nn.Module): void {
  noGrad(() => {
    for (const p of [...m.parameters(), ...m.namedBuffers().map(([, b]) => b)]) {
      if (p.dtype !== "float32") continue;
      const d = p.to({ dtype: "float64" });
      p.setData(d);
      d.dispose();
    }
  });
}

test("conv2d, pooling and a linear head differentiate correctly", () => {
  const conv = new nn.Conv2d(2, 3, 3, { padding: 1 });
  const head = new nn.Linear(3 * 2 * 2, 4);
  float64(conv);
  float64(head);
  check("conv-pool-linear", [2, 2, 4, 4], (x) => head.forward(F.maxPool2d(conv.forward(x).relu(), 2).flatten(1)).gelu());
  conv.dispose();
  head.dispose();
});

test("normalisation layers differentiate correctly", () => {
  const bn = new nn.BatchNorm1d(3);
  const ln = new nn.LayerNorm(3);
  float64(bn);
  float64(ln);
  check("batch norm", [5, 3], (x) => bn.forward(x).tanh());
  check("layer norm", [4, 3], (x) => ln.forward(x).sigmoid());
  bn.dispose();
  ln.dispose();
});

test("softmax cross-entropy differentiates correctly", () => {
  const target = tensor([0, 2, 1, 2], [4], { dtype: "int64" });
  check("cross entropy", [4, 3], (x) => F.crossEntropy(x, target, { labelSmoothing: 0.05 }));
  target.dispose();
});

test("multi-head attention with a padding mask differentiates correctly", () => {
  const mha = new nn.MultiheadAttention(4, 2);
  float64(mha);
  const mask = tensor([0, 0, 1, 0, 0, 0], [2, 3], { dtype: "bool" });
  check("attention", [2, 3, 4], (x) => mha.forward(x, x, x, { keyPaddingMask: mask }).output);
  mask.dispose();
  mha.dispose();
});

test("the finite-difference check catches a wrong gradient", () => {
  // A function whose gradient autograd cannot see: detach() hides part of it.
  assert.throws(() => check("detached", [3], (x) => x.mul(x.detach())), /gradient/);
});

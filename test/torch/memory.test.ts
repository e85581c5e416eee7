// Deterministic memory: scopes free what they made, keep what is returned or kept, and a
// whole training step leaves the live-tensor count where it started.
import { test } from "node:test";
import assert from "node:assert/strict";
import { F, dispose, keep, liveTensors, manualSeed, nn, noGrad, ones, optim, randint, randn, tidy, zeros, type Tensor } from "../../src/torch/index.js";

test("tidy frees intermediates and hands the result to the enclosing scope", () => {
  const before = liveTensors();
  const outer = tidy(() => {
    const inner = tidy(() => {
      const a = ones([3]);
      const b = a.add(1).mul(2);
      return { b, note: "plain values pass through" };
    });
    assert.equal(inner.b.toArray().join(","), "4,4,4");
    assert.equal(liveTensors(), before + 1, "only the returned tensor survives the inner scope");
    return inner.b.sum();
  });
  assert.equal(outer.item(), 12);
  assert.equal(liveTensors(), before + 1);
  outer.dispose();
  assert.equal(liveTensors(), before);
});

test("tidy frees everything when the function throws", () => {
  const before = liveTensors();
  assert.throws(() =>
    tidy(() => {
      zeros([2]).add(1);
      throw new Error("boom");
    }),
  );
  assert.equal(liveTensors(), before);
});

test("keep lets a tensor outlive its scope; dispose frees nested structures", () => {
  const before = liveTensors();
  let kept: Tensor | null = null;
  const returned = tidy(() => {
    kept = keep(ones([2]));
    zeros([2]);
    return null;
  });
  assert.equal(returned, null);
  assert.equal(liveTensors(), before + 1, "the kept tensor survives, the other is freed");
  assert.deepEqual((kept as unknown as Tensor).toArray(), [1, 1]);
  const many = tidy(() => ({ list: [zeros([1]), ones([1])], map: new Map([["x", ones([2])]]) }));
  assert.equal(liveTensors(), before + 4);
  dispose(many);
  (kept as unknown as Tensor).dispose();
  assert.equal(liveTensors(), before);
});

test("a disposed tensor refuses use instead of crashing", () => {
  const t = ones([2]);
  t.dispose();
  t.dispose();
  assert.throws(() => t.add(1), /disposed/);
  assert.equal(t.isDisposed, true);
});

test("tidy refuses an async function", () => {
  const before = liveTensors();
  assert.throws(() => tidy(() => Promise.resolve(zeros([1]))), /synchronous/);
  assert.equal(liveTensors(), before);
});

test("a full training step leaves the live-tensor count unchanged", () => {
  manualSeed(0);
  const model = new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Dropout(0.5), new nn.Linear(4 * 4 * 4, 3));
  const optimizer = new optim.AdamW(model.parameters(), { lr: 1e-2 });
  const x = randn([8, 1, 8, 8]);
  const y = randint(0, 3, [8]);
  const step = () =>
    tidy(() => {
      optimizer.zeroGrad();
      const loss = F.crossEntropy(model.forward(x), y);
      loss.backward();
      optim.clipGradNorm(model.parameters(), 1.0);
      optimizer.step();
      return loss.item();
    });
  step(); // the first step creates gradients, which live on the parameters
  const before = liveTensors();
  const losses = Array.from({ length: 10 }, step);
  assert.equal(liveTensors(), before, "tensors leaked by a training step");
  const lastThree = losses.slice(-3).reduce((a, b) => a + b, 0) / 3;
  assert.ok(lastThree < (losses[0] as number), `loss should fall on a fixed batch: ${losses.join(", ")}`);
  const evalBefore = liveTensors();
  model.eval();
  tidy(() => noGrad(() => model.forward(x).argmax(1).toArray()));
  assert.equal(liveTensors(), evalBefore);
  optimizer.dispose();
  model.dispose();
  x.dispose();
  y.dispose();
});

test("`using` frees a tensor when its block ends", () => {
  const before = liveTensors();
  {
    using t = ones([4]);
    using total = t.sum();
    assert.equal(liveTensors(), before + 2);
    assert.equal(total.item(), 4);
  }
  assert.equal(liveTensors(), before);
});

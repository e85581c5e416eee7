// Parameter groups: each with its own multiple of the learning rate, weight decay, and the
// step it starts at, with the optimizer's state laid out as for one flat list.
import { test } from "node:test";
import assert from "node:assert/strict";
import { nn, noGrad, optim, tensor, type Tensor } from "../../src/torch/index.js";

class Pair extends nn.Module {
  readonly a: Tensor;
  readonly b: Tensor;
  constructor() {
    super();
    this.a = this.param("a", tensor([1, -2, 3], [3]));
    this.b = this.param("b", tensor([0.5, 0.25], [2]));
  }
}

function stepOnce(opt: optim.Optimizer, m: Pair): void {
  opt.zeroGrad();
  m.a.mul(m.a).sum().add(m.b.mul(m.b).sum()).backward();
  opt.step();
}

const values = (t: Tensor) => Array.from(noGrad(() => t.detach().toTypedArray() as Float32Array));

for (const kind of ["adam", "sgd"] as const) {
  const make = (params: Tensor[] | optim.ParamGroup[]) => (kind === "adam" ? new optim.Adam(params, { lr: 0.1, weightDecay: 0.01 }) : new optim.SGD(params, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 }));

  test(`${kind}: one group with default settings steps as the flat list does`, () => {
    const [flat, grouped] = [new Pair(), new Pair()];
    const [o1, o2] = [make(flat.parameters()), make([{ params: grouped.parameters() }])];
    for (let i = 0; i < 3; i++) [stepOnce(o1, flat), stepOnce(o2, grouped)];
    assert.deepEqual(values(grouped.a), values(flat.a));
    assert.deepEqual(values(grouped.b), values(flat.b));
    assert.equal(o2.stateTensors().length, o1.stateTensors().length);
  });

  test(`${kind}: a group starting at step 2 is untouched before it, then steps as a fresh optimizer at lr × lrScale without decay`, () => {
    const m = new Pair();
    const opt = make([{ params: [m.a] }, { params: [m.b], lrScale: 0.5, weightDecay: 0, startStep: 2 }]);
    const before = values(m.b);
    stepOnce(opt, m);
    stepOnce(opt, m);
    assert.deepEqual(values(m.b), before);
    stepOnce(opt, m);
    const alone = new Pair();
    const fresh = kind === "adam" ? new optim.Adam([alone.b], { lr: 0.05 }) : new optim.SGD([alone.b], { lr: 0.05, momentum: 0.9 });
    fresh.zeroGrad();
    alone.b.mul(alone.b).sum().backward();
    fresh.step();
    assert.deepEqual(values(m.b), values(alone.b));
  });
}

// Module.loadStateDict: strict by default (today's errors), and partial, prefixed loading
// that reports the missing and unexpected keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import { nn, ones, zeros, type Tensor } from "../../src/torch/index.js";

const model = () => new nn.Sequential(new nn.Linear(3, 2), new nn.Linear(2, 1));

test("strict: every tensor must be there, under the prefix", () => {
  const m = model();
  const state = new Map<string, Tensor>([
    ["backbone.0.weight", ones([2, 3])],
    ["backbone.0.bias", ones([2])],
    ["backbone.1.weight", ones([1, 2])],
    ["backbone.1.bias", ones([1])],
    ["head.weight", zeros([4])],
  ]);
  assert.deepEqual(m.loadStateDict(state, { prefix: "backbone." }), { missing: [], unexpected: [] });
  assert.deepEqual(m.stateDict().get("1.bias")?.toArray(), [1]);
  state.delete("backbone.1.bias");
  assert.throws(() => m.loadStateDict(state, { prefix: "backbone." }), /^Error: state dict does not fit the model: tensor backbone\.1\.bias is missing \(expected shape \[1\]\)$/);
  assert.throws(() => m.loadStateDict(state), /tensor 0\.weight is missing/, "without the prefix nothing matches");
  for (const t of state.values()) t.dispose();
  m.dispose();
});

test("strict: false loads what is there and reports the rest", () => {
  const m = model();
  const before = m.stateDict().get("1.weight")?.toArray();
  const state = new Map<string, Tensor>([
    ["backbone.0.weight", ones([2, 3])],
    ["backbone.0.bias", ones([2])],
    ["backbone.extra", zeros([1])],
    ["head.weight", zeros([4])],
  ]);
  const result = m.loadStateDict(state, { strict: false, prefix: "backbone." });
  assert.deepEqual(result, { missing: ["backbone.1.weight", "backbone.1.bias"], unexpected: ["backbone.extra"] });
  assert.deepEqual(m.stateDict().get("0.weight")?.toArray(), [1, 1, 1, 1, 1, 1]);
  assert.deepEqual(m.stateDict().get("1.weight")?.toArray(), before, "tensors not in the state keep their values");
  // A tensor of another shape still fails the whole load, and nothing is copied.
  const wrong = new Map<string, Tensor>([["0.weight", zeros([2, 3])], ["1.weight", zeros([2, 2])]]);
  assert.throws(() => m.loadStateDict(wrong, { strict: false }), /^Error: state dict does not fit the model: tensor 1\.weight has shape \[2, 2\], expected \[1, 2\]$/);
  assert.deepEqual(m.stateDict().get("0.weight")?.toArray(), [1, 1, 1, 1, 1, 1]);
  for (const t of [...state.values(), ...wrong.values()]) t.dispose();
  m.dispose();
});

// The key-matching check: one line listing missing, unexpected and wrong-shape names.
import { test } from "node:test";
import assert from "node:assert/strict";
import { zeros, tidy } from "../../src/torch/index.js";
import { assertWeightsMatch, matchWeights } from "../../src/weights/index.js";

test("matching names and shapes give null", () => {
  tidy(() => {
    const found = new Map([["a", zeros([2, 3])], ["b", zeros([])]]);
    assert.equal(matchWeights(new Map([["a", [2, 3]], ["b", []]]), found), null);
  });
});

test("every kind of mismatch is in one line, lists capped with counts", () => {
  tidy(() => {
    const expected = new Map<string, number[]>([
      ["conv1.weight", [64, 3, 7, 7]],
      ["fc.weight", [10, 512]],
      ["fc.bias", [10]],
      ...Array.from({ length: 7 }, (_, i) => [`extra.${i}`, [1]] as [string, number[]]),
    ]);
    const found = new Map([
      ["conv1.weight", zeros([64, 1, 7, 7])],
      ["head.weight", zeros([10, 512])],
      ["head.bias", zeros([10])],
    ]);
    assert.equal(
      matchWeights(expected, found),
      "missing 9 (fc.weight, fc.bias, extra.0, extra.1, extra.2, …); unexpected 2 (head.weight, head.bias); wrong shape 1 (conv1.weight: expected [64,3,7,7], found [64,1,7,7])",
    );
    assert.throws(() => assertWeightsMatch(expected, found, "resnet18.pth"), { name: "UserError", message: /^resnet18\.pth: the weights do not fit the model: missing 9 \(/ });
  });
});

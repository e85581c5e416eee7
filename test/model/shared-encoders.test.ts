// Inputs of one kind marked `share: true` read through one encoder: its weights are
// counted, trained and saved once, each input keeps its own missing embedding, and a
// config whose sharing inputs differ in shape is refused in one line.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Batch } from "../../src/data/dataset.js";
import type { PreprocessState } from "../../src/data/preprocess-state.js";
import type { ImageState } from "../../src/inputs/image/index.js";
import { loadConfig } from "../../src/config/load.js";
import { buildModel } from "../../src/model/classifier.js";
import { manualSeed, noGrad, randint, randn, tensor, tidy } from "../../src/torch/index.js";

const image = (name: string, share: boolean): ImageState => ({ name, kind: "image", column: name, height: 8, width: 8, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], share });
const state = (share: boolean): PreprocessState => ({
  version: 2,
  label: "y",
  id: null,
  classes: ["a", "b"],
  inputs: [image("front", share), image("back", share)],
  onBadFile: "missing",
  model: { preset: "standard", fusion: "late", features: 16 },
});

test("two image inputs sharing an encoder hold its weights once and still see their own pictures", () => {
  manualSeed(0);
  const shared = buildModel(state(true), state(true).model);
  const separate = buildModel(state(false), state(false).model);
  const names = shared.stateDict();
  assert.ok([...names.keys()].some((k) => k.startsWith("encoders.front.")));
  assert.ok(![...names.keys()].some((k) => k.startsWith("encoders.back.")), "the second input saves no encoder weights");
  assert.ok(names.has("missing.back"), "each input keeps its own missing embedding");
  const encoderParameters = separate.encoders[0]?.numParameters() ?? 0;
  assert.ok(encoderParameters > 0);
  assert.equal(separate.numParameters() - shared.numParameters(), encoderParameters, "the shared encoder is counted once");
  const B = 4;
  const present = tensor([1, 1, 1, 1], [B], { dtype: "bool" });
  const out = tidy(() =>
    noGrad(() => {
      const front = randn([B, 3, 8, 8]);
      const batch = (back: number): Batch => ({ size: B, inputs: { front: { values: front }, back: { values: randn([B, 3, 8, 8]).mul(back) } }, present: { front: present, back: present }, labels: randint(0, 2, [B]) });
      shared.eval();
      return [shared.forward(batch(1)).toArray(), shared.forward(batch(5)).toArray()];
    }),
  );
  assert.notDeepEqual(out[0], out[1], "the second input's pictures change the output");
  shared.dispose();
  separate.dispose();
});

test("inputs that share an encoder must have the same shapes", async () => {
  const config = (sizes: [number, number]) => ({ data: { train: "t.csv", label: "y", image: [{ column: "front", size: sizes[0], share: true }, { column: "back", size: sizes[1], share: true }] } });
  await assert.rejects(loadConfig(config([32, 16])), /data\.image: inputs front and back share an encoder \(share: true\) but differ in size/);
  const widths = { ...config([32, 32]), model: { encoders: { back: { features: 64 } } } };
  await assert.rejects(loadConfig(widths), /model\.encoders: inputs front and back share an encoder \(share: true\) but differ in features \(128 and 64\)/);
  await assert.doesNotReject(loadConfig(config([32, 32])));
});

// Channels-last layout (used on CUDA, where cuDNN's NHWC kernels are fastest) changes how
// weights and inputs sit in memory, never what the model computes: same logits, same
// gradients, and weights that save as they were.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Batch } from "../../src/data/dataset.js";
import type { PreprocessState } from "../../src/data/preprocess-state.js";
import type { AudioState } from "../../src/inputs/audio/index.js";
import type { ImageState } from "../../src/inputs/image/index.js";
import type { TabularState } from "../../src/inputs/tabular/index.js";
import { buildModel, type MultimodalClassifier } from "../../src/model/classifier.js";
import { F, manualSeed, randint, randn, tensor, tidy, type Tensor } from "../../src/torch/index.js";

/** Checks an object literal as T where a wider type is expected. */
const as = <T>(x: T): T => x;

const B = 6;
const state = (preset: "seed" | "standard"): PreprocessState => ({
  version: 2,
  label: "y",
  id: null,
  classes: ["a", "b", "c"],
  inputs: [
    as<TabularState>({ name: "tabular", kind: "tabular", numeric: [{ column: "x", mean: 0, std: 1 }], categorical: [] }),
    as<ImageState>({ name: "image", kind: "image", column: "img", height: 12, width: 16, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }),
    as<AudioState>({ name: "audio", kind: "audio", column: "snd", hopMs: 10, windowMs: 25, sampleRate: 8000, seconds: 0.1, nMels: 8, frames: 12, mean: 0, std: 1 }),
  ],
  onBadFile: "missing",
  model: { preset, fusion: "concat", features: 16 },
});

function batch(): Batch {
  manualSeed(5);
  const all = tensor(Array.from({ length: B }, () => 1), [B], { dtype: "bool" });
  return {
    size: B,
    inputs: { tabular: { numeric: randn([B, 2]) }, image: { values: randn([B, 3, 12, 16]) }, audio: { values: randn([B, 1, 8, 12]) } },
    present: { tabular: all, image: all, audio: all },
    labels: randint(0, 3, [B]),
  };
}

/** Two models with the same weights, the second laid out channels-last. */
function pair(preset: "seed" | "standard"): [MultimodalClassifier, MultimodalClassifier] {
  manualSeed(1);
  const plain = buildModel(state(preset), { preset, fusion: "concat", features: 16 });
  const laid = buildModel(state(preset), { preset, fusion: "concat", features: 16 });
  laid.loadStateDict(plain.stateDict());
  laid.useChannelsLast();
  return [plain, laid];
}

const maxDiff = (a: Tensor, b: Tensor) => a.sub(b).abs().amax().item();

for (const preset of ["seed", "standard"] as const) {
  test(`${preset}: channels-last weights give the same logits and gradients`, () => {
    const [plain, laid] = pair(preset);
    tidy(() => {
      const conv = [...laid.stateDict()].filter(([, t]) => t.ndim === 4);
      assert.ok(conv.length >= 4, "both encoders' convolutions are 4-D weights");
      // With one input channel both layouts are the same bytes, so only the others can tell.
      for (const [name, t] of conv) if (t.shape[1] !== 1) assert.equal(t.isContiguous, false, `${name} is laid out channels-last`);
      const input = batch();
      const outputs = [plain, laid].map((m) => {
        m.eval();
        // The training path, so each input's own head gets a gradient too.
        const { logits, inputLogits } = m.forwardForTraining(input);
        inputLogits.reduce((loss, l) => loss.add(F.crossEntropy(l, input.labels)), F.crossEntropy(logits, input.labels)).backward();
        return logits;
      });
      assert.ok(maxDiff(outputs[0] as Tensor, outputs[1] as Tensor) < 1e-5);
      const plainGrads = new Map(plain.namedParameters());
      for (const [name, p] of laid.namedParameters()) {
        const g0 = plainGrads.get(name)?.grad;
        assert.ok(g0 && p.grad, `${name} has a gradient in both`);
        assert.ok(maxDiff(g0, p.grad) < 1e-4, `${name}'s gradient differs`);
      }
    });
    // The weights read back (and save) as the same numbers.
    const saved = new Map(laid.stateDict());
    for (const [name, t] of plain.stateDict()) {
      assert.deepEqual([...(saved.get(name) as Tensor).toTypedArray()], [...t.toTypedArray()], name);
    }
    plain.dispose();
    laid.dispose();
  });
}

// Every fusion trains and predicts on rows missing any modality, with one width for every
// input or a width per input, and truly ignores absent inputs: changing an absent input's
// values never changes the output.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Fusion as FusionName } from "../../src/config/schema.js";
import type { Batch } from "../../src/data/dataset.js";
import type { PreprocessState } from "../../src/data/preprocess-state.js";
import type { AudioState } from "../../src/inputs/audio/index.js";
import type { ImageState } from "../../src/inputs/image/index.js";
import type { TabularState } from "../../src/inputs/tabular/index.js";
import { buildModel, type ModelSpec } from "../../src/model/classifier.js";
import { dropModalities } from "../../src/training/augment.js";
import { F, liveTensors, manualSeed, noGrad, optim, randint, randn, tensor, tidy, type Tensor } from "../../src/torch/index.js";

/** Checks an object literal as T where a wider type is expected. */
const as = <T>(x: T): T => x;

const FUSIONS: FusionName[] = ["concat", "gated", "attention", "late"];
const B = 8;

const state: PreprocessState = {
  version: 2,
  label: "y",
  id: null,
  classes: ["a", "b", "c"],
  inputs: [
    as<TabularState>({ name: "tabular", kind: "tabular", numeric: [{ column: "x", mean: 0, std: 1 }, { column: "z", mean: 0, std: 1 }], categorical: [] }),
    as<ImageState>({ name: "image", kind: "image", column: "img", height: 8, width: 8, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }),
    as<AudioState>({ name: "audio", kind: "audio", column: "snd", hopMs: 10, windowMs: 25, sampleRate: 8000, seconds: 0.1, nMels: 8, frames: 12, mean: 0, std: 1 }),
  ],
  onBadFile: "missing",
  model: { preset: "standard", fusion: "concat", features: 16 },
};

// Row r lacks: tabular when r % 4 == 1, image when r % 4 == 2, audio when r % 4 == 3; row 0 has all.
const presence = (m: number) => Array.from({ length: B }, (_, r) => (r % 4 === m + 1 ? 0 : 1));

function makeBatch(absentScale: number): Batch {
  const scaleAbsent = (x: Tensor, mask: number[]) => {
    const keep = tensor(mask, [B, ...x.shape.slice(1).map(() => 1)]);
    return x.mul(keep).add(x.mul(keep.rsub(1)).mul(absentScale));
  };
  manualSeed(11);
  return {
    size: B,
    inputs: {
      tabular: { numeric: scaleAbsent(randn([B, 4]), presence(0)) },
      image: { values: scaleAbsent(randn([B, 3, 8, 8]), presence(1)) },
      audio: { values: scaleAbsent(randn([B, 1, 8, 12]), presence(2)) },
    },
    present: {
      tabular: tensor(presence(0), [B], { dtype: "bool" }),
      image: tensor(presence(1), [B], { dtype: "bool" }),
      audio: tensor(presence(2), [B], { dtype: "bool" }),
    },
    labels: randint(0, 3, [B]),
  };
}

/** Each input its own width: narrower and wider than the common 16, and one left at it. */
const OWN_WIDTHS = { tabular: { features: 6 }, image: { features: 40 } };

for (const [fusion, encoders] of FUSIONS.flatMap((f) => [[f, {}] as const, [f, OWN_WIDTHS] as const])) {
  const widths = Object.keys(encoders).length ? "its own width per input" : "one width";
  test(`${fusion} fusion with ${widths} trains, predicts, and ignores absent inputs`, () => {
    manualSeed(0);
    const spec: ModelSpec = { preset: "standard", fusion, features: 16, encoders };
    const model = buildModel(state, spec);
    assert.deepEqual(
      model.encoders.map((e) => e.features),
      ["tabular", "image", "audio"].map((n) => (encoders as Record<string, { features: number }>)[n]?.features ?? 16),
    );
    if (fusion === "concat") assert.equal(model.fusion.outputFeatures, model.encoders.reduce((s, e) => s + e.features, 0));
    const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
    const before = liveTensors();
    const losses: number[] = [];
    for (let step = 0; step < 15; step++) {
      losses.push(
        tidy(() => {
          opt.zeroGrad();
          const loss = F.crossEntropy(model.forward(makeBatch(1)), makeBatch(1).labels);
          loss.backward();
          opt.step();
          return loss.item();
        }),
      );
    }
    assert.equal(liveTensors(), before, "a training step leaked tensors");
    assert.ok((losses.at(-1) as number) < (losses[0] as number), `loss should fall: ${losses.map((l) => l.toFixed(3)).join(" ")}`);
    model.eval();
    const [a, b] = [1, -50].map((scale) => tidy(() => noGrad(() => model.forward(makeBatch(scale)).toArray())));
    assert.deepEqual(a, b, "an absent input's values changed the output");
    assert.ok(a?.every(Number.isFinite));
    // The check can fail: scaling a present input does change the output.
    const changed = tidy(() =>
      noGrad(() => {
        const batch = makeBatch(1);
        return model.forward({ ...batch, inputs: { ...batch.inputs, image: { values: (batch.inputs.image?.values as Tensor).mul(3) } } }).toArray();
      }),
    );
    assert.notDeepEqual(changed, a);
    opt.dispose();
    model.dispose();
  });
}

test("gated fusion's weights are a distribution over the modalities each row has", () => {
  const model = buildModel(state, { preset: "standard", fusion: "gated", features: 16 }).eval();
  tidy(() =>
    noGrad(() => {
      const weights = (model.predict(makeBatch(1)).weights as Tensor).toArray();
      for (let r = 0; r < B; r++) {
        const row = weights.slice(3 * r, 3 * r + 3);
        assert.ok(Math.abs(row.reduce((x, y) => x + y, 0) - 1) < 1e-5);
        if (r % 4 !== 0) assert.equal(row[(r % 4) - 1], 0, `row ${r} weighs an absent modality`);
      }
    }),
  );
  model.dispose();
});

test("modality dropout hides about p of present modalities and never empties a row", () => {
  tidy(() => {
    manualSeed(5);
    const n = 4000;
    const ones = tensor(new Array(n).fill(1), [n], { dtype: "bool" });
    const none = tensor(new Array(n).fill(0), [n], { dtype: "bool" });
    const batch: Batch = { size: n, inputs: {}, present: { tabular: ones, image: ones, audio: none }, labels: randint(0, 2, [n]) };
    const dropped = dropModalities(batch, 0.3);
    const tab = (dropped.present.tabular as Tensor).toArray();
    const img = (dropped.present.image as Tensor).toArray();
    assert.ok(tab.every((t, i) => t + (img[i] as number) >= 1), "a row lost every modality");
    assert.deepEqual((dropped.present.audio as Tensor).toArray(), new Array(n).fill(0), "dropout never adds a modality");
    const hiddenShare = 1 - tab.reduce((a, b) => a + b, 0) / n;
    // Both hidden (p² = 0.09) are restored, so each is hidden with about 0.3 - 0.09.
    assert.ok(Math.abs(hiddenShare - 0.21) < 0.03, `hidden share ${hiddenShare}`);
  });
});

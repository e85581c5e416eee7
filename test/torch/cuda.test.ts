// What training on CUDA adds, checked on a machine with a GPU: bfloat16 autocast where it
// belongs, the log-mel front end on the device, data resident on the device (or gathered in
// host memory when it may not be), and a whole run whose model predicts the same on the GPU
// as on the CPU. Without a usable CUDA device these tests are skipped, saying so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { load, train } from "../../src/index.js";
import { TensorDataset } from "../../src/data/dataset.js";
import type { PreprocessState } from "../../src/data/preprocess-state.js";
import type { Table } from "../../src/data/prepare.js";
import type { AudioState } from "../../src/inputs/audio/index.js";
import type { ImageState } from "../../src/inputs/image/index.js";
import { ownRows, type MediaPart } from "../../src/inputs/media.js";
import { LogMelFrontEnd } from "../../src/data/audio/logmel.js";
import { F, autocast, cudaAvailable, manualSeed, randint, randn, tensor, tidy } from "../../src/torch/index.js";
import { tempDir } from "../helpers/cli.js";
import { clinicConfig, writeClinic } from "../helpers/clinic.js";

/** Checks an object literal as T where a wider type is expected. */
const as = <T>(x: T): T => x;

const skip = cudaAvailable() ? false : "no usable CUDA device in the linked libtorch";

test("bfloat16 autocast runs matrix products and convolutions in bfloat16 and losses in float32", { skip }, () => {
  tidy(() => {
    const a = randn([8, 16], { device: "cuda" });
    const w = randn([4, 16], { device: "cuda" });
    const image = randn([2, 3, 8, 8], { device: "cuda" });
    const kernel = randn([5, 3, 3, 3], { device: "cuda" });
    autocast("bfloat16", () => {
      const logits = F.linear(a, w);
      assert.equal(logits.dtype, "bfloat16");
      assert.equal(F.conv2d(image, kernel).dtype, "bfloat16");
      assert.equal(F.crossEntropy(logits, randint(0, 4, [8], { device: "cuda" })).dtype, "float32");
    });
    assert.equal(F.linear(a, w).dtype, "float32", "outside the scope");
    const exact = F.linear(a, w);
    const approx = autocast("bfloat16", () => F.linear(a, w)).float();
    assert.ok(exact.sub(approx).abs().amax().item() < 0.25, "bfloat16 keeps ~3 significant digits");
  });
});

test("the log-mel front end on the GPU gives the CPU's features", { skip }, () => {
  tidy(() => {
    manualSeed(3);
    const waves = randn([4, 8000]).mul(0.1);
    const options = { sampleRate: 16000, nMels: 40, hopLength: 160, winLength: 400 };
    const cpu = new LogMelFrontEnd(options);
    const gpu = new LogMelFrontEnd(options, "cuda");
    try {
      const a = cpu.forward(waves);
      const b = gpu.forward(waves.to({ device: "cuda" }));
      assert.ok(b.device.startsWith("cuda"));
      const diff = a.sub(b.to({ device: "cpu" })).abs();
      assert.ok(diff.amax().item() < 1e-2 && diff.mean().item() < 1e-4, `log-mel differs by up to ${diff.amax().item()}`);
    } finally {
      cpu.dispose();
      gpu.dispose();
    }
  });
});

test("media resident on the GPU and media gathered in host memory give the same batches", { skip }, () => {
  const n = 10;
  const state: PreprocessState = {
    version: 2,
    label: "y",
    id: null,
    classes: ["a", "b"],
    inputs: [
      as<ImageState>({ name: "image", kind: "image", column: "img", height: 4, width: 4, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }),
      as<AudioState>({ name: "audio", kind: "audio", column: "snd", sampleRate: 8000, seconds: 0.1, nMels: 3, hopMs: 10, windowMs: 25, frames: 5, mean: 0, std: 1 }),
    ],
    onBadFile: "missing",
    model: { preset: "standard", fusion: "concat", features: 8 },
  };
  const images = tensor(Uint8Array.from({ length: n * 48 }, (_, i) => (i * 7) % 256), [n, 3, 4, 4], { dtype: "uint8" });
  const audio = randn([n, 3, 5]).to({ dtype: "float16" });
  const table: Table = {
    size: n,
    manifest: "m.csv",
    rows: Array.from({ length: n }, (_, i) => i),
    ids: Array.from({ length: n }, () => null),
    inputs: {
      image: as<MediaPart>({ present: Uint8Array.from({ length: n }, (_, i) => (i === 2 ? 0 : 1)), media: ownRows(images) }),
      audio: as<MediaPart>({ present: new Uint8Array(n).fill(1), media: ownRows(audio) }),
    },
    labels: Int32Array.from({ length: n }, (_, i) => i % 2),
  };
  const resident = new TensorDataset(table, state, "cuda");
  const inHost = new TensorDataset(table, state, "cuda", { residentLimitBytes: 0 });
  try {
    tidy(() => {
      const indices = tensor([7, 2, 0, 9], [4], { dtype: "int64", device: "cuda" });
      const a = resident.batch(indices);
      const b = inHost.batch(indices);
      for (const key of ["image", "audio"] as const) {
        const x = a.inputs[key]?.values;
        const y = b.inputs[key]?.values;
        assert.ok(x && y && x.device.startsWith("cuda") && y.device.startsWith("cuda"), `${key} batches are on the GPU`);
        assert.deepEqual([...x.to({ device: "cpu" }).toTypedArray()], [...y.to({ device: "cpu" }).toTypedArray()], key);
      }
      assert.equal(a.inputs.image?.values?.select(0, 1).abs().sum().item(), 0, "row 2 has no image: zeros");
    });
  } finally {
    resident.dispose();
    inHost.dispose();
    images.dispose();
    audio.dispose();
  }
});

test("a run trained on the GPU (bfloat16, channels-last) predicts the same on the GPU as on the CPU", { skip }, async () => {
  const dir = tempDir("mf-cuda-");
  writeClinic(dir);
  const config = join(dir, "config.yaml");
  writeFileSync(config, clinicConfig("clinic.csv"));
  const run = join(dir, "run");
  const summary = await train(config, { out: run, set: ["train.epochs=4", "train.device=cuda"] });
  assert.match(summary.device, /^cuda/);
  const onGpu = await load(run, "cuda");
  const onCpu = await load(run, "cpu");
  const manifest = join(dir, "clinic.csv");
  const [g, c] = [await onGpu.predict(manifest), await onCpu.predict(manifest)];
  assert.equal(g.length, 40);
  for (const [i, p] of g.entries()) {
    const q = c[i];
    assert.ok(q);
    for (const k of Object.keys(p.probabilities)) {
      assert.ok(Math.abs((p.probabilities[k] as number) - (q.probabilities[k] as number)) < 1e-3, `row ${i} ${k}`);
    }
  }
});

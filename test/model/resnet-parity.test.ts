// modalfuse's ResNet18 against torchvision's resnet18 (Python PyTorch on the same libtorch):
// torchvision's state dict loads by name, and on real images the logits, pooled features,
// updated running statistics and gradients agree. The reference needs torchvision; without
// it the test fails and says how to install it, rather than skipping.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BACKBONES, BasicBlock, loadTorchvisionWeights, ResNet18 } from "../../src/model/backbones/index.js";
import { dispose, loadSafetensors, noGrad, tidy, type Tensor } from "../../src/torch/index.js";
import { probeLike, REFERENCE_PYTHON } from "../helpers/reference.js";
import { assertNear as nearly, maxAbsDiff } from "../helpers/near.js";

const SOURCE_TEST_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "test");
const TOLERANCE = 1e-4;

let weights = new Map<string, Tensor>();
let reference = new Map<string, Tensor>();
let workDir = "";

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), "modalfuse-resnet-"));
  const run = spawnSync(REFERENCE_PYTHON, [join(SOURCE_TEST_DIR, "model", "resnet_reference.py"), join(SOURCE_TEST_DIR, "fixtures", "media", "image"), workDir], {
    encoding: "utf8",
  });
  if (run.status === 3) throw new Error(`${run.stderr.trim()} (the ResNet parity test needs torchvision 0.14 next to Debian's python3-torch)`);
  if (run.status !== 0) throw new Error(`the torchvision reference failed (${REFERENCE_PYTHON}): ${run.stderr || run.error?.message}`);
  weights = (await loadSafetensors(join(workDir, "weights.safetensors"))).tensors;
  reference = (await loadSafetensors(join(workDir, "reference.safetensors"))).tensors;
});

after(() => {
  dispose([...weights.values(), ...reference.values()]);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function ref(name: string): Tensor {
  const t = reference.get(name);
  if (!t) throw new Error(`the reference has no tensor ${name}`);
  return t;
}

/** Within the parity tests' tolerance. */
function assertNear(actual: Tensor, expected: Tensor, what: string, report: (line: string) => void): void {
  nearly(actual, expected, what, report, TOLERANCE);
}

/** A ResNet18 holding torchvision's weights. */
function loaded(): ResNet18 {
  const model = BACKBONES.resnet18.build() as ResNet18;
  model.loadStateDict(weights);
  return model;
}

test("the state dict has torchvision's keys and shapes, num_batches_tracked included", () => {
  const model = new ResNet18();
  const ours = [...model.stateDict()].map(([name, t]) => `${name} ${t.dtype} [${t.shape.join(", ")}]`).sort();
  const theirs = [...weights].map(([name, t]) => `${name} ${t.dtype} [${t.shape.join(", ")}]`).sort();
  assert.equal(ours.length, 122);
  assert.deepEqual(ours, theirs);
  assert.equal(model.numParameters(), 11_689_512);
  // Trained from scratch it starts as torchvision's does: convolutions N(0, 2 / fan_out).
  const w = model.conv1.weight.toArray();
  const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
  assert.ok(Math.abs(std / Math.sqrt(2 / (64 * 7 * 7)) - 1) < 0.05, `conv1.weight std ${std}`);
  model.dispose();
});

test("eval mode: logits and pooled features match torchvision at 64×64 and 224×224", (t) => {
  const model = loaded().eval();
  tidy(() =>
    noGrad(() => {
      for (const size of [64, 224]) {
        const features = model.features(ref(`input${size}`));
        assertNear(features, ref(`eval${size}.features`), `eval ${size} features`, (line) => t.diagnostic(line));
        assertNear((model.fc as NonNullable<typeof model.fc>).forward(features), ref(`eval${size}.logits`), `eval ${size} logits`, (line) => t.diagnostic(line));
        assertNear(model.forward(ref(`input${size}`)), ref(`eval${size}.logits`), `eval ${size} forward`, (line) => t.diagnostic(line));
      }
    }),
  );
  model.dispose();
});

test("train mode: batch statistics, updated running statistics and gradients match torchvision", (t) => {
  const model = loaded().train();
  const report = (line: string) => t.diagnostic(line);
  tidy(() => {
    // features then fc, as the reference does: one pass through the batch norms.
    const features = model.features(ref("input64"));
    const logits = (model.fc as NonNullable<typeof model.fc>).forward(features);
    assertNear(features, ref("train64.features"), "train 64 features", report);
    assertNear(logits, ref("train64.logits"), "train 64 logits", report);

    let worstStat = 0;
    let stats = 0;
    for (const [name, value] of model.namedBuffers()) {
      const expected = ref(`train64.after.${name}`);
      if (name.endsWith("num_batches_tracked")) {
        assert.equal(value.item(), expected.item(), name);
        assert.equal(value.item(), 8, `${name}: 7 before, one training forward`);
        continue;
      }
      worstStat = Math.max(worstStat, maxAbsDiff(value, expected, name));
      stats++;
    }
    assert.equal(stats, 40, "running_mean and running_var of all 20 batch norms");
    report(`running statistics after one forward: max abs diff ${worstStat.toExponential(2)}`);
    assert.ok(worstStat <= TOLERANCE, `running statistics: max abs diff ${worstStat}`);

    logits.mul(probeLike(logits)).sum().backward();
    for (const name of ["conv1.weight", "fc.weight"] as const) {
      const grad = (name === "conv1.weight" ? model.conv1.weight : (model.fc as NonNullable<typeof model.fc>).weight).grad;
      assert.ok(grad, `${name} has a gradient`);
      const expected = ref(`train64.grad.${name}`);
      // Relative to the gradient's largest entry: entries near zero carry no scale of their own.
      const relative = maxAbsDiff(grad, expected, `grad ${name}`) / expected.abs().amax().item();
      report(`grad ${name}: max abs diff / max |grad| ${relative.toExponential(2)}`);
      assert.ok(relative <= TOLERANCE, `grad ${name}: relative diff ${relative}`);
    }
  });
  model.dispose();
});

test("a checkpoint without num_batches_tracked (saved before PyTorch 0.4.1) loads with the counters at 0", () => {
  const old = new Map([...weights].filter(([name]) => !name.endsWith("num_batches_tracked")));
  assert.equal(old.size, 102);
  const model = new ResNet18();
  assert.throws(() => model.loadStateDict(old), /num_batches_tracked is missing/);
  loadTorchvisionWeights(model, old);
  const counters = [...model.namedBuffers()].filter(([name]) => name.endsWith("num_batches_tracked"));
  assert.equal(counters.length, 20);
  assert.ok(counters.every(([, t]) => t.item() === 0));
  tidy(() => noGrad(() => assert.ok(maxAbsDiff(model.eval().forward(ref("input64")), ref("eval64.logits"), "logits") <= TOLERANCE)));
  // Anything else missing still fails, naming the tensor.
  old.delete("fc.bias");
  assert.throws(() => loadTorchvisionWeights(model, old), /fc\.bias is missing/);
  model.dispose();
});

test("a torch.save checkpoint of torchvision's resnet18 loads through modalfuse's reader and gives the same logits", async () => {
  const { readWeights } = await import("../../src/weights/index.js");
  const fromPth = await readWeights(join(workDir, "resnet18.pth"));
  const model = new ResNet18();
  try {
    assert.deepEqual([...fromPth.keys()].sort(), [...weights.keys()].sort());
    loadTorchvisionWeights(model, fromPth);
    model.eval();
    const diff = tidy(() => noGrad(() => maxAbsDiff(model.forward(ref("input64")), ref("eval64.logits"), "logits")));
    assert.ok(diff <= TOLERANCE, `max |Δ| ${diff}`);
  } finally {
    dispose([...fromPth.values()]);
    model.dispose();
  }
});

test("features and logits have the registry's widths, and the model prints torchvision's layout", () => {
  const spec = BACKBONES.resnet18;
  const model = spec.build({ numClasses: 5 }) as ResNet18;
  tidy(() =>
    noGrad(() => {
      const x = ref("input64").narrow(0, 0, 2);
      assert.deepEqual(model.eval().features(x).shape, [2, spec.features]);
      assert.deepEqual(model.forward(x).shape, [2, 5]);
    }),
  );
  const printed = model.toString();
  for (const line of ["(layer1): Sequential", "(downsample): Sequential", "(avgpool): AdaptiveAvgPool2d(1x1)", "(fc): Linear(512 → 5)"]) assert.ok(printed.includes(line), `printed model shows ${line}`);
  // Only the first block of layers 2-4 changes width and stride, so only it has a downsample.
  const downsampled = model.layers.map((layer) => layer.layers.map((block) => (block as BasicBlock).downsample !== null));
  assert.deepEqual(downsampled, [[false, false], [true, false], [true, false], [true, false]]);
  model.dispose();
});

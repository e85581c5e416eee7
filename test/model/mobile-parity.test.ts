// modalfuse's MobileNetV3Small against torchvision's mobilenet_v3_small, and its
// EfficientNetB0 against timm's efficientnet_b0 layout (built in the reference from
// torchvision's efficientnet_b0 with timm's batch-norm settings and keys): each state dict
// loads name for name, and on the real image fixtures the pooled features, logits, updated
// running statistics and gradients agree in eval and train mode. Without torchvision the
// test fails and says how to install it, rather than skipping.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BACKBONES, EfficientNetB0, loadTorchvisionWeights, MobileNetV3Small, type Backbone } from "../../src/model/backbones/index.js";
import { dispose, loadSafetensors, noGrad, tidy, type nn, type Tensor } from "../../src/torch/index.js";
import { readWeights } from "../../src/weights/index.js";
import { probeLike, REFERENCE_PYTHON } from "../helpers/reference.js";
import { assertNear as nearly, maxAbsDiff } from "../helpers/near.js";

const SOURCE_TEST_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "test");
const TOLERANCE = 1e-4;

let workDir = "";
const files = new Map<string, Map<string, Tensor>>();

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), "modalfuse-mobile-"));
  const run = spawnSync(REFERENCE_PYTHON, [join(SOURCE_TEST_DIR, "model", "mobile_reference.py"), join(SOURCE_TEST_DIR, "fixtures", "media", "image"), workDir], { encoding: "utf8" });
  if (run.status === 3) throw new Error(`${run.stderr.trim()} (the MobileNet and EfficientNet parity tests need torchvision 0.14 next to Debian's python3-torch)`);
  if (run.status !== 0) throw new Error(`the torchvision reference failed (${REFERENCE_PYTHON}): ${run.stderr || run.error?.message}`);
  for (const name of ["inputs", "mobilenet.weights", "mobilenet.reference", "efficientnet.weights", "efficientnet.reference"]) files.set(name, (await loadSafetensors(join(workDir, `${name}.safetensors`))).tensors);
});

after(() => {
  for (const tensors of files.values()) dispose([...tensors.values()]);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function get(file: string, name: string): Tensor {
  const t = files.get(file)?.get(name);
  if (!t) throw new Error(`${file} has no tensor ${name}`);
  return t;
}

/** Within the parity tests' tolerance. */
function assertNear(actual: Tensor, expected: Tensor, what: string, report: (line: string) => void): void {
  nearly(actual, expected, what, report, TOLERANCE);
}

interface Case {
  /** Registry name, and the reference files' prefix. */
  backbone: "mobilenet_v3_small" | "efficientnet_b0";
  prefix: "mobilenet" | "efficientnet";
  classifier: (model: Backbone) => nn.Layer;
  tensors: number;
  batchNorms: number;
  /** Parameters whose gradients the reference saved. */
  grads: string[];
}

const CASES: Case[] = [
  {
    backbone: "mobilenet_v3_small",
    prefix: "mobilenet",
    classifier: (m) => (m as MobileNetV3Small).classifier as nn.Layer,
    tensors: 244,
    batchNorms: 34,
    grads: ["features.0.0.weight", "features.4.block.1.0.weight", "features.4.block.2.fc1.weight", "features.12.0.weight"],
  },
  {
    backbone: "efficientnet_b0",
    prefix: "efficientnet",
    classifier: (m) => (m as EfficientNetB0).classifier as nn.Layer,
    tensors: 360,
    batchNorms: 49,
    grads: ["conv_stem.weight", "blocks.1.0.conv_dw.weight", "blocks.1.0.se.conv_reduce.weight", "conv_head.weight"],
  },
];

/** The registry's model holding the reference's weights. */
function loaded(c: Case): Backbone {
  const model = BACKBONES[c.backbone].build();
  model.loadStateDict(files.get(`${c.prefix}.weights`) as Map<string, Tensor>);
  return model;
}

for (const c of CASES) {
  const weights = () => files.get(`${c.prefix}.weights`) as Map<string, Tensor>;
  const ref = (name: string) => get(`${c.prefix}.reference`, name);

  test(`${c.backbone}: the state dict has the reference's keys, shapes and dtypes`, () => {
    const model = BACKBONES[c.backbone].build();
    const describe = (state: Map<string, Tensor>) => [...state].map(([name, t]) => `${name} ${t.dtype} [${t.shape.join(", ")}]`).sort();
    const ours = describe(model.stateDict());
    assert.equal(ours.length, c.tensors);
    assert.deepEqual(ours, describe(weights()));
    model.dispose();
  });

  test(`${c.backbone}: eval mode: pooled features and logits match at 64×64 and 224×224`, (t) => {
    const model = loaded(c).eval();
    const report = (line: string) => t.diagnostic(line);
    tidy(() =>
      noGrad(() => {
        for (const size of [64, 224]) {
          const x = get("inputs", `input${size}`);
          const features = model.features(x);
          assertNear(features, ref(`eval${size}.features`), `eval ${size} features`, report);
          assertNear(c.classifier(model).forward(features), ref(`eval${size}.logits`), `eval ${size} logits`, report);
          assertNear(model.forward(x), ref(`eval${size}.logits`), `eval ${size} forward`, report);
        }
      }),
    );
    model.dispose();
  });

  test(`${c.backbone}: train mode: batch statistics, updated running statistics and gradients match`, (t) => {
    const model = loaded(c).train();
    const report = (line: string) => t.diagnostic(line);
    tidy(() => {
      const features = model.features(get("inputs", "input64"));
      assertNear(features, ref("train64.features"), "train 64 features", report);
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
      assert.equal(stats, 2 * c.batchNorms, "running_mean and running_var of every batch norm");
      report(`running statistics after one forward: max abs diff ${worstStat.toExponential(2)}`);
      assert.ok(worstStat <= TOLERANCE, `running statistics: max abs diff ${worstStat}`);

      features.mul(probeLike(features)).sum().backward();
      const params = new Map(model.namedParameters());
      for (const name of c.grads) {
        const grad = params.get(name)?.grad;
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

  test(`${c.backbone}: features have the registry's width; without its classifier the model has none of the classifier's tensors`, () => {
    const spec = BACKBONES[c.backbone];
    const full = spec.build({ numClasses: 5 });
    const bare = spec.build({ classifier: false });
    tidy(() =>
      noGrad(() => {
        const x = get("inputs", "input64").narrow(0, 0, 2);
        assert.deepEqual(full.eval().features(x).shape, [2, spec.features]);
        assert.deepEqual(full.forward(x).shape, [2, 5]);
        assert.throws(() => bare.forward(x), /built without its classifier/);
      }),
    );
    const classifierNames = [...weights().keys()].filter((k) => k.startsWith(spec.classifierPrefix));
    assert.ok(classifierNames.length > 0);
    assert.deepEqual([...bare.stateDict().keys()].sort(), [...weights().keys()].filter((k) => !k.startsWith(spec.classifierPrefix)).sort());
    full.dispose();
    bare.dispose();
  });
}

test("mobilenet_v3_small: a torch.save checkpoint loads through modalfuse's reader and gives torchvision's logits", async () => {
  const fromPth = await readWeights(join(workDir, "mobilenet_v3_small.pth"));
  const model = new MobileNetV3Small();
  try {
    loadTorchvisionWeights(model, fromPth);
    const diff = tidy(() => noGrad(() => maxAbsDiff(model.eval().forward(get("inputs", "input64")), get("mobilenet.reference", "eval64.logits"), "logits")));
    assert.ok(diff <= TOLERANCE, `max |Δ| ${diff}`);
  } finally {
    dispose([...fromPth.values()]);
    model.dispose();
  }
});

test("the printed models show torchvision's and timm's layouts", () => {
  const mobile = new MobileNetV3Small();
  const efficient = new EfficientNetB0();
  const printed = `${mobile.toString()}\n${efficient.toString()}`;
  for (const line of ["(block): Sequential", "(fc1): Conv2d(16 → 8, 1x1)", "(classifier): Sequential", "(conv_dw): Conv2d(96 → 96, 3x3, pad 1, stride 2, groups 96)", "(se): SqueezeExcite(96 → 4 → 96", "(conv_pwl): Conv2d(96 → 24, 1x1)"])
    assert.ok(printed.includes(line), `printed models show ${line}`);
  mobile.dispose();
  efficient.dispose();
});

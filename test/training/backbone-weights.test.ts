// loadBackboneWeights per backbone: each drops its own pretrained classifier (fc.* for
// resnet18, classifier.* for mobilenet_v3_small and efficientnet_b0) and loads the rest
// name for name. timm's resnet18 uses torchvision's names, so its model.safetensors (here
// written without batch-norm counters) loads as torchvision's .pth does; timm's
// efficientnet_b0 keys come from torchvision's efficientnet_b0 renamed as
// mobile_reference.py does. A file for another backbone is one line listing the differences.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PreprocessState } from "../../src/data/preprocess-state.js";
import { UserError } from "../../src/errors.js";
import type { ImageState } from "../../src/inputs/image/index.js";
import { BackboneEncoder } from "../../src/model/backbones/encoder.js";
import { buildModel } from "../../src/model/classifier.js";
import { dispose, noGrad, type Tensor } from "../../src/torch/index.js";
import { loadBackboneWeights } from "../../src/training/backbones.js";
import { readWeights } from "../../src/weights/index.js";
import { tempDir } from "../helpers/cli.js";
import { REFERENCE_PYTHON } from "../helpers/reference.js";

const MODEL_TESTS = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "test", "model");
const dir = tempDir("mf-backbone-weights-");
after(() => rmSync(dir, { recursive: true, force: true }));

const python = spawnSync(
  REFERENCE_PYTHON,
  [
    "-c",
    `import sys
sys.path.insert(0, ${JSON.stringify(MODEL_TESTS)})
from resnet_reference import save_safetensors
from mobile_reference import timm_name
import torch, torchvision
torch.manual_seed(0)
r18 = torchvision.models.resnet18().state_dict()
save_safetensors("resnet18-timm.safetensors", {k: v for k, v in r18.items() if not k.endswith("num_batches_tracked")})
b0 = torchvision.models.efficientnet_b0().state_dict()
save_safetensors("efficientnet_b0-timm.safetensors", {timm_name(k): v for k, v in b0.items()})
torch.save(torchvision.models.mobilenet_v3_small().state_dict(), "mobilenet_v3_small.pth")`,
  ],
  { cwd: dir, encoding: "utf8" },
);
if (python.status !== 0) throw new Error(`python3 + torchvision could not write the weights: ${python.stderr.trim().split("\n").pop()}`);

const image: ImageState = { name: "photo", kind: "image", column: "photo", height: 32, width: 32, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const state = (backbone: string): PreprocessState => ({
  version: 2,
  label: "y",
  id: null,
  classes: ["a", "b"],
  inputs: [image],
  onBadFile: "missing",
  model: { preset: "standard", fusion: "concat", features: 8, encoders: { photo: { backbone } } },
});

/** Loads `file` as `backbone`'s weights and returns the file's names that the backbone did not take, sorted. */
async function load(backbone: string, file: string): Promise<string[]> {
  const s = state(backbone);
  const model = buildModel(s, s.model);
  const path = join(dir, file);
  const read = await readWeights(path);
  try {
    await loadBackboneWeights(model, { photo: { weights: path } });
    const held = (model.encoders[0] as BackboneEncoder).backbone.stateDict();
    const differing = [...held].filter(([name, t]) => read.has(name) && noGrad(() => t.sub(read.get(name) as Tensor).abs().amax().item()) !== 0);
    assert.deepEqual(differing, [], "the backbone holds the file's tensors");
    // Counters the file lacks start at 0, as PyTorch's BatchNorm fills them in.
    for (const [name, t] of held) if (!read.has(name)) assert.ok(name.endsWith(".num_batches_tracked") && t.item() === 0, `${name} came from the file`);
    return [...read.keys()].filter((name) => !held.has(name)).sort();
  } finally {
    dispose([...read.values()]);
    model.dispose();
  }
}

test("timm's resnet18 model.safetensors (torchvision's names, no batch-norm counters) loads, fc.* dropped", async () => {
  assert.deepEqual(await load("resnet18", "resnet18-timm.safetensors"), ["fc.bias", "fc.weight"]);
});

test("mobilenet_v3_small drops torchvision's classifier.0 and classifier.3", async () => {
  assert.deepEqual(await load("mobilenet_v3_small", "mobilenet_v3_small.pth"), ["classifier.0.bias", "classifier.0.weight", "classifier.3.bias", "classifier.3.weight"]);
});

test("efficientnet_b0 takes timm's names and drops its classifier", async () => {
  assert.deepEqual(await load("efficientnet_b0", "efficientnet_b0-timm.safetensors"), ["classifier.bias", "classifier.weight"]);
});

test("another backbone's file is one line naming what is missing and unexpected", async () => {
  await assert.rejects(load("efficientnet_b0", "mobilenet_v3_small.pth"), (error: Error) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /mobilenet_v3_small\.pth: not efficientnet_b0 weights \(model\.encoders\.photo\.weights\): missing \d+ \(conv_stem\.weight, .*\); unexpected \d+ \(features\.0\.0\.weight, /);
    assert.ok(!error.message.includes("\n"));
    return true;
  });
});

// model.encoders.<input>.backbone: torchvision's resnet18 and mobilenet_v3_small weights
// (written by Debian's python3 + torchvision) loaded into an image input's encoder at the
// start of training, frozen or trained as configured, kept in model.safetensors, and
// predicted with as trained; every mistake in the keys is one line before any work.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { train, load } from "../../src/api.js";
import { loadConfig } from "../../src/config/load.js";
import { prepareTraining } from "../../src/data/prepare.js";
import { UserError } from "../../src/errors.js";
import { buildModel, type MultimodalClassifier } from "../../src/model/classifier.js";
import { BackboneEncoder } from "../../src/model/backbones/encoder.js";
import { TensorDataset } from "../../src/data/dataset.js";
import { loadBackboneWeights, trainableBackbones } from "../../src/training/backbones.js";
import { fit, type FitOptions } from "../../src/training/loop.js";
import type { Checkpoint } from "../../src/training/checkpoint.js";
import { loadSafetensors, manualSeed, noGrad, type Tensor } from "../../src/torch/index.js";
import { readWeights } from "../../src/weights/index.js";
import { runCli, tempDir, userErrorLine, writeCsv } from "../helpers/cli.js";
import { clinicConfig, writeClinic } from "../helpers/clinic.js";
import { REFERENCE_PYTHON } from "../helpers/reference.js";

const dir = tempDir("mf-backbone-");
const clinic = writeClinic(dir);
// The last ten rows are the test manifest, so the run's test metrics can be reproduced.
writeCsv(join(dir, "train.csv"), clinic.header, clinic.rows.slice(0, 30));
writeCsv(join(dir, "test.csv"), clinic.header, clinic.rows.slice(30));

const python = spawnSync(
  REFERENCE_PYTHON,
  [
    "-c",
    `import torch, torchvision
torch.manual_seed(0)
sd = torchvision.models.resnet18().state_dict()
torch.save(sd, "r18.pth")
sd["stem.weight"] = sd.pop("conv1.weight")
torch.save(sd, "renamed.pth")
torch.save(torchvision.models.mobilenet_v3_small().state_dict(), "mnv3s.pth")`,
  ],
  { cwd: dir, encoding: "utf8" },
);
if (python.status !== 0) throw new Error(`python3 + torchvision could not write resnet18 weights: ${python.stderr.trim().split("\n").pop()}`);

/** The clinic config with 32-pixel images, a test manifest, no audio, and `encoder` as model.encoders.image. */
function configText(encoder: string, trainLine = "train: {epochs: 2, batch_size: 8, seed: 0, early_stopping: 0}"): string {
  return clinicConfig("train.csv")
    .replace("  split: {validation: 0.2, test: 0.2, seed: 1}", "  test: test.csv\n  split: {validation: 0.25, seed: 1}")
    .replace("image: {column: scan, size: 16}", "image: {column: scan, size: 32}")
    .replace(/ {2}audio: .*\n/, "")
    .replace("model: {preset: standard, features: 16}", `model: {preset: standard, features: 16, encoders: {${encoder}}}`)
    .replace("train: {epochs: 2, batch_size: 8, seed: 0}", trainLine);
}

function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const PREFIX = "encoders.image.backbone.";

/** The .pth's tensors as the backbone holds them (no classifier), by the model's names. */
async function fileWeights(path: string, classifier = "fc."): Promise<Map<string, Tensor>> {
  const read = await readWeights(path);
  return new Map([...read].filter(([k]) => !k.startsWith(classifier)).map(([k, t]) => [PREFIX + k, t]));
}

function equal(a: Tensor, b: Tensor): boolean {
  return noGrad(() => a.shape.join() === b.shape.join() && a.to({ dtype: "float32" }).sub(b.to({ dtype: "float32" })).abs().sum().item() === 0);
}

/** Names of the tensors under PREFIX in `state` that differ from `reference`. */
function changed(state: Map<string, Tensor>, reference: Map<string, Tensor>): string[] {
  return [...reference].filter(([k, t]) => !equal(state.get(k) as Tensor, t)).map(([k]) => k);
}

function backboneState(model: MultimodalClassifier): Map<string, Tensor> {
  return new Map([...model.stateDict()].filter(([k]) => k.startsWith(PREFIX)).map(([k, t]) => [k, noGrad(() => t.detach().clone())]));
}

test("freeze: true: the run keeps the .pth's backbone exactly, trains the rest, and predicts as it was tested", async () => {
  const config = writeConfig("frozen.yaml", configText("image: {backbone: resnet18, weights: r18.pth, freeze: true}", "train: {epochs: 3, batch_size: 8, seed: 0, early_stopping: 0, lr: 0.003}"));
  const run = join(dir, "frozen");
  const summary = await train(config, { out: run });
  const saved = (await loadSafetensors(join(run, "model.safetensors"))).tensors;
  const reference = await fileWeights(join(dir, "r18.pth"));
  assert.equal([...saved.keys()].filter((k) => k.startsWith(PREFIX)).length, reference.size, "every backbone tensor but fc is saved, under encoders.image.backbone.*");
  assert.deepEqual(changed(saved, reference), [], "the frozen backbone is the file's, running statistics included");
  assert.ok(saved.has("encoders.image.body.0.weight"), "the projection after the backbone is saved");
  // The loss falls while only the rest trains.
  const history = readFileSync(join(run, "history.csv"), "utf8").trim().split("\n").slice(1).map((l) => Number(l.split(",")[1]));
  assert.ok((history.at(-1) as number) < (history[0] as number), `train loss ${history.join(" → ")}`);
  // ImageNet's statistics, not the data set's, normalise the backbone's input.
  const preprocess = JSON.parse(readFileSync(join(run, "preprocess.json"), "utf8"));
  const image = preprocess.inputs.find((i: { name: string }) => i.name === "image");
  assert.deepEqual([image.mean, image.std], [[0.485, 0.456, 0.406], [0.229, 0.224, 0.225]]);
  assert.deepEqual(preprocess.model.encoders, { image: { backbone: "resnet18" } }, "only what builds the model is kept for predict");
  // predict rebuilds the model and reproduces the test metrics.
  const model = await load(run, "cpu");
  try {
    const evaluated = await model.evaluate(join(dir, "test.csv"));
    assert.equal(evaluated.metrics.accuracy, summary.test.accuracy);
    assert.ok(Math.abs((evaluated.metrics.loss as number) - (summary.test.loss as number)) < 1e-5, `${evaluated.metrics.loss} vs ${summary.test.loss}`);
    assert.equal((await model.predict(join(dir, "test.csv"))).length, 10);
  } finally {
    model.dispose();
  }
  const exported = runCli(["export", run, "--format", "onnx", "--output", join(dir, "frozen.onnx")]);
  assert.match(userErrorLine(exported), /backbones are not exportable to ONNX yet/);
});

test("freeze: false trains the backbone from epoch 1; freeze: 1 keeps it as loaded through epoch 1 and trains it after", async () => {
  const reference = await fileWeights(join(dir, "r18.pth"));
  for (const [freeze, changedAfter] of [
    ["false", [true, true]],
    ["1", [false, true]],
  ] as const) {
    const { config } = await loadConfig(writeConfig(`freeze-${freeze}.yaml`, configText(`image: {backbone: resnet18, weights: r18.pth, freeze: ${freeze}}`)));
    const data = await prepareTraining(config);
    manualSeed(0);
    const train = new TensorDataset(data.train, data.state, "cpu");
    const validation = new TensorDataset(data.validation, data.state, "cpu");
    const model = buildModel(data.state, config.model);
    try {
      await loadBackboneWeights(model, config.model.encoders);
      assert.deepEqual(changed(backboneState(model), reference), [], "the loaded backbone is the file's");
      const projection = noGrad(() => (model.encoders[1] as BackboneEncoder).stateDict().get("body.0.weight")?.clone()) as Tensor;
      const seen: boolean[] = [];
      await fit(model, train, validation, {
        epochs: 2,
        batchSize: 8,
        optimizer: "adam",
        lr: 0.001,
        weightDecay: 0.01,
        earlyStopping: 0,
        modalityDropout: 0,
        device: "cpu",
        precision: null,
        deadline: null,
        backbones: trainableBackbones(model, config.model.encoders),
        onEpoch: (record) => {
          const now = backboneState(model);
          seen.push(changed(now, reference).length > 0);
          for (const t of now.values()) t.dispose();
          if (record.epoch === 1) assert.ok(!equal((model.encoders[1] as BackboneEncoder).stateDict().get("body.0.weight") as Tensor, projection), "the projection trains from epoch 1");
        },
      });
      assert.deepEqual(seen, changedAfter, `freeze: ${freeze}`);
    } finally {
      model.dispose();
      train.dispose();
      validation.dispose();
    }
  }
});

test("freeze: 1 resumed from the checkpoint after epoch 1 ends as the run never stopped", async () => {
  const { config } = await loadConfig(writeConfig("resume.yaml", configText("image: {backbone: resnet18, weights: r18.pth, freeze: 1}")));
  const data = await prepareTraining(config);
  const copy = (t: Tensor) => noGrad(() => t.detach().clone());
  const copyMap = (m: Map<string, Tensor>) => new Map([...m].map(([k, t]) => [k, copy(t)]));
  /** Trains two epochs from `resume` (or from the .pth), and returns the final weights and the checkpoint after epoch 1. */
  const run = async (resume: Checkpoint | null): Promise<{ weights: Map<string, Tensor>; afterEpoch1: Checkpoint | null }> => {
    manualSeed(0);
    const train = new TensorDataset(data.train, data.state, "cpu");
    const validation = new TensorDataset(data.validation, data.state, "cpu");
    const model = buildModel(data.state, config.model);
    let afterEpoch1: Checkpoint | null = null;
    try {
      if (!resume) await loadBackboneWeights(model, config.model.encoders);
      const options: FitOptions = {
        epochs: 2,
        batchSize: 8,
        optimizer: "adamw",
        lr: 0.001,
        weightDecay: 0.01,
        earlyStopping: 0,
        modalityDropout: 0,
        device: "cpu",
        precision: null,
        deadline: null,
        backbones: trainableBackbones(model, config.model.encoders),
        checkpoint: {
          resume,
          save: async (c) => {
            if (c.state.epoch !== 1 || c.state.partial) return;
            afterEpoch1 = { state: structuredClone(c.state), weights: copyMap(c.weights), best: c.best && copyMap(c.best), optimizer: c.optimizer.map(copy), rng: copy(c.rng), epochRng: null };
          },
        },
      };
      await fit(model, train, validation, options);
      return { weights: copyMap(model.stateDict()), afterEpoch1 };
    } finally {
      model.dispose();
      train.dispose();
      validation.dispose();
    }
  };
  const whole = await run(null);
  assert.ok(whole.afterEpoch1, "a checkpoint was written after epoch 1");
  const resumed = await run(whole.afterEpoch1);
  const differing = [...whole.weights].filter(([k, t]) => !equal(resumed.weights.get(k) as Tensor, t)).map(([k]) => k);
  assert.deepEqual(differing, []);
});

test("mobilenet_v3_small from torchvision's .pth trains frozen (the file's backbone kept) and unfrozen (the backbone trained too)", async () => {
  const reference = await fileWeights(join(dir, "mnv3s.pth"), "classifier.");
  for (const freeze of [true, false]) {
    const config = writeConfig(`mnv3s-${freeze}.yaml`, configText(`image: {backbone: mobilenet_v3_small, weights: mnv3s.pth, freeze: ${freeze}}`));
    const run = join(dir, `mnv3s-${freeze}`);
    const summary = await train(config, { out: run });
    const saved = (await loadSafetensors(join(run, "model.safetensors"))).tensors;
    assert.equal([...saved.keys()].filter((k) => k.startsWith(PREFIX)).length, reference.size, "every backbone tensor but the classifier is saved");
    const differing = changed(saved, reference);
    if (freeze) assert.deepEqual(differing, [], "the frozen backbone is the file's, running statistics included");
    else assert.ok(differing.some((k) => k.endsWith(".weight")), "the unfrozen backbone's weights moved");
    const history = readFileSync(join(run, "history.csv"), "utf8").trim().split("\n").slice(1).map((l) => Number(l.split(",")[1]));
    assert.equal(history.length, 2);
    assert.ok(history.every(Number.isFinite), `train loss ${history.join(" → ")}`);
    const preprocess = JSON.parse(readFileSync(join(run, "preprocess.json"), "utf8"));
    assert.deepEqual(preprocess.model.encoders, { image: { backbone: "mobilenet_v3_small" } });
    const model = await load(run, "cpu");
    try {
      assert.equal((await model.evaluate(join(dir, "test.csv"))).metrics.accuracy, summary.test.accuracy, "predict rebuilds the model as trained");
    } finally {
      model.dispose();
    }
  }
});

test("a .pth whose names do not fit resnet18 stops training with one line listing the differences", async () => {
  const config = writeConfig("renamed.yaml", configText("image: {backbone: resnet18, weights: renamed.pth}"));
  await assert.rejects(train(config, { out: join(dir, "renamed") }), (error: Error) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /renamed\.pth: not resnet18 weights \(model\.encoders\.image\.weights\): missing 1 \(conv1\.weight\); unexpected 1 \(stem\.weight\)$/);
    assert.ok(!error.message.includes("\n"));
    return true;
  });
});

test("config mistakes in a backbone's keys are one line naming the key", async () => {
  const cases: [string, RegExp][] = [
    ["tabular: {backbone: resnet18}", /model\.encoders\.tabular\.backbone: resnet18 reads image inputs \(tabular is a tabular input\)/],
    ["image: {backbone: cnn14}", /model\.encoders\.image\.backbone: cnn14 reads audio inputs \(image is an image input\)/],
    ["image: {backbone: resnet50}", /model\.encoders\.image\.backbone: unknown backbone "resnet50" \(known: resnet18, mobilenet_v3_small, efficientnet_b0, cnn14[^)]*\)/],
    ["image: {backbone: resnet18, weights: absent.pth}", /model\.encoders\.image\.weights: no such file: .*absent\.pth/],
    ["image: {weights: r18.pth}", /model\.encoders\.image\.weights: needs a backbone/],
    ["image: {backbone: resnet18, freeze: maybe}", /model\.encoders\.image\.freeze/],
  ];
  for (const [encoder, expected] of cases) {
    const r = runCli(["train", writeConfig("mistake.yaml", configText(encoder)), "--out", join(dir, "mistake"), "--quiet"]);
    assert.match(userErrorLine(r), expected, encoder);
  }
});

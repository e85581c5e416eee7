// model.encoders.<audio input>.backbone: cnn14. A randomly initialised Cnn14 saved as PANNs
// saves checkpoints ({'model': state_dict, ...}, written by Debian's python3-torch) is read
// into the audio input's encoder when training starts and kept frozen; the input decodes to
// 32 kHz waveforms, which the backbone's own front end reads in place of the data set's
// statistics; the rest trains, predict reproduces the test metrics, and mistakes in the
// keys are one line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { load, train } from "../../src/api.js";
import { encodeWav } from "../../src/demo/encode-audio.js";
import { dispose, loadSafetensors, noGrad, type Tensor } from "../../src/torch/index.js";
import { readWeights } from "../../src/weights/index.js";
import { runCli, tempDir, userErrorLine, writeCsv } from "../helpers/cli.js";
import { REFERENCE_PYTHON } from "../helpers/reference.js";

const SOURCE_TEST_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "test");
const dir = tempDir("mf-audio-backbone-");
const RATE = 16000;
// The shortest clip Cnn14's pooling takes is 0.31 s; a little more keeps the run fast.
const SECONDS = 0.35;

/** A tone (low: 200-400 Hz, high: 3-5 kHz) in a little noise, at a level that varies by row. */
function clip(row: number, high: boolean): Float32Array {
  const samples = Math.round(RATE * SECONDS);
  const hz = high ? 3000 + ((row * 389) % 2000) : 200 + ((row * 53) % 200);
  const level = 0.2 + ((row * 7) % 5) * 0.1;
  let seed = row + 1;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.05;
  return Float32Array.from({ length: samples }, (_, i) => level * Math.sin((2 * Math.PI * hz * i) / RATE) + noise());
}

const rows: (string | number)[][] = [];
// Few rows: every epoch runs the whole frozen backbone on each clip.
for (let i = 0; i < 28; i++) {
  const high = i % 2 === 1;
  const name = `clip${i}.wav`;
  writeFileSync(join(dir, name), encodeWav({ channels: [clip(i, high)], sampleRate: RATE }));
  rows.push([name, high ? "high" : "low"]);
}
writeCsv(join(dir, "train.csv"), ["clip", "pitch"], rows.slice(0, 20));
writeCsv(join(dir, "test.csv"), ["clip", "pitch"], rows.slice(20));

const python = spawnSync(REFERENCE_PYTHON, [join(SOURCE_TEST_DIR, "model", "cnn14_reference.py"), "--weights-only", join(dir, "cnn14.pth")], { encoding: "utf8" });
if (python.status !== 0) throw new Error(`python3 could not write Cnn14 weights: ${python.stderr.trim().split("\n").pop()}`);

function configText(encoder: string, audio = `{column: clip, seconds: ${SECONDS}}`): string {
  return `data:
  train: train.csv
  test: test.csv
  split: {validation: 0.25, seed: 1}
  label: pitch
  audio: ${audio}
model: {preset: standard, features: 16, encoders: {${encoder}}}
train: {epochs: 3, batch_size: 4, seed: 0, early_stopping: 0, lr: 0.003}
`;
}

function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const PREFIX = "encoders.audio.backbone.";

function equal(a: Tensor, b: Tensor): boolean {
  return noGrad(() => a.shape.join() === b.shape.join() && a.to({ dtype: "float32" }).sub(b.to({ dtype: "float32" })).abs().sum().item() === 0);
}

test("freeze: true: Cnn14 reads 32 kHz waveforms, stays the .pth's exactly, the rest trains, and predict reproduces the test metrics", async () => {
  const config = writeConfig("frozen.yaml", configText("audio: {backbone: cnn14, weights: cnn14.pth, freeze: true}"));
  const run = join(dir, "frozen");
  const summary = await train(config, { out: run });

  const preprocess = JSON.parse(readFileSync(join(run, "preprocess.json"), "utf8"));
  const audio = preprocess.inputs.find((i: { name: string }) => i.name === "audio");
  assert.equal(audio.representation, "waveform");
  assert.equal(audio.sampleRate, 32000, "the backbone's rate, not the config's default");
  assert.equal(audio.frames, Math.round(32000 * SECONDS), "a row is the clip's samples");
  assert.deepEqual([audio.mean, audio.std], [0, 1], "no data-set statistics: the backbone's front end and bn0 normalise");
  assert.deepEqual(preprocess.model.encoders, { audio: { backbone: "cnn14" } });

  const saved = (await loadSafetensors(join(run, "model.safetensors"))).tensors;
  const file = await readWeights(join(dir, "cnn14.pth"));
  try {
    const expected = [...file].filter(([name]) => !name.startsWith("fc_audioset."));
    assert.equal([...saved.keys()].filter((k) => k.startsWith(PREFIX)).length, expected.length, "every tensor but fc_audioset is saved under encoders.audio.backbone.*");
    const differing = expected.filter(([name, t]) => !equal(saved.get(PREFIX + name) as Tensor, t)).map(([name]) => name);
    assert.deepEqual(differing, [], "the frozen backbone is the file's: front end, weights and running statistics");
  } finally {
    dispose([...file.values(), ...saved.values()]);
  }

  // The network alone (history's validation columns) learns from the frozen embedding.
  const [header, ...lines] = readFileSync(join(run, "history.csv"), "utf8").trim().split("\n");
  const column = (name: string) => lines.map((l) => Number(l.split(",")[(header as string).split(",").indexOf(name)]));
  const valLoss = column("val_loss");
  const valAccuracy = column("val_accuracy");
  assert.ok((valLoss.at(-1) as number) < Math.log(2), `validation loss ${valLoss.join(" → ")} ends below a coin flip's`);
  assert.ok((valAccuracy.at(-1) as number) > 0.5, `validation accuracy ${valAccuracy.join(" → ")} ends above chance`);
  assert.ok((summary.test.accuracy as number) > 0.5, `test accuracy ${summary.test.accuracy} above chance`);

  const model = await load(run, "cpu");
  try {
    const evaluated = await model.evaluate(join(dir, "test.csv"));
    assert.equal(evaluated.metrics.accuracy, summary.test.accuracy);
    assert.ok(Math.abs((evaluated.metrics.loss as number) - (summary.test.loss as number)) < 1e-5, `${evaluated.metrics.loss} vs ${summary.test.loss}`);
  } finally {
    model.dispose();
  }
});

test("config mistakes with an audio backbone are one line naming the key", () => {
  const cases: [string, string, RegExp][] = [
    ["audio: {backbone: resnet18}", `{column: clip, seconds: ${SECONDS}}`, /model\.encoders\.audio\.backbone: resnet18 reads image inputs \(audio is an audio input\)/],
    ["audio: {backbone: cnn14}", "{column: clip, seconds: 0.2}", /data\.audio: input audio: cnn14 needs clips of at least 0\.31 s \(seconds: 0\.2\)/],
    ["audio: {backbone: cnn14, weights: absent.pth}", `{column: clip, seconds: ${SECONDS}}`, /model\.encoders\.audio\.weights: no such file: .*absent\.pth/],
  ];
  for (const [encoder, audio, expected] of cases) {
    const r = runCli(["train", writeConfig("mistake.yaml", configText(encoder, audio)), "--out", join(dir, "mistake"), "--quiet"]);
    assert.match(userErrorLine(r), expected, encoder);
  }
});

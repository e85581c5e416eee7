// modalfuse's Cnn14 against a plain-PyTorch Cnn14 with PANNs' layout (Debian's python3-torch,
// the same libtorch): the reference's torch.save checkpoint, nested under 'model' as PANNs
// saves them, loads through modalfuse's reader by name, and on real clips (the audio
// fixtures, decoded and resampled to 32 kHz by modalfuse) the log-mel, embedding and
// clipwise output agree in eval mode, and in train mode with dropout off on both sides
// (dropout's random masks cannot agree), with the running statistics and gradients.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadWaveforms } from "../../src/data/workers/media-loader.js";
import { BACKBONES, Cnn14, loadTorchvisionWeights } from "../../src/model/backbones/index.js";
import { dispose, loadSafetensors, noGrad, saveSafetensors, tensor, tidy, type Tensor } from "../../src/torch/index.js";
import { readWeights } from "../../src/weights/index.js";
import { probeLike, REFERENCE_PYTHON } from "../helpers/reference.js";
import { assertNear as nearly, maxAbsDiff } from "../helpers/near.js";

const SOURCE_TEST_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "test");
const TOLERANCE = 1e-4;
// Real clips at several rates and channel counts; opposite_stereo mixes to silence, which
// puts every mel bin on the decibel floor.
const CLIPS = ["tone440_pcm16_mono_16k.wav", "tone1k_stereo_44k.mp3", "tone440_s24_mono_48k.flac", "three_channel_8k.wav", "opposite_stereo_16k.wav", "tone440_u8_mono_8k.wav"];
// One second: the whole architecture at a fraction of a 10 s clip's cost.
const SECONDS = 1;

let weights = new Map<string, Tensor>();
let reference = new Map<string, Tensor>();
let waves: Tensor | null = null;
let workDir = "";

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), "modalfuse-cnn14-"));
  const decoded = await loadWaveforms({ cells: CLIPS, column: "clip", dir: join(SOURCE_TEST_DIR, "fixtures", "media", "audio"), manifest: "fixtures" }, { sampleRate: BACKBONES.cnn14.sampleRate, seconds: SECONDS });
  assert.ok(decoded.present.every(Boolean), "every fixture clip decodes");
  waves = tensor(decoded.data, [CLIPS.length, decoded.data.length / CLIPS.length]);
  await saveSafetensors(join(workDir, "waves.safetensors"), new Map([["waveforms", waves]]));
  const run = spawnSync(REFERENCE_PYTHON, [join(SOURCE_TEST_DIR, "model", "cnn14_reference.py"), join(workDir, "waves.safetensors"), workDir], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`the Cnn14 reference failed (${REFERENCE_PYTHON}): ${run.stderr || run.error?.message}`);
  weights = await readWeights(join(workDir, "cnn14.pth"));
  reference = (await loadSafetensors(join(workDir, "reference.safetensors"))).tensors;
});

after(() => {
  dispose([...weights.values(), ...reference.values(), ...(waves ? [waves] : [])]);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function ref(name: string): Tensor {
  const t = reference.get(name);
  if (!t) throw new Error(`the reference has no tensor ${name}`);
  return t;
}

function input(): Tensor {
  if (!waves) throw new Error("no waveforms");
  return waves;
}

/** Within the parity tests' tolerance. */
function assertNear(actual: Tensor, expected: Tensor, what: string, report: (line: string) => void): void {
  nearly(actual, expected, what, report, TOLERANCE);
}

function loaded(options: { dropout?: boolean } = {}): Cnn14 {
  const model = BACKBONES.cnn14.build(options) as Cnn14;
  model.loadStateDict(weights);
  return model;
}

test("the state dict has PANNs' names and shapes; the front end's tensors are fixed, not trained", () => {
  const model = new Cnn14();
  const describe = (m: Map<string, Tensor>) => [...m].map(([name, t]) => `${name} ${t.dtype} [${t.shape.join(", ")}]`).sort();
  assert.deepEqual(describe(model.stateDict()), describe(weights));
  for (const name of ["spectrogram_extractor.stft.conv_real.weight", "spectrogram_extractor.stft.conv_imag.weight", "logmel_extractor.melW", "conv_block6.bn2.running_var", "fc_audioset.bias"]) {
    assert.ok(weights.has(name), `the checkpoint has ${name}`);
  }
  // Trainable: everything but the front end's kernels and filterbank and the running statistics.
  const fixed = (name: string) => name.startsWith("spectrogram_extractor.") || name.startsWith("logmel_extractor.") || /\.(running_mean|running_var|num_batches_tracked)$/.test(name);
  const trainable = [...weights].filter(([name]) => !fixed(name)).reduce((n, [, t]) => n + t.numel, 0);
  assert.equal(model.numParameters(), trainable);
  assert.deepEqual(model.namedParameters().map(([name]) => name).filter(fixed), []);
  model.dispose();
});

test("the front end modalfuse builds is the one the reference builds (windowed DFT kernels, Slaney mel filterbank)", (t) => {
  const model = new Cnn14();
  const own = model.stateDict();
  for (const name of ["spectrogram_extractor.stft.conv_real.weight", "spectrogram_extractor.stft.conv_imag.weight", "logmel_extractor.melW"]) {
    const diff = maxAbsDiff(own.get(name) as Tensor, weights.get(name) as Tensor, name);
    t.diagnostic(`${name}: max abs diff ${diff.toExponential(2)}`);
    assert.ok(diff <= 1e-6, `${name}: max abs diff ${diff}`);
  }
  model.dispose();
});

test("eval mode: log-mel, embedding and clipwise output match the reference", (t) => {
  const model = loaded().eval();
  const report = (line: string) => t.diagnostic(line);
  tidy(() =>
    noGrad(() => {
      assertNear(model.logMel(input()), ref("eval.logmel"), "eval log-mel (dB)", report);
      const { embedding, clipwise } = model.outputs(input());
      assertNear(embedding, ref("eval.embedding"), "eval embedding", report);
      assertNear(clipwise, ref("eval.clipwise"), "eval clipwise", report);
      // features() and forward() are the same pass cut at either end: two clips suffice.
      assertNear(model.features(input().narrow(0, 0, 2)), ref("eval.embedding").narrow(0, 0, 2), "eval features()", report);
      assertNear(model.forward(input().narrow(0, 0, 2)), ref("eval.clipwise").narrow(0, 0, 2), "eval forward()", report);
    }),
  );
  // The silent clip sits on the floor: 10·log10(1e-10) in every bin.
  const silent = CLIPS.indexOf("opposite_stereo_16k.wav");
  const floor = tidy(() => noGrad(() => model.logMel(input().narrow(0, silent, 1)).amax().item()));
  assert.ok(Math.abs(floor + 100) < 1e-3, `silence gives ${floor} dB`);
  model.dispose();
});

test("train mode with dropout off: batch statistics, updated running statistics and gradients match the reference", (t) => {
  const model = loaded({ dropout: false }).train();
  const report = (line: string) => t.diagnostic(line);
  tidy(() => {
    const { embedding, clipwise } = model.outputs(input());
    assertNear(embedding, ref("train.embedding"), "train embedding", report);
    assertNear(clipwise, ref("train.clipwise"), "train clipwise", report);
    const buffers = new Map(model.namedBuffers());
    for (const name of ["bn0", "conv_block6.bn2"]) {
      for (const stat of ["running_mean", "running_var"]) {
        const key = `${name}.${stat}`;
        const expected = ref(`train.after.${key}`);
        // Relative to the statistic's size: bn0's are decibels, in the hundreds.
        const scale = Math.max(1, tidy(() => expected.abs().amax().item()));
        const diff = maxAbsDiff(buffers.get(key) as Tensor, expected, key) / scale;
        report(`${key} after one pass: max abs diff / max(1, max |value|) ${diff.toExponential(2)}`);
        assert.ok(diff <= TOLERANCE, `${key}: ${diff}`);
      }
      assert.equal((buffers.get(`${name}.num_batches_tracked`) as Tensor).item(), 8, `${name}: 7 before, one training pass`);
    }
    clipwise.mul(probeLike(clipwise)).sum().backward();
    // The last block's and fc1's gradients. Further back, each gradient flows to the frame
    // that the max over time picked, and steady tones make many frames nearly equal: the
    // decibels' last bit (a natural log scaled here, log10 there) can tip that choice.
    for (const [name, param] of [
      ["conv_block6.conv2.weight", model.blocks[5]?.conv2.weight],
      ["fc1.weight", model.fc1.weight],
    ] as const) {
      const grad = param?.grad;
      assert.ok(grad, `${name} has a gradient`);
      const expected = ref(`train.grad.${name}`);
      // Relative to the gradient's largest entry: entries near zero carry no scale of their own.
      const relative = maxAbsDiff(grad, expected, `grad ${name}`) / tidy(() => expected.abs().amax().item());
      report(`grad ${name}: max abs diff / max |grad| ${relative.toExponential(2)}`);
      assert.ok(relative <= TOLERANCE, `grad ${name}: relative diff ${relative}`);
    }
    const frontEnd = model.stateDict().get("logmel_extractor.melW") as Tensor;
    assert.equal(frontEnd.grad, null, "the filterbank takes no gradient");
  });
  model.dispose();
});

test("built without its classifier, as a backbone: the checkpoint loads once fc_audioset is left out; dropout acts in training only", () => {
  const spec = BACKBONES.cnn14;
  const model = spec.build({ classifier: false }) as Cnn14;
  const withoutClassifier = new Map([...weights].filter(([name]) => !name.startsWith(spec.classifierPrefix)));
  assert.equal(weights.size - withoutClassifier.size, 2, "fc_audioset.weight and .bias");
  loadTorchvisionWeights(model, withoutClassifier);
  const clips = input().narrow(0, 0, 2);
  tidy(() =>
    noGrad(() => {
      assert.deepEqual(model.eval().features(clips).shape, [2, spec.features]);
      assert.throws(() => model.forward(clips), /built without its classifier/);
      const a = model.features(clips);
      assert.equal(maxAbsDiff(model.features(clips), a, "eval features twice"), 0);
      model.train();
      assert.ok(maxAbsDiff(model.features(clips), model.features(clips), "train features twice") > 0, "dropout draws new masks each pass");
    }),
  );
  model.dispose();
});

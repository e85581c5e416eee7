// One process of the data-parallel equivalence test: trains a model on a prepared data set
// through the training loop, as one process or as the rank its environment names, and saves
// the weights it ends with. Dropout and augmentation are off, so the only randomness is the
// shared shuffle.
import { loadConfig } from "../../src/config/load.js";
import { TensorDataset } from "../../src/data/dataset.js";
import { prepareTraining } from "../../src/data/prepare.js";
import { buildModel } from "../../src/model/classifier.js";
import { joinDataParallel } from "../../src/training/data-parallel.js";
import { distributedEnv } from "../../src/training/distributed-env.js";
import { fit } from "../../src/training/loop.js";
import { manualSeed, nn, saveSafetensors } from "../../src/torch/index.js";

const [configPath, batchSize, out, syncBatchNorm] = process.argv.slice(2) as [string, string, string, string | undefined];
const { config } = await loadConfig(configPath);
const data = await prepareTraining(config);
const env = distributedEnv();
const dp = env ? joinDataParallel(env, { timeoutSeconds: 60, bucketMb: config.train.bucket_mb }) : null;
manualSeed(config.train.seed);
const train = new TensorDataset(data.train, data.state, "cpu");
const validation = new TensorDataset(data.validation, data.state, "cpu");
const model = buildModel(data.state, config.model);
// Test-only: the layers' rate is fixed at construction.
for (const m of model.modules()) if (m instanceof nn.Dropout || m instanceof nn.Dropout2d) (m as unknown as { p: number }).p = 0;
// Test-only, likewise: the preset's random shifts and masks drawn per row would differ.
const training = { ...model.settings.training, augment: { flip: false, shiftPixels: 0, specAugment: false, timeShift: 0 } };
(model as unknown as { settings: object }).settings = { ...model.settings, training };
if (dp && syncBatchNorm === "sync") dp.synchroniseBatchNorm(model);
await fit(model, train, validation, {
  epochs: config.train.epochs,
  batchSize: Number(batchSize),
  // SGD's step is linear in the gradient, so the comparison sees the gradients' averaging
  // itself; Adam divides by the gradients' running scale, which magnifies rounding in
  // gradients near zero.
  optimizer: "sgd",
  lr: 0.05,
  weightDecay: 0,
  earlyStopping: 0,
  modalityDropout: 0,
  device: "cpu",
  precision: null,
  deadline: null,
  dataParallel: dp,
});
await saveSafetensors(out, model.stateDict());
dp?.group.destroy();

// Config defaults and overrides.
import { test } from "node:test";
import assert from "node:assert/strict";
import { applyOverride, loadConfig } from "../../src/config/load.js";

const minimal = { data: { train: "m.csv", label: "y", tabular: { numeric: ["a"] } } };

test("defaults: the standard preset fuses late, the seed preset concatenates as the tutorial did", async () => {
  assert.deepEqual((await loadConfig(minimal)).config.model, { preset: "standard", fusion: "late", features: 128, encoders: {} });
  assert.equal((await loadConfig({ ...minimal, model: { preset: "seed" } })).config.model.fusion, "concat");
  assert.equal((await loadConfig({ ...minimal, model: { preset: "seed", fusion: "gated" } })).config.model.fusion, "gated");
  const { train, data } = (await loadConfig(minimal)).config;
  assert.deepEqual(train, { epochs: 30, batch_size: 64, optimizer: "adam", lr: 0.001, weight_decay: 0, early_stopping: 5, modality_dropout: 0, seed: 0, device: "auto", precision: "auto", time_limit: null, sync_batchnorm: false, collective_timeout: 300, bucket_mb: 25 });
  assert.deepEqual(data.split, { validation: 0.15, test: 0.15, stratify: true, seed: 0 });
  assert.equal(data.on_bad_file, "missing");
});

test("--set values are read as YAML and create sections as needed", () => {
  const raw: Record<string, unknown> = {};
  applyOverride(raw, "train.epochs=5");
  applyOverride(raw, "data.image.size=[24, 32]");
  applyOverride(raw, "data.validation=null");
  applyOverride(raw, "model.preset=seed");
  assert.deepEqual(raw, { train: { epochs: 5 }, data: { image: { size: [24, 32] }, validation: null }, model: { preset: "seed" } });
});

test("data paths are resolved against the config file's folder", async () => {
  const { config } = await loadConfig(minimal, [], "/srv/project");
  assert.equal(config.data.train, "/srv/project/m.csv");
});

test("train.precision takes auto, float32 or bfloat16 and names the key when it is anything else", async () => {
  assert.equal((await loadConfig({ ...minimal, train: { precision: "float32" } })).config.train.precision, "float32");
  await assert.rejects(loadConfig({ ...minimal, train: { precision: "half" as "auto" } }), /train\.precision/);
});

test("train.time_limit takes seconds or a duration and resolves to seconds; anything else names the key", async () => {
  const limit = async (value: unknown) => (await loadConfig({ ...minimal, train: { time_limit: value as number } })).config.train.time_limit;
  assert.equal(await limit(90), 90);
  assert.equal(await limit("90s"), 90);
  assert.equal(await limit("10m"), 600);
  assert.equal(await limit("10min"), 600);
  assert.equal(await limit("1.5h"), 5400);
  assert.equal(await limit(null), null);
  for (const bad of ["ten minutes", "10 days", "0m", -5, "", "5m30s"]) await assert.rejects(limit(bad), /train\.time_limit/, `${JSON.stringify(bad)} is refused`);
});

test("model.encoders gives an input its own width, and names what it cannot use", async () => {
  const withImage = { data: { ...minimal.data, image: { column: "scan" } } };
  const { config } = await loadConfig({ ...withImage, model: { encoders: { image: { features: 32 } } } });
  assert.deepEqual(config.model.encoders, { image: { features: 32 } });
  await assert.rejects(loadConfig({ ...withImage, model: { encoders: { scan: { features: 32 } } } }), /model\.encoders\.scan: no input is named scan \(inputs: tabular, image\)/);
  await assert.rejects(loadConfig({ ...withImage, model: { encoders: { image: { features: 0 } } } }), /model\.encoders\.image\.features/);
  await assert.rejects(loadConfig({ ...withImage, model: { encoders: { image: { width: 8 } as never } } }), /model\.encoders\.image.*width/);
});

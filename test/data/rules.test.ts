// SPEC.md's data rules, checked on the prepared tables: missing values, scaling on
// training rows only, unknown categories, empty labels, absent media never borrowed from
// another row, and the model ignoring an absent input's values.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import { TensorDataset } from "../../src/data/dataset.js";
import { prepareTraining, type Table } from "../../src/data/prepare.js";
import type { PreprocessState } from "../../src/data/preprocess-state.js";
import type { ImageState } from "../../src/inputs/image/index.js";
import { gatherRows, ownRows, type MediaPart } from "../../src/inputs/media.js";
import type { TabularPart, TabularState } from "../../src/inputs/tabular/index.js";
import { MISSING_INDEX, UNKNOWN_INDEX } from "../../src/data/table/tabular.js";
import { buildModel } from "../../src/model/classifier.js";
import { arange, noGrad, tensor, tidy } from "../../src/torch/index.js";
import { tempDir, useFixture, writeCsv } from "../helpers/cli.js";

const dir = tempDir("mf-rules-");
const img = (i: number) => useFixture(dir, i % 2 ? "image/red_blue.png" : "image/gray_gradient.png", `img${i}.png`);
const header = ["id", "x", "color", "pic", "y"];
const trainRows: (string | number)[][] = [
  ["a", 1, "red", img(0), "p"],
  ["b", 3, "blue", img(1), "q"],
  ["c", "abc", "red", "", "p"],
  ["d", "inf", "", img(3), "q"],
  ["e", 5, "red", "media/gone.png", "p"],
  ["f", 7, "blue", img(5), ""],
  ["g", "-Infinity", "blue", img(6), "q"],
];
writeCsv(join(dir, "train.csv"), header, trainRows);
// Validation values far from training ones: scaling must not see them.
writeCsv(join(dir, "val.csv"), header, [
  ["v1", 1000, "green", img(7), "p"],
  ["v2", 2000, "red", img(8), "q"],
]);
writeFileSync(
  join(dir, "config.yaml"),
  `data:
  train: train.csv
  validation: val.csv
  test: val.csv
  label: y
  id: id
  tabular: {numeric: [x], categorical: [color]}
  image: {column: pic, size: 8}
`,
);

const tabularState = (s: PreprocessState) => s.inputs.find((i) => i.kind === "tabular") as TabularState;
const imageState = (s: PreprocessState) => s.inputs.find((i) => i.kind === "image") as ImageState;
const tabular = (t: Table) => t.inputs.tabular as TabularPart;
const images = (t: Table) => t.inputs.image as MediaPart;

const prepared = (async () => prepareTraining((await loadConfig(join(dir, "config.yaml"))).config))();

test("numeric cells that are not finite numbers are missing, with an indicator; scaling uses training rows only", async () => {
  const { state, train, validation } = await prepared;
  // Training rows a..g minus f (empty label): x = 1, 3, missing, missing, 5, missing
  const stats = tabularState(state).numeric[0];
  assert.equal(stats?.mean, 3);
  assert.ok(Math.abs((stats?.std ?? 0) - Math.sqrt(8 / 3)) < 1e-12);
  const value = (t: typeof train, row: number) => [tabular(t).numeric[2 * row], tabular(t).numeric[2 * row + 1]];
  assert.deepEqual(value(train, 2), [0, 1], "abc is missing");
  assert.deepEqual(value(train, 3), [0, 1], "inf is missing");
  assert.deepEqual(value(train, 5), [0, 1], "-Infinity is missing");
  assert.ok(Math.abs((value(train, 0)[0] as number) - (1 - 3) / Math.sqrt(8 / 3)) < 1e-6);
  assert.ok(Math.abs((value(validation, 0)[0] as number) - (1000 - 3) / Math.sqrt(8 / 3)) < 1e-3);
});

test("categories come from training rows; unseen ones map to unknown, empty ones to missing", async () => {
  const { state, train, validation } = await prepared;
  assert.deepEqual(tabularState(state).categorical[0]?.values, ["blue", "red"]);
  assert.equal(Number(tabular(validation).categorical[0]), UNKNOWN_INDEX, "green was never seen in training");
  assert.equal(Number(tabular(train).categorical[3]), MISSING_INDEX, "row d has no colour");
});

test("a training row with an empty label is reported and dropped", async () => {
  const { train, issues } = await prepared;
  assert.deepEqual(train.ids, ["a", "b", "c", "d", "e", "g"]);
  assert.ok(issues.some((i) => i.row === 5 && i.column === "y" && /empty label/.test(i.problem)));
});

test("absent media is marked absent and its slot stays empty: nothing is copied from another row", async () => {
  const { train, issues } = await prepared;
  assert.deepEqual(Array.from(images(train).present), [1, 1, 0, 1, 0, 1]);
  const stride = 3 * 8 * 8;
  const pixels = tidy(() => gatherRows(images(train).media).toTypedArray() as Uint8Array);
  for (const row of [2, 4]) assert.ok(pixels.subarray(row * stride, (row + 1) * stride).every((v) => v === 0), `row ${row} holds pixels`);
  assert.ok(pixels.subarray(0, stride).some((v) => v !== 0));
  assert.ok(issues.some((i) => i.row === 4 && i.column === "pic" && i.problem === "file not found"));
  assert.ok(!issues.some((i) => i.row === 2 && i.column === "pic"), "an empty cell is missing, not an issue");
});

test("the model's output does not depend on an absent input's values", async () => {
  const { state, train } = await prepared;
  const model = buildModel(state, { preset: "standard", fusion: "concat", features: 8 }).eval();
  const tableWith = (fill: number) => {
    const image = tidy(() => gatherRows(images(train).media).toTypedArray() as Uint8Array);
    image.fill(fill, 2 * 192, 3 * 192); // row 2 is absent: whatever its pixels, they must not matter
    return { ...train, inputs: { ...train.inputs, image: { ...images(train), media: ownRows(tensor(image, [train.size, 3, 8, 8], { dtype: "uint8" })) } } };
  };
  const outputs = [0, 255].map((fill) => {
    const data = new TensorDataset(tableWith(fill), state);
    const out = tidy(() => noGrad(() => model.forward(data.batch(arange(0, train.size))).toArray()));
    data.dispose();
    return out;
  });
  assert.deepEqual(outputs[0], outputs[1]);
  model.dispose();
});

test("a failing training manifest is reported only after the validation and test manifests have stopped decoding", async () => {
  const sub = tempDir("mf-rules-fail-");
  const pics = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => [`${prefix}${i}`, i, useFixture(sub, i % 2 ? "image/red_blue.png" : "image/cmyk.jpg", `${prefix}${i}.png`), "only"]);
  writeCsv(join(sub, "train.csv"), ["id", "x", "pic", "y"], pics(4, "t"));
  writeCsv(join(sub, "val.csv"), ["id", "x", "pic", "y"], pics(40, "v"));
  writeCsv(join(sub, "test.csv"), ["id", "x", "pic", "y"], pics(40, "s"));
  writeFileSync(join(sub, "config.yaml"), `data:\n  train: train.csv\n  validation: val.csv\n  test: test.csv\n  label: y\n  tabular: {numeric: [x]}\n  image: {column: pic, size: 8}\n  cache_dir: cache\n`);
  let lastProgress = 0;
  const failing = prepareTraining((await loadConfig(join(sub, "config.yaml"))).config, () => void (lastProgress = performance.now()));
  await assert.rejects(failing, /only one class/);
  const rejectedAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.ok(lastProgress <= rejectedAt, "no file was decoded after the error was reported");
});

test("image normalisation is the mean and standard deviation of the training rows' present pixels, per channel", async () => {
  const { state, train } = await prepared;
  const media = images(train).media;
  const image = imageState(state);
  assert.ok(media && image);
  const pixels = tidy(() => media.source.indexSelect(0, tensor(Array.from(media.rows), [media.rows.length], { dtype: "int64" })).toArray() as number[]);
  const plane = (media.source.shape[2] as number) * (media.source.shape[3] as number);
  for (let c = 0; c < 3; c++) {
    let sum = 0;
    let sq = 0;
    let count = 0;
    for (let r = 0; r < train.size; r++) {
      if (!images(train).present[r]) continue;
      for (let p = 0; p < plane; p++) {
        const v = (pixels[(r * 3 + c) * plane + p] as number) / 255;
        sum += v;
        sq += v * v;
        count++;
      }
    }
    assert.ok(count > 0);
    const mean = sum / count;
    assert.ok(Math.abs((image.mean[c] as number) - mean) < 1e-6, `channel ${c} mean ${image.mean[c]} vs ${mean}`);
    assert.ok(Math.abs((image.std[c] as number) - Math.sqrt(sq / count - mean * mean)) < 1e-6, `channel ${c} std`);
  }
});

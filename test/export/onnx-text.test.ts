// Text inputs in the exported graph: two n-gram bags sharing one encoder, a transformer over
// a fitted vocabulary, beside numeric and categorical columns; the graph reads the token
// ids modalfuse's tokenisers produce and gives libtorch's probabilities.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { decodeModel } from "../../src/export/onnx/proto.js";
import { readFileSync } from "node:fs";
import { tempDir, writeCsv } from "../helpers/cli.js";
import { checkWithOnnx, hasOnnxChecker, parity, PARITY_TOLERANCE, report, trainRun } from "./onnx-helpers.js";

const WORDS = ["apple", "river", "engine", "violin", "the", "a", "small", "big", "near"];

function writeNotes(dir: string): string {
  const rows = Array.from({ length: 40 }, (_, i) => [
    i % 9 === 0 ? "" : `${WORDS[i % 4]} ${WORDS[4 + (i % 5)]} ${WORDS[(i * 7) % 9]}`,
    `${WORDS[(i * 3) % 9]} ${WORDS[i % 4]} and more words`,
    i % 7 === 0 ? "" : `${WORDS[(i * 5) % 9]} ${WORDS[i % 4]}`,
    i % 5 === 0 ? "" : String(i % 3),
    ["north", "south", ""][i % 3] as string,
    `c${i % 2}`,
  ]);
  const path = join(dir, "notes.csv");
  writeCsv(path, ["title", "body", "summary", "n", "site", "y"], rows);
  return path;
}

const CONFIG = `data:
  train: notes.csv
  label: y
  tabular: {numeric: [n], categorical: [site]}
  text:
    - {column: title, share: true}
    - {column: summary, share: true}
    - {column: body, encoder: transformer}
model: {features: 16}
train: {epochs: 1, batch_size: 8}
`;

for (const [preset, fusion] of [
  ["standard", "attention"],
  ["seed", "gated"],
] as const) {
  test(`text inputs (${preset}, ${fusion}): ONNX probabilities equal libtorch's`, async () => {
    const dir = tempDir("mf-onnx-text-");
    const notes = writeNotes(dir);
    const run = await trainRun(dir, CONFIG, [`model.preset=${preset}`, `model.fusion=${fusion}`]);
    const result = await parity(run, notes);
    report(`text ${preset}/${fusion}`, result.max);
    assert.ok(result.max <= PARITY_TOLERANCE, `max |Δp| ${result.max}`);
    const model = decodeModel(readFileSync(result.onnxPath)) as { graph: { input: { name: string }[]; output: { name: string }[] } };
    assert.deepEqual(
      model.graph.input.map((i) => i.name),
      ["tabular.present", "tabular.numeric", "tabular.categorical", "title.present", "title.ids", "summary.present", "summary.ids", "body.present", "body.ids"],
    );
    assert.deepEqual(
      model.graph.output.map((o) => o.name),
      fusion === "gated" ? ["logits", "probabilities", "input_weights"] : ["logits", "probabilities"],
    );
    if (hasOnnxChecker()) checkWithOnnx(result.onnxPath);
  });
}

// Text columns through the real CLI: the n-gram bag, the transformer over a fitted
// vocabulary, and a user's tokenizer.json (kept in the run, so the run predicts after the
// file is gone); robustness drops words and adds typos; empty text is missing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { Random } from "../../src/util/random.js";
import { runCli, tempDir, writeCsv } from "../helpers/cli.js";

const readCsv = (path: string) => parse(readFileSync(path, "utf8"), { columns: true }) as Record<string, string>[];

const CLASS_WORDS = ["apple", "river", "engine", "violin"];
const FILLER = ["the", "a", "report", "says", "about", "today", "our", "new", "old", "small", "big", "near", "far", "quite", "really", "very"];
const dir = tempDir("mf-text-");
const random = new Random(3);
const sentence = (label: number) => {
  const words = Array.from({ length: 6 }, () => FILLER[random.int(0, FILLER.length - 1)] as string);
  words.splice(random.int(0, 6), 0, CLASS_WORDS[label] as string);
  return words.join(" ");
};
const rows = Array.from({ length: 240 }, (_, i) => {
  const label = i % 4;
  // The title names the class on every row but is sometimes empty; the body on most rows.
  return [i % 15 === 0 ? "" : sentence(label), sentence(random.next() < 0.8 ? label : random.int(0, 3)), sentence(label), `c${label}`];
});
writeCsv(join(dir, "notes.csv"), ["title", "body", "summary", "y"], rows);
// A word-level tokenizer.json of the kind Hugging Face's tokenizers library writes.
const vocab = Object.fromEntries(["[UNK]", ...CLASS_WORDS, ...FILLER].map((w, i) => [w, i]));
writeFileSync(
  join(dir, "tokenizer.json"),
  JSON.stringify({ version: "1.0", truncation: null, padding: null, added_tokens: [], normalizer: { type: "Lowercase" }, pre_tokenizer: { type: "Whitespace" }, post_processor: null, decoder: null, model: { type: "WordLevel", vocab, unk_token: "[UNK]" } }),
);
writeFileSync(
  join(dir, "config.yaml"),
  "data:\n  train: notes.csv\n  label: y\n  text:\n    - {column: title}\n    - {column: body, encoder: transformer}\n    - {column: summary, tokenizer: tokenizer.json}\ntrain: {epochs: 12, batch_size: 32}\n",
);
const run = join(dir, "run");

test("three text inputs, one encoder each, learn the class their words carry", () => {
  const r = runCli(["train", join(dir, "config.yaml"), "--out", run, "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  const metrics = JSON.parse(readFileSync(join(run, "metrics.json"), "utf8"));
  assert.deepEqual(Object.keys(metrics.inputs), ["title", "body", "summary"]);
  assert.ok(metrics.test.accuracy >= 0.9, `test accuracy ${metrics.test.accuracy}`);
  assert.equal(metrics.missing.train.title + metrics.missing.validation.title + metrics.missing.test.title, 16, "empty titles are missing");
  for (const input of ["title", "body", "summary"]) assert.ok(metrics.baselines.inputs[input].test > 0.5, `${input}'s linear baseline reads its words`);
  const state = JSON.parse(readFileSync(join(run, "preprocess.json"), "utf8"));
  const summary = state.inputs.find((i: { name: string }) => i.name === "summary");
  assert.equal(summary.tokenizerJson.model.type, "WordLevel", "the tokenizer is kept in the run");
  assert.ok(!("tokenizer" in summary), "no path to the user's file is kept");
  assert.ok(state.inputs.find((i: { name: string }) => i.name === "body").vocabulary.includes("engine"));
});

test("the run predicts without the tokenizer file, and robustness drops words and adds typos per text input", () => {
  rmSync(join(dir, "tokenizer.json"));
  const output = join(dir, "predictions.csv");
  const p = runCli(["predict", run, "--data", join(dir, "notes.csv"), "--output", output, "--explain", "--quiet"]);
  assert.equal(p.status, 0, p.stderr);
  const predicted = readCsv(output);
  assert.ok(predicted.filter((row, i) => row.prediction === rows[i]?.[3]).length / predicted.length > 0.9);
  assert.deepEqual(Object.keys(predicted[0] ?? {}).filter((k) => k.startsWith("contrib_")), ["contrib_title", "contrib_body", "contrib_summary"]);
  const e = runCli(["evaluate", run, "--data", join(dir, "notes.csv"), "--robustness", "--quiet"]);
  assert.equal(e.status, 0, e.stderr);
  const robustness = readCsv(join(run, "robustness.csv"));
  for (const input of ["title", "body", "summary"]) {
    const dropped = robustness.filter((x) => x.condition === "words_dropped" && x.modality === input).map((x) => Number(x.accuracy));
    assert.equal(dropped.length, 4, `words dropped for ${input}`);
    assert.equal(robustness.filter((x) => x.condition === "typos" && x.modality === input).length, 4, `typos for ${input}`);
  }
  assert.match(readFileSync(join(run, "report.html"), "utf8"), /<td>words_dropped<\/td><td>title<\/td>/);
});

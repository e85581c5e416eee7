// User errors through the real CLI: exit code 2, one plain line naming what is wrong,
// never a stack trace.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { engineInfo } from "../../src/torch/index.js";
import { runCli, tempDir, userErrorLine, writeCsv } from "../helpers/cli.js";

const dir = tempDir("mf-errors-");
writeCsv(join(dir, "m.csv"), ["a", "b", "label"], [
  [1, 2, "x"],
  [3, 4, "y"],
  [5, 6, "x"],
  [7, 8, "y"],
]);
const config = (body: string) => {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, body);
  return path;
};
const BASE = "data:\n  train: m.csv\n  label: label\n  tabular: {numeric: [a, b]}\n";

const cases: [string, () => string[], RegExp][] = [
  ["an unknown key", () => ["train", config(BASE + "  tabluar: {numeric: [a]}\n")], /unknown key data\.tabluar/],
  ["an unknown section", () => ["train", config(BASE + "trian: {epochs: 1}\n")], /unknown key trian/],
  ["a column the manifest lacks", () => ["train", config("data:\n  train: m.csv\n  label: label\n  tabular: {numeric: [a, weight]}\n")], /m\.csv: no column weight/],
  ["a missing label column", () => ["train", config("data:\n  train: m.csv\n  label: diagnosis\n  tabular: {numeric: [a]}\n")], /no column diagnosis/],
  ["a wrong value type", () => ["train", config(BASE + "train: {epochs: many}\n")], /train\.epochs/],
  ["an unknown --set key", () => ["train", config(BASE), "--set", "train.epochz=3"], /unknown key train\.epochz/],
  ["a malformed --set", () => ["train", config(BASE), "--set", "epochs"], /--set epochs: expected key=value/],
  ["no input", () => ["train", config("data:\n  train: m.csv\n  label: label\n")], /no input configured/],
  ["a missing config file", () => ["train", join(dir, "absent.yaml")], /absent\.yaml: cannot read the config file/],
  ["a config that is not YAML", () => ["train", config("data: [unclosed\n")], /not valid YAML/],
  ["a missing manifest", () => ["train", config(BASE.replace("m.csv", "nope.csv"))], /nope\.csv: manifest not found/],
  ["a run directory that is not one", () => ["evaluate", dir, "--data", join(dir, "m.csv")], /not a modalfuse run directory/],
  ["an empty input to drop", () => ["evaluate", dir, "--data", join(dir, "m.csv"), "--drop", "image,"], /--drop image,: an empty input name/],
  ["a missing required option", () => ["predict", dir, "--data", join(dir, "m.csv")], /required option '--output <file>'/],
  ["bfloat16 asked for on the CPU", () => ["train", config(BASE + "train: {device: cpu, precision: bfloat16}\n")], /train\.precision bfloat16: precision bfloat16 needs a CUDA device; training runs on cpu/],
  ["an unknown command", () => ["fly"], /unknown command 'fly'/],
  ["an export of a folder that is not a run", () => ["export", dir, "--format", "onnx", "--output", join(dir, "x.onnx")], /not a modalfuse run directory|preprocess\.json/],
  ["an export format modalfuse does not write", () => ["export", dir, "--format", "tflite", "--output", join(dir, "x.onnx")], /--format tflite: not a format modalfuse exports/],
  ["an ONNX graph asked for without --engine onnx", () => ["predict", dir, "--data", join(dir, "m.csv"), "--output", join(dir, "p.csv"), "--onnx", "m.onnx"], /--onnx: only with --engine onnx/],
];

for (const [what, args, message] of cases) {
  test(`user error: ${what}`, () => {
    assert.match(userErrorLine(runCli(args(), dir)), message);
  });
}

test("a label column with a single class is refused", () => {
  writeCsv(join(dir, "one.csv"), ["a", "label"], [[1, "x"], [2, "x"], [3, "x"], [4, "x"], [5, "x"]]);
  const path = config("data:\n  train: one.csv\n  label: label\n  tabular: {numeric: [a]}\n");
  assert.match(userErrorLine(runCli(["train", path], dir)), /only one class/);
});

test("CUDA asked for where the engine has none is refused before any file is decoded", { skip: engineInfo().cudaAvailable ? "this engine has CUDA" : false }, () => {
  assert.match(userErrorLine(runCli(["train", config(BASE + "train: {device: cuda}\n")], dir)), /train\.device cuda.*no usable CUDA/);
});

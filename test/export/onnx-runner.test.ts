// The export command's and the runner's user errors, and the runner's promise: loading a
// run's graph and computing predictions never loads libtorch (rows still decode with it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../src/errors.js";
import { exportRun } from "../../src/export/onnx/export-run.js";
import { Graph } from "../../src/export/onnx/graph.js";
import { DataType, encodeModel } from "../../src/export/onnx/proto.js";
import { OnnxModel } from "../../src/export/onnx/runner.js";
import { REPO, tempDir, writeCsv } from "../helpers/cli.js";
import { parity, PARITY_TOLERANCE, report, trainRun } from "./onnx-helpers.js";

const dir = tempDir("mf-onnx-runner-");
const rows = Array.from({ length: 30 }, (_, i) => [i % 6 === 0 ? "" : i % 11 === 0 ? "-inf" : String((i % 2) * 3 + (i % 5) * 0.3), String(i % 4), ["red", "green", "blue", " red "][i % 4] as string, i % 2 ? "yes" : "no"]);
writeCsv(join(dir, "table.csv"), ["a", "b", "colour", "y"], rows);
const config = "data:\n  train: table.csv\n  label: y\n  tabular: {numeric: [a, b], categorical: [colour]}\nmodel: {features: 8}\ntrain: {epochs: 1, batch_size: 8}\n";
let run = "";

const isUserError = (message: RegExp) => (error: unknown) => error instanceof UserError && !error.message.includes("\n") && message.test(error.message);

test("a tabular run: errors before export, then libtorch's probabilities from the graph", async () => {
  run = await trainRun(dir, config, ["model.preset=standard", "model.fusion=concat"]);
  await assert.rejects(OnnxModel.load(run), isUserError(/model\.onnx: cannot load the ONNX model/));
  await assert.rejects(exportRun(run, { format: "tflite", output: join(dir, "m.tflite") }), isUserError(/--format tflite: not a format modalfuse exports \(it writes: onnx\)/));
  await assert.rejects(exportRun(run, { format: "onnx", output: join(dir, "absent", "m.onnx") }), isUserError(/--output .*does not exist/));
  await assert.rejects(exportRun(run, { format: "onnx", output: join(run, "model.safetensors") }), isUserError(/is an input/));
  const result = await parity(run, join(dir, "table.csv"));
  report("tabular standard/concat", result.max);
  assert.ok(result.max <= PARITY_TOLERANCE, `max |Δp| ${result.max}`);
});

test("a graph that is not this run's is refused in one line", async () => {
  const g = new Graph();
  g.output("y", g.input("x", DataType.FLOAT, ["batch"]), DataType.FLOAT, ["batch"]);
  const other = join(dir, "other.onnx");
  writeFileSync(other, encodeModel(g.model({ name: "other", producerVersion: "test", doc: "", metadata: {} })));
  await assert.rejects(OnnxModel.load(run, other), isUserError(/not a graph exported from .*lacks tabular\.present/));
  await assert.rejects(OnnxModel.load(dir), isUserError(/not a modalfuse run directory/));
});

test("importing the runner and loading the graph do not load libtorch", { skip: existsSync("/proc/self/maps") ? false : "needs /proc/self/maps" }, () => {
  assert.ok(existsSync(join(run, "model.onnx")));
  const script = `
    const { readFileSync } = await import("node:fs");
    const { OnnxModel } = await import(${JSON.stringify(join(REPO, "dist", "src", "export", "onnx", "runner.js"))});
    const model = await OnnxModel.load(${JSON.stringify(run)});
    const maps = readFileSync("/proc/self/maps", "utf8");
    console.log(JSON.stringify({ torch: /libtorch|libc10/.test(maps), ort: /libonnxruntime/.test(maps), classes: model.classes }));
    await model.dispose();`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { torch: false, ort: true, classes: ["no", "yes"] });
});

test("the export command writes RUN/model.onnx, or --output, in the format asked", async () => {
  const { Command } = await import("commander");
  const { addExportCommand } = await import("../../src/export/onnx/command.js");
  const parse = (args: string[]) => {
    const program = new Command().exitOverride();
    addExportCommand(program);
    return program.parseAsync(["node", "modalfuse", "export", ...args]);
  };
  const output = join(dir, "cli.onnx");
  await parse([run, "--format", "onnx", "--output", output]);
  const model = await OnnxModel.load(run, output);
  assert.deepEqual(model.classes, ["no", "yes"]);
  await model.dispose();
  await assert.rejects(parse([run, "--format", "pmml"]), isUserError(/--format pmml/));
});

// A run directory's files read back through the real CLI: a preprocess.json, model.safetensors
// or config.yaml that is damaged or hand-edited stops with one line naming the file and what
// is wrong in it, never a NaN prediction or a stack trace; and no --set key or config object
// reaches Object.prototype.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { train } from "../../src/index.js";
import { UserError } from "../../src/errors.js";
import { loadSafetensors, saveSafetensors, zeros, type Tensor } from "../../src/torch/index.js";
import { readRunConfig } from "../../src/training/run-files.js";
import { runCli, tempDir, userErrorLine } from "../helpers/cli.js";
import { clinicConfig, writeClinic } from "../helpers/clinic.js";

const dir = tempDir("mf-run-files-");
const clinic = writeClinic(dir, 24);
const configPath = join(dir, "config.yaml");
writeFileSync(configPath, clinicConfig("clinic.csv").replace("epochs: 2", "epochs: 1"));
const run = join(dir, "run");
const trained = runCli(["train", configPath, "--out", run, "--quiet"]);

let copies = 0;
/** A copy of the trained run, so that each case damages its own. */
function copyRun(): string {
  const copy = join(dir, `copy${copies++}`);
  cpSync(run, copy, { recursive: true });
  return copy;
}

type State = { classes: string[]; inputs: Array<Record<string, unknown> & { numeric?: Array<{ std: unknown }> }> };

const damaged: Array<[string, (s: State) => void, string]> = [
  ["a std of 0", (s) => ((s.inputs[0]?.numeric as Array<{ std: unknown }>)[1]!.std = 0), "inputs.0.numeric.1.std must be positive"],
  // JSON has no NaN: a NaN written by JSON.stringify comes back as null.
  ["a std that was NaN", (s) => ((s.inputs[0]?.numeric as Array<{ std: unknown }>)[0]!.std = null), "inputs.0.numeric.0.std must be a finite number (found null)"],
  ["a negative image size", (s) => (s.inputs[1]!.height = -16), "inputs.1.height must be positive"],
  ["no classes", (s) => (s.classes = []), "classes must not be empty"],
  ["a class listed twice", (s) => (s.classes = ["healthy", "ill", "healthy"]), 'classes.2 must be unique: "healthy" appears more than once'],
  ["two inputs of one name", (s) => (s.inputs[2]!.name = "image"), 'inputs.2.name must be unique: "image" appears more than once'],
];

for (const [what, damage, message] of damaged) {
  test(`predict refuses a preprocess.json with ${what} in one line naming the file and the key`, () => {
    assert.equal(trained.status, 0, trained.stderr);
    const copy = copyRun();
    const path = join(copy, "preprocess.json");
    const state = JSON.parse(readFileSync(path, "utf8")) as State;
    damage(state);
    writeFileSync(path, JSON.stringify(state));
    const output = join(copy, "predictions.csv");
    assert.equal(userErrorLine(runCli(["predict", copy, "--data", clinic.manifest, "--output", output])), `modalfuse: ${path}: ${message}`);
    assert.ok(!existsSync(output), "no predictions written");
  });
}

test("a preprocess.json that is not JSON is one line naming it", () => {
  const copy = copyRun();
  writeFileSync(join(copy, "preprocess.json"), '{"version": 2, "classes": [');
  assert.match(userErrorLine(runCli(["evaluate", copy, "--data", clinic.manifest])), /preprocess\.json: not valid JSON \(/);
});

/** Rewrites the copy's model.safetensors with `change` applied to its tensors. */
async function rewriteWeights(copy: string, change: (tensors: Map<string, Tensor>) => void): Promise<void> {
  const path = join(copy, "model.safetensors");
  const { tensors } = await loadSafetensors(path);
  change(tensors);
  await saveSafetensors(path, tensors);
  for (const t of tensors.values()) t.dispose();
}

test("a model.safetensors that does not fit is one line naming the tensor, the expected and the found shapes", async () => {
  assert.equal(trained.status, 0, trained.stderr);
  const { tensors } = await loadSafetensors(join(run, "model.safetensors"));
  const [name, first] = [...tensors][0] as [string, Tensor];
  const shape = `[${first.shape.join(", ")}]`;
  for (const t of tensors.values()) t.dispose();

  const reshaped = copyRun();
  await rewriteWeights(reshaped, (t) => t.set(name, zeros([3, 3])));
  const line = userErrorLine(runCli(["predict", reshaped, "--data", clinic.manifest, "--output", join(reshaped, "p.csv")]));
  assert.equal(line, `modalfuse: ${reshaped}/model.safetensors: state dict does not fit the model: tensor ${name} has shape [3, 3], expected ${shape}`);

  const missing = copyRun();
  await rewriteWeights(missing, (t) => t.delete(name));
  assert.equal(userErrorLine(runCli(["evaluate", missing, "--data", clinic.manifest])), `modalfuse: ${missing}/model.safetensors: state dict does not fit the model: tensor ${name} is missing (expected shape ${shape})`);

  const foreign = copyRun();
  await rewriteWeights(foreign, (t) => t.set("encoders.video.weight", zeros([2])));
  assert.equal(userErrorLine(runCli(["evaluate", foreign, "--data", clinic.manifest])), `modalfuse: ${foreign}/model.safetensors: state dict does not fit the model: tensor encoders.video.weight (shape [2]) is not part of the model`);
});

test("a damaged config.yaml in a run directory is one line when trained from again or read back", async () => {
  assert.equal(trained.status, 0, trained.stderr);
  const good = readFileSync(join(run, "config.yaml"), "utf8");
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ["cut short", good.slice(0, good.indexOf("numeric:") + 9), /config\.yaml: data\.tabular\.numeric: /],
    ["not YAML", good.replace("label: diagnosis", "label: [diagnosis"), /config\.yaml: not valid YAML \(/],
    ["binary", Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37) % 256)), /config\.yaml: /],
    ["a bad value", good.replace("epochs: 1", "epochs: -1"), /config\.yaml: train\.epochs: /],
    ["a prototype key", good.replace("model:", "__proto__: {polluted: 1}\nmodel:"), /config\.yaml: unknown key __proto__/],
  ];
  for (const [what, content, message] of cases) {
    const copy = copyRun();
    writeFileSync(join(copy, "config.yaml"), content);
    assert.match(userErrorLine(runCli(["train", join(copy, "config.yaml"), "--out", join(copy, "again")])), message, what);
    // What predict and evaluate read of it (the cache folder) goes through the same schema.
    await assert.rejects(readRunConfig(copy), (e: Error) => e instanceof UserError && message.test(e.message) && !e.message.includes("\n"), what);
  }
  assert.equal((await readRunConfig(run))?.data.label, "diagnosis");
  const bare = copyRun();
  rmSync(join(bare, "config.yaml"));
  assert.equal(await readRunConfig(bare), null, "a run without config.yaml has nothing to read");
});

test("--set refuses __proto__, constructor and prototype as unknown keys, in one line", () => {
  for (const [set, key] of [["__proto__.polluted=1", "__proto__"], ["train.prototype=1", "train.prototype"]] as const) {
    assert.equal(userErrorLine(runCli(["train", configPath, "--set", set])), `modalfuse: --set ${set}: unknown key ${key}`);
  }
});

test("the library cannot be made to pollute Object.prototype, by --set or by the config object", async () => {
  const config = { data: { train: clinic.manifest, label: "diagnosis", tabular: { numeric: ["lab_a"] } }, train: { epochs: 1 } };
  for (const [set, key] of [["__proto__.polluted=1", "__proto__"], ["data.__proto__.polluted=1", "data.__proto__"], ["constructor.prototype.polluted=1", "constructor"]] as const) {
    await assert.rejects(train(config, { out: join(dir, "api"), set: [set] }), (e: Error) => e instanceof UserError && e.message === `--set ${set}: unknown key ${key}`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, `${set} left Object.prototype alone`);
  }
  // A config parsed from JSON may hold "__proto__" as a key of its own.
  const parsed = JSON.parse(`{"__proto__": {"polluted": 1}, "data": ${JSON.stringify(config.data)}}`) as Parameters<typeof train>[0];
  await assert.rejects(train(parsed, { out: join(dir, "api") }), (e: Error) => e instanceof UserError && e.message === "config: unknown key __proto__");
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

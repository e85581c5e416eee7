// Shared steps of the ONNX tests: train a tiny run, predict with libtorch and with the
// exported graph through onnxruntime-node, compare, and run Debian's ONNX checker.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { train } from "../../src/api.js";
import { exportRun } from "../../src/export/onnx/export-run.js";
import { OnnxModel } from "../../src/export/onnx/runner.js";
import type { Prediction } from "../../src/inference.js";
import { TrainedModel } from "../../src/inference.js";

export const PARITY_TOLERANCE = 1e-4;
const CHECKER_PYTHON = "/usr/bin/python3";

/** Largest |p_onnx − p_libtorch| over every row and class; also checks ids and order. */
export function maxDifference(onnx: Prediction[], torch: Prediction[]): number {
  assert.equal(onnx.length, torch.length, "one prediction per row");
  let max = 0;
  onnx.forEach((p, i) => {
    const q = torch[i] as Prediction;
    assert.equal(p.id, q.id, `row ${i}: the same id`);
    assert.deepEqual(Object.keys(p.probabilities), Object.keys(q.probabilities), `row ${i}: the same classes`);
    for (const [c, v] of Object.entries(p.probabilities)) max = Math.max(max, Math.abs(v - (q.probabilities[c] as number)));
    // The predicted class agrees unless the top two are within the tolerance of each other.
    const sorted = Object.values(q.probabilities).sort((a, b) => b - a);
    if ((sorted[0] as number) - (sorted[1] ?? 0) > 2 * PARITY_TOLERANCE) assert.equal(p.prediction, q.prediction, `row ${i}: the same prediction`);
  });
  return max;
}

/** Trains `config` into dir/run with `set` overrides; returns the run folder. */
export async function trainRun(dir: string, config: string, set: string[]): Promise<string> {
  const path = join(dir, "config.yaml");
  writeFileSync(path, config);
  const out = join(dir, "run");
  await train(path, { out, set });
  return out;
}

export interface Parity {
  onnxPath: string;
  max: number;
  onnx: Prediction[];
  torch: Prediction[];
}

/** Exports `run` and predicts `data` both ways (with `drop` where given). */
export async function parity(run: string, data: string, drop: string[] = []): Promise<Parity> {
  const trained = await TrainedModel.load(run, "cpu");
  let torch: Prediction[];
  try {
    torch = await trained.predict(data, { drop });
  } finally {
    trained.dispose();
  }
  const { path: onnxPath } = await exportRun(run, { format: "onnx", output: join(run, "model.onnx") });
  const model = await OnnxModel.load(run);
  try {
    const onnx = await model.predict(data, { drop });
    return { onnxPath, max: maxDifference(onnx, torch), onnx, torch };
  } finally {
    await model.dispose();
  }
}

/** Whether Debian's python3-onnx is installed (apt-get install python3-onnx). */
export function hasOnnxChecker(): boolean {
  return spawnSync(CHECKER_PYTHON, ["-c", "import onnx"], { encoding: "utf8" }).status === 0;
}

/** onnx.checker.check_model(full_check=True): throws with the checker's message when it fails. */
export function checkWithOnnx(path: string): void {
  const r = spawnSync(CHECKER_PYTHON, ["-c", "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)", path], { encoding: "utf8" });
  assert.equal(r.status, 0, `onnx.checker rejects ${path}:\n${r.stderr}`);
}

/** Prints a measured figure so a test run's log keeps it. */
export function report(what: string, max: number): void {
  console.log(`onnx parity ${what}: max |Δp| = ${max.toExponential(2)}`);
}

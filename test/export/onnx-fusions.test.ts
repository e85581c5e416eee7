// Each fusion under both presets, trained for one epoch on real image, audio and tabular
// files, exported to ONNX: onnxruntime-node's probabilities equal libtorch's on every row,
// on rows with unseen and empty categories, unreadable numbers, absent and broken files,
// and the graph passes ONNX's own checker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir, writeCsv } from "../helpers/cli.js";
import { clinicConfig, writeClinic } from "../helpers/clinic.js";
import { OnnxModel } from "../../src/export/onnx/runner.js";
import { checkWithOnnx, hasOnnxChecker, parity, PARITY_TOLERANCE, report, trainRun } from "./onnx-helpers.js";

// make test installs Debian's python3-onnx; without it the checks cannot run, and that is a failure.
if (!hasOnnxChecker()) throw new Error("python3-onnx is not installed: make test installs it (apt-get install -y python3-onnx)");

/** The clinic's rows again, with sites the run never saw and empty ones: the unknown and missing indices. */
function newRows(dir: string, clinic: ReturnType<typeof writeClinic>): string {
  const path = join(dir, "new.csv");
  const site = clinic.header.indexOf("site");
  writeCsv(
    path,
    clinic.header,
    clinic.rows.map((row, i) => row.map((cell, j) => (j !== site ? cell : i % 4 === 0 ? "west" : i % 4 === 1 ? "" : cell))),
  );
  return path;
}

/** Inputs marked absent (--drop) agree too, and the graph's batch axis takes any size. */
async function dropsAndBatches(run: string, manifest: string): Promise<void> {
  const dropped = await parity(run, manifest, ["image", "tabular"]);
  report("standard/gated without image and tabular", dropped.max);
  assert.ok(dropped.max <= PARITY_TOLERANCE, `without image and tabular: max |Δp| ${dropped.max}`);
  const undropped = await parity(run, manifest);
  assert.notDeepEqual(
    undropped.onnx.map((p) => p.probabilities),
    dropped.onnx.map((p) => p.probabilities),
    "dropping inputs changes the graph's output",
  );
  const model = await OnnxModel.load(run);
  try {
    const small = await model.predict(manifest, { batchSize: 5 });
    const all = await model.predict(manifest);
    small.forEach((p, i) => {
      for (const [c, v] of Object.entries(p.probabilities)) assert.ok(Math.abs(v - (all[i]?.probabilities[c] ?? NaN)) < 1e-6, `row ${i} in batches of 5`);
    });
    assert.equal(small.length, all.length);
  } finally {
    await model.dispose();
  }
}

for (const preset of ["seed", "standard"] as const) {
  for (const fusion of ["concat", "gated", "attention", "late"] as const) {
    test(`${preset} preset, ${fusion} fusion: ONNX probabilities equal libtorch's`, async () => {
      const dir = tempDir(`mf-onnx-${preset}-${fusion}-`);
      const clinic = writeClinic(dir, 24);
      // One case with images larger than the linear member's 32 pixels: they are average-pooled to it.
      const larger = preset === "standard" && fusion === "concat" ? ["data.image.size=36"] : [];
      const run = await trainRun(dir, clinicConfig(clinic.manifest), [`model.preset=${preset}`, `model.fusion=${fusion}`, "train.epochs=1", ...larger]);
      const result = await parity(run, newRows(dir, clinic));
      report(`${preset}/${fusion}`, result.max);
      assert.ok(result.max <= PARITY_TOLERANCE, `max |Δp| ${result.max} over ${result.onnx.length} rows`);
      assert.equal(result.onnx.length, 24);
      checkWithOnnx(result.onnxPath);
      if (preset === "standard" && fusion === "gated") await dropsAndBatches(run, clinic.manifest);
    });
  }
}



// `modalfuse export RUN --format onnx --output model.onnx`: a trained run's model, loaded on
// the CPU, written as one ONNX file.
import { join, resolve } from "node:path";
import { UserError } from "../../errors.js";
import { TrainedModel } from "../../inference.js";
import { writeFileAtomic } from "../../util/atomic.js";
import { checkOutputFile } from "../../util/output-paths.js";
import { onnxBytes } from "./model.js";

export const EXPORT_FORMATS = ["onnx"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  format: string;
  output: string;
}

/** Writes the run's model to `output`; returns the path written and its size in bytes. */
export async function exportRun(runDir: string, o: ExportOptions): Promise<{ path: string; bytes: number }> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(o.format)) throw new UserError(`--format ${o.format}: not a format modalfuse exports (it writes: ${EXPORT_FORMATS.join(", ")})`);
  const path = resolve(o.output);
  await checkOutputFile(path, "--output", [join(runDir, "model.safetensors"), join(runDir, "preprocess.json")]);
  const model = await TrainedModel.load(runDir, "cpu");
  const backbone = Object.entries(model.state.model.encoders ?? {}).find(([, e]) => e.backbone !== undefined);
  if (backbone) {
    model.dispose();
    throw new UserError(`${runDir}: input ${backbone[0]} reads through a pretrained backbone (${backbone[1].backbone}), and backbones are not exportable to ONNX yet`);
  }
  try {
    const bytes = onnxBytes(model.state, model.model);
    await writeFileAtomic(path, bytes);
    return { path, bytes: bytes.length };
  } finally {
    model.dispose();
  }
}

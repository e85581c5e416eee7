// ONNX export of a trained run and its runner. The runner is importable on its own
// (./runner.js) without the engine; this index also exports the writer, which loads it.
export { exportRun, EXPORT_FORMATS, type ExportFormat, type ExportOptions } from "./export-run.js";
export { onnxBytes, onnxModelOf, METADATA } from "./model.js";
export { OnnxModel, type OnnxScores } from "./runner.js";
export { graphInputName, OUTPUTS, BATCH } from "./input-names.js";

// The `export` subcommand, for the CLI to register: `modalfuse export RUN --format onnx
// --output model.onnx`. The writer (and with it libtorch) is imported only when it runs.
import type { Command } from "commander";

export function addExportCommand(program: Command): void {
  program
    .command("export")
    .description("the trained model as one ONNX graph, preprocessing included (run it with onnxruntime)")
    .argument("<run>", "run directory")
    .option("--format <format>", "onnx", "onnx")
    .option("--output <file>", "file to write; default RUN/model.onnx")
    .action(async (run: string, o: { format: string; output?: string }) => {
      const { join } = await import("node:path");
      const { exportRun } = await import("./export-run.js");
      const { path, bytes } = await exportRun(run, { format: o.format, output: o.output ?? join(run, "model.onnx") });
      console.log(`written: ${path} (${(bytes / 1e6).toFixed(1)} MB)`);
    });
}

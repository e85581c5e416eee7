// The `convert` subcommand, for the CLI to register: `modalfuse convert IN.pth --output
// OUT.safetensors`. The reader (and with it libtorch) is imported only when it runs.
import type { Command } from "commander";

export function addConvertCommand(program: Command): void {
  program
    .command("convert")
    .description("a PyTorch checkpoint (.pth/.pt) or .safetensors file as .safetensors, read without running anything in it")
    .argument("<input>", "checkpoint file")
    .option("--output <file>", "file to write; default INPUT with the extension .safetensors")
    .option("--quiet", "print nothing but errors")
    .action(async (input: string, o: { output?: string; quiet?: boolean }) => {
      const { convertWeights } = await import("./convert.js");
      const result = await convertWeights(input, o.output);
      if (o.quiet) return;
      for (const note of result.notes) console.log(`note: ${note}`);
      const dtypes = Object.entries(result.dtypes)
        .map(([dtype, n]) => `${n} ${dtype}`)
        .join(", ");
      console.log(`written: ${result.output} (${result.tensors} tensors: ${dtypes}; ${(result.bytes / 1e6).toFixed(1)} MB)`);
    });
}

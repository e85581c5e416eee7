// The `modalfuse` command line. A UserError becomes one plain line and exit code 2;
// anything else is a bug and keeps its stack trace.
import { Command, CommanderError } from "commander";
import { UserError } from "./errors.js";

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name("modalfuse")
    .description("Train classifiers that fuse tabular columns, images and audio.")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command("doctor")
    .description("which libtorch is linked, its version, threads, BLAS and CUDA")
    .option("--json", "print the report as JSON")
    .action(async (opts: { json?: boolean }) => {
      const { doctor, formatDoctor } = await import("./engine/doctor.js");
      const report = doctor();
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatDoctor(report));
    });

  await program.parseAsync(argv);
}

main(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  if (error instanceof UserError) {
    console.error(`modalfuse: ${error.message}`);
    process.exit(2);
  }
  throw error;
});

// `modalfuse setup`: installs the Debian packages modalfuse builds against (apt-get, with
// sudo when not root) and builds the native addons, for an npm install that found no
// libtorch or compiler. `--dry-run` prints the commands instead.
import type { Command } from "commander";

export function addSetupCommand(program: Command): void {
  program
    .command("setup")
    .description("install the Debian packages the engine and media decoders need (apt-get; root or sudo), then build the native addons")
    .option("--dry-run", "print what it would run, run nothing")
    .action(async (o: { dryRun?: boolean }) => {
      const { spawnSync } = await import("node:child_process");
      const { join } = await import("node:path");
      const { UserError } = await import("../errors.js");
      const { packageRoot } = await import("../util/package-root.js");
      const { probeSystem } = await import("./system.js");
      const { setupPlan } = await import("./plan.js");
      const root = packageRoot();
      const plan = setupPlan(probeSystem(root), [process.execPath, join(root, "scripts", "install.mjs"), "--strict"]);
      for (const note of plan.notes) console.log(`modalfuse setup: ${note}`);
      for (const argv of plan.commands) {
        console.log(`${o.dryRun ? "would run" : "running"}: ${argv.join(" ")}`);
        if (o.dryRun) continue;
        const [command, ...args] = argv as [string, ...string[]];
        const r = spawnSync(command, args, { stdio: "inherit", cwd: root });
        if (r.status !== 0) throw new UserError(`setup: \`${argv.join(" ")}\` failed (${r.error ? r.error.message : `exit ${r.status ?? r.signal}`})`);
      }
      if (!o.dryRun) console.log("modalfuse is set up: `npx modalfuse doctor` describes the engine");
    });
}

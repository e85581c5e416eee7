// The run directory's life: checked before any work (a file, a folder that cannot be
// written, or one that holds an earlier run are refused in one line), marked running while
// training and complete only once every file is written.
import { readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { writeFileAtomic } from "../util/atomic.js";
import { assertWritable } from "../util/output-paths.js";
import { sweepTemporaries } from "../util/temporary-name.js";
import { VERSION } from "../version.js";

/** What a run writes into its directory; `--force` removes these, and nothing else. */
const RUN_OUTPUTS = [
  "run.json",
  "config.yaml",
  "model.safetensors",
  "preprocess.json",
  "history.csv",
  "metrics.json",
  "data_issues.csv",
  "architecture.json",
  "curves.png",
  "confusion.png",
  "architecture.png",
  "report.html",
  "robustness.csv",
  "robustness.png",
  "compare.csv",
  "compare.png",
  "checkpoint",
];
/** Files whose presence means an earlier run wrote here. */
const RUN_MARKERS = ["run.json", "model.safetensors", "preprocess.json", "checkpoint"];

export type RunStatus = "running" | "complete";

export async function runStatus(dir: string): Promise<RunStatus | null> {
  try {
    const value = JSON.parse(await readFile(join(dir, "run.json"), "utf8")) as { status?: unknown };
    return value.status === "running" || value.status === "complete" ? value.status : null;
  } catch {
    return null;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Makes `dir` ready for a new run, before any work: refuses what it must, clears with `force`. */
export async function prepareRunDir(dir: string, o: { force: boolean }): Promise<void> {
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) throw new UserError(`--out ${dir}: a file, not a folder`);
  } catch (error) {
    if (error instanceof UserError) throw error;
  }
  const earlier = (await Promise.all(RUN_MARKERS.map((m) => exists(join(dir, m))))).some(Boolean);
  if (earlier && !o.force) {
    const status = await runStatus(dir);
    const resume = status === "running" ? `, or train --resume ${dir} to continue it` : "";
    throw new UserError(`--out ${dir}: holds an earlier run: add --force to replace it${resume}`);
  }
  if (earlier) {
    for (const name of RUN_OUTPUTS) await rm(join(dir, name), { recursive: true, force: true });
    await sweepTemporaries(dir);
  }
  await assertWritable(dir);
}

export async function markRun(dir: string, status: RunStatus): Promise<void> {
  await writeFileAtomic(join(dir, "run.json"), JSON.stringify({ status, version: VERSION, at: new Date().toISOString() }, null, 2) + "\n");
}

// Writing and reading the files of a run directory (SPEC.md's table).
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import type { DataIssue } from "../data/workers/media-loader.js";
import { checkPreprocessState, readPreprocessState, type PreprocessState } from "../data/preprocess-state.js";
import { UserError } from "../errors.js";
import { writeFileAtomic } from "../util/atomic.js";
import { HISTORY_COLUMNS } from "../run-format.js";
import type { EpochRecord } from "./loop.js";


export async function writeHistory(dir: string, history: EpochRecord[]): Promise<void> {
  const rows = history.map((h) => HISTORY_COLUMNS.map((c) => (c === "epoch" ? h.epoch : Number(h[c].toPrecision(6)))));
  await writeFileAtomic(join(dir, "history.csv"), stringify([HISTORY_COLUMNS as unknown as string[], ...rows]));
}

export async function writeIssues(path: string, issues: DataIssue[]): Promise<void> {
  const rows = issues.map((i) => [i.row, i.column, i.path, i.problem, i.manifest]);
  await writeFileAtomic(path, stringify([["row", "column", "path", "problem", "manifest"], ...rows]));
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

export async function readPreprocess(runDir: string): Promise<PreprocessState> {
  const path = join(runDir, "preprocess.json");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new UserError(`${runDir}: not a modalfuse run directory (no readable preprocess.json)`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${path}: not valid JSON (${(error as Error).message.split("\n")[0]})`);
  }
  try {
    return readPreprocessState(value, path);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
}

/** Writes preprocess.json after checking the state with the schema that reads it back. */
export async function writePreprocess(dir: string, state: PreprocessState): Promise<void> {
  const path = join(dir, "preprocess.json");
  checkPreprocessState(state, path);
  await writeJson(path, state);
}

/**
 * The run's config.yaml read back through the config schema that training validates with,
 * so a damaged one is one line naming the file and the key; null when the run has none.
 */
export async function readRunConfig(runDir: string): Promise<Config | null> {
  const path = join(runDir, "config.yaml");
  try {
    await access(path);
  } catch {
    return null;
  }
  return (await loadConfig(path)).config;
}

// Writing and reading the files of a run directory (SPEC.md's table).
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import type { DataIssue } from "../data/workers/media-loader.js";
import { readPreprocessState, type PreprocessState } from "../data/preprocess-state.js";
import { UserError } from "../errors.js";
import { HISTORY_COLUMNS } from "../run-format.js";
import type { EpochRecord } from "./loop.js";


export async function writeHistory(dir: string, history: EpochRecord[]): Promise<void> {
  const rows = history.map((h) => HISTORY_COLUMNS.map((c) => (c === "epoch" ? h.epoch : Number(h[c].toPrecision(6)))));
  await writeFile(join(dir, "history.csv"), stringify([HISTORY_COLUMNS as unknown as string[], ...rows]));
}

export async function writeIssues(path: string, issues: DataIssue[]): Promise<void> {
  const rows = issues.map((i) => [i.row, i.column, i.path, i.problem, i.manifest]);
  await writeFile(path, stringify([["row", "column", "path", "problem", "manifest"], ...rows]));
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(value, null, 2) + "\n");
}

export async function readPreprocess(runDir: string): Promise<PreprocessState> {
  const path = join(runDir, "preprocess.json");
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, "utf8"));
  } catch {
    throw new UserError(`${runDir}: not a modalfuse run directory (no readable preprocess.json)`);
  }
  try {
    return readPreprocessState(value, path);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
}

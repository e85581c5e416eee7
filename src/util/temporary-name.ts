import type { Dirent } from "node:fs";
import { readdir, unlink } from "node:fs/promises";
import { join } from "node:path";

// Temporary files for atomic writes: named after their writer, so that a later process can
// tell one left by a killed writer from one still being written.

/**
 * A name beside `path` to write to before an atomic rename onto it: unique per process and
 * per call, since two writers of the same cache file can run at once (within one run, a
 * manifest named twice; across runs, two processes sharing a cache).
 */
export function temporaryName(path: string): string {
  return `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
}

/** A temporary file's writer, from its name. */
const TEMPORARY = /\.(\d+)\.[a-z0-9]*\.tmp$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Temporary files under `dir` (two levels down) whose writing process is gone (killed while writing). */
export async function sweepTemporaries(dir: string, depth = 0): Promise<number> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let removed = 0;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && depth < 2) removed += await sweepTemporaries(path, depth + 1);
    const writer = TEMPORARY.exec(entry.name);
    if (entry.isFile() && writer && !alive(Number(writer[1]))) {
      await unlink(path).catch(() => undefined);
      removed++;
    }
  }
  return removed;
}

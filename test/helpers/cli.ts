// Runs the real `modalfuse` command in a subprocess, and builds small manifests of real
// media files for end-to-end tests.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// Tests keep decoded media in a cache of their own, never the user's.
process.env.MODALFUSE_CACHE_DIR ??= mkdtempSync(join(tmpdir(), "mf-cache-"));

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const MEDIA = join(REPO, "test", "fixtures", "media");
/** The project's shared files the tests read (librosa fixtures, check_run_dir.py), copied into the repository. */
export const SHARED = join(REPO, "test", "fixtures", "shared");

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], cwd = REPO): CliResult {
  const run = spawnSync(process.execPath, [join(REPO, "bin", "modalfuse.js"), ...args], { cwd, encoding: "utf8", env: { ...process.env, MODALFUSE_THREADS: "2" } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Asserts the shape of a user error: exit 2, exactly one line, no stack trace. */
export function userErrorLine(r: CliResult): string {
  if (r.status !== 2) throw new Error(`expected exit 2, got ${r.status}\n${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  if (lines.length !== 1) throw new Error(`expected one line, got:\n${r.stderr}`);
  if (/\n\s+at |Error:|\.js:\d+/.test(r.stderr)) throw new Error(`stack trace leaked:\n${r.stderr}`);
  return lines[0] as string;
}

export function tempDir(prefix = "mf-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeCsv(path: string, header: string[], rows: (string | number)[][]): void {
  mkdirSync(dirname(path), { recursive: true });
  const cell = (v: string | number) => (typeof v === "string" && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v));
  writeFileSync(path, [header, ...rows].map((r) => r.map(cell).join(",")).join("\n") + "\n");
}

/** Copies a fixture into dir/sub/name and returns the path relative to dir. */
export function useFixture(dir: string, fixture: string, name: string): string {
  const target = join(dir, "media", name);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(MEDIA, fixture), target);
  return join("media", name);
}

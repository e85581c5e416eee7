// Running a case's command and judging what came out: the exit, the lines printed, traces
// of a crash, and whether any file the command was given changed.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { REPO } from "../helpers/cli.js";

export interface Outcome {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Files of the case folder that changed or disappeared, outputs excluded. */
  changed: string[];
  seconds: number;
  timedOut: boolean;
}

/**
 * The real CLI in a subprocess, as test/helpers/cli.ts's runCli runs it (same entry point and
 * environment, including the tests' own media cache), but asynchronous, so that two cases
 * can run at once on a machine whose cost per case is mostly starting Node and libtorch.
 */
export function runCliAsync(args: string[], cwd: string, timeoutMs = 120_000): Promise<Omit<Outcome, "changed">> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, "bin", "modalfuse.js"), ...args], { cwd, env: { ...process.env, MODALFUSE_THREADS: "2" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, seconds: (performance.now() - started) / 1000, timedOut });
    });
  });
}

/** Every file under `dir` (following no links), by path relative to `dir`, with its SHA-1. */
export function hashTree(dir: string): Map<string, string> {
  const hashes = new Map<string, string>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) hashes.set(relative(dir, path), createHash("sha1").update(readFileSync(path)).digest("hex"));
    }
  };
  walk(dir);
  return hashes;
}

/** Files in `before` that are gone or different in `after`, except under the named outputs. */
export function changedFiles(before: Map<string, string>, after: Map<string, string>, outputs: string[]): string[] {
  const isOutput = (rel: string) => outputs.some((o) => rel === o || rel.startsWith(o + sep));
  return [...before].filter(([rel, hash]) => !isOutput(rel) && after.get(rel) !== hash).map(([rel]) => (after.has(rel) ? `${rel} (changed)` : `${rel} (removed)`));
}

/** Runs a command in `dir`, hashing the folder before and after. */
export async function runCase(dir: string, args: string[], outputs: string[]): Promise<Outcome> {
  const before = hashTree(dir);
  const result = await runCliAsync(args, dir);
  return { ...result, changed: changedFiles(before, hashTree(dir), outputs) };
}

/**
 * Signs that a crash reached the user instead of a plain message: stack frames, a JavaScript
 * error's name as a prefix, Node's internal modules, source positions, libtorch's C++
 * exception trailer, a process abort. Returns the first offending line, or null.
 */
export function crashTrace(text: string): string | null {
  const signs = [
    /^\s+at\s/, // a stack frame ("    at fn (file:1:2)")
    /(?:^|[\s(])(?:[A-Z][A-Za-z]*)?Error: /, // "TypeError: ...", "Error: ...", also inside a message
    /node:internal|triggerUncaughtException/,
    /\.(?:m?js|ts|cc|cpp|h):\d+/, // a source position
    /Exception raised from|terminate called|^Aborted|core dumped|Segmentation fault/,
  ];
  for (const line of text.split("\n")) if (signs.some((s) => s.test(line))) return line;
  return null;
}

/** The lines a user saw, without blank ones. */
export function lines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== "");
}

/** Control characters (other than tab) that make a line something other than plain text. */
export function controlCharacters(line: string): boolean {
  return /[\x00-\x08\x0b-\x1f\x7f]/.test(line);
}

/** The first two lines of what the command printed (stderr first), for a failure message. */
export function firstLines(o: Pick<Outcome, "stdout" | "stderr">): string {
  const shown = [...lines(o.stderr), ...lines(o.stdout)].slice(0, 2);
  return shown.length ? shown.map((l) => `    | ${l.length > 300 ? l.slice(0, 300) + "…" : l}`).join("\n") : "    | (nothing printed)";
}

/**
 * Runs the command-line tools (espeak-ng, flite, sox) through a few long-lived bash shells
 * per thread instead of spawning each from Node. A fork of the Node process marks all of its
 * memory copy-on-write, and with transparent huge pages every page Node writes afterwards
 * faults and copies up to 2 MB: measured here, each spawn from a 300 MB process cost ~1.4 s
 * of such faults, a command sent to a bash ~20 ms. Each bash runs one pipeline at a time in
 * the foreground (a background job would cost it two more forks per call).
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";

/** A command line: the program, then its arguments, each passed verbatim. */
export type Command = readonly string[];

/** Shells per thread: as many pipelines as a render thread keeps waiting at once. */
const SHELLS_PER_THREAD = 4;

class ToolShell {
  private readonly bash: ChildProcessByStdio<Writable, Readable, null>;
  /** Each call's output and error files live here; bash removes the folder when it exits. */
  private readonly folder = mkdtempSync(join(tmpdir(), "modalfuse-quality-"));
  private finished: ((status: number) => void) | null = null;
  private calls = 0;
  private unread = "";

  constructor() {
    // bash exits when its stdin closes: at close(), or when the thread that owns it ends.
    this.bash = spawn("bash", ["--noprofile", "--norc"], { stdio: ["pipe", "pipe", "inherit"] });
    this.bash.stdout.setEncoding("utf8");
    this.bash.stdout.on("data", (chunk: string) => this.onStatus(chunk));
    // pipefail: a pipeline fails when any of its commands does, not only the last.
    this.bash.stdin.write(`set -o pipefail; trap ${quote(`rm -rf ${quote(this.folder)}`)} EXIT\n`);
  }

  /** Runs the commands as a pipeline (each one's stdout into the next); resolves to the last one's stdout. */
  async pipeline(commands: readonly Command[]): Promise<Buffer> {
    const call = this.calls++;
    const out = join(this.folder, `${call}.out`);
    const err = join(this.folder, `${call}.err`);
    const line = commands.map((command) => command.map(quote).join(" ")).join(" | ");
    const status = await new Promise<number>((resolve) => {
      this.finished = resolve;
      this.bash.stdin.write(`{ ${line}; } >${quote(out)} 2>${quote(err)} </dev/null; echo $?\n`);
    });
    try {
      if (status !== 0) throw new Error(`${line} exited with ${status}: ${(await readFile(err, "utf8")).trim()}`);
      return await readFile(out);
    } finally {
      await Promise.all([rm(out, { force: true }), rm(err, { force: true })]);
    }
  }

  close(): void {
    this.bash.stdin.end();
  }

  private onStatus(chunk: string): void {
    this.unread += chunk;
    const end = this.unread.indexOf("\n");
    if (end < 0) return;
    const status = Number(this.unread.slice(0, end));
    this.unread = this.unread.slice(end + 1);
    const finished = this.finished;
    this.finished = null;
    finished?.(status);
  }
}

const shells: ToolShell[] = [];
const idle: ToolShell[] = [];
const waiting: ((shell: ToolShell) => void)[] = [];

/** Runs `commands` as a shell pipeline in one of this thread's shells; resolves to the pipeline's stdout. */
export async function runPipeline(...commands: Command[]): Promise<Buffer> {
  const shell = await acquireShell();
  try {
    return await shell.pipeline(commands);
  } finally {
    releaseShell(shell);
  }
}

/** Ends this thread's shells, so a main thread that used them can exit. */
export function closePipelines(): void {
  for (const shell of shells.splice(0)) shell.close();
  idle.length = 0;
}

function acquireShell(): Promise<ToolShell> {
  const free = idle.pop();
  if (free !== undefined) return Promise.resolve(free);
  if (shells.length < SHELLS_PER_THREAD) {
    const shell = new ToolShell();
    shells.push(shell);
    return Promise.resolve(shell);
  }
  return new Promise((resolve) => waiting.push(resolve));
}

function releaseShell(shell: ToolShell): void {
  if (!shells.includes(shell)) return; // closed meanwhile
  const next = waiting.shift();
  if (next !== undefined) next(shell);
  else idle.push(shell);
}

/** Single-quoted for bash: nothing inside is expanded. */
function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

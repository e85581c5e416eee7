/**
 * Runs the command-line tools (espeak-ng, flite, sox) through one long-lived bash per thread
 * instead of spawning each from Node. A fork of the Node process marks all of its memory
 * copy-on-write, and with transparent huge pages every page Node writes afterwards faults
 * and copies up to 2 MB: measured here, each spawn from a 300 MB process cost ~1.4 s of such
 * faults, a command sent to a bash ~20 ms. Bash, being small, forks the tools cheaply.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";

/** A command line: the program, then its arguments, each passed verbatim. */
export type Command = readonly string[];

class ToolShell {
  private readonly bash: ChildProcessByStdio<Writable, Readable, null>;
  /** Each call's output and error files live here; bash removes the folder when it exits. */
  private readonly folder = mkdtempSync(join(tmpdir(), "modalfuse-quality-"));
  private readonly waiting = new Map<number, (status: number) => void>();
  private nextId = 0;
  private unread = "";

  constructor() {
    // bash exits when its stdin closes: at close(), or when the thread that owns it ends.
    this.bash = spawn("bash", ["--noprofile", "--norc"], { stdio: ["pipe", "pipe", "inherit"] });
    this.bash.stdout.setEncoding("utf8");
    this.bash.stdout.on("data", (chunk: string) => this.onStatusLines(chunk));
    this.bash.stdin.write(`trap ${quote(`rm -rf ${quote(this.folder)}`)} EXIT\n`);
  }

  close(): void {
    this.bash.stdin.end();
  }

  /** Runs the commands as a pipeline (each one's stdout into the next); resolves to the last one's stdout. */
  async pipeline(commands: readonly Command[]): Promise<Buffer> {
    const id = this.nextId++;
    const out = join(this.folder, `${id}.out`);
    const err = join(this.folder, `${id}.err`);
    const line = commands.map((command) => command.map(quote).join(" ")).join(" | ");
    const status = await new Promise<number>((resolve) => {
      this.waiting.set(id, resolve);
      // In the background, so calls from one thread overlap; pipefail: any stage's failure counts.
      this.bash.stdin.write(`{ ( set -o pipefail; ${line} ) >${quote(out)} 2>${quote(err)} </dev/null; echo "${id} $?"; } &\n`);
    });
    try {
      if (status !== 0) throw new Error(`${line} exited with ${status}: ${(await readFile(err, "utf8")).trim()}`);
      return await readFile(out);
    } finally {
      await Promise.all([rm(out, { force: true }), rm(err, { force: true })]);
    }
  }

  private onStatusLines(chunk: string): void {
    this.unread += chunk;
    const lines = this.unread.split("\n");
    this.unread = lines.pop()!;
    for (const line of lines) {
      const [id, status] = line.split(" ").map(Number);
      this.waiting.get(id!)?.(status!);
      this.waiting.delete(id!);
    }
  }
}

let shell: ToolShell | undefined;

/** Runs `commands` as a shell pipeline in this thread's bash; resolves to the pipeline's stdout. */
export function runPipeline(...commands: Command[]): Promise<Buffer> {
  shell ??= new ToolShell();
  return shell.pipeline(commands);
}

/** Ends this thread's bash, so a main thread that used it can exit. */
export function closePipelines(): void {
  shell?.close();
  shell = undefined;
}

/** Single-quoted for bash: nothing inside is expanded. */
function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

// Starts the real `modalfuse serve` on a free port for end-to-end tests.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { REPO } from "./cli.js";

export interface Served {
  child: ChildProcess;
  url: string;
  stdout: () => string;
}

/** `modalfuse serve RUN --port 0 ...args`, resolved once it prints its address. */
export function startServer(run: string, args: string[] = []): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, "bin", "modalfuse.js"), "serve", run, "--port", "0", ...args], { cwd: REPO });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const url = /on (http:\/\/[^\s]+) /.exec(out)?.[1];
      if (url) resolve({ child, url, stdout: () => out });
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

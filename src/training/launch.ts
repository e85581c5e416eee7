// `modalfuse train --nproc N`: N data-parallel processes on this machine, started as
// torchrun starts them (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), each with
// its share of the cores. The first process's output is the run's; if any process fails,
// the others are stopped and one line says which failed and how.
import { spawn, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { createServer } from "node:net";
import { LAUNCHED, LOST_MARKER } from "./launch-protocol.js";

/** A free TCP port on the loopback interface, for the processes' store. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

interface Ended {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** How long the others may take to end on their own once one has failed (a shared stop or error). */
const GRACE_MS = 2000;

/**
 * Runs `args` (this program's own arguments, without --nproc) in `nproc` processes and
 * resolves with the exit code for the whole run.
 */
export async function launchProcesses(nproc: number, args: string[]): Promise<number> {
  const port = await freePort();
  const threads = process.env.MODALFUSE_THREADS ?? String(Math.max(1, Math.floor(availableParallelism() / nproc)));
  const lastLines = new Map<number, string>();
  const lost = new Map<number, string>();
  const children: ChildProcess[] = [];
  const ended: Ended[] = [];
  const stoppedHere = new Set<number>();
  const running = () => [...children.entries()].filter(([rank]) => !ended.some((e) => e.rank === rank));

  const stopTheRest = () => {
    for (const [rank, child] of running()) {
      stoppedHere.add(rank);
      child.kill("SIGKILL");
    }
  };
  const done = new Promise<void>((resolve) => {
    for (let rank = 0; rank < nproc; rank++) {
      const env = { ...process.env, RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: String(nproc), LOCAL_WORLD_SIZE: String(nproc), MASTER_ADDR: "127.0.0.1", MASTER_PORT: String(port), MODALFUSE_THREADS: threads, [LAUNCHED]: "1" };
      // The first process's output is the run's; the others' last words are kept for the one line.
      const child = spawn(process.execPath, [...process.execArgv, ...args], { env, stdio: ["ignore", rank === 0 ? "inherit" : "ignore", "pipe"] });
      child.stderr?.setEncoding("utf8").on("data", (text: string) => {
        const own = text
          .split(/(?<=\n)/)
          .filter((line) => {
            if (!line.startsWith(LOST_MARKER)) return true;
            lost.set(rank, line.slice(LOST_MARKER.length).trim());
            return false;
          })
          .join("");
        if (rank === 0) process.stderr.write(own);
        const last = own.trim().split("\n").pop();
        if (last) lastLines.set(rank, last);
      });
      child.on("exit", (code, signal) => {
        const failed = code !== 0 || signal !== null;
        if (failed && !ended.some((e) => e.code !== 0 || e.signal !== null)) setTimeout(stopTheRest, GRACE_MS).unref();
        ended.push({ rank, code, signal });
        if (ended.length === nproc) resolve();
      });
      children.push(child);
    }
  });
  // Ctrl-C reaches every process of the terminal's group; a signal to this one alone is passed on.
  const forward = (signal: NodeJS.Signals) => () => {
    for (const [, child] of running()) child.kill(signal);
  };
  const onInt = forward("SIGINT");
  const onTerm = forward("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    await done;
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
  return verdict(ended, { nproc, lost, lastLines, stoppedHere });
}

/** The run's exit code, and the one line naming the rank that failed where the first rank's own output has not said it. */
function verdict(ended: Ended[], o: { nproc: number; lost: Map<number, string>; lastLines: Map<number, string>; stoppedHere: Set<number> }): number {
  const failures = ended.filter((e) => e.code !== 0 || e.signal !== null);
  if (failures.length === 0) return 0;
  const leader = ended.find((e) => e.rank === 0);
  // An interrupt stops every rank together; the first rank said where to resume.
  if (leader?.code === 130) return 130;
  const own = failures.filter((e) => !o.lost.has(e.rank) && !o.stoppedHere.has(e.rank));
  // The same error in every rank (a bad config, say) was said once, by the first rank.
  const cause = own.find((e) => e.rank === 0) ?? own[0];
  if (cause?.rank === 0 && cause.code !== null) return cause.code;
  let line: string;
  if (cause) {
    const how = cause.signal ? `was killed by ${cause.signal}` : `exited with code ${cause.code}`;
    const said = o.lastLines.get(cause.rank)?.replace(/^modalfuse:\s*/, "");
    line = `rank ${cause.rank} of ${o.nproc} ${how}${said ? ` (${said})` : ""}`;
  } else {
    // Nobody failed on its own: a rank went silent, and another timed out waiting for it.
    const silent = [...o.stoppedHere].sort((a, b) => a - b);
    const [rank, said] = [...o.lost][0] ?? [0, "lost the other ranks"];
    line = `${said.startsWith("rank ") ? said : `rank ${rank}: ${said}`}${silent.length ? `; rank ${silent.join(", ")} did not answer and was stopped` : ""}`;
  }
  process.stderr.write(`modalfuse: ${line}; the other ranks were stopped\n`);
  return cause?.code ? cause.code : 1;
}

/**
 * Renders media tasks in worker threads. Drawing, mixing and the audio encoders are
 * synchronous JavaScript/WebAssembly, and espeak-ng, flite and sox run outside the thread
 * (shell.ts), so each thread keeps a few tasks in flight: one computes while others wait.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
// sharp must be loaded in the main thread before any worker loads it, or ending the workers
// can hang in libvips' shutdown (sharp's documented worker-thread rule).
import "sharp";
import type { MediaTask } from "./media-plan.js";
import type { RenderReply, RenderRequest, WorkerSetup } from "./render-worker.js";

export interface PoolOptions {
  threads?: number;
  /** Tasks each thread holds at once. */
  inFlight?: number;
  onProgress?: (done: number, total: number) => void;
}

/** `moduleUrl` names the data set module whose `renderers` export draws the content. */
export async function renderInWorkers<I, A>(moduleUrl: string, dir: string, tasks: readonly MediaTask<I, A>[], options: PoolOptions = {}): Promise<void> {
  if (tasks.length === 0) return;
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), tasks.length));
  const setup: WorkerSetup = { moduleUrl, dir };
  const workers = Array.from({ length: threads }, () => new Worker(new URL("./render-worker.js", import.meta.url), { workerData: setup }));
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let done = 0;
      const send = (worker: Worker): void => {
        if (next >= tasks.length) return;
        const request: RenderRequest = { index: next, task: tasks[next]! };
        next++;
        worker.postMessage(request);
      };
      for (const worker of workers) {
        worker.on("message", (reply: RenderReply) => {
          if (reply.error !== null) {
            reject(new Error(`rendering ${tasks[reply.index]!.out.path} failed: ${reply.error}`));
            return;
          }
          done++;
          options.onProgress?.(done, tasks.length);
          if (done === tasks.length) resolve();
          else send(worker);
        });
        worker.on("error", reject);
        worker.on("exit", (code) => {
          if (done < tasks.length) reject(new Error(`a render worker exited early with code ${code}`));
        });
        for (let k = 0; k < (options.inFlight ?? 3); k++) send(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

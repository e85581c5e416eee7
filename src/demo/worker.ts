/**
 * A worker thread of the demo generator: renders the media jobs it is sent and writes them.
 * Synthesis and the audio encoders are synchronous JavaScript/WebAssembly, so rows are spread
 * over threads to use every core; sharp already runs on its own thread pool.
 */
import { writeFile } from "node:fs/promises";
import { parentPort } from "node:worker_threads";
import { renderJob, type MediaJob } from "./render.js";

export interface WorkerRequest {
  id: number;
  files: { path: string; job: MediaJob }[];
}

export type WorkerReply = { id: number; error: null } | { id: number; error: string };

const port = parentPort;
if (port === null) throw new Error("src/demo/worker.js runs only as a worker thread");

port.on("message", (request: WorkerRequest) => {
  void (async (): Promise<WorkerReply> => {
    try {
      for (const { path, job } of request.files) await writeFile(path, await renderJob(job));
      return { id: request.id, error: null };
    } catch (thrown) {
      return { id: request.id, error: thrown instanceof Error ? thrown.stack ?? thrown.message : String(thrown) };
    }
  })().then((reply) => port.postMessage(reply));
});

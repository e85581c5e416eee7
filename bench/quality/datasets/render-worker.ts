/**
 * A worker thread of pool.ts: loads the data set module named in its setup once, then
 * renders and writes each task it is sent.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { MediaTask } from "./media-plan.js";
import { renderTask, type MediaRenderers } from "./render.js";

export interface WorkerSetup {
  moduleUrl: string;
  dir: string;
}

export interface RenderRequest {
  index: number;
  task: MediaTask<unknown, unknown>;
}

export type RenderReply = { index: number; error: string | null };

const port = parentPort;
if (port === null) throw new Error("render-worker.js runs only as a worker thread");
const setup = workerData as WorkerSetup;
const renderers = loadRenderers(setup.moduleUrl);
// A module that fails to load is reported with each task it fails; not as a crash before any arrives.
renderers.catch(() => undefined);

port.on("message", (request: RenderRequest) => {
  void (async (): Promise<RenderReply> => {
    try {
      await renderTask(await renderers, request.task, setup.dir);
      return { index: request.index, error: null };
    } catch (thrown) {
      return { index: request.index, error: thrown instanceof Error ? thrown.stack ?? thrown.message : String(thrown) };
    }
  })().then((reply) => port.postMessage(reply));
});

async function loadRenderers(url: string): Promise<MediaRenderers<unknown, unknown>> {
  const loaded = (await import(url)) as { renderers?: Partial<MediaRenderers<unknown, unknown>> };
  const { renderers: found } = loaded;
  if (typeof found?.renderImage !== "function" || typeof found.renderAudio !== "function") {
    throw new Error(`${url} exports no renderers { renderImage, renderAudio }`);
  }
  return found as MediaRenderers<unknown, unknown>;
}

// A worker thread that decodes audio files to mono clips at their own rate (the caller
// resamples many at once in the engine). Decoders are synchronous JavaScript and
// WebAssembly, so clips are spread over threads to use every core (images need no
// workers: sharp already decodes on its own thread pool).
import { parentPort } from "node:worker_threads";
import { decodeClip } from "./audio.js";
import { isMediaError } from "./media-error.js";

export interface AudioJob {
  id: number;
  path: string;
  sampleRate: number;
  seconds: number;
}

export type AudioReply =
  | { id: number; samples: Float32Array; sampleRate: number }
  | { id: number; failure: { kind: "missing" | "bad"; problem: string; detail?: string } }
  | { id: number; crash: string };

const port = parentPort;
if (port === null) throw new Error("audio-worker.js runs only as a worker thread");

port.on("message", (job: AudioJob) => {
  decodeClip(job.path, { sampleRate: job.sampleRate, seconds: job.seconds }).then(
    (clip) => port.postMessage({ id: job.id, samples: clip.samples, sampleRate: clip.sampleRate } satisfies AudioReply, [clip.samples.buffer as ArrayBuffer]),
    (error: unknown) =>
      port.postMessage(
        (isMediaError(error)
          ? { id: job.id, failure: { kind: error.kind, problem: error.problem, ...(error.detail ? { detail: error.detail } : {}) } }
          : { id: job.id, crash: error instanceof Error ? (error.stack ?? error.message) : String(error) }) satisfies AudioReply,
      ),
  );
});

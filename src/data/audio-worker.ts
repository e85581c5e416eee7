// A worker thread that decodes audio. Two jobs: one file to a mono clip at its own rate
// (for callers that alter the sound before featurising it), or a chunk of files to their
// float16 log-mel rows, decoded and featurised here so that every core does both and the
// main thread only stores what comes back. The engine is loaded on the first chunk, with
// one intra-op thread: the parallelism is across workers, one per core.
import { parentPort } from "node:worker_threads";
import { decodeClip, type MonoClip } from "./audio.js";
import type { AudioFeatureParams, ClipFeaturizer } from "./audio-features.js";
import { isMediaError } from "./media-error.js";

export interface ClipJob {
  id: number;
  kind: "clip";
  path: string;
  sampleRate: number;
  seconds: number;
}

export interface FeaturesJob {
  id: number;
  kind: "features";
  paths: string[];
  params: AudioFeatureParams;
}

export type AudioJob = ClipJob | FeaturesJob;

export interface FileFailure {
  kind: "missing" | "bad";
  problem: string;
  detail?: string;
}

export type AudioReply =
  | { id: number; samples: Float32Array; sampleRate: number }
  /** decoded: indexes into the job's paths of the rows in `bytes`, in order. */
  | { id: number; features: { decoded: number[]; failures: { index: number; failure: FileFailure }[]; bytes: Uint8Array } }
  | { id: number; failure: FileFailure }
  | { id: number; crash: string };

const port = parentPort;
if (port === null) throw new Error("audio-worker.js runs only as a worker thread");

function fileFailure(error: unknown): FileFailure {
  if (!isMediaError(error)) throw error;
  return { kind: error.kind, problem: error.problem, ...(error.detail ? { detail: error.detail } : {}) };
}

const featurizers = new Map<string, Promise<ClipFeaturizer>>();

function featurizerFor(params: AudioFeatureParams): Promise<ClipFeaturizer> {
  const key = JSON.stringify(params);
  let f = featurizers.get(key);
  if (!f) {
    f = (async () => {
      const [{ ClipFeaturizer }, { setNumThreads }] = await Promise.all([import("./audio-features.js"), import("../torch/index.js")]);
      setNumThreads(1);
      return new ClipFeaturizer(params);
    })();
    featurizers.set(key, f);
  }
  return f;
}

async function features(job: FeaturesJob): Promise<AudioReply> {
  const featurizer = await featurizerFor(job.params);
  const clips: MonoClip[] = [];
  const decoded: number[] = [];
  const failures: { index: number; failure: FileFailure }[] = [];
  for (const [index, path] of job.paths.entries()) {
    try {
      clips.push(await decodeClip(path, job.params));
      decoded.push(index);
    } catch (error) {
      failures.push({ index, failure: fileFailure(error) });
    }
  }
  const bytes = clips.length ? new Uint8Array(await featurizer.features(clips)) : new Uint8Array(0);
  return { id: job.id, features: { decoded, failures, bytes } };
}

async function clip(job: ClipJob): Promise<AudioReply> {
  try {
    const c = await decodeClip(job.path, { sampleRate: job.sampleRate, seconds: job.seconds });
    return { id: job.id, samples: c.samples, sampleRate: c.sampleRate };
  } catch (error) {
    return { id: job.id, failure: fileFailure(error) };
  }
}

port.on("message", (job: AudioJob) => {
  (job.kind === "features" ? features(job) : clip(job)).then(
    (reply) => {
      const transfer = "samples" in reply ? [reply.samples.buffer as ArrayBuffer] : "features" in reply ? [reply.features.bytes.buffer as ArrayBuffer] : [];
      port.postMessage(reply, transfer);
    },
    (error: unknown) => port.postMessage({ id: job.id, crash: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies AudioReply),
  );
});

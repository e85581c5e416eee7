// A worker thread that decodes media. Three jobs: one audio file to a mono clip at its own
// rate (for callers that alter the sound before featurising it); a chunk of audio files to
// their float16 log-mel rows, decoded and featurised here so that every core does both and
// the main thread only stores what comes back; a chunk of images to their RGB rows. The
// engine is loaded on the first audio chunk, with one intra-op thread (the parallelism is
// across workers, one per core), and sharp on the first image chunk.
import { parentPort } from "node:worker_threads";
import { decodeClip } from "../audio/audio.js";
import type { AudioFeatureParams, ClipFeaturizer } from "../audio/audio-features.js";
import type { ImageSize } from "../image/image.js";
import { decodeEach, type DecodedEach } from "./decode-each.js";
import { isMediaError, type MediaError } from "../media/media-error.js";

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

export interface ImagesJob {
  id: number;
  kind: "images";
  paths: string[];
  size: ImageSize;
}

export type MediaJob = ClipJob | FeaturesJob | ImagesJob;

/** A chunk's rows: `bytes` holds the rows of the job's paths at `decoded`, in order. */
export interface ChunkReply {
  decoded: number[];
  failures: { index: number; failure: FileFailure }[];
  bytes: Uint8Array;
}

export interface FileFailure {
  kind: "missing" | "bad";
  problem: string;
  detail?: string;
}

export type MediaReply =
  | { id: number; samples: Float32Array; sampleRate: number }
  | { id: number; rows: ChunkReply }
  | { id: number; failure: FileFailure }
  | { id: number; crash: string };

const port = parentPort;
if (port === null) throw new Error("media-worker.js runs only as a worker thread");

function fileFailure(error: MediaError): FileFailure {
  return { kind: error.kind, problem: error.problem, ...(error.detail ? { detail: error.detail } : {}) };
}

/** A chunk's reply, its failures told as plain data (a MediaError does not cross threads whole). */
function rowsReply(id: number, decoded: number[], failures: DecodedEach<unknown>["failures"], bytes: Uint8Array): MediaReply {
  return { id, rows: { decoded, failures: failures.map(({ index, error }) => ({ index, failure: fileFailure(error) })), bytes } };
}

const featurizers = new Map<string, Promise<ClipFeaturizer>>();

function featurizerFor(params: AudioFeatureParams): Promise<ClipFeaturizer> {
  const key = JSON.stringify(params);
  let f = featurizers.get(key);
  if (!f) {
    f = (async () => {
      const [{ ClipFeaturizer }, { setNumThreads }] = await Promise.all([import("../audio/audio-features.js"), import("../../torch/index.js")]);
      setNumThreads(1);
      return new ClipFeaturizer(params);
    })();
    featurizers.set(key, f);
  }
  return f;
}

async function features(job: FeaturesJob): Promise<MediaReply> {
  const featurizer = await featurizerFor(job.params);
  const { values: clips, decoded, failures } = await decodeEach(job.paths, (path) => decodeClip(path, job.params));
  const bytes = clips.length ? new Uint8Array(await featurizer.features(clips)) : new Uint8Array(0);
  return rowsReply(job.id, decoded, failures, bytes);
}

async function images(job: ImagesJob): Promise<MediaReply> {
  const { decodeImage } = await import("../image/image.js"); // sharp is loaded only by workers that decode images
  const { values, decoded, failures } = await decodeEach(job.paths, (path) => decodeImage(path, job.size));
  // Copied into a buffer of its own: a small concat may share Node's buffer pool, which
  // must not be transferred.
  return rowsReply(job.id, decoded, failures, new Uint8Array(Buffer.concat(values)));
}

async function clip(job: ClipJob): Promise<MediaReply> {
  try {
    const c = await decodeClip(job.path, { sampleRate: job.sampleRate, seconds: job.seconds });
    return { id: job.id, samples: c.samples, sampleRate: c.sampleRate };
  } catch (error) {
    if (!isMediaError(error)) throw error; // a fault, not a verdict on the file
    return { id: job.id, failure: fileFailure(error) };
  }
}

// (libvips's operation cache is the process's: the caller that sends image chunks turns it
// off around them, see withoutImageCache.)
const run = (job: MediaJob): Promise<MediaReply> => (job.kind === "features" ? features(job) : job.kind === "images" ? images(job) : clip(job));

port.on("message", (job: MediaJob) => {
  run(job).then(
    (reply) => {
      const transfer = "samples" in reply ? [reply.samples.buffer as ArrayBuffer] : "rows" in reply ? [reply.rows.bytes.buffer as ArrayBuffer] : [];
      port.postMessage(reply, transfer);
    },
    (error: unknown) => port.postMessage({ id: job.id, crash: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies MediaReply),
  );
});

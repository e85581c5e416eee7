// A pool of media-decoding worker threads, one per core; each job goes to the least busy.
import { processThreads } from "../../util/threads.js";
import { Worker } from "node:worker_threads";
import type { MonoClip } from "../audio/audio.js";
import type { AudioFeatureParams } from "../audio/audio-features.js";
import type { MediaJob, MediaReply, ChunkReply, FileFailure } from "./media-worker.js";
import type { ImageSize } from "../image/image.js";
import { MediaError } from "../media/media-error.js";

/** A chunk's decoded rows: the rows of `bytes` are the paths at `decoded`, in order. */
export interface ChunkRows {
  decoded: number[];
  failures: { index: number; error: MediaError }[];
  bytes: Uint8Array;
}

interface Pending {
  worker: number;
  path: string;
  resolve: (reply: MediaReply) => void;
  reject: (error: Error) => void;
}

const mediaError = (f: FileFailure, path: string) => new MediaError(f.kind, f.problem, path, f.detail);

export class MediaDecodePool {
  readonly #workers: Worker[];
  readonly #busy: number[];
  readonly #pending = new Map<number, Pending>();
  #next = 0;

  constructor(size = processThreads()) {
    this.#workers = Array.from({ length: Math.max(1, size) }, () => {
      const worker = new Worker(new URL("./media-worker.js", import.meta.url));
      worker.on("message", (reply: MediaReply) => this.#settle(reply));
      worker.on("error", (error) => {
        for (const p of this.#pending.values()) p.reject(error);
        this.#pending.clear();
      });
      return worker;
    });
    this.#busy = this.#workers.map(() => 0);
  }

  #settle(reply: MediaReply): void {
    const p = this.#pending.get(reply.id);
    if (!p) return;
    this.#pending.delete(reply.id);
    this.#busy[p.worker] = (this.#busy[p.worker] as number) - 1;
    if ("crash" in reply) p.reject(new Error(reply.crash));
    else p.resolve(reply);
  }

  #send(job: MediaJob, path: string): Promise<MediaReply> {
    const worker = this.#busy.indexOf(Math.min(...this.#busy));
    this.#busy[worker] = (this.#busy[worker] as number) + 1;
    return new Promise((resolve, reject) => {
      this.#pending.set(job.id, { worker, path, resolve, reject });
      (this.#workers[worker] as Worker).postMessage(job);
    });
  }

  /** decodeClip in a worker; a file's failure comes back as the same MediaError. */
  async decode(path: string, o: { sampleRate: number; seconds: number }): Promise<MonoClip> {
    const reply = await this.#send({ id: this.#next++, kind: "clip", path, sampleRate: o.sampleRate, seconds: o.seconds }, path);
    if ("failure" in reply) throw mediaError(reply.failure, path);
    if (!("samples" in reply)) throw new Error("media worker answered a clip job with something else");
    return { samples: reply.samples, sampleRate: reply.sampleRate };
  }

  /**
   * Audio files decoded and featurised in one worker, as ClipFeaturizer.features on the CPU
   * would (same chunk, same values); each file that cannot be read is a MediaError in `failures`.
   */
  features(paths: string[], params: AudioFeatureParams): Promise<ChunkRows> {
    return this.#rows({ id: this.#next++, kind: "features", paths, params }, paths);
  }

  /** Images decoded in one worker, as decodeImage would; failures as for features. */
  images(paths: string[], size: ImageSize): Promise<ChunkRows> {
    return this.#rows({ id: this.#next++, kind: "images", paths, size }, paths);
  }

  async #rows(job: MediaJob, paths: string[]): Promise<ChunkRows> {
    const reply = await this.#send(job, paths[0] ?? "");
    if (!("rows" in reply)) throw new Error(`media worker answered a ${job.kind} job with something else`);
    const { decoded, failures, bytes }: ChunkReply = reply.rows;
    return { decoded, bytes, failures: failures.map((f) => ({ index: f.index, error: mediaError(f.failure, paths[f.index] as string) })) };
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

let shared: { pool: MediaDecodePool; users: number } | null = null;

/**
 * The pool every media column decoding at the same time uses (a training run decodes its
 * manifests at once), so that the worker threads never outnumber the cores. Each acquire is
 * matched by a releaseSharedPool; the last release closes the pool.
 */
export function acquireSharedPool(): MediaDecodePool {
  shared ??= { pool: new MediaDecodePool(), users: 0 };
  shared.users++;
  return shared.pool;
}

export async function releaseSharedPool(pool: MediaDecodePool): Promise<void> {
  if (shared?.pool !== pool) return;
  if (--shared.users > 0) return;
  shared = null;
  await pool.close();
}

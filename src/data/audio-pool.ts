// A pool of audio-decoding worker threads, one per core; each job goes to the least busy.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { MonoClip } from "./audio.js";
import type { AudioFeatureParams } from "./audio-features.js";
import type { AudioJob, AudioReply, FileFailure } from "./audio-worker.js";
import { MediaError } from "./media-error.js";

/** A chunk's features: the rows of `bytes` are the paths at `decoded`, in order. */
export interface ChunkFeatures {
  decoded: number[];
  failures: { index: number; error: MediaError }[];
  bytes: Uint8Array;
}

interface Pending {
  worker: number;
  path: string;
  resolve: (reply: AudioReply) => void;
  reject: (error: Error) => void;
}

const mediaError = (f: FileFailure, path: string) => new MediaError(f.kind, f.problem, path, f.detail);

export class AudioDecodePool {
  readonly #workers: Worker[];
  readonly #busy: number[];
  readonly #pending = new Map<number, Pending>();
  #next = 0;

  constructor(size = availableParallelism()) {
    this.#workers = Array.from({ length: Math.max(1, size) }, () => {
      const worker = new Worker(new URL("./audio-worker.js", import.meta.url));
      worker.on("message", (reply: AudioReply) => this.#settle(reply));
      worker.on("error", (error) => {
        for (const p of this.#pending.values()) p.reject(error);
        this.#pending.clear();
      });
      return worker;
    });
    this.#busy = this.#workers.map(() => 0);
  }

  get size(): number {
    return this.#workers.length;
  }

  #settle(reply: AudioReply): void {
    const p = this.#pending.get(reply.id);
    if (!p) return;
    this.#pending.delete(reply.id);
    this.#busy[p.worker] = (this.#busy[p.worker] as number) - 1;
    if ("crash" in reply) p.reject(new Error(reply.crash));
    else p.resolve(reply);
  }

  #send(job: AudioJob, path: string): Promise<AudioReply> {
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
    if (!("samples" in reply)) throw new Error("audio worker answered a clip job with something else");
    return { samples: reply.samples, sampleRate: reply.sampleRate };
  }

  /**
   * Files decoded and featurised in one worker, as ClipFeaturizer.features on the CPU would
   * (same chunk, same values); each file that cannot be read is a MediaError in `failures`.
   */
  async features(paths: string[], params: AudioFeatureParams): Promise<ChunkFeatures> {
    const reply = await this.#send({ id: this.#next++, kind: "features", paths, params }, paths[0] ?? "");
    if (!("features" in reply)) throw new Error("audio worker answered a features job with something else");
    const { decoded, failures, bytes } = reply.features;
    return { decoded, bytes, failures: failures.map((f) => ({ index: f.index, error: mediaError(f.failure, paths[f.index] as string) })) };
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

let shared: { pool: AudioDecodePool; users: number } | null = null;

/**
 * The pool every audio column decoding at the same time uses (a training run decodes its
 * manifests at once), so that the worker threads never outnumber the cores. Each acquire is
 * matched by a releaseSharedPool; the last release closes the pool.
 */
export function acquireSharedPool(): AudioDecodePool {
  shared ??= { pool: new AudioDecodePool(), users: 0 };
  shared.users++;
  return shared.pool;
}

export async function releaseSharedPool(pool: AudioDecodePool): Promise<void> {
  if (shared?.pool !== pool) return;
  if (--shared.users > 0) return;
  shared = null;
  await pool.close();
}

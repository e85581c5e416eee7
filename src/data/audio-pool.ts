// A pool of audio-decoding worker threads, one per core; each job goes to the least busy.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { MonoClip } from "./audio.js";
import type { AudioJob, AudioReply } from "./audio-worker.js";
import { MediaError } from "./media-error.js";

interface Pending {
  worker: number;
  path: string;
  resolve: (clip: MonoClip) => void;
  reject: (error: Error) => void;
}

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

  #settle(reply: AudioReply): void {
    const p = this.#pending.get(reply.id);
    if (!p) return;
    this.#pending.delete(reply.id);
    this.#busy[p.worker] = (this.#busy[p.worker] as number) - 1;
    if ("samples" in reply) p.resolve({ samples: reply.samples, sampleRate: reply.sampleRate });
    else if ("failure" in reply) p.reject(new MediaError(reply.failure.kind, reply.failure.problem, p.path, reply.failure.detail));
    else p.reject(new Error(reply.crash));
  }

  /** decodeClip in a worker; a file's failure comes back as the same MediaError. */
  decode(path: string, o: { sampleRate: number; seconds: number }): Promise<MonoClip> {
    const id = this.#next++;
    const worker = this.#busy.indexOf(Math.min(...this.#busy));
    this.#busy[worker] = (this.#busy[worker] as number) + 1;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { worker, path, resolve, reject });
      (this.#workers[worker] as Worker).postMessage({ id, path, sampleRate: o.sampleRate, seconds: o.seconds } satisfies AudioJob);
    });
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

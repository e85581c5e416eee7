// What data-parallel training needs from the loop, over one c10d process group, with
// PyTorch DDP's semantics: rank 0's weights to start from, every rank a disjoint part of each
// global batch, gradients averaged, batch-norm statistics per rank (rank 0's kept, as DDP's
// buffer broadcast does) or synchronised, and decisions taken from rank 0.
import { UserError } from "../errors.js";
import { cpuRngState, DEFAULT_BUCKET_BYTES, distributedAvailable, keep, nn, noGrad, ProcessGroup, setCpuRngState, tensor, tidy, type Tensor } from "../torch/index.js";
import type { DistributedEnv } from "./distributed-env.js";

/** A rank's rows of one global batch, and the weight that makes its loss a share of the batch's mean. */
export interface Shard {
  indices: Tensor;
  /** rows × world size / global rows: with equal parts, 1. */
  lossScale: number;
}

export class DataParallel {
  readonly rank: number;
  readonly worldSize: number;

  constructor(
    readonly group: ProcessGroup,
    /** Gradients are averaged in buckets of about this many bytes. */
    readonly bucketBytes = DEFAULT_BUCKET_BYTES,
  ) {
    this.rank = group.rank;
    this.worldSize = group.worldSize;
  }

  get isLeader(): boolean {
    return this.rank === 0;
  }

  /** Every rank starts from rank 0's parameters and buffers. */
  broadcastModel(model: nn.Module): void {
    noGrad(() => this.group.broadcast([...model.parameters(), ...model.namedBuffers().map(([, b]) => b)], 0));
  }

  /** Batch norms' running statistics (and other buffers) become rank 0's. */
  broadcastBuffers(model: nn.Module): void {
    const buffers = model.namedBuffers().map(([, b]) => b);
    if (buffers.length) this.group.broadcast(buffers, 0);
  }

  /**
   * The random generator becomes rank 0's, so that every rank draws the same shuffle of an
   * epoch's rows (each rank's own draws within a step differ, as in DDP).
   */
  syncGenerator(): void {
    const state = cpuRngState();
    try {
      this.group.broadcast([state], 0);
      setCpuRngState(state);
    } finally {
      state.dispose();
    }
  }

  /** This rank's contiguous part of a global batch; parts differ by at most one row. */
  shard(globalBatch: Tensor): Shard {
    const rows = globalBatch.numel;
    const base = Math.floor(rows / this.worldSize);
    const extra = rows % this.worldSize;
    const size = base + (this.rank < extra ? 1 : 0);
    const start = this.rank * base + Math.min(this.rank, extra);
    return { indices: keep(globalBatch.narrow(0, start, size)), lossScale: (size * this.worldSize) / rows };
  }

  /** The parameters training updates, whose gradients are averaged (once per training). */
  attach(params: Tensor[]): void {
    this.group.attachGradients(params, this.bucketBytes);
  }

  /** Before a step's backward: gradients are sent as backward computes them. */
  beforeBackward(): void {
    this.group.expectGradients();
  }

  /**
   * Averages gradients across ranks; returns whether any rank asked to stop after this step
   * (the request travels in the gradients' last bucket).
   */
  averageGradients(stopRequested: boolean): boolean {
    return tidy(() => {
      const flag = tensor(new Float32Array([stopRequested ? 1 : 0]));
      this.group.averageGradients(flag);
      return flag.item() > 0;
    });
  }

  /** Each number summed across ranks (float64). */
  sum(values: number[]): number[] {
    return tidy(() => {
      const t = tensor(new Float64Array(values));
      this.group.allreduce([t]);
      return Array.from(t.toTypedArray() as Float64Array);
    });
  }

  /** Rank 0's values. */
  fromLeader(values: number[]): number[] {
    return tidy(() => {
      const t = tensor(new Float64Array(values));
      this.group.broadcast([t], 0);
      return Array.from(t.toTypedArray() as Float64Array);
    });
  }

  /** Whether every rank got here without failing; a rank that failed says so with `ok: false`. */
  allSucceeded(ok: boolean): boolean {
    return (this.sum([ok ? 0 : 1])[0] as number) === 0;
  }

  barrier(): void {
    this.group.barrier();
  }

  /** Batch norms compute their batch statistics over every rank's rows (train.sync_batchnorm). */
  synchroniseBatchNorm(model: nn.Module): void {
    const sumAcrossRanks = (x: Tensor) => this.group.allreduceSum(x);
    for (const m of model.modules()) if (m instanceof nn.BatchNorm1d || m instanceof nn.BatchNorm2d) m.sync = sumAcrossRanks;
  }
}

/** Whether an engine error came from c10d's communication (a peer gone, a timeout). */
export function isCollectiveFailure(error: unknown): boolean {
  return error instanceof Error && !(error instanceof UserError) && /gloo|c10d|connection closed|timed out|connection reset|broken pipe/i.test(error.message);
}

/**
 * A process stopped because others failed or went silent: not the cause of a failed run,
 * which `train --nproc`'s launcher reports instead where it knows it.
 */
export class ProcessesLost extends UserError {}

/** The one line a failed collective becomes: which rank noticed, and what c10d said. */
export function collectiveFailure(rank: number, error: unknown): ProcessesLost {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split("\n")[0]?.replace(/^\[[^\]]*\]\s*/, "") ?? message;
  return new ProcessesLost(`rank ${rank}: lost the other ranks (${first})`);
}

/** Joins the process group the environment names; one line if that fails. */
export function joinDataParallel(env: DistributedEnv, o: { timeoutSeconds: number; bucketMb?: number }): DataParallel {
  if (!distributedAvailable()) throw new UserError("data-parallel training needs modalfuse's engine built with Gloo (c10d): apt-get install libgloo-dev, then rebuild (make build)");
  const loopback = /^(127\.|localhost$|::1$)/.test(env.masterAddr);
  const interfaceName = process.env.GLOO_SOCKET_IFNAME;
  try {
    const group = ProcessGroup.init({
      rank: env.rank,
      worldSize: env.worldSize,
      host: env.masterAddr,
      port: env.masterPort,
      isServer: env.rank === 0 && !env.agentStore,
      timeoutMs: Math.round(o.timeoutSeconds * 1000),
      ...(interfaceName ? { interfaceName } : loopback ? { interfaceHost: "127.0.0.1" } : {}),
    });
    return new DataParallel(group, o.bucketMb === undefined ? DEFAULT_BUCKET_BYTES : Math.round(o.bucketMb * 1024 * 1024));
  } catch (error) {
    const message = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
    throw new UserError(`rank ${env.rank}: could not join the ${env.worldSize} processes at ${env.masterAddr}:${env.masterPort} (${message.replace(/^\[[^\]]*\]\s*/, "")})`);
  }
}

/**
 * Runs `work` where it is given (each process, or only the first), then waits until every
 * process has finished its part: a failure anywhere stops all of them, and only the failing
 * process says why.
 */
export async function together<T>(dp: DataParallel | null, work: () => Promise<T>): Promise<T> {
  if (!dp) return work();
  let result: T;
  try {
    result = await work();
  } catch (error) {
    try {
      dp.allSucceeded(false);
    } catch {
      // The others are gone already; the first failure is the one to report.
    }
    throw error;
  }
  if (!dp.allSucceeded(true)) throw new OtherProcessFailed(dp.rank);
  return result;
}

/** This process stopped because another failed (which said why). */
export class OtherProcessFailed extends ProcessesLost {
  constructor(readonly rank: number) {
    super(`rank ${rank}: stopped, as another rank failed`);
  }
}

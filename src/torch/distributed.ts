// Data-parallel communication on libtorch's c10d (Gloo): one process group per process, as
// torch.distributed's default group, and the collectives training needs. Every collective
// waits at most the group's timeout, so a dead or hung peer ends in an error, not a hang.
import { native } from "./native.js";
import { Tensor } from "./tensor.js";

export interface ProcessGroupOptions {
  rank: number;
  worldSize: number;
  /** Where the TCPStore listens (rank 0's address, MASTER_ADDR). */
  host: string;
  port: number;
  /** Whether this process hosts the store; false where a launcher's agent already does. */
  isServer: boolean;
  /** A FileStore at this path instead of the TCPStore (one machine). */
  file?: string;
  /** How long any collective (and joining the group) may wait for the other ranks. */
  timeoutMs: number;
  /**
   * Where Gloo listens, reachable from the other processes: a network interface by name
   * (GLOO_SOCKET_IFNAME), or an address; neither: the address this machine's hostname has.
   */
  interfaceName?: string;
  interfaceHost?: string;
}

/** Whether the linked engine was built with c10d's Gloo process group. */
export function distributedAvailable(): boolean {
  return native.distAvailable();
}

export class ProcessGroup {
  private destroyed = false;

  private constructor(
    readonly rank: number,
    readonly worldSize: number,
  ) {}

  /** Joins the group; returns once every rank has joined (or throws after the timeout). */
  static init(o: ProcessGroupOptions): ProcessGroup {
    native.distInit(o);
    return new ProcessGroup(o.rank, o.worldSize);
  }

  /** Sums each tensor across ranks, in place. */
  allreduce(tensors: Tensor[]): void {
    native.distAllreduce(tensors.map((t) => t.handle));
  }

  /** Every rank's tensors become `root`'s, in place. */
  broadcast(tensors: Tensor[], root = 0): void {
    native.distBroadcast(tensors.map((t) => t.handle), root);
  }

  barrier(): void {
    native.distBarrier();
  }

  /**
   * The parameters whose gradients `averageGradients` averages, in flat buckets of about
   * `bucketBytes`, sent while backward is still running as each bucket's gradients are ready.
   */
  attachGradients(params: Tensor[], bucketBytes = DEFAULT_BUCKET_BYTES): void {
    native.distReducerAttach(
      params.map((p) => p.handle),
      bucketBytes,
    );
  }

  /** Call before a training step's backward: its gradients are sent as they are computed. */
  expectGradients(): void {
    native.distReducerArm();
  }

  /**
   * After backward: each attached parameter's gradient becomes the mean across ranks (one
   * without a gradient on every rank is left without one). `extra`, a small float tensor,
   * is summed across ranks in the same message.
   */
  averageGradients(extra?: Tensor): void {
    native.distAverageGradients(extra?.handle ?? null);
  }

  /** The sum of `x` across ranks, differentiable (its gradient is summed across ranks too). */
  allreduceSum(x: Tensor): Tensor {
    return new Tensor(native.distAllreduceSum(x.handle));
  }

  /** Leaves the group (closing its connections); a process may then join another. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    native.distDestroy();
  }
}

/** PyTorch DDP's default bucket size. */
export const DEFAULT_BUCKET_BYTES = 25 * 1024 * 1024;

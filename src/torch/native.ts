// Loads the native addon and describes its functions. Everything above this file
// speaks in `Tensor`s; only src/torch/ touches raw handles. Importing the engine loads
// nothing: libtorch loads at the first use of `native`, and the settings it needs as it
// loads (thread counts, see configureRuntime) are applied then.
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { EngineUnavailableError, loadFailedMessage, notBuiltMessage } from "./build-status.js";
import { packageRoot } from "./package-root.js";
import type { OpsBinding } from "./ops.generated.js";

/** An opaque reference to a libtorch tensor owned by the addon (a slot number). */
export type Handle = { readonly __brand: "TensorHandle" };
type H = Handle;
type Opt<T> = T | null | undefined;
type Num = number | boolean;

export type DTypeName = "float32" | "float64" | "float16" | "bfloat16" | "int64" | "int32" | "uint8" | "bool" | "complex64";

export interface EngineInfo {
  version: string;
  cudaBuilt: boolean;
  cudaAvailable: boolean;
  cudaDevices: number;
  mkldnn: boolean;
  openmp: boolean;
  parallel: string;
}

/** The addon: the ops generated from the op table, and the hand-written entry points below. */
export interface NativeBinding extends OpsBinding {
  // creation
  fromBytes(data: ArrayBufferView, shape: number[], dtype: DTypeName, device?: Opt<string>): H;
  mapFile(path: string, byteOffset: number, shape: number[], dtype: DTypeName): H;
  trimMemory(): boolean;
  toBytes(t: H): Buffer;
  zeros(shape: number[], dtype?: Opt<DTypeName>, device?: Opt<string>): H;
  ones(shape: number[], dtype?: Opt<DTypeName>, device?: Opt<string>): H;
  empty(shape: number[], dtype?: Opt<DTypeName>, device?: Opt<string>): H;
  full(shape: number[], value: Num, dtype?: Opt<DTypeName>, device?: Opt<string>): H;
  scalarTensor(value: Num, dtype?: Opt<DTypeName>, device?: Opt<string>): H;
  arange(start: number, end: number, step: number, dtype?: Opt<DTypeName>, device?: Opt<string>): H;
  linspace(start: number, end: number, steps: number, dtype?: Opt<DTypeName>, device?: Opt<string>): H;
  eye(n: number, dtype?: Opt<DTypeName>, device?: Opt<string>): H;
  rand(shape: number[], dtype?: Opt<DTypeName>, device?: Opt<string>): H;
  randn(shape: number[], dtype?: Opt<DTypeName>, device?: Opt<string>): H;
  randint(low: number, high: number, shape: number[], dtype?: Opt<DTypeName>, device?: Opt<string>): H;
  randperm(n: number, dtype?: Opt<DTypeName>, device?: Opt<string>): H;
  hannWindow(n: number, periodic: boolean, dtype?: Opt<DTypeName>, device?: Opt<string>): H;
  zerosLike(t: H): H;
  onesLike(t: H): H;
  randLike(t: H): H;
  randnLike(t: H): H;
  // properties
  shape(t: H): number[];
  dtype(t: H): DTypeName;
  device(t: H): string;
  numel(t: H): number;
  isContiguous(t: H): boolean;
  item(t: H): number | boolean;
  // conversion
  to(t: H, dtype: Opt<DTypeName>, device: Opt<string>, nonBlocking?: boolean): H;
  toChannelsLast(t: H): H;
  contiguous(t: H): H;
  clone(t: H): H;
  detach(t: H): H;
  setData(t: H, value: H): void;
  // autograd
  requiresGrad(t: H): boolean;
  setRequiresGrad(t: H, on: boolean): void;
  isLeaf(t: H): boolean;
  grad(t: H): H | null;
  setGrad(t: H, grad: H | null): void;
  backward(t: H, gradient?: Opt<H>, retainGraph?: boolean): void;
  setGradEnabled(on: boolean): boolean;
  isGradEnabled(): boolean;
  autocastEnter(dtype: DTypeName): void;
  autocastExit(): void;
  isAutocastEnabled(): boolean;
  // runtime
  dispose(t: H): void;
  liveCount(): number;
  memory(): Record<string, { tensors: number; bytes: number }>;
  manualSeed(seed: number): void;
  cpuRngState(): H;
  setCpuRngState(state: H): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  info(): EngineInfo;
  cudaSynchronize(): void;
  // c10d (distributed.ts)
  distAvailable(): boolean;
  distInit(o: { rank: number; worldSize: number; host: string; port: number; isServer: boolean; file?: string | undefined; timeoutMs: number; interfaceName?: string | undefined; interfaceHost?: string | undefined }): void;
  distDestroy(): void;
  distAllreduce(tensors: H[]): void;
  distBroadcast(tensors: H[], root: number): void;
  distBarrier(): void;
  distReducerAttach(params: H[], bucketBytes: number): void;
  distReducerArm(): void;
  distAverageGradients(extra?: Opt<H>): void;
  distAllreduceSum(x: H): H;
  // the ops outside the op table (native/ops_manual.cc)
  where(cond: H, a: H | number, aIsScalar: boolean, b: H | number, bIsScalar: boolean): H;
  norm(t: H, p: number, dims?: Opt<number[]>, keepdim?: boolean): H;
  squeeze(t: H, dim?: Opt<number>): H;
  interpolate(x: H, size: number[], mode: "bilinear" | "nearest", alignCorners?: Opt<boolean>): H;
  // optimizers
  sgdStep(params: H[], buffers: H[], firstStep: boolean, lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: boolean): void;
  adamStep(params: H[], expAvg: H[], expAvgSq: H[], step: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: boolean): void;
  clipGradNorm(params: H[], maxNorm: number): number;
  zeroGrad(params: H[], setToNone: boolean): void;
}

/** At most this many cores, OpenBLAS runs in the calling thread (see load()). */
export const SINGLE_THREAD_BLAS_MAX_CORES = 4;

/** OPENBLAS_NUM_THREADS as OpenBLAS read it when the engine loaded (null: OpenBLAS's default). */
export let blasThreadsAtLoad: string | null = null;

/** The addon's file; throws the one line that says what to install when it is not built. */
export function builtEngine(): string {
  const root = packageRoot();
  const file = join(root, "build", "Release", "modalfuse_native.node");
  if (!existsSync(file)) throw new EngineUnavailableError(notBuiltMessage(root, file));
  return file;
}

function load(): NativeBinding {
  const file = builtEngine();
  // A pthreads OpenBLAS (Debian's default) keeps a thread pool of its own, one thread per
  // core, beside libtorch's OpenMP threads; both busy-wait when idle, so on few cores they
  // take turns on the same CPUs. OpenBLAS reads OPENBLAS_NUM_THREADS once, as it loads.
  // Measured on 2 cores (bench/speed.ts data, seed preset, 2 intra-op threads): steady
  // epochs ~30% faster with 1 than with OpenBLAS's default. A value the user set is kept; above 4 cores, where this
  // was not measured, OpenBLAS's default stays. The variable is removed again once the
  // engine has loaded, so that processes this one starts keep their own defaults.
  const userSet = process.env.OPENBLAS_NUM_THREADS;
  const ours = userSet === undefined && availableParallelism() <= SINGLE_THREAD_BLAS_MAX_CORES;
  if (ours) process.env.OPENBLAS_NUM_THREADS = "1";
  blasThreadsAtLoad = process.env.OPENBLAS_NUM_THREADS ?? null;
  // libgomp's default spinning costs nothing on a quiet machine but everything on a busy
  // one: with another process on the same 2 cores, a standard-preset training step took
  // 1.9 s with 2 spinning threads, 0.28 s with passive waiting, 0.39 s with 1 thread.
  // Passive waiting, unless the user chose a policy or a spin count, read once as libgomp loads.
  const ompOurs = process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined;
  if (ompOurs) process.env.OMP_WAIT_POLICY = "PASSIVE";
  try {
    return createRequire(import.meta.url)(file) as NativeBinding;
  } catch (error) {
    // dlopen's failure (a libtorch gone since the build) is the installation's, not a bug.
    if ((error as NodeJS.ErrnoException).code === "ERR_DLOPEN_FAILED") throw new EngineUnavailableError(loadFailedMessage(packageRoot(), error));
    throw error;
  } finally {
    if (ours) delete process.env.OPENBLAS_NUM_THREADS;
    if (ompOurs) delete process.env.OMP_WAIT_POLICY;
  }
}

/** Called once libtorch has loaded (runtime.ts applies the thread count there). */
let onLoad: (binding: NativeBinding) => void = () => {};
export function setOnLoad(hook: (binding: NativeBinding) => void): void {
  onLoad = hook;
}

/** Whether libtorch has been loaded in this process. */
export let loaded = false;

/**
 * The addon. Until first used it is a stand-in that loads the real binding and replaces
 * itself: `native` is a live binding of this module, so every later access reaches the
 * addon directly, at no cost per call.
 */
export let native: NativeBinding = new Proxy({} as NativeBinding, {
  get(_target, key) {
    if (!loaded) {
      const binding = load();
      native = binding;
      loaded = true;
      onLoad(binding);
    }
    return (native as unknown as Record<string | symbol, unknown>)[key];
  },
});

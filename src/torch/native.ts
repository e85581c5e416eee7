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

export interface NativeBinding {
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
  // arithmetic: tensor handles are numbers too, so number operands have their own entry points
  add(a: H, b: H, alpha?: number): H;
  addScalar(a: H, b: number): H;
  sub(a: H, b: H): H;
  subScalar(a: H, b: number): H;
  mul(a: H, b: H): H;
  mulScalar(a: H, b: number): H;
  div(a: H, b: H): H;
  divScalar(a: H, b: number): H;
  pow(a: H, b: H): H;
  powScalar(a: H, b: number): H;
  remainder(a: H, b: H): H;
  remainderScalar(a: H, b: number): H;
  rsub(a: H, b: number): H;
  maximum(a: H, b: H): H;
  minimum(a: H, b: H): H;
  neg(t: H): H;
  abs(t: H): H;
  exp(t: H): H;
  log(t: H): H;
  log1p(t: H): H;
  sqrt(t: H): H;
  rsqrt(t: H): H;
  reciprocal(t: H): H;
  sin(t: H): H;
  cos(t: H): H;
  floor(t: H): H;
  ceil(t: H): H;
  round(t: H): H;
  sign(t: H): H;
  real(t: H): H;
  imag(t: H): H;
  viewAsReal(t: H): H;
  clamp(t: H, min: Opt<number>, max: Opt<number>): H;
  // comparisons
  eq(a: H, b: H): H;
  eqScalar(a: H, b: Num): H;
  ne(a: H, b: H): H;
  neScalar(a: H, b: Num): H;
  lt(a: H, b: H): H;
  ltScalar(a: H, b: Num): H;
  le(a: H, b: H): H;
  leScalar(a: H, b: Num): H;
  gt(a: H, b: H): H;
  gtScalar(a: H, b: Num): H;
  ge(a: H, b: H): H;
  geScalar(a: H, b: Num): H;
  logicalNot(t: H): H;
  logicalAnd(a: H, b: H): H;
  logicalOr(a: H, b: H): H;
  isnan(t: H): H;
  isfinite(t: H): H;
  where(cond: H, a: H | number, aIsScalar: boolean, b: H | number, bIsScalar: boolean): H;
  maskedFill(t: H, mask: H, value: Num): H;
  allclose(a: H, b: H, rtol: number, atol: number): boolean;
  // activations
  relu(t: H): H;
  gelu(t: H, approximate?: Opt<"none" | "tanh">): H;
  silu(t: H): H;
  hardswish(t: H): H;
  hardsigmoid(t: H): H;
  sigmoid(t: H): H;
  tanh(t: H): H;
  leakyRelu(t: H, slope: number): H;
  softplus(t: H, beta: number, threshold: number): H;
  softmax(t: H, dim: number): H;
  logSoftmax(t: H, dim: number): H;
  // reductions
  sum(t: H, dims?: Opt<number[]>, keepdim?: boolean): H;
  mean(t: H, dims?: Opt<number[]>, keepdim?: boolean): H;
  var(t: H, dims?: Opt<number[]>, keepdim?: boolean, unbiased?: boolean): H;
  std(t: H, dims?: Opt<number[]>, keepdim?: boolean, unbiased?: boolean): H;
  amax(t: H, dims?: Opt<number[]>, keepdim?: boolean): H;
  amin(t: H, dims?: Opt<number[]>, keepdim?: boolean): H;
  maxDim(t: H, dim: number, keepdim?: boolean): [H, H];
  minDim(t: H, dim: number, keepdim?: boolean): [H, H];
  argmax(t: H, dim?: Opt<number>, keepdim?: boolean): H;
  argmin(t: H, dim?: Opt<number>, keepdim?: boolean): H;
  logsumexp(t: H, dims: number[], keepdim?: boolean): H;
  norm(t: H, p: number, dims?: Opt<number[]>, keepdim?: boolean): H;
  cumsum(t: H, dim: number): H;
  all(t: H): H;
  any(t: H): H;
  topk(t: H, k: number, dim: number, largest: boolean, sorted: boolean): [H, H];
  sort(t: H, dim: number, descending: boolean): [H, H];
  // linear algebra
  matmul(a: H, b: H): H;
  bmm(a: H, b: H): H;
  linear(x: H, weight: H, bias?: Opt<H>): H;
  einsum(equation: string, tensors: H[]): H;
  // in place
  add_(a: H, b: H, alpha?: number): void;
  add_Scalar(a: H, b: number): void;
  sub_(a: H, b: H): void;
  sub_Scalar(a: H, b: number): void;
  mul_(a: H, b: H): void;
  mul_Scalar(a: H, b: number): void;
  div_(a: H, b: H): void;
  div_Scalar(a: H, b: number): void;
  zero_(t: H): void;
  fill_(t: H, value: Num): void;
  copy_(t: H, src: H): void;
  clamp_(t: H, min: Opt<number>, max: Opt<number>): void;
  uniform_(t: H, low: number, high: number): void;
  normal_(t: H, mean: number, std: number): void;
  addcmul_(t: H, a: H, b: H, value: number): void;
  addcdiv_(t: H, a: H, b: H, value: number): void;
  maskedFill_(t: H, mask: H, value: Num): void;
  // shape
  reshape(t: H, shape: number[]): H;
  view(t: H, shape: number[]): H;
  permute(t: H, dims: number[]): H;
  transpose(t: H, a: number, b: number): H;
  flatten(t: H, start: number, end: number): H;
  unsqueeze(t: H, dim: number): H;
  squeeze(t: H, dim?: Opt<number>): H;
  expand(t: H, shape: number[]): H;
  repeat(t: H, repeats: number[]): H;
  flip(t: H, dims: number[]): H;
  cat(ts: H[], dim: number): H;
  stack(ts: H[], dim: number): H;
  chunk(t: H, chunks: number, dim: number): H[];
  split(t: H, size: number, dim: number): H[];
  unbind(t: H, dim: number): H[];
  slice(t: H, dim: number, start: Opt<number>, end: Opt<number>, step?: Opt<number>): H;
  narrow(t: H, dim: number, start: number, length: number): H;
  select(t: H, dim: number, index: number): H;
  indexSelect(t: H, dim: number, index: H): H;
  gather(t: H, dim: number, index: H): H;
  scatter(t: H, dim: number, index: H, src: H): H;
  oneHot(t: H, numClasses: number): H;
  tril(t: H, diagonal?: number): H;
  pad(t: H, pads: number[], mode?: Opt<string>, value?: Opt<number>): H;
  // nn
  conv1d(x: H, w: H, b: Opt<H>, stride: number[], padding: number[], dilation: number[], groups: number): H;
  conv2d(x: H, w: H, b: Opt<H>, stride: number[], padding: number[], dilation: number[], groups: number): H;
  maxPool1d(x: H, kernel: number[], stride: number[], padding: number[], dilation: number[], ceilMode: boolean): H;
  maxPool2d(x: H, kernel: number[], stride: number[], padding: number[], dilation: number[], ceilMode: boolean): H;
  avgPool1d(x: H, kernel: number[], stride: number[], padding: number[], ceilMode: boolean): H;
  avgPool2d(x: H, kernel: number[], stride: number[], padding: number[], ceilMode: boolean): H;
  adaptiveAvgPool1d(x: H, size: number[]): H;
  adaptiveAvgPool2d(x: H, size: number[]): H;
  adaptiveMaxPool2d(x: H, size: number[]): H;
  batchNorm(x: H, w: Opt<H>, b: Opt<H>, runningMean: Opt<H>, runningVar: Opt<H>, training: boolean, momentum: number, eps: number): H;
  layerNorm(x: H, normalizedShape: number[], w: Opt<H>, b: Opt<H>, eps: number): H;
  groupNorm(x: H, groups: number, w: Opt<H>, b: Opt<H>, eps: number): H;
  dropout(x: H, p: number, training: boolean): H;
  featureDropout(x: H, p: number, training: boolean): H;
  embedding(weight: H, indices: H, paddingIdx?: Opt<number>): H;
  crossEntropy(logits: H, target: H, weight: Opt<H>, reduction: Opt<string>, ignoreIndex: Opt<number>, labelSmoothing: Opt<number>): H;
  nllLoss(logProbs: H, target: H, weight: Opt<H>, reduction: Opt<string>, ignoreIndex: Opt<number>): H;
  mseLoss(a: H, b: H, reduction: Opt<string>): H;
  bceWithLogits(x: H, target: H, weight: Opt<H>, posWeight: Opt<H>, reduction: Opt<string>): H;
  interpolate(x: H, size: number[], mode: "bilinear" | "nearest", alignCorners?: Opt<boolean>): H;
  stft(x: H, nFft: number, hop: number, winLength: number, window: Opt<H>, center: boolean, padMode: string, normalized: boolean, onesided: boolean): H;
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

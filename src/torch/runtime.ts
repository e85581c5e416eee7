// Engine-wide settings and facts: gradient mode, seeds, threads, devices, live tensors.
import { availableParallelism } from "node:os";
import { blasThreadsAtLoad, loaded, native, setOnLoad, type EngineInfo } from "./native.js";
import { Tensor } from "./tensor.js";

/** Runs fn with autograd off (inference, optimizer arithmetic), restoring the mode after. */
export function noGrad<T>(fn: () => T): T {
  const previous = native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(previous);
  }
}

/**
 * Runs fn with CUDA autocast to `dtype` (matrix products and convolutions in that precision,
 * reductions and losses in float32), restoring the previous state after; `null` runs fn as
 * it is. Autocast only touches CUDA tensors: on CPU it changes nothing.
 */
export function autocast<T>(dtype: "bfloat16" | "float16" | null, fn: () => T): T {
  if (dtype === null) return fn();
  native.autocastEnter(dtype);
  try {
    return fn();
  } finally {
    native.autocastExit();
  }
}

export function isAutocastEnabled(): boolean {
  return native.isAutocastEnabled();
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

/** Seeds libtorch's generators (CPU and CUDA) for reproducible initialisation and sampling. */
/** The CPU generator's state, a uint8 tensor: saved with a checkpoint, restored on resume. */
export function cpuRngState(): Tensor {
  return new Tensor(native.cpuRngState());
}

export function setCpuRngState(state: Tensor): void {
  native.setCpuRngState(state.handle);
}

export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}

/** The count this thread last asked for; see restoreNumThreads. */
let askedThreads = 0;

/** Intra-op threads. The default is the machine's cores (libtorch may start lower). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`thread count must be a positive integer, got ${n}`);
  askedThreads = n;
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

/**
 * Sets this thread's count again, after worker threads set theirs. How far a count reaches
 * depends on the libtorch build: 1.13 keeps one count for the whole process (a worker's 1
 * makes every operation serial), later builds keep OpenMP's per thread but MKL's per
 * process. So what this thread asked for is remembered here, never read back.
 */
export function restoreNumThreads(): void {
  native.setNumThreads(askedThreads);
}

/** Returns the C heap's free pages to the system (glibc): after decoding, and after each epoch. */
export function trimMemory(): boolean {
  return native.trimMemory();
}

/** Tensors handed out by the engine and not yet freed: tests use it to catch leaks. */
export function liveTensors(): number {
  return native.liveCount();
}

/**
 * Per device ("cpu", "cuda:0"), the tensors this thread holds and the bytes of their
 * storages (a storage shared by views counted once): what is alive, not what the
 * allocators keep cached.
 */
export function memory(): Record<string, { tensors: number; bytes: number }> {
  return loaded ? native.memory() : {};
}

export function engineInfo(): EngineInfo {
  return native.info();
}

export function cudaAvailable(): boolean {
  return native.info().cudaAvailable;
}

/** "cuda" when usable and asked for ("auto" or "cuda"), else "cpu". */
export function resolveDevice(requested: "auto" | "cpu" | "cuda" | string = "auto"): string {
  if (requested === "auto") return cudaAvailable() ? "cuda" : "cpu";
  if (requested.startsWith("cuda") && !cudaAvailable()) throw new Error(`device ${requested} asked for, but the linked libtorch has no usable CUDA`);
  return requested;
}

/** Training precision: "auto" is bfloat16 autocast on CUDA and float32 on CPU. */
export type Precision = "auto" | "float32" | "bfloat16";

/** The autocast dtype for a precision on a device (null: plain float32). */
export function resolvePrecision(requested: Precision, device: string): "bfloat16" | null {
  const cuda = device.startsWith("cuda");
  if (requested === "bfloat16" && !cuda) throw new Error(`precision bfloat16 needs a CUDA device; training runs on ${device}`);
  return cuda && requested !== "float32" ? "bfloat16" : null;
}

/** Waits for queued GPU work (for timing); a no-op on CPU. */
export function synchronize(): void {
  native.cudaSynchronize();
}

function defaultThreads(): number {
  const fromEnv = Number(process.env.MODALFUSE_THREADS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : availableParallelism();
}

export interface RuntimeOptions {
  /** Intra-op threads; default $MODALFUSE_THREADS, else the machine's cores. */
  threads?: number;
}

/** Threads asked for before the engine loaded, applied as it loads. */
let pendingThreads: number | null = null;

/**
 * Engine-wide settings, explicitly: importing the engine changes nothing in the process.
 * Without a call, the defaults apply when the engine first loads.
 */
export function configureRuntime(o: RuntimeOptions = {}): void {
  const threads = o.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`thread count must be a positive integer, got ${threads}`);
  if (loaded) setNumThreads(threads);
  else pendingThreads = threads;
}

setOnLoad(() => {
  askedThreads = pendingThreads ?? defaultThreads();
  native.setNumThreads(askedThreads);
});

/** OPENBLAS_NUM_THREADS as OpenBLAS read it when the engine loaded (null: OpenBLAS's default). */
export function blasThreads(): string | null {
  return blasThreadsAtLoad;
}

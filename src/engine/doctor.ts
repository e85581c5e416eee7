// What `modalfuse doctor` reports: which libtorch this process actually loaded (read from
// the process's own memory map, not from what the build intended), its version, threads,
// BLAS and devices, and which audio decoder reads files.
import { readFileSync, realpathSync } from "node:fs";
import { nativeAudioStatus, nativeImageStatus } from "../data/media/native-media.js";
import { isCheckout } from "../torch/build-status.js";
import { blasThreads, engineInfo, getNumThreads } from "../torch/runtime.js";
import { packageRoot } from "../util/package-root.js";

export interface DoctorReport {
  libtorch: string;
  version: string;
  blas: string;
  threads: number;
  cuda: string;
  parallelBackend: string;
  /** OPENBLAS_NUM_THREADS as OpenBLAS read it when libtorch loaded, if set. */
  blasThreads: string | null;
  audioDecoder: string;
  imageDecoder: string;
  node: string;
}

function loadedLibraries(): string[] {
  try {
    const maps = readFileSync("/proc/self/maps", "utf8");
    return [...new Set(maps.split("\n").map((line) => line.split(/\s+/)[5] ?? "").filter((p) => p.startsWith("/")))];
  } catch {
    return [];
  }
}

function describeBlas(libs: string[]): string {
  const blas = libs.find((p) => /lib(open)?blas|libmkl|libblis|libflexiblas/.test(p));
  if (!blas) return "none found in the process (BLAS may be linked statically)";
  let real = blas;
  try {
    real = realpathSync(blas);
  } catch {
    // keep the mapped path
  }
  const kind = /openblas/i.test(real) ? "OpenBLAS" : /mkl/i.test(real) ? "MKL" : /blis/i.test(real) ? "BLIS" : "reference BLAS (slow: install libopenblas0)";
  return `${kind} (${real})`;
}

export function doctor(): DoctorReport {
  const info = engineInfo();
  const libs = loadedLibraries();
  const torchLib = libs.find((p) => /libtorch_cpu\.so/.test(p)) ?? "unknown";
  const cuda = info.cudaAvailable
    ? `available, ${info.cudaDevices} device(s)`
    : info.cudaBuilt
      ? "built in, but no usable device"
      : "not built into this libtorch";
  const backend = info.parallel.match(/ATen parallel backend: (.*)/)?.[1] ?? "unknown";
  return {
    libtorch: torchLib,
    version: info.version,
    blas: describeBlas(libs),
    threads: getNumThreads(),
    cuda,
    parallelBackend: backend,
    blasThreads: blasThreads(),
    audioDecoder: describeAudioDecoder(),
    imageDecoder: nativeImageStatus(),
    node: process.version,
  };
}

/** What installs the decoders' libraries and rebuilds: make in a checkout, `setup` in an npm install. */
function setupHint(): string {
  const root = packageRoot();
  return isCheckout(root) ? "install libsndfile1-dev and libmpg123-dev and run `make clean build`" : "run `npx modalfuse setup`";
}

function describeAudioDecoder(): string {
  const status = nativeAudioStatus();
  if (status.native) return `native (${status.detail})`;
  if (process.env.MODALFUSE_AUDIO_DECODER === "wasm") return "WebAssembly (chosen by MODALFUSE_AUDIO_DECODER=wasm)";
  return `WebAssembly, 3-4x slower for MP3 and FLAC (native decoder unavailable: ${status.detail}; ${setupHint()})`;
}

export function formatDoctor(r: DoctorReport): string {
  return [
    `libtorch   ${r.version}  ${r.libtorch}`,
    `blas       ${r.blas}`,
    `threads    ${r.threads} (${r.parallelBackend}${r.blasThreads ? `; OPENBLAS_NUM_THREADS=${r.blasThreads}` : ""}; set MODALFUSE_THREADS to change)`,
    `cuda       ${r.cuda}`,
    `audio      ${r.audioDecoder}`,
    `images     ${r.imageDecoder}`,
    `node       ${r.node}`,
  ].join("\n");
}

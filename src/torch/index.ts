// modalfuse's tensor engine: libtorch through our own binding, with deterministic memory.
export { Tensor, viewAs, bytesPerElement, type DType, type Device, type AnyTypedArray } from "./tensor.js";
export { tidy, keep, dispose } from "./scope.js";
export * from "./create.js";
export * as F from "./functional.js";
export * from "./runtime.js";
export * as nn from "./nn/index.js";
export * as optim from "./optim/index.js";
export { encodeSafetensors, decodeSafetensors, saveSafetensors, loadSafetensors } from "./safetensors.js";
export type { EngineInfo } from "./native.js";
export { ProcessGroup, distributedAvailable, DEFAULT_BUCKET_BYTES, type ProcessGroupOptions } from "./distributed.js";
export { EngineUnavailableError } from "./build-status.js";

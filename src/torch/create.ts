// Making tensors: from typed arrays or Buffers (one memcpy, no per-element loop), from
// plain numbers, and libtorch's own factories.
import { native } from "./native.js";
import { Tensor, bytesPerElement, type AnyTypedArray, type DType } from "./tensor.js";

export interface Placement {
  dtype?: DType;
  device?: string;
}

const DEFAULT_DTYPE: Record<string, DType> = {
  Float32Array: "float32",
  Float64Array: "float64",
  BigInt64Array: "int64",
  Int32Array: "int32",
  Uint8Array: "uint8",
  Uint16Array: "float16",
};

/**
 * A tensor holding a copy of `data`. A typed array keeps its own dtype unless `dtype`
 * says how to read its bytes (a Uint16Array as "bfloat16", a Uint8Array as "bool");
 * a Buffer needs `dtype`; plain numbers become float32 unless told otherwise.
 */
export function tensor(data: AnyTypedArray | Buffer | number[] | number, shape?: number[], placement: Placement = {}): Tensor {
  if (typeof data === "number") return scalar(data, placement);
  if (Array.isArray(data)) {
    const dtype = placement.dtype ?? "float32";
    return fromBytes(numbersAs(data, dtype), shape ?? [data.length], dtype, placement.device);
  }
  const dtype = placement.dtype ?? (Buffer.isBuffer(data) ? undefined : DEFAULT_DTYPE[data.constructor.name]);
  if (dtype === undefined) throw new TypeError("tensor(): a Buffer needs a dtype");
  const count = data.byteLength / bytesPerElement(dtype);
  return fromBytes(data, shape ?? [count], dtype, placement.device);
}

/**
 * A CPU tensor over part of a file, memory-mapped rather than read: its pages belong to the
 * page cache, not to this process's private memory. `byteOffset` must be a multiple of the
 * page size (4096 on the machines we run on). The mapping is copy-on-write: writing to the
 * tensor never changes the file.
 */
export function mapFile(path: string, byteOffset: number, shape: number[], dtype: DType): Tensor {
  return new Tensor(native.mapFile(path, byteOffset, shape, dtype));
}

function fromBytes(data: ArrayBufferView, shape: number[], dtype: DType, device?: string): Tensor {
  return new Tensor(native.fromBytes(data, shape, dtype, device));
}

function numbersAs(values: number[], dtype: DType): AnyTypedArray {
  switch (dtype) {
    case "float32":
      return Float32Array.from(values);
    case "float64":
      return Float64Array.from(values);
    case "int64":
      return BigInt64Array.from(values, (v) => BigInt(Math.trunc(v)));
    case "int32":
      return Int32Array.from(values);
    case "uint8":
      return Uint8Array.from(values);
    case "bool":
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
    default:
      throw new TypeError(`tensor(): plain numbers cannot be read as ${dtype}; convert with .to() instead`);
  }
}

export function scalar(value: number, placement: Placement = {}): Tensor {
  return new Tensor(native.scalarTensor(value, placement.dtype, placement.device));
}
export function zeros(shape: number[], placement: Placement = {}): Tensor {
  return new Tensor(native.zeros(shape, placement.dtype, placement.device));
}
export function ones(shape: number[], placement: Placement = {}): Tensor {
  return new Tensor(native.ones(shape, placement.dtype, placement.device));
}
export function empty(shape: number[], placement: Placement = {}): Tensor {
  return new Tensor(native.empty(shape, placement.dtype, placement.device));
}
export function full(shape: number[], value: number, placement: Placement = {}): Tensor {
  return new Tensor(native.full(shape, value, placement.dtype, placement.device));
}
export function arange(start: number, end: number, step = 1, placement: Placement = {}): Tensor {
  return new Tensor(native.arange(start, end, step, placement.dtype ?? "int64", placement.device));
}
export function linspace(start: number, end: number, steps: number, placement: Placement = {}): Tensor {
  return new Tensor(native.linspace(start, end, steps, placement.dtype, placement.device));
}
export function eye(n: number, placement: Placement = {}): Tensor {
  return new Tensor(native.eye(n, placement.dtype, placement.device));
}
/** Uniform on [0, 1). */
export function rand(shape: number[], placement: Placement = {}): Tensor {
  return new Tensor(native.rand(shape, placement.dtype, placement.device));
}
/** Standard normal. */
export function randn(shape: number[], placement: Placement = {}): Tensor {
  return new Tensor(native.randn(shape, placement.dtype, placement.device));
}
/** Integers in [low, high), int64. */
export function randint(low: number, high: number, shape: number[], placement: Placement = {}): Tensor {
  return new Tensor(native.randint(low, high, shape, "int64", placement.device));
}
/** A random permutation of 0..n-1, int64. */
export function randperm(n: number, placement: Placement = {}): Tensor {
  return new Tensor(native.randperm(n, "int64", placement.device));
}
export function hannWindow(length: number, periodic = true, placement: Placement = {}): Tensor {
  return new Tensor(native.hannWindow(length, periodic, placement.dtype, placement.device));
}
export function zerosLike(t: Tensor): Tensor {
  return new Tensor(native.zerosLike(t.handle));
}
export function onesLike(t: Tensor): Tensor {
  return new Tensor(native.onesLike(t.handle));
}
export function randLike(t: Tensor): Tensor {
  return new Tensor(native.randLike(t.handle));
}
export function randnLike(t: Tensor): Tensor {
  return new Tensor(native.randnLike(t.handle));
}
export function cat(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(native.cat(tensors.map((t) => t.handle), dim));
}
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(native.stack(tensors.map((t) => t.handle), dim));
}
/** Elementwise: `a` where `condition` holds, else `b` (either may be a number). */
export function where(condition: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const handleOr = (x: Tensor | number) => (typeof x === "number" ? x : x.handle);
  return new Tensor(native.where(condition.handle, handleOr(a), typeof a === "number", handleOr(b), typeof b === "number"));
}
export function einsum(equation: string, ...tensors: Tensor[]): Tensor {
  return new Tensor(native.einsum(equation, tensors.map((t) => t.handle)));
}

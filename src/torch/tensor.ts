// The typed face of a libtorch tensor. Every method that makes a tensor returns a new
// `Tensor`, registered with the innermost `tidy` scope; methods ending in `_` work in place.
import { native, type DTypeName, type Handle } from "./native.js";
import { bindTensor, TensorOps } from "./ops.generated.js";
import { track, type ScopedTensor } from "./scope.js";

export type DType = DTypeName;
export type Device = "cpu" | "cuda" | `cuda:${number}`;
export type Operand = Tensor | number;

/** The typed array that holds one dtype's elements (16-bit floats as raw bits). */
export type TypedArrayOf<D extends DType> = D extends "float32"
  ? Float32Array
  : D extends "float64"
    ? Float64Array
    : D extends "int64"
      ? BigInt64Array
      : D extends "int32"
        ? Int32Array
        : D extends "uint8" | "bool"
          ? Uint8Array
          : D extends "float16" | "bfloat16"
            ? Uint16Array
            : D extends "complex64"
              ? Float32Array
              : never;
export type AnyTypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;

// A safety net for tensors nobody disposed: when such a Tensor is collected, its native
// slot is freed. Scopes free everything in the hot path long before this could run.
const forgotten = new FinalizationRegistry<Handle>((handle) => native.dispose(handle));

export class Tensor extends TensorOps implements ScopedTensor {
  #handle: Handle | null;
  kept = false;

  /** Wraps a handle from the addon; library users create tensors with the factory functions. */
  constructor(handle: Handle) {
    super();
    this.#handle = handle;
    forgotten.register(this, handle, this);
    track(this);
  }

  get handle(): Handle {
    if (this.#handle === null) throw new Error("tensor was disposed");
    return this.#handle;
  }

  get isDisposed(): boolean {
    return this.#handle === null;
  }

  /** Frees libtorch's memory now. Safe to call twice. */
  dispose(): void {
    if (this.#handle === null) return;
    forgotten.unregister(this);
    native.dispose(this.#handle);
    this.#handle = null;
  }

  /** For `using t = ...`: freed when the block ends. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  get shape(): number[] {
    return native.shape(this.handle);
  }
  get dtype(): DType {
    return native.dtype(this.handle);
  }
  get device(): string {
    return native.device(this.handle);
  }
  get numel(): number {
    return native.numel(this.handle);
  }
  get ndim(): number {
    return this.shape.length;
  }
  size(dim: number): number {
    const shape = this.shape;
    const d = dim < 0 ? shape.length + dim : dim;
    const n = shape[d];
    if (n === undefined) throw new RangeError(`dimension ${dim} out of range for shape [${shape.join(", ")}]`);
    return n;
  }

  // ---- data out ----
  item(): number {
    const v = native.item(this.handle);
    return typeof v === "boolean" ? Number(v) : v;
  }
  /** The elements, row-major, in the typed array of this dtype (a copy). */
  toTypedArray(): AnyTypedArray {
    return viewAs(native.toBytes(this.handle), this.dtype);
  }
  /** The raw bytes, row-major (a copy). */
  toBuffer(): Buffer {
    return native.toBytes(this.handle);
  }
  /** The elements as plain numbers (for small tensors: tests, reports). */
  toArray(): number[] {
    const data = this.toTypedArray();
    return data instanceof BigInt64Array ? Array.from(data, Number) : Array.from(data);
  }

  // ---- conversion ----
  to(target: { dtype?: DType; device?: string; nonBlocking?: boolean }): Tensor {
    return new Tensor(native.to(this.handle, target.dtype, target.device, target.nonBlocking ?? false));
  }
  float(): Tensor {
    return this.to({ dtype: "float32" });
  }
  long(): Tensor {
    return this.to({ dtype: "int64" });
  }
  contiguous(): Tensor {
    return new Tensor(native.contiguous(this.handle));
  }
  channelsLast(): Tensor {
    return new Tensor(native.toChannelsLast(this.handle));
  }
  clone(): Tensor {
    return new Tensor(native.clone(this.handle));
  }
  detach(): Tensor {
    return new Tensor(native.detach(this.handle));
  }
  /** Replaces this tensor's data (keeping its identity, e.g. for a parameter moved to a device). */
  setData(value: Tensor): void {
    native.setData(this.handle, value.handle);
  }

  // ---- autograd ----
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }
  requiresGrad_(on = true): this {
    native.setRequiresGrad(this.handle, on);
    return this;
  }
  /** Whether the elements lie in row-major order (false for channels-last and most views). */
  get isContiguous(): boolean {
    return native.isContiguous(this.handle);
  }
  get isLeaf(): boolean {
    return native.isLeaf(this.handle);
  }
  /** The accumulated gradient, or null before any backward pass. */
  get grad(): Tensor | null {
    const g = native.grad(this.handle);
    return g === null ? null : new Tensor(g);
  }
  set grad(value: Tensor | null) {
    native.setGrad(this.handle, value === null ? null : value.handle);
  }
  backward(gradient?: Tensor, options: { retainGraph?: boolean } = {}): void {
    native.backward(this.handle, gradient?.handle, options.retainGraph ?? false);
  }

  // ---- ops outside the op table (each picks between ATen calls by its arguments) ----
  // Arithmetic, comparisons, activations, reductions, shape and in-place ops are
  // generated from scripts/ops/table.mjs into TensorOps (ops.generated.ts).
  norm(p = 2, dims?: number | number[], keepdim = false): Tensor {
    return new Tensor(native.norm(this.handle, p, dimList(dims), keepdim));
  }
  squeeze(dim?: number): Tensor {
    return new Tensor(native.squeeze(this.handle, dim));
  }

  override toString(): string {
    return this.isDisposed ? "Tensor(disposed)" : `Tensor(shape=[${this.shape.join(", ")}], dtype=${this.dtype}, device=${this.device})`;
  }
}

bindTensor((h) => new Tensor(h));

function dimList(dims: number | number[] | undefined): number[] | undefined {
  return dims === undefined ? undefined : typeof dims === "number" ? [dims] : dims;
}

const BYTES: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  uint8: 1,
  bool: 1,
  complex64: 8,
};

export function bytesPerElement(dtype: DType): number {
  return BYTES[dtype];
}

/** A typed-array view of bytes that the addon produced (copied when misaligned). */
export function viewAs(bytes: Buffer, dtype: DType): AnyTypedArray {
  const width = dtype === "complex64" ? 4 : BYTES[dtype];
  // A fresh Uint8Array copy starts at offset 0 of its own ArrayBuffer, so it is aligned.
  const aligned = bytes.byteOffset % width === 0 ? bytes : new Uint8Array(bytes);
  const { buffer, byteOffset, byteLength } = aligned;
  switch (dtype) {
    case "float32":
    case "complex64":
      return new Float32Array(buffer, byteOffset, byteLength / 4);
    case "float64":
      return new Float64Array(buffer, byteOffset, byteLength / 8);
    case "int64":
      return new BigInt64Array(buffer, byteOffset, byteLength / 8);
    case "int32":
      return new Int32Array(buffer, byteOffset, byteLength / 4);
    case "uint8":
    case "bool":
      return new Uint8Array(buffer, byteOffset, byteLength);
    case "float16":
    case "bfloat16":
      return new Uint16Array(buffer, byteOffset, byteLength / 2);
  }
}

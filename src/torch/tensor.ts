// The typed face of a libtorch tensor. Every method that makes a tensor returns a new
// `Tensor`, registered with the innermost `tidy` scope; methods ending in `_` work in place.
import { native, type DTypeName, type Handle } from "./native.js";
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

export class Tensor implements ScopedTensor {
  #handle: Handle | null;
  kept = false;

  /** Wraps a handle from the addon; library users create tensors with the factory functions. */
  constructor(handle: Handle) {
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

  // ---- arithmetic (broadcasting; the other operand may be a number) ----
  add(other: Operand, alpha?: number): Tensor {
    return new Tensor(typeof other === "number" ? native.addScalar(this.handle, other * (alpha ?? 1)) : native.add(this.handle, other.handle, alpha));
  }
  sub(other: Operand): Tensor {
    return new Tensor(typeof other === "number" ? native.subScalar(this.handle, other) : native.sub(this.handle, other.handle));
  }
  /** number - this */
  rsub(other: number): Tensor {
    return new Tensor(native.rsub(this.handle, other));
  }
  mul(other: Operand): Tensor {
    return new Tensor(typeof other === "number" ? native.mulScalar(this.handle, other) : native.mul(this.handle, other.handle));
  }
  div(other: Operand): Tensor {
    return new Tensor(typeof other === "number" ? native.divScalar(this.handle, other) : native.div(this.handle, other.handle));
  }
  pow(exponent: Operand): Tensor {
    return new Tensor(typeof exponent === "number" ? native.powScalar(this.handle, exponent) : native.pow(this.handle, exponent.handle));
  }
  remainder(other: Operand): Tensor {
    return new Tensor(typeof other === "number" ? native.remainderScalar(this.handle, other) : native.remainder(this.handle, other.handle));
  }
  maximum(other: Tensor): Tensor {
    return new Tensor(native.maximum(this.handle, other.handle));
  }
  minimum(other: Tensor): Tensor {
    return new Tensor(native.minimum(this.handle, other.handle));
  }
  neg(): Tensor {
    return new Tensor(native.neg(this.handle));
  }
  abs(): Tensor {
    return new Tensor(native.abs(this.handle));
  }
  exp(): Tensor {
    return new Tensor(native.exp(this.handle));
  }
  log(): Tensor {
    return new Tensor(native.log(this.handle));
  }
  log1p(): Tensor {
    return new Tensor(native.log1p(this.handle));
  }
  sqrt(): Tensor {
    return new Tensor(native.sqrt(this.handle));
  }
  rsqrt(): Tensor {
    return new Tensor(native.rsqrt(this.handle));
  }
  reciprocal(): Tensor {
    return new Tensor(native.reciprocal(this.handle));
  }
  sin(): Tensor {
    return new Tensor(native.sin(this.handle));
  }
  cos(): Tensor {
    return new Tensor(native.cos(this.handle));
  }
  floor(): Tensor {
    return new Tensor(native.floor(this.handle));
  }
  ceil(): Tensor {
    return new Tensor(native.ceil(this.handle));
  }
  round(): Tensor {
    return new Tensor(native.round(this.handle));
  }
  sign(): Tensor {
    return new Tensor(native.sign(this.handle));
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return new Tensor(native.clamp(this.handle, min, max));
  }
  real(): Tensor {
    return new Tensor(native.real(this.handle));
  }
  imag(): Tensor {
    return new Tensor(native.imag(this.handle));
  }
  viewAsReal(): Tensor {
    return new Tensor(native.viewAsReal(this.handle));
  }

  // ---- comparisons and logic ----
  eq(other: Operand): Tensor {
    return new Tensor(typeof other === "number" ? native.eqScalar(this.handle, other) : native.eq(this.handle, other.handle));
  }
  ne(other: Operand): Tensor {
    return new Tensor(typeof other === "number" ? native.neScalar(this.handle, other) : native.ne(this.handle, other.handle));
  }
  lt(other: Operand): Tensor {
    return new Tensor(typeof other === "number" ? native.ltScalar(this.handle, other) : native.lt(this.handle, other.handle));
  }
  le(other: Operand): Tensor {
    return new Tensor(typeof other === "number" ? native.leScalar(this.handle, other) : native.le(this.handle, other.handle));
  }
  gt(other: Operand): Tensor {
    return new Tensor(typeof other === "number" ? native.gtScalar(this.handle, other) : native.gt(this.handle, other.handle));
  }
  ge(other: Operand): Tensor {
    return new Tensor(typeof other === "number" ? native.geScalar(this.handle, other) : native.ge(this.handle, other.handle));
  }
  logicalNot(): Tensor {
    return new Tensor(native.logicalNot(this.handle));
  }
  logicalAnd(other: Tensor): Tensor {
    return new Tensor(native.logicalAnd(this.handle, other.handle));
  }
  logicalOr(other: Tensor): Tensor {
    return new Tensor(native.logicalOr(this.handle, other.handle));
  }
  isnan(): Tensor {
    return new Tensor(native.isnan(this.handle));
  }
  isfinite(): Tensor {
    return new Tensor(native.isfinite(this.handle));
  }
  /** Where `mask` is true, `value`; elsewhere this tensor's element. */
  maskedFill(mask: Tensor, value: number): Tensor {
    return new Tensor(native.maskedFill(this.handle, mask.handle, value));
  }
  allclose(other: Tensor, rtol = 1e-5, atol = 1e-8): boolean {
    return native.allclose(this.handle, other.handle, rtol, atol);
  }

  // ---- activations ----
  relu(): Tensor {
    return new Tensor(native.relu(this.handle));
  }
  gelu(approximate: "none" | "tanh" = "none"): Tensor {
    return new Tensor(native.gelu(this.handle, approximate));
  }
  silu(): Tensor {
    return new Tensor(native.silu(this.handle));
  }
  /** x · relu6(x + 3) / 6. */
  hardswish(): Tensor {
    return new Tensor(native.hardswish(this.handle));
  }
  /** relu6(x + 3) / 6. */
  hardsigmoid(): Tensor {
    return new Tensor(native.hardsigmoid(this.handle));
  }
  sigmoid(): Tensor {
    return new Tensor(native.sigmoid(this.handle));
  }
  tanh(): Tensor {
    return new Tensor(native.tanh(this.handle));
  }
  leakyRelu(slope = 0.01): Tensor {
    return new Tensor(native.leakyRelu(this.handle, slope));
  }
  softplus(beta = 1, threshold = 20): Tensor {
    return new Tensor(native.softplus(this.handle, beta, threshold));
  }
  softmax(dim: number): Tensor {
    return new Tensor(native.softmax(this.handle, dim));
  }
  logSoftmax(dim: number): Tensor {
    return new Tensor(native.logSoftmax(this.handle, dim));
  }

  // ---- reductions (dims absent: over everything) ----
  sum(dims?: number | number[], keepdim = false): Tensor {
    return new Tensor(native.sum(this.handle, dimList(dims), keepdim));
  }
  mean(dims?: number | number[], keepdim = false): Tensor {
    return new Tensor(native.mean(this.handle, dimList(dims), keepdim));
  }
  var(dims?: number | number[], keepdim = false, unbiased = true): Tensor {
    return new Tensor(native.var(this.handle, dimList(dims), keepdim, unbiased));
  }
  std(dims?: number | number[], keepdim = false, unbiased = true): Tensor {
    return new Tensor(native.std(this.handle, dimList(dims), keepdim, unbiased));
  }
  /** Largest value over dims (all when absent). */
  amax(dims?: number | number[], keepdim = false): Tensor {
    return new Tensor(native.amax(this.handle, dimList(dims), keepdim));
  }
  amin(dims?: number | number[], keepdim = false): Tensor {
    return new Tensor(native.amin(this.handle, dimList(dims), keepdim));
  }
  /** Largest values along one dim, and where they are. */
  max(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [v, i] = native.maxDim(this.handle, dim, keepdim);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  min(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [v, i] = native.minDim(this.handle, dim, keepdim);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(native.argmax(this.handle, dim, keepdim));
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return new Tensor(native.argmin(this.handle, dim, keepdim));
  }
  logsumexp(dims: number | number[], keepdim = false): Tensor {
    return new Tensor(native.logsumexp(this.handle, dimList(dims) ?? [], keepdim));
  }
  norm(p = 2, dims?: number | number[], keepdim = false): Tensor {
    return new Tensor(native.norm(this.handle, p, dimList(dims), keepdim));
  }
  cumsum(dim: number): Tensor {
    return new Tensor(native.cumsum(this.handle, dim));
  }
  all(): Tensor {
    return new Tensor(native.all(this.handle));
  }
  any(): Tensor {
    return new Tensor(native.any(this.handle));
  }
  topk(k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } {
    const [v, i] = native.topk(this.handle, k, dim, largest, sorted);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  sort(dim = -1, descending = false): { values: Tensor; indices: Tensor } {
    const [v, i] = native.sort(this.handle, dim, descending);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }

  // ---- linear algebra ----
  matmul(other: Tensor): Tensor {
    return new Tensor(native.matmul(this.handle, other.handle));
  }
  bmm(other: Tensor): Tensor {
    return new Tensor(native.bmm(this.handle, other.handle));
  }

  // ---- shape and indexing ----
  reshape(shape: number[]): Tensor {
    return new Tensor(native.reshape(this.handle, shape));
  }
  view(shape: number[]): Tensor {
    return new Tensor(native.view(this.handle, shape));
  }
  permute(dims: number[]): Tensor {
    return new Tensor(native.permute(this.handle, dims));
  }
  transpose(a: number, b: number): Tensor {
    return new Tensor(native.transpose(this.handle, a, b));
  }
  flatten(start = 0, end = -1): Tensor {
    return new Tensor(native.flatten(this.handle, start, end));
  }
  unsqueeze(dim: number): Tensor {
    return new Tensor(native.unsqueeze(this.handle, dim));
  }
  squeeze(dim?: number): Tensor {
    return new Tensor(native.squeeze(this.handle, dim));
  }
  expand(shape: number[]): Tensor {
    return new Tensor(native.expand(this.handle, shape));
  }
  repeat(repeats: number[]): Tensor {
    return new Tensor(native.repeat(this.handle, repeats));
  }
  flip(dims: number[]): Tensor {
    return new Tensor(native.flip(this.handle, dims));
  }
  /** Elements start..end (end exclusive, either may be null for the edge) with a step, along dim. */
  slice(dim: number, start: number | null, end: number | null, step = 1): Tensor {
    return new Tensor(native.slice(this.handle, dim, start, end, step));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(native.narrow(this.handle, dim, start, length));
  }
  select(dim: number, index: number): Tensor {
    return new Tensor(native.select(this.handle, dim, index));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(native.indexSelect(this.handle, dim, index.handle));
  }
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(native.gather(this.handle, dim, index.handle));
  }
  scatter(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(native.scatter(this.handle, dim, index.handle, src.handle));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return native.chunk(this.handle, chunks, dim).map((h) => new Tensor(h));
  }
  split(size: number, dim = 0): Tensor[] {
    return native.split(this.handle, size, dim).map((h) => new Tensor(h));
  }
  unbind(dim = 0): Tensor[] {
    return native.unbind(this.handle, dim).map((h) => new Tensor(h));
  }
  tril(diagonal = 0): Tensor {
    return new Tensor(native.tril(this.handle, diagonal));
  }

  // ---- in place ----
  add_(other: Operand, alpha?: number): this {
    if (typeof other === "number") native.add_Scalar(this.handle, other * (alpha ?? 1));
    else native.add_(this.handle, other.handle, alpha);
    return this;
  }
  sub_(other: Operand): this {
    if (typeof other === "number") native.sub_Scalar(this.handle, other);
    else native.sub_(this.handle, other.handle);
    return this;
  }
  mul_(other: Operand): this {
    if (typeof other === "number") native.mul_Scalar(this.handle, other);
    else native.mul_(this.handle, other.handle);
    return this;
  }
  div_(other: Operand): this {
    if (typeof other === "number") native.div_Scalar(this.handle, other);
    else native.div_(this.handle, other.handle);
    return this;
  }
  zero_(): this {
    native.zero_(this.handle);
    return this;
  }
  fill_(value: number): this {
    native.fill_(this.handle, value);
    return this;
  }
  copy_(src: Tensor): this {
    native.copy_(this.handle, src.handle);
    return this;
  }
  clamp_(min?: number | null, max?: number | null): this {
    native.clamp_(this.handle, min, max);
    return this;
  }
  uniform_(low = 0, high = 1): this {
    native.uniform_(this.handle, low, high);
    return this;
  }
  normal_(mean = 0, std = 1): this {
    native.normal_(this.handle, mean, std);
    return this;
  }
  addcmul_(a: Tensor, b: Tensor, value = 1): this {
    native.addcmul_(this.handle, a.handle, b.handle, value);
    return this;
  }
  addcdiv_(a: Tensor, b: Tensor, value = 1): this {
    native.addcdiv_(this.handle, a.handle, b.handle, value);
    return this;
  }
  maskedFill_(mask: Tensor, value: number): this {
    native.maskedFill_(this.handle, mask.handle, value);
    return this;
  }

  toString(): string {
    return this.isDisposed ? "Tensor(disposed)" : `Tensor(shape=[${this.shape.join(", ")}], dtype=${this.dtype}, device=${this.device})`;
  }
}

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

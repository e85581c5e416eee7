// A tensor as torch pickles it is a view: (storage offset, sizes, strides) into a storage
// that other tensors may share (a transposed weight, two slices of one buffer). This copies
// the view's elements out in row-major order, which is what modalfuse's tensors hold.

export interface View {
  readonly offset: number;
  readonly size: readonly number[];
  readonly stride: readonly number[];
}

/** The view's elements, contiguous. `storage` holds `storage.length / elementBytes` elements; the view must lie inside it. */
export function materialise(storage: Buffer, elementBytes: number, view: View): Buffer {
  const { offset, size, stride } = view;
  const count = size.reduce((a, b) => a * b, 1);
  if (count === 0) return Buffer.alloc(0);
  const elements = Math.floor(storage.length / elementBytes);
  // The last element the view touches; strides are never negative in torch.
  const last = offset + size.reduce((sum, n, d) => sum + (n - 1) * (stride[d] as number), 0);
  if (last >= elements) throw new RangeError(`the view reaches element ${last} of a storage of ${elements}`);

  if (isRowMajor(size, stride)) return storage.subarray(offset * elementBytes, (offset + count) * elementBytes);

  // Copy runs along the innermost dimension (one memcpy when its stride is 1), stepping an
  // index counter over the outer dimensions like an odometer.
  const out = Buffer.allocUnsafe(count * elementBytes);
  const rank = size.length;
  const inner = size[rank - 1] as number;
  const innerStride = stride[rank - 1] as number;
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let source = offset;
  let target = 0;
  for (let run = 0; run < count / inner; run++) {
    if (innerStride === 1) {
      storage.copy(out, target, source * elementBytes, (source + inner) * elementBytes);
      target += inner * elementBytes;
    } else {
      for (let i = 0; i < inner; i++) {
        const from = (source + i * innerStride) * elementBytes;
        storage.copy(out, target, from, from + elementBytes);
        target += elementBytes;
      }
    }
    for (let d = rank - 2; d >= 0; d--) {
      const i = (index[d] as number) + 1;
      if (i < (size[d] as number)) {
        index[d] = i;
        source += stride[d] as number;
        break;
      }
      index[d] = 0;
      source -= ((size[d] as number) - 1) * (stride[d] as number);
    }
  }
  return out;
}

/** Whether the strides are the row-major ones (dimensions of size 1 may have any stride). */
function isRowMajor(size: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if ((size[d] as number) !== 1 && stride[d] !== expected) return false;
    expected *= size[d] as number;
  }
  return true;
}

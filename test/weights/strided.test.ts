// Copying a torch view (offset, sizes, strides) out of its storage, against index arithmetic.
import { test } from "node:test";
import assert from "node:assert/strict";
import { materialise, type View } from "../../src/weights/strided.js";

/** The view's elements by the definition: storage[offset + Σ index·stride], row-major. */
function reference(storage: number[], view: View): number[] {
  const out: number[] = [];
  const walk = (d: number, at: number) => {
    if (d === view.size.length) return void out.push(storage[at] as number);
    for (let i = 0; i < (view.size[d] as number); i++) walk(d + 1, at + i * (view.stride[d] as number));
  };
  walk(0, view.offset);
  return out;
}

test("views of every layout match index arithmetic", () => {
  const storage = Array.from({ length: 64 }, (_, i) => i * 1.5 - 7);
  const bytes = Buffer.from(new Float64Array(storage).buffer);
  const views: View[] = [
    { offset: 0, size: [], stride: [] },
    { offset: 7, size: [], stride: [] },
    { offset: 3, size: [4, 5], stride: [5, 1] },
    { offset: 0, size: [5, 4], stride: [1, 5] },
    { offset: 2, size: [3, 2], stride: [8, 3] },
    { offset: 1, size: [3, 4], stride: [1, 0] },
    { offset: 0, size: [2, 3, 2, 2], stride: [12, 1, 6, 3] },
    { offset: 5, size: [1, 3, 1], stride: [99, 2, 7] },
    { offset: 0, size: [0, 4], stride: [4, 1] },
  ];
  for (const view of views) {
    const got = Array.from(new Float64Array(new Uint8Array(materialise(bytes, 8, view)).buffer));
    assert.deepEqual(got, reference(storage, view), JSON.stringify(view));
  }
});

test("a view reaching past its storage is an error", () => {
  assert.throws(() => materialise(Buffer.alloc(16), 4, { offset: 1, size: [2, 2], stride: [2, 1] }), /reaches element 4 of a storage of 4/);
});

// Tensors in and out of typed arrays and Buffers for every dtype, properties, devices,
// threads, and libtorch errors turned into JavaScript errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { F, engineInfo, getNumThreads, manualSeed, ones, rand, setNumThreads, tensor, tidy, zeros } from "../../src/torch/index.js";

test("every dtype round-trips through typed arrays without change", () => {
  tidy(() => {
    const f32 = new Float32Array([1.5, -2, 3.25]);
    assert.deepEqual(tensor(f32).toTypedArray(), f32);
    const f64 = new Float64Array([Math.PI, -1e300]);
    assert.deepEqual(tensor(f64).toTypedArray(), f64);
    const i64 = new BigInt64Array([-(2n ** 62n), 5n]);
    assert.deepEqual(tensor(i64).toTypedArray(), i64);
    const i32 = new Int32Array([-7, 2 ** 30]);
    assert.deepEqual(tensor(i32).toTypedArray(), i32);
    const u8 = new Uint8Array([0, 255, 7]);
    assert.deepEqual(tensor(u8).toTypedArray(), u8);
    const bool = tensor(new Uint8Array([1, 0, 1]), [3], { dtype: "bool" });
    assert.equal(bool.dtype, "bool");
    assert.deepEqual(bool.toArray(), [1, 0, 1]);
  });
});

test("16-bit floats are read and written as raw bits", () => {
  tidy(() => {
    // 1.0, -2.0 and 0.5 in IEEE half precision and in bfloat16
    const half = tensor(new Uint16Array([0x3c00, 0xc000, 0x3800]), [3], { dtype: "float16" });
    assert.deepEqual(half.float().toArray(), [1, -2, 0.5]);
    const bf = tensor(new Uint16Array([0x3f80, 0xc000, 0x3f00]), [3], { dtype: "bfloat16" });
    assert.deepEqual(bf.float().toArray(), [1, -2, 0.5]);
    assert.deepEqual([...tensor([1, -2, 0.5]).to({ dtype: "bfloat16" }).toTypedArray()], [0x3f80, 0xc000, 0x3f00]);
  });
});

test("a Buffer becomes a tensor with the dtype it is read as, and shape is checked", () => {
  tidy(() => {
    const buf = Buffer.from(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
    const t = tensor(buf, [2, 3], { dtype: "float32" });
    assert.deepEqual(t.shape, [2, 3]);
    assert.deepEqual(t.select(0, 1).toArray(), [4, 5, 6]);
    assert.deepEqual([...t.toBuffer()], [...buf]);
    // a view into a larger buffer, at an odd offset
    const big = Buffer.alloc(13);
    big.writeFloatLE(7.5, 1);
    assert.deepEqual(tensor(big.subarray(1, 5), [1], { dtype: "float32" }).toArray(), [7.5]);
    assert.throws(() => tensor(buf, [4, 4], { dtype: "float32" }), /24 bytes given, shape and dtype need 64/);
    assert.throws(() => tensor(buf), /needs a dtype/);
  });
});

test("properties describe the tensor", () => {
  tidy(() => {
    const t = zeros([2, 3, 4], { dtype: "float64" });
    assert.deepEqual(t.shape, [2, 3, 4]);
    assert.equal(t.dtype, "float64");
    assert.equal(t.device, "cpu");
    assert.equal(t.numel, 24);
    assert.equal(t.ndim, 3);
    assert.equal(t.size(-1), 4);
    assert.equal(t.requiresGrad, false);
    assert.equal(String(t), "Tensor(shape=[2, 3, 4], dtype=float64, device=cpu)");
    assert.equal(t.to({ device: "cpu" }).device, "cpu");
  });
});

test("seeds make random numbers reproducible", () => {
  tidy(() => {
    manualSeed(123);
    const a = rand([5]).toArray();
    manualSeed(123);
    assert.deepEqual(rand([5]).toArray(), a);
    assert.notDeepEqual(rand([5]).toArray(), a);
  });
});

test("the thread count defaults to the machine's cores and can be set", async () => {
  const { availableParallelism } = await import("node:os");
  const start = getNumThreads();
  assert.equal(start, Number(process.env.MODALFUSE_THREADS) || availableParallelism());
  setNumThreads(1);
  assert.equal(getNumThreads(), 1);
  setNumThreads(start);
  assert.throws(() => setNumThreads(0), /positive integer/);
});

test("the engine describes itself", () => {
  const info = engineInfo();
  assert.match(info.version, /^\d+\.\d+/);
  assert.equal(typeof info.cudaAvailable, "boolean");
});

test("libtorch errors become JavaScript errors with libtorch's message", () => {
  tidy(() => {
    assert.throws(() => ones([2, 3]).matmul(ones([4, 5])), /mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)/);
    assert.throws(() => F.crossEntropy(ones([2, 3]), ones([2])), /expected scalar type Long|Expected floating point type|expected.*Long/i);
    assert.throws(() => ones([3]).indexSelect(0, tensor([5], [1], { dtype: "int64" })), /out of range|index/i);
    assert.throws(() => ones([2]).reshape([3]), /shape '\[3\]' is invalid for input of size 2/);
    assert.throws(() => ones([2]).to({ device: "cuda:7" }), Error);
  });
});

test("errors never abort the process", () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const script = `
    import { ones } from ${JSON.stringify(join(here, "..", "..", "src", "torch", "index.js"))};
    let caught = 0;
    for (let i = 0; i < 200; i++) { try { ones([2, 3]).matmul(ones([4, 5])); } catch { caught++; } }
    console.log(caught);
  `;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), "200");
});

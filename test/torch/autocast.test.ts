// Autocast scopes and training precision. What autocast does to CUDA arithmetic is tested
// in cuda.test.ts (on a machine with a GPU); here, what holds everywhere: scopes open, nest
// and close, restoring the state before them, even when the body throws; CPU arithmetic is
// never touched; and a precision asked for resolves per device.
import { test } from "node:test";
import assert from "node:assert/strict";
import { autocast, isAutocastEnabled, randn, resolvePrecision, tidy } from "../../src/torch/index.js";

test("autocast scopes nest and restore the previous state, also after a throw", () => {
  assert.equal(isAutocastEnabled(), false);
  autocast("bfloat16", () => {
    assert.equal(isAutocastEnabled(), true);
    autocast("float16", () => assert.equal(isAutocastEnabled(), true));
    assert.equal(isAutocastEnabled(), true, "the inner scope's exit restores the outer one");
    autocast(null, () => assert.equal(isAutocastEnabled(), true, "null opens no scope"));
  });
  assert.equal(isAutocastEnabled(), false);
  assert.throws(() => autocast("bfloat16", () => {
    throw new Error("inside");
  }), /inside/);
  assert.equal(isAutocastEnabled(), false);
});

test("CUDA autocast leaves CPU arithmetic in float32", () => {
  tidy(() => {
    const a = randn([4, 5]);
    const b = randn([5, 3]);
    const inside = autocast("bfloat16", () => a.matmul(b));
    assert.equal(inside.dtype, "float32");
    assert.deepEqual([...inside.toTypedArray()], [...a.matmul(b).toTypedArray()]);
  });
});

test("precision resolves per device: auto is bfloat16 on CUDA only, bfloat16 on CPU is refused", () => {
  assert.equal(resolvePrecision("auto", "cpu"), null);
  assert.equal(resolvePrecision("float32", "cpu"), null);
  assert.equal(resolvePrecision("auto", "cuda"), "bfloat16");
  assert.equal(resolvePrecision("auto", "cuda:1"), "bfloat16");
  assert.equal(resolvePrecision("float32", "cuda"), null);
  assert.equal(resolvePrecision("bfloat16", "cuda"), "bfloat16");
  assert.throws(() => resolvePrecision("bfloat16", "cpu"), /precision bfloat16 needs a CUDA device; training runs on cpu/);
});

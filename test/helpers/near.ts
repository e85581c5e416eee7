// Comparing modalfuse's tensors with a reference's: the largest absolute difference, and an
// assertion that reports it (the parity tests print every comparison they make).
import assert from "node:assert/strict";
import { tidy, type Tensor } from "../../src/torch/index.js";

/** Largest |actual - expected|, after checking the shapes agree. */
export function maxAbsDiff(actual: Tensor, expected: Tensor, what: string): number {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  return tidy(() => actual.sub(expected).abs().amax().item());
}

export function assertNear(actual: Tensor, expected: Tensor, what: string, report: (line: string) => void, tolerance: number): void {
  const diff = maxAbsDiff(actual, expected, what);
  report(`${what}: max abs diff ${diff.toExponential(2)} (values up to ${tidy(() => expected.abs().amax().item()).toExponential(2)})`);
  assert.ok(diff <= tolerance, `${what}: max abs diff ${diff} > ${tolerance}`);
}

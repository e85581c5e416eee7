// Weight initialisation as PyTorch's layers do it by default, so a model starts from the
// same distribution in modalfuse and in PyTorch.
import { empty, zeros, ones } from "../create.js";
import { noGrad } from "../runtime.js";
import type { Tensor } from "../tensor.js";

/** U(-1/sqrt(fanIn), 1/sqrt(fanIn)): PyTorch's kaiming_uniform(a=sqrt(5)) and its bias rule. */
export function defaultUniform(shape: number[], fanIn: number): Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return noGrad(() => empty(shape).uniform_(-bound, bound));
}

/** Glorot/Xavier uniform: U(-a, a), a = sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform(shape: number[], fanIn: number, fanOut: number): Tensor {
  const bound = Math.sqrt(6 / (fanIn + fanOut));
  return noGrad(() => empty(shape).uniform_(-bound, bound));
}

export function normal(shape: number[], std = 1): Tensor {
  return noGrad(() => empty(shape).normal_(0, std));
}

export { zeros, ones };

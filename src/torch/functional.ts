// Stateless neural-network functions, named and defaulted as in torch.nn.functional. Those
// that are one op each are generated from the op table (functional.generated.ts); the ones
// here check or adapt their arguments first.
import { native } from "./native.js";
import { Tensor } from "./tensor.js";
import type { ConvOptions, Pair } from "./options.js";

export * from "./functional.generated.js";
export type { Pair, Reduction, ConvOptions, PoolOptions, BatchNormOptions, CrossEntropyOptions, BceWithLogitsOptions, StftOptions } from "./options.js";

/**
 * The `groups` a convolution may take, checked here because libtorch truncates a fractional
 * count and words a mismatch without naming the op: a positive integer that splits both the
 * weight's output channels and the input's channels (weight [out, in / groups, ...kernel]).
 */
function convGroups(op: string, x: Tensor, weight: Tensor, groups: number, spatial: number): number {
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${op}: groups must be a positive integer, got ${groups}`);
  if (groups === 1) return groups;
  const [out = 0, perGroup = 0] = weight.shape;
  if (out % groups !== 0) throw new Error(`${op}: groups=${groups} does not divide the weight's ${out} output channels (weight [${weight.shape.join(", ")}])`);
  const channels = x.shape[x.ndim - spatial - 1];
  if (channels !== perGroup * groups)
    throw new Error(`${op}: groups=${groups} with weight [${weight.shape.join(", ")}] takes ${perGroup * groups} input channels, got ${channels} (input [${x.shape.join(", ")}])`);
  return groups;
}

/** groups = channels makes it depthwise (one filter per channel, weight [channels × m, 1, k]). */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, o: ConvOptions<number> = {}): Tensor {
  const groups = convGroups("conv1d", x, weight, o.groups ?? 1, 1);
  return new Tensor(native.conv1d(x.handle, weight.handle, bias?.handle, o.stride, o.padding, o.dilation, groups));
}

/** groups = channels makes it depthwise (one filter per channel, weight [channels × m, 1, kh, kw]). */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, o: ConvOptions<Pair> = {}): Tensor {
  const groups = convGroups("conv2d", x, weight, o.groups ?? 1, 2);
  return new Tensor(native.conv2d(x.handle, weight.handle, bias?.handle, o.stride, o.padding, o.dilation, groups));
}

/** Pads the last dims: [left, right] for the last, then [top, bottom] for the one before... */
export function pad(x: Tensor, pads: number[], mode: "constant" | "reflect" | "replicate" = "constant", value = 0): Tensor {
  // ATen refuses a fill value for the modes that take none.
  return new Tensor(native.pad(x.handle, pads, mode, mode === "constant" ? value : null));
}

export function interpolate(x: Tensor, size: [number, number], mode: "bilinear" | "nearest" = "bilinear", alignCorners = false): Tensor {
  return new Tensor(native.interpolate(x.handle, size, mode, mode === "bilinear" ? alignCorners : null));
}

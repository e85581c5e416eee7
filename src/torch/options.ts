// The option types of the F.* functions, apart from the functions so that the generated
// ones (functional.generated.ts) and the hand-written ones share them.
import type { Tensor } from "./tensor.js";

/** A size per spatial dim, or one for all. */
export type Pair = number | [number, number];
export type Reduction = "mean" | "sum" | "none";

export interface ConvOptions<P> {
  stride?: P;
  padding?: P;
  dilation?: P;
  groups?: number;
}

export interface PoolOptions<P> {
  stride?: P;
  padding?: P;
  ceilMode?: boolean;
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training: boolean;
  momentum?: number;
  eps?: number;
}

export interface CrossEntropyOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
  ignoreIndex?: number;
  labelSmoothing?: number;
}

export interface BceWithLogitsOptions {
  weight?: Tensor | null;
  posWeight?: Tensor | null;
  reduction?: Reduction;
}

export interface StftOptions {
  nFft: number;
  hopLength?: number;
  winLength?: number;
  window?: Tensor | null;
  center?: boolean;
  padMode?: "constant" | "reflect";
  normalized?: boolean;
  onesided?: boolean;
}

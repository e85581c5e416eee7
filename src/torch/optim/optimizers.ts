// SGD, Adam and AdamW. The update runs natively over the whole parameter list in one
// call (same arithmetic as PyTorch), so a step creates no JavaScript-side tensors.
import { zerosLike } from "../create.js";
import { native } from "../native.js";
import { noGrad } from "../runtime.js";
import { keep } from "../scope.js";
import type { Tensor } from "../tensor.js";

/**
 * Parameters that share settings within one optimizer: a multiple of its learning rate, their
 * own weight decay, and the step from which they are updated (their moments and step count
 * start there, so parameters that join training late are not bias-corrected as if they had
 * been updated all along).
 */
export interface ParamGroup {
  params: Tensor[];
  /** Multiplies the optimizer's learning rate for this group (default 1). */
  lrScale?: number;
  /** This group's weight decay; the optimizer's where unset. */
  weightDecay?: number;
  /** The optimizer step (0-based) this group is first updated at (default 0). */
  startStep?: number;
}

/** A group with every setting resolved. */
export interface ResolvedGroup {
  params: Tensor[];
  lrScale: number;
  weightDecay: number;
  startStep: number;
  /** Index of the group's first parameter in the optimizer's flat parameter list. */
  offset: number;
}

export abstract class Optimizer {
  /** Every group's parameters, in group order; state tensors follow this order. */
  readonly params: Tensor[];
  readonly groups: ResolvedGroup[];
  /** The learning rate of the next step; schedules set it. */
  lr: number;
  /** Steps taken so far. */
  stepCount = 0;

  constructor(params: Tensor[] | ParamGroup[], lr: number, weightDecay: number) {
    const groups = isGroupList(params) ? params : [{ params }];
    let offset = 0;
    this.groups = groups.map((g) => {
      const resolved = { params: g.params, lrScale: g.lrScale ?? 1, weightDecay: g.weightDecay ?? weightDecay, startStep: g.startStep ?? 0, offset };
      offset += g.params.length;
      return resolved;
    });
    this.params = this.groups.flatMap((g) => g.params);
    if (this.params.length === 0) throw new Error("optimizer got an empty parameter list");
    if (!(lr > 0)) throw new RangeError(`learning rate must be positive, got ${lr}`);
    this.lr = lr;
  }

  /** Clears gradients; by default drops them (as PyTorch 2 does) instead of zero-filling. */
  zeroGrad(setToNone = true): void {
    native.zeroGrad(this.handles(), setToNone);
  }

  abstract step(): void;

  /** Frees the optimizer's state tensors. */
  dispose(): void {
    for (const t of this.state()) t.dispose();
  }

  /** The state tensors (moments, momentum buffers), in a fixed order, for a checkpoint. */
  stateTensors(): Tensor[] {
    return this.state();
  }

  /** Restores what stateTensors() and stepCount held (values are copied in). */
  loadState(tensors: Tensor[], stepCount: number): void {
    const own = this.state();
    if (tensors.length !== own.length) throw new Error(`optimizer state has ${own.length} tensors, the checkpoint ${tensors.length}`);
    own.forEach((t, i) => {
      const from = tensors[i] as Tensor;
      if (from.shape.join("x") !== t.shape.join("x")) throw new Error(`optimizer state tensor ${i} is ${t.shape.join("x")}, the checkpoint's ${from.shape.join("x")}`);
      noGrad(() => t.copy_(from));
    });
    this.stepCount = stepCount;
  }

  protected abstract state(): Tensor[];

  protected handles() {
    return this.params.map((p) => p.handle);
  }

  /** The groups updated at step `stepCount` (0-based), each with its own count of steps taken before it. */
  protected activeGroups(): { group: ResolvedGroup; stepsBefore: number }[] {
    return this.groups.filter((g) => this.stepCount >= g.startStep).map((group) => ({ group, stepsBefore: this.stepCount - group.startStep }));
  }
}

function isGroupList(params: Tensor[] | ParamGroup[]): params is ParamGroup[] {
  return params.length > 0 && Array.isArray((params[0] as { params?: unknown }).params);
}

/** The handles of one group's slice of a flat, group-ordered list. */
function slice(tensors: Tensor[], g: ResolvedGroup) {
  return tensors.slice(g.offset, g.offset + g.params.length).map((t) => t.handle);
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  readonly #buffers: Tensor[];

  constructor(params: Tensor[] | ParamGroup[], o: SGDOptions) {
    super(params, o.lr, o.weightDecay ?? 0);
    this.momentum = o.momentum ?? 0;
    this.dampening = o.dampening ?? 0;
    this.weightDecay = o.weightDecay ?? 0;
    this.nesterov = o.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) throw new Error("Nesterov momentum needs momentum > 0 and no dampening");
    this.#buffers = this.momentum ? this.params.map((p) => keep(zerosLike(p))) : [];
  }

  step(): void {
    for (const { group: g, stepsBefore } of this.activeGroups()) {
      const buffers = this.momentum ? slice(this.#buffers, g) : [];
      native.sgdStep(slice(this.params, g), buffers, stepsBefore === 0, this.lr * g.lrScale, this.momentum, this.dampening, g.weightDecay, this.nesterov);
    }
    this.stepCount++;
  }

  protected state(): Tensor[] {
    return this.#buffers;
  }
}

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  protected readonly decoupled: boolean = false;
  readonly #expAvg: Tensor[];
  readonly #expAvgSq: Tensor[];

  constructor(params: Tensor[] | ParamGroup[], o: AdamOptions = {}, defaultWeightDecay = 0) {
    super(params, o.lr ?? 1e-3, o.weightDecay ?? defaultWeightDecay);
    this.betas = o.betas ?? [0.9, 0.999];
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? defaultWeightDecay;
    this.#expAvg = this.params.map((p) => keep(zerosLike(p)));
    this.#expAvgSq = this.params.map((p) => keep(zerosLike(p)));
  }

  step(): void {
    for (const { group: g, stepsBefore } of this.activeGroups()) {
      // Adam's bias correction counts this group's own steps, this one included.
      native.adamStep(slice(this.params, g), slice(this.#expAvg, g), slice(this.#expAvgSq, g), stepsBefore + 1, this.lr * g.lrScale, this.betas[0], this.betas[1], this.eps, g.weightDecay, this.decoupled);
    }
    this.stepCount++;
  }

  protected state(): Tensor[] {
    return [...this.#expAvg, ...this.#expAvgSq];
  }
}

/** Adam with decoupled weight decay (default 0.01), as torch.optim.AdamW. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;
  constructor(params: Tensor[] | ParamGroup[], o: AdamOptions = {}) {
    super(params, o, 0.01);
  }
}

/** Scales all gradients so their joint 2-norm is at most maxNorm; returns the norm before. */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  return native.clipGradNorm(params.map((p) => p.handle), maxNorm);
}

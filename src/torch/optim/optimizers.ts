// SGD, Adam and AdamW. The update runs natively over the whole parameter list in one
// call (same arithmetic as PyTorch), so a step creates no JavaScript-side tensors.
import { zerosLike } from "../create.js";
import { native } from "../native.js";
import { noGrad } from "../runtime.js";
import { keep } from "../scope.js";
import type { Tensor } from "../tensor.js";

export abstract class Optimizer {
  readonly params: Tensor[];
  /** The learning rate of the next step; schedules set it. */
  lr: number;
  /** Steps taken so far. */
  stepCount = 0;

  constructor(params: Tensor[], lr: number) {
    if (params.length === 0) throw new Error("optimizer got an empty parameter list");
    if (!(lr > 0)) throw new RangeError(`learning rate must be positive, got ${lr}`);
    this.params = params;
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

  constructor(params: Tensor[], o: SGDOptions) {
    super(params, o.lr);
    this.momentum = o.momentum ?? 0;
    this.dampening = o.dampening ?? 0;
    this.weightDecay = o.weightDecay ?? 0;
    this.nesterov = o.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) throw new Error("Nesterov momentum needs momentum > 0 and no dampening");
    this.#buffers = this.momentum ? params.map((p) => keep(zerosLike(p))) : [];
  }

  step(): void {
    native.sgdStep(this.handles(), this.#buffers.map((b) => b.handle), this.stepCount === 0, this.lr, this.momentum, this.dampening, this.weightDecay, this.nesterov);
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

  constructor(params: Tensor[], o: AdamOptions = {}, defaultWeightDecay = 0) {
    super(params, o.lr ?? 1e-3);
    this.betas = o.betas ?? [0.9, 0.999];
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? defaultWeightDecay;
    this.#expAvg = params.map((p) => keep(zerosLike(p)));
    this.#expAvgSq = params.map((p) => keep(zerosLike(p)));
  }

  step(): void {
    this.stepCount++;
    native.adamStep(
      this.handles(),
      this.#expAvg.map((t) => t.handle),
      this.#expAvgSq.map((t) => t.handle),
      this.stepCount,
      this.lr,
      this.betas[0],
      this.betas[1],
      this.eps,
      this.weightDecay,
      this.decoupled,
    );
  }

  protected state(): Tensor[] {
    return [...this.#expAvg, ...this.#expAvgSq];
  }
}

/** Adam with decoupled weight decay (default 0.01), as torch.optim.AdamW. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;
  constructor(params: Tensor[], o: AdamOptions = {}) {
    super(params, o, 0.01);
  }
}

/** Scales all gradients so their joint 2-norm is at most maxNorm; returns the norm before. */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  return native.clipGradNorm(params.map((p) => p.handle), maxNorm);
}

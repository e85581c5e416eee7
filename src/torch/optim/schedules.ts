// Learning-rate schedules. Each sets `optimizer.lr` when stepped; the formulas are
// PyTorch's (cosine with linear warm-up as in common transformer recipes).
import type { Optimizer } from "./optimizers.js";

export interface Schedule {
  /** Advances one step (or epoch) and sets the optimizer's learning rate. */
  step(metric?: number): void;
  readonly lr: number;
}

/** Linear warm-up from 0 over `warmupSteps`, then cosine decay to `minLr` at `totalSteps`. */
export class CosineWithWarmup implements Schedule {
  #step = 0;
  readonly baseLr: number;
  constructor(
    readonly optimizer: Optimizer,
    private o: { warmupSteps: number; totalSteps: number; minLr?: number },
  ) {
    if (o.totalSteps <= 0 || o.warmupSteps < 0 || o.warmupSteps > o.totalSteps) throw new RangeError("cosine schedule needs 0 <= warmupSteps <= totalSteps, totalSteps > 0");
    this.baseLr = optimizer.lr;
    optimizer.lr = this.at(0);
  }
  at(step: number): number {
    const { warmupSteps, totalSteps } = this.o;
    const minLr = this.o.minLr ?? 0;
    if (step < warmupSteps) return (this.baseLr * (step + 1)) / (warmupSteps + 1);
    const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    return minLr + 0.5 * (this.baseLr - minLr) * (1 + Math.cos(Math.PI * progress));
  }
  step(): void {
    this.#step++;
    this.optimizer.lr = this.at(this.#step);
  }
  /** Where the schedule stands, for a checkpoint. */
  get position(): { step: number; totalSteps: number } {
    return { step: this.#step, totalSteps: this.o.totalSteps };
  }

  /** Continues from a checkpoint's position. */
  restore(position: { step: number; totalSteps: number }): void {
    this.#step = position.step;
    this.o = { ...this.o, totalSteps: position.totalSteps };
    this.optimizer.lr = this.at(this.#step);
  }

  /** Re-plans the decay to end at `totalSteps` (at least the steps already taken), e.g. to fit a time budget. */
  resize(totalSteps: number): void {
    this.o = { ...this.o, totalSteps: Math.max(totalSteps, this.#step, this.o.warmupSteps) };
    this.optimizer.lr = this.at(this.#step);
  }
  get lr(): number {
    return this.optimizer.lr;
  }
}

/** Multiplies the learning rate by `gamma` every `stepSize` steps (torch's StepLR). */
export class StepDecay implements Schedule {
  #step = 0;
  readonly baseLr: number;
  constructor(
    readonly optimizer: Optimizer,
    readonly o: { stepSize: number; gamma?: number },
  ) {
    if (!(o.stepSize > 0)) throw new RangeError("stepSize must be positive");
    this.baseLr = optimizer.lr;
  }
  step(): void {
    this.#step++;
    this.optimizer.lr = this.baseLr * (this.o.gamma ?? 0.1) ** Math.floor(this.#step / this.o.stepSize);
  }
  get lr(): number {
    return this.optimizer.lr;
  }
}

export interface PlateauOptions {
  mode?: "min" | "max";
  factor?: number;
  patience?: number;
  /** Relative improvement needed to count as better (torch's threshold_mode="rel"). */
  threshold?: number;
  cooldown?: number;
  minLr?: number;
}

/** Cuts the learning rate by `factor` after `patience` steps without improvement (torch's ReduceLROnPlateau). */
export class ReduceOnPlateau implements Schedule {
  #best: number;
  #badSteps = 0;
  #cooldownLeft = 0;
  readonly o: Required<PlateauOptions>;
  constructor(
    readonly optimizer: Optimizer,
    options: PlateauOptions = {},
  ) {
    this.o = { mode: "min", factor: 0.1, patience: 10, threshold: 1e-4, cooldown: 0, minLr: 0, ...options };
    if (!(this.o.factor < 1 && this.o.factor > 0)) throw new RangeError("factor must be in (0, 1)");
    this.#best = this.o.mode === "min" ? Infinity : -Infinity;
  }
  step(metric?: number): void {
    if (metric === undefined || Number.isNaN(metric)) throw new Error("ReduceOnPlateau.step needs the monitored metric");
    const better = this.o.mode === "min" ? metric < this.#best * (1 - this.o.threshold) : metric > this.#best * (1 + this.o.threshold);
    if (better) {
      this.#best = metric;
      this.#badSteps = 0;
    } else {
      this.#badSteps++;
    }
    if (this.#cooldownLeft > 0) {
      this.#cooldownLeft--;
      this.#badSteps = 0;
    }
    if (this.#badSteps > this.o.patience) {
      this.optimizer.lr = Math.max(this.o.minLr, this.optimizer.lr * this.o.factor);
      this.#cooldownLeft = this.o.cooldown;
      this.#badSteps = 0;
    }
  }
  get lr(): number {
    return this.optimizer.lr;
  }
}

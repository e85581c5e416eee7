// Module: named parameters, buffers and sub-modules, train/eval mode, state dicts.
// Parameters and buffers are `keep`-ed: they live until the module is disposed, whatever
// scope created them.
import { keep } from "../scope.js";
import { noGrad } from "../runtime.js";
import type { Tensor } from "../tensor.js";

export type StateDict = Map<string, Tensor>;

export interface LoadStateDictOptions {
  /** Every tensor of the module must be in the state, and nothing else under the prefix (default true). */
  strict?: boolean;
  /** The state's keys for this module start with this (e.g. "backbone."). */
  prefix?: string;
}

/** Keys as they are in the state: the module's tensors it lacked, and its keys the module has not. */
export interface LoadStateDictResult {
  missing: string[];
  unexpected: string[];
}

const shapeText = (shape: readonly number[]) => `[${shape.join(", ")}]`;

export abstract class Module {
  training = true;
  readonly #params = new Map<string, Tensor>();
  readonly #buffers = new Map<string, Tensor>();
  readonly #children = new Map<string, Module>();

  /** Registers a trainable tensor under `name`. */
  protected param(name: string, value: Tensor): Tensor {
    keep(value).requiresGrad_(true);
    this.#params.set(name, value);
    return value;
  }

  /** Registers state that is saved but not trained (e.g. running statistics). */
  protected buffer(name: string, value: Tensor): Tensor {
    this.#buffers.set(name, keep(value));
    return value;
  }

  protected child<M extends Module>(name: string, module: M): M {
    this.#children.set(name, module);
    return module;
  }

  namedChildren(): [string, Module][] {
    return [...this.#children];
  }

  /** This module and every module below it, depth first (PyTorch's `modules()`). */
  *modules(): Generator<Module> {
    yield this;
    for (const child of this.#children.values()) yield* child.modules();
  }

  namedParameters(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, p] of this.#params) out.push([prefix + name, p]);
    for (const [name, m] of this.#children) out.push(...m.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, b] of this.#buffers) out.push([prefix + name, b]);
    for (const [name, m] of this.#children) out.push(...m.namedBuffers(`${prefix}${name}.`));
    return out;
  }

  /** Trainable element count. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.numel, 0);
  }

  /** Parameters and buffers by dotted name (the tensors themselves, not copies). */
  stateDict(): StateDict {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values into this module's tensors. Strict (the default): every name and shape must
   * match, nothing is copied unless all do, and the error is one line naming the first
   * tensor that does not fit, with its expected and found shapes, and how many others differ.
   * `strict: false` copies the tensors that are there and reports the rest; a tensor whose
   * shape differs still fails the whole load, as in PyTorch. `prefix` reads this module's
   * tensors under `prefix + name` (e.g. a backbone saved inside a larger model) and leaves
   * the state's other keys alone.
   */
  loadStateDict(state: StateDict, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const { strict = true, prefix = "" } = options;
    const own = this.stateDict();
    const missing: string[] = [];
    const unexpected: string[] = [];
    const problems: string[] = [];
    for (const [name, target] of own) {
      const key = prefix + name;
      const source = state.get(key);
      if (source === undefined) {
        missing.push(key);
        if (strict) problems.push(`tensor ${key} is missing (expected shape ${shapeText(target.shape)})`);
      } else if (shapeText(source.shape) !== shapeText(target.shape)) problems.push(`tensor ${key} has shape ${shapeText(source.shape)}, expected ${shapeText(target.shape)}`);
    }
    for (const [key, source] of state) {
      if (!key.startsWith(prefix) || own.has(key.slice(prefix.length))) continue;
      unexpected.push(key);
      if (strict) problems.push(`tensor ${key} (shape ${shapeText(source.shape)}) is not part of the model`);
    }
    if (problems.length) {
      const more = problems.length - 1;
      throw new Error(`state dict does not fit the model: ${problems[0]}${more ? ` (and ${more} more tensor${more === 1 ? " that does" : "s that do"} not fit)` : ""}`);
    }
    noGrad(() => {
      for (const [name, target] of own) {
        const source = state.get(prefix + name);
        if (source !== undefined) target.copy_(source);
      }
    });
    return { missing, unexpected };
  }

  train(on = true): this {
    this.training = on;
    for (const m of this.#children.values()) m.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Moves every parameter and buffer to a device, in place (tensor identities stay). */
  to(device: string): this {
    noGrad(() => {
      for (const [, t] of [...this.namedParameters(), ...this.namedBuffers()]) {
        if (t.device === device) continue;
        const moved = t.to({ device });
        t.setData(moved);
        moved.dispose();
      }
    });
    return this;
  }

  /**
   * Lays every 4-D parameter and buffer (convolution weights) out channels-last, in place:
   * with channels-last inputs, cuDNN then runs its NHWC kernels without transposing.
   */
  toChannelsLast(): this {
    noGrad(() => {
      for (const [, t] of [...this.namedParameters(), ...this.namedBuffers()]) {
        if (t.ndim !== 4) continue;
        const laid = t.channelsLast();
        t.setData(laid);
        laid.dispose();
      }
    });
    return this;
  }

  /** Frees every parameter and buffer. The module is unusable afterwards. */
  dispose(): void {
    for (const [, t] of [...this.namedParameters(), ...this.namedBuffers()]) t.dispose();
  }

  /** A one-line description of this module's own settings, for printing and diagrams. */
  describe(): string {
    return "";
  }

  toString(indent = ""): string {
    const kids = this.namedChildren();
    const head = `${this.constructor.name}(${this.describe()}`;
    if (!kids.length) return `${head})`;
    const inner = kids.map(([name, m]) => `${indent}  (${name}): ${m.toString(indent + "  ")}`).join("\n");
    return `${head}\n${inner}\n${indent})`;
  }
}

/** A module with one tensor in and one tensor out. */
export abstract class Layer extends Module {
  abstract forward(x: Tensor): Tensor;
}

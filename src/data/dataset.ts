// A Table held by the engine: one tensor per array, on the training device, and batches
// made by indexing them — no per-item work and no per-item objects in the hot path. Each
// input's kind decides what its rows become (inputs/).
import type { BatchInput, DatasetPart, InputState, Placer } from "../inputs/kind.js";
import { kindOf } from "../inputs/registry.js";
import { keep, tensor, tidy, type Tensor } from "../torch/index.js";
import type { Table } from "./prepare.js";
import type { PreprocessState } from "./preprocess-state.js";

/** What the model sees for a batch. Absent inputs are zeros; `present` says which are real. */
export interface Batch {
  size: number;
  /** Per input name, the tensors its encoder reads. */
  inputs: Record<string, BatchInput>;
  /** Per input name, [B] bool. */
  present: Record<string, Tensor>;
  labels: Tensor;
}

export interface DatasetOptions {
  /**
   * The most bytes of one media column to copy to a non-CPU device; larger columns stay in
   * host memory. Unset: any that the device can hold (a copy that runs out of memory falls
   * back to host memory).
   */
  residentLimitBytes?: number;
}

export class TensorDataset {
  readonly size: number;
  /** The inputs it holds, in order. */
  readonly inputs: InputState[];
  readonly #parts: Map<string, DatasetPart>;
  readonly #present: Map<string, Tensor>;
  readonly #labels: Tensor;
  readonly #owned: Tensor[] = [];

  constructor(table: Table, state: PreprocessState, device = "cpu", options: DatasetOptions = {}) {
    this.size = table.size;
    this.inputs = state.inputs.filter((s) => table.inputs[s.name]);
    const keepOwned = (t: Tensor): Tensor => {
      this.#owned.push(keep(t));
      return t;
    };
    const place: Placer = {
      device,
      keep: keepOwned,
      own: (t) => {
        const placed = t.device === device ? t : t.to({ device });
        if (placed !== t) t.dispose();
        return keepOwned(placed);
      },
      residentLimitBytes: options.residentLimitBytes ?? Infinity,
    };
    const n = table.size;
    this.#parts = new Map();
    this.#present = new Map();
    for (const s of state.inputs) {
      const part = table.inputs[s.name];
      if (!part) continue;
      this.#parts.set(s.name, kindOf(s).tensors(s, part, place));
      this.#present.set(s.name, place.own(tensor(part.present, [n], { dtype: "bool" })));
    }
    this.#labels = place.own(tensor(Array.from(table.labels), [n], { dtype: "int64" }));
  }

  /** Rows `indices` (an int64 tensor on the same device), normalised, absent inputs zeroed. */
  batch(indices: Tensor): Batch {
    const inputs: Record<string, BatchInput> = {};
    const present: Record<string, Tensor> = {};
    for (const [name, part] of this.#parts) {
      const mask = (this.#present.get(name) as Tensor).indexSelect(0, indices);
      present[name] = mask;
      inputs[name] = part.batch(indices, mask);
    }
    return { size: indices.numel, inputs, present, labels: this.#labels.indexSelect(0, indices) };
  }

  /** Class index per row (-1 where unknown), for metrics. */
  labels(): number[] {
    return tidy(() => this.#labels.toArray());
  }

  dispose(): void {
    for (const t of this.#owned) t.dispose();
  }
}

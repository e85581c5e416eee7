// A Table held by the engine: one tensor per array, on the training device, and batches
// made by indexing them — no per-item work and no per-item objects in the hot path.
import type { Modality } from "../config/schema.js";
import { arange, bytesPerElement, keep, tensor, tidy, type Tensor } from "../torch/index.js";
import { gatherRows, type MediaRows, type Table } from "./prepare.js";
import type { PreprocessState } from "./preprocess-state.js";

/** What the model sees for a batch. Absent inputs are zeros; `present` says which are real. */
export interface Batch {
  size: number;
  numeric: Tensor | null;
  categorical: Tensor | null;
  /** [B, 3, H, W] normalised float. */
  image: Tensor | null;
  /** [B, 1, nMels, frames] normalised float. */
  audio: Tensor | null;
  present: Partial<Record<Modality, Tensor>>;
  labels: Tensor;
}

/**
 * A media column and the rows of it this dataset uses, as engine tensors. `source` is on
 * the training device (resident) or stays in host memory, where each batch is gathered and
 * then copied over.
 */
interface SourceRows {
  source: Tensor;
  rows: Tensor;
  resident: boolean;
}

export interface DatasetOptions {
  /**
   * The most bytes of one media column to copy to a non-CPU device; larger columns stay in
   * host memory. Unset: any that the device can hold (a copy that runs out of memory falls
   * back to host memory).
   */
  residentLimitBytes?: number;
}

function isOutOfMemory(error: unknown): boolean {
  return error instanceof Error && /out of memory/i.test(error.message);
}

export class TensorDataset {
  readonly size: number;
  readonly #numeric: Tensor | null;
  readonly #categorical: Tensor | null;
  readonly #image: SourceRows | null;
  readonly #audio: SourceRows | null;
  readonly #present: Partial<Record<Modality, Tensor>>;
  readonly #labels: Tensor;
  readonly #imageMean: Tensor | null;
  readonly #imageStd: Tensor | null;
  readonly #state: PreprocessState;
  readonly #owned: Tensor[] = [];
  readonly #device: string;

  constructor(table: Table, state: PreprocessState, device = "cpu", options: DatasetOptions = {}) {
    this.size = table.size;
    this.#state = state;
    this.#device = device;
    const keepOwned = (t: Tensor): Tensor => {
      this.#owned.push(keep(t));
      return t;
    };
    const own = (t: Tensor): Tensor => {
      const placed = t.device === device ? t : t.to({ device });
      if (placed !== t) t.dispose();
      return keepOwned(placed);
    };
    const n = table.size;
    const has = (m: Modality) => state.modalities.includes(m);
    this.#numeric = has("tabular") && table.numericWidth ? own(tensor(table.numeric, [n, table.numericWidth])) : null;
    this.#categorical = has("tabular") && table.categoricalWidth ? own(tensor(table.categorical, [n, table.categoricalWidth])) : null;
    // Media stays where the decoder put it (memory-mapped from the cache, on CPU): a view of
    // it, and this table's row numbers, are all the dataset holds. On another device the
    // table's rows are copied there once when they fit, so batches never cross the bus.
    const inHost = (media: MediaRows): SourceRows => ({
      source: keepOwned(media.source.view(media.source.shape)),
      rows: keepOwned(tensor(Array.from(media.rows), [media.rows.length], { dtype: "int64" })),
      resident: device === "cpu",
    });
    const onDevice = (media: MediaRows): SourceRows | null => {
      const rowElements = media.source.shape.slice(1).reduce((n, d) => n * d, 1);
      const bytes = media.rows.length * rowElements * bytesPerElement(media.source.dtype);
      if (bytes > (options.residentLimitBytes ?? Infinity)) return null;
      const gathered = gatherRows(media);
      try {
        return { source: own(gathered), rows: own(arange(0, media.rows.length, 1, { dtype: "int64", device })), resident: true };
      } catch (error) {
        gathered.dispose();
        if (!isOutOfMemory(error)) throw error;
        return null;
      }
    };
    const rowsOf = (media: MediaRows): SourceRows => (device === "cpu" ? inHost(media) : (onDevice(media) ?? inHost(media)));
    const img = state.image;
    this.#image = has("image") && img && table.image ? rowsOf(table.image) : null;
    this.#imageMean = img && this.#image ? own(tensor(img.mean, [1, 3, 1, 1])) : null;
    this.#imageStd = img && this.#image ? own(tensor(img.std, [1, 3, 1, 1])) : null;
    const aud = state.audio;
    this.#audio = has("audio") && aud && table.audio ? rowsOf(table.audio) : null;
    this.#present = {};
    for (const m of state.modalities) this.#present[m] = own(tensor(table.present[m], [n], { dtype: "bool" }));
    this.#labels = own(tensor(Array.from(table.labels), [n], { dtype: "int64" }));
  }

  /** Rows `indices` (an int64 tensor on the same device), normalised, absent inputs zeroed. */
  batch(indices: Tensor): Batch {
    const present: Partial<Record<Modality, Tensor>> = {};
    for (const [m, t] of Object.entries(this.#present) as [Modality, Tensor][]) present[m] = t.indexSelect(0, indices);
    const pick = (media: SourceRows) =>
      media.resident
        ? media.source.indexSelect(0, media.rows.indexSelect(0, indices))
        : media.source.indexSelect(0, media.rows.indexSelect(0, indices.to({ device: "cpu" }))).to({ device: this.#device });
    const zeroAbsent = (x: Tensor, mask: Tensor | undefined) => (mask ? x.mul(mask.view([-1, ...x.shape.slice(1).map(() => 1)]).float()) : x);
    let image: Tensor | null = null;
    if (this.#image && this.#imageMean && this.#imageStd) {
      const raw = pick(this.#image).float().div(255);
      image = zeroAbsent(raw.sub(this.#imageMean).div(this.#imageStd), present.image);
    }
    let audio: Tensor | null = null;
    if (this.#audio && this.#state.audio) {
      const { mean, std } = this.#state.audio;
      const { nMels, frames } = this.#state.audio;
      audio = zeroAbsent(pick(this.#audio).float().view([-1, 1, nMels, frames]).sub(mean).div(std), present.audio);
    }
    return {
      size: indices.numel,
      numeric: this.#numeric?.indexSelect(0, indices) ?? null,
      categorical: this.#categorical?.indexSelect(0, indices) ?? null,
      image,
      audio,
      present,
      labels: this.#labels.indexSelect(0, indices),
    };
  }

  /** Class index per row (-1 where unknown), for metrics. */
  labels(): number[] {
    return tidy(() => this.#labels.toArray());
  }

  dispose(): void {
    for (const t of this.#owned) t.dispose();
  }
}

// Training-time augmentation, as the preset's settings ask, done on whole batches by the
// engine; each input's kind decides what augmenting it means (inputs/). Modality dropout
// hides whole inputs. Absent inputs are zeros and stay zeros.
import type { Batch } from "../data/dataset.js";
import type { BatchInput, InputState } from "../inputs/kind.js";
import { kindOf } from "../inputs/registry.js";
import type { AugmentSettings } from "../model/presets.js";
import { rand, stack, where, type Tensor } from "../torch/index.js";

export function augment(batch: Batch, inputs: InputState[], s: AugmentSettings): Batch {
  const augmented: Record<string, BatchInput> = { ...batch.inputs };
  for (const input of inputs) {
    const x = batch.inputs[input.name];
    if (x) augmented[input.name] = kindOf(input).augment(x, s);
  }
  return { ...batch, inputs: augmented };
}

/**
 * Modality dropout: each present modality of each row is hidden with probability p, so
 * the "missing" embeddings and the fusion learn to work without it. A row that would be
 * left with no modality keeps all it had.
 */
export function dropModalities(batch: Batch, p: number): Batch {
  const modalities = Object.keys(batch.present);
  if (p <= 0 || modalities.length < 2) return batch;
  const present = stack(modalities.map((m) => batch.present[m] as Tensor), 1);
  const hidden = rand(present.shape, { device: present.device }).lt(p);
  const kept = present.logicalAnd(hidden.logicalNot());
  const emptied = kept.sum(1, true).eq(0);
  const result = where(emptied, present, kept);
  return { ...batch, present: Object.fromEntries(modalities.map((m, i) => [m, result.select(1, i)])) };
}

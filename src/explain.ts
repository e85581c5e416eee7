// What libtorch's and the ONNX graph's predictions share: which inputs a `--drop` value
// names, each input's contribution to a prediction, and the predictions themselves.
import type { Table } from "./data/prepare.js";
import type { PreprocessState } from "./data/preprocess-state.js";
import { UserError } from "./errors.js";
import type { Prediction } from "./inference.js";

/** Input names for `--drop` values: a name, or a kind standing for every input of it. */
export function resolveDrop(state: PreprocessState, drop: string[]): string[] {
  const names = state.inputs.map((i) => i.name);
  return drop.flatMap((d) => {
    if (names.includes(d)) return [d];
    const ofKind = state.inputs.filter((i) => i.kind === d).map((i) => i.name);
    if (ofKind.length === 0) throw new UserError(`--drop ${d}: this model has no ${d} input (it uses ${names.join(", ")})`);
    return ofKind;
  });
}

export interface ContributionInputs {
  state: PreprocessState;
  rows: number;
  /** [rows × classes] with every input as the row has it. */
  probabilities: Float32Array;
  /** [rows × inputs], the gate's weights, where the fusion is gated. */
  gateWeights: Float32Array | null;
  /** Whether row i has input `name`. */
  present: (name: string, row: number) => boolean;
  /** [rows × classes] with `name` marked absent in every row. */
  without: (name: string) => Promise<Float32Array> | Float32Array;
}

function argmax(p: Float32Array, row: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if ((p[row * k + c] as number) > (p[row * k + best] as number)) best = c;
  return best;
}

/**
 * Per row and input, how much the input contributed to the prediction: the gate weight for
 * gated fusion, otherwise the drop in the predicted class's probability when the input is
 * removed (0 where the row lacks it).
 */
export async function contributions(c: ContributionInputs): Promise<Record<string, number>[]> {
  const names = c.state.inputs.map((i) => i.name);
  const k = c.state.classes.length;
  const rows = Array.from({ length: c.rows }, (_, i) => i);
  if (c.state.model.fusion === "gated" && c.gateWeights) {
    const w = c.gateWeights;
    return rows.map((i) => Object.fromEntries(names.map((n, j) => [n, w[i * names.length + j] as number])));
  }
  const without: Float32Array[] = [];
  for (const name of names) without.push(await c.without(name));
  return rows.map((i) => {
    const best = argmax(c.probabilities, i, k);
    const p = c.probabilities[i * k + best] as number;
    return Object.fromEntries(names.map((n, j) => [n, c.present(n, i) ? p - ((without[j] as Float32Array)[i * k + best] as number) : 0]));
  });
}

/** One Prediction per table row from its class probabilities [rows × classes] (and contributions). */
export function predictionsOf(table: Pick<Table, "ids" | "rows">, probabilities: Float32Array, classes: string[], contributed: Record<string, number>[] | null): Prediction[] {
  const k = classes.length;
  return table.ids.map((id, i): Prediction => {
    const best = argmax(probabilities, i, k);
    return {
      id: id ?? String(table.rows[i]),
      prediction: classes[best] as string,
      confidence: probabilities[i * k + best] as number,
      probabilities: Object.fromEntries(classes.map((c, j) => [c, probabilities[i * k + j] as number])),
      ...(contributed ? { contributions: contributed[i] as Record<string, number> } : {}),
    };
  });
}

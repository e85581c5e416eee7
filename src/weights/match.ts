// Checking a checkpoint against the names and shapes a model expects, as one message that
// lists every kind of mismatch at once, so the user fixes them in one go rather than one
// error per run.
import { UserError } from "../errors.js";
import type { Tensor } from "../torch/index.js";

export interface WeightsMismatch {
  readonly missing: string[];
  readonly unexpected: string[];
  readonly wrongShape: { name: string; expected: number[]; found: number[] }[];
}

const CAP = 5;

/** null when every expected name is found with its shape and nothing else is; otherwise one line describing every difference. */
export function matchWeights(expected: Map<string, number[]>, found: Map<string, Tensor>): string | null {
  const m = compareWeights(expected, found);
  if (!m.missing.length && !m.unexpected.length && !m.wrongShape.length) return null;
  const shape = (s: number[]) => `[${s.join(",")}]`;
  const part = (label: string, items: string[]) => (items.length ? `${label} ${items.length} (${items.slice(0, CAP).join(", ")}${items.length > CAP ? ", …" : ""})` : null);
  return [
    part("missing", m.missing),
    part("unexpected", m.unexpected),
    part(
      "wrong shape",
      m.wrongShape.map((w) => `${w.name}: expected ${shape(w.expected)}, found ${shape(w.found)}`),
    ),
  ]
    .filter((p) => p !== null)
    .join("; ");
}

/** Throws a UserError with matchWeights' line (prefixed by `source`) when they differ. */
export function assertWeightsMatch(expected: Map<string, number[]>, found: Map<string, Tensor>, source: string): void {
  const message = matchWeights(expected, found);
  if (message !== null) throw new UserError(`${source}: the weights do not fit the model: ${message}`);
}

/** The differences, each list in the expected (or, for unexpected names, the found) order. */
export function compareWeights(expected: Map<string, number[]>, found: Map<string, Tensor>): WeightsMismatch {
  const missing: string[] = [];
  const wrongShape: WeightsMismatch["wrongShape"] = [];
  for (const [name, shape] of expected) {
    const t = found.get(name);
    if (!t) missing.push(name);
    else if (!sameShape(shape, t.shape)) wrongShape.push({ name, expected: shape, found: t.shape });
  }
  const unexpected = [...found.keys()].filter((name) => !expected.has(name));
  return { missing, unexpected, wrongShape };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

// The table's own columns, as one input: numeric values scaled with training statistics,
// each with a missing indicator, and categorical values indexed by a training vocabulary,
// encoded by an MLP over the numbers and an embedding per categorical column.
import { isBlank, type Row } from "../../data/table/manifest.js";
import type { DataIssue } from "../../data/workers/media-loader.js";
import { categoricalSizes, fitTabular, MISSING_INDEX, numericWidth, parseNumber, transformTabular, type CategoricalVocab, type NumericStats } from "../../data/table/tabular.js";
import { UserError } from "../../errors.js";
import { TabularEncoder } from "../../model/encoders.js";
import { F, cat, tensor, type Tensor } from "../../torch/index.js";
import { deriveSeed, Random } from "../../util/random.js";
import type { DecodedInput, InputKind, InputParams, Perturbation, TablePart } from "../kind.js";

export interface TabularParams extends InputParams {
  kind: "tabular";
  numericColumns: string[];
  categoricalColumns: string[];
}

export interface TabularState extends InputParams {
  kind: "tabular";
  numeric: NumericStats[];
  categorical: CategoricalVocab[];
}

interface DecodedRows extends DecodedInput {
  rows: Row[];
}

export interface TabularPart extends TablePart {
  /** [rows, 2 × numeric]: scaled value (0 when missing), then 1 when missing else 0. */
  numeric: Float32Array;
  numericWidth: number;
  /** [rows, categorical] vocabulary indices. */
  categorical: BigInt64Array;
  categoricalWidth: number;
}

/** Gaussian noise on the scaled numeric values (in training standard deviations), for robustness. */
export const TABULAR_NOISE = [0.25, 0.5, 1, 2, 4];
/** Shares of the columns made missing, for robustness. */
export const COLUMNS_DROPPED = [0.25, 0.5, 0.75, 1];

function noisyNumbers(part: TabularPart, sigma: number, seed: number): TabularPart {
  const random = new Random(deriveSeed(seed, 2));
  // Value slots only (even positions); missing indicators and missing values stay as they are.
  const numeric = part.numeric.map((v, i) => (i % 2 === 0 && part.numeric[i + 1] === 0 ? v + sigma * random.normal() : v));
  return { ...part, numeric };
}

/** A share of the columns made missing in every row; a row left with nothing is missing. */
function droppedColumns(part: TabularPart, share: number, seed: number): TabularPart {
  const nNum = part.numericWidth / 2;
  const total = nNum + part.categoricalWidth;
  const random = new Random(deriveSeed(seed, 3));
  const order = Array.from({ length: total }, (_, i) => i).sort(() => random.next() - 0.5);
  const dropped = new Set(order.slice(0, Math.round(share * total)));
  const numeric = part.numeric.slice();
  const categorical = part.categorical.slice();
  const present = new Uint8Array(part.present.length);
  for (let r = 0; r < present.length; r++) {
    let any = false;
    for (let j = 0; j < nNum; j++) {
      const at = r * part.numericWidth + 2 * j;
      if (dropped.has(j)) (numeric[at] = 0), (numeric[at + 1] = 1);
      else if (numeric[at + 1] === 0) any = true;
    }
    for (let j = 0; j < part.categoricalWidth; j++) {
      const at = r * part.categoricalWidth + j;
      if (dropped.has(nNum + j)) categorical[at] = BigInt(MISSING_INDEX);
      else if (categorical[at] !== BigInt(MISSING_INDEX)) any = true;
    }
    present[r] = Number(any && part.present[r] === 1);
  }
  return { ...part, numeric, categorical, present };
}

/** A data issue for every numeric cell that holds something other than a number: it counts as missing. */
function notNumbers(rows: Row[], columns: string[], manifest: string): DataIssue[] {
  const issues: DataIssue[] = [];
  rows.forEach((row, i) => {
    for (const column of columns) {
      const cell = row[column] ?? null;
      if (!isBlank(cell) && parseNumber(cell) === null) issues.push({ row: i, column, path: "", problem: `not a number (${String(cell).slice(0, 40)}): counted as missing`, manifest });
    }
  });
  return issues;
}

const stats = (s: TabularState) => ({ numeric: s.numeric, categorical: s.categorical });

export const tabularKind: InputKind<TabularParams, TabularState, DecodedRows, TabularPart> = {
  kind: "tabular",
  readsFiles: false,
  columns: (p) => [...p.numericColumns, ...p.categoricalColumns],
  fields: (s) => [
    ...s.numeric.map((n) => ({ column: n.column, type: "number" as const, mean: n.mean, std: n.std })),
    ...s.categorical.map((c) => ({ column: c.column, type: "category" as const, values: c.values })),
  ],
  async decode(manifest, p, c) {
    const nested = p.numericColumns.concat(p.categoricalColumns).find((column) => manifest.nested?.includes(column));
    if (nested !== undefined) throw new UserError(`${manifest.path}: column ${nested} holds nested values (lists or records); a numeric or categorical column needs one value per cell`);
    return { rows: manifest.rows, issues: notNumbers(manifest.rows, p.numericColumns, c.manifestName), broken: new Set() };
  },
  fit(p, decoded, trainRows) {
    const fitted = fitTabular(
      trainRows.map((i) => decoded.rows[i] as Row),
      p.numericColumns,
      p.categoricalColumns,
    );
    return { name: p.name, kind: "tabular", ...fitted };
  },
  paramsOf: (s) => ({ name: s.name, kind: "tabular", numericColumns: s.numeric.map((n) => n.column), categoricalColumns: s.categorical.map((c) => c.column) }),
  select(s, decoded, indices) {
    const t = transformTabular(
      indices.map((i) => decoded.rows[i] as Row),
      stats(s),
    );
    return { present: Uint8Array.from(t.present, Number), numeric: t.numeric, numericWidth: numericWidth(stats(s)), categorical: t.categorical, categoricalWidth: s.categorical.length };
  },
  withoutRows: (part) => ({ ...part, present: new Uint8Array(part.present.length) }),
  tensors(_s, part, place) {
    const n = part.present.length;
    const numeric = part.numericWidth ? place.own(tensor(part.numeric, [n, part.numericWidth])) : null;
    const categorical = part.categoricalWidth ? place.own(tensor(part.categorical, [n, part.categoricalWidth])) : null;
    return {
      batch(indices) {
        const x: Record<string, Tensor> = {};
        if (numeric) x.numeric = numeric.indexSelect(0, indices);
        if (categorical) x.categorical = categorical.indexSelect(0, indices);
        return x;
      },
    };
  },
  encoder: (s, features, preset) => new TabularEncoder(s.name, numericWidth(stats(s)), categoricalSizes(stats(s)), features, preset.tabular),
  simpleFeatures(x, s) {
    const parts: Tensor[] = x.numeric ? [x.numeric] : [];
    categoricalSizes(stats(s)).forEach((size, j) => parts.push(F.oneHot((x.categorical as Tensor).select(1, j), size).float()));
    return cat(parts, 1);
  },
  simpleWidth: (s) => numericWidth(stats(s)) + categoricalSizes(stats(s)).reduce((a, b) => a + b, 0),
  augment: (x) => x,
  async *perturbations(_s, part, c): AsyncIterable<Perturbation<TabularPart>> {
    if (part.numericWidth) for (const sigma of TABULAR_NOISE) yield { condition: "noise", level: sigma, unit: "σ (scaled values)", part: noisyNumbers(part, sigma, c.seed) };
    for (const share of COLUMNS_DROPPED) yield { condition: "columns_dropped", level: share, unit: "fraction of columns", part: droppedColumns(part, share, c.seed) };
  },
};

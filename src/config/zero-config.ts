// Zero configuration: a config made from the table itself, each column's kind inferred
// (config/infer.ts), so `modalfuse train data.csv --label y` is the whole setup.
import { resolve } from "node:path";
import YAML from "yaml";
import { readManifest } from "../data/table/manifest.js";
import { formatColumnTable, inferColumns, type ColumnChoice } from "./infer.js";
import type { ConfigInput } from "./schema.js";

export interface InferredConfig {
  config: ConfigInput;
  columns: ColumnChoice[];
}

/** Whether a `train` argument is a table rather than a YAML config. */
export function isTable(path: string): boolean {
  return /\.(csv|parquet)$/i.test(path);
}

export async function inferConfig(tablePath: string, label: string): Promise<InferredConfig> {
  const manifest = await readManifest(tablePath);
  const { columns, data } = await inferColumns(manifest, label);
  const config: ConfigInput = {
    data: {
      train: resolve(tablePath),
      label: data.label,
      id: data.id,
      ...(data.tabular ? { tabular: data.tabular } : {}),
      ...(data.image.length ? { image: data.image } : {}),
      ...(data.audio.length ? { audio: data.audio } : {}),
      ...(data.text.length ? { text: data.text } : {}),
    },
  };
  return { config, columns };
}

/** The columns and the kind chosen for each, and why, as `train` and `init` print them. */
export function describeColumns(columns: ColumnChoice[]): string {
  return formatColumnTable(columns);
}

/** The inferred config as YAML, with the table's path as the user gave it. */
export function inferredYaml(inferred: InferredConfig, tablePath: string): string {
  return YAML.stringify({ ...inferred.config, data: { ...inferred.config.data, train: tablePath } });
}

// What an exported graph reads, from a Table prepared with modalfuse's own decoding and the
// manifest it came from: raw tabular cells (the graph scales them and maps vocabularies),
// decoded image pixels, audio waveforms at the run's rate and length (the graph computes
// the log-mel), text token ids, and every input's present mask. Arrays cover the whole
// table; batches are slices of them along the first axis.
import type { Manifest } from "../../data/table/manifest.js";
import type { Table } from "../../data/prepare.js";
import { categoryOf, parseNumber } from "../../data/table/tabular.js";
import type { AudioState } from "../../inputs/audio/index.js";
import type { InputState } from "../../inputs/kind.js";
import type { MediaPart } from "../../inputs/media.js";
import type { TabularState } from "../../inputs/tabular/index.js";
import type { TextPart } from "../../inputs/text/index.js";
import { graphInputName } from "./input-names.js";

/** One graph input's values for every row of a table: [rows, ...rowShape], row-major. */
export interface FeedArray {
  type: "bool" | "float32" | "float64" | "uint8" | "int64" | "string";
  data: Uint8Array | Float32Array | Float64Array | BigInt64Array | string[];
  /** The shape of one row. */
  rowShape: number[];
}

export type TableFeeds = Map<string, FeedArray>;

/** Rows [start, end) of a feed. */
export function sliceFeed(f: FeedArray, start: number, end: number): { type: FeedArray["type"]; data: FeedArray["data"]; dims: number[] } {
  const width = f.rowShape.reduce((a, b) => a * b, 1);
  const data = Array.isArray(f.data) ? f.data.slice(start * width, end * width) : f.data.subarray(start * width, end * width);
  return { type: f.type, data, dims: [end - start, ...f.rowShape] };
}

/** The cells of `column` for the table's rows. */
function cellsOf(manifest: Manifest, table: Table, column: string) {
  return table.rows.map((r) => manifest.rows[r]?.[column] ?? null);
}

function tabularFeeds(s: TabularState, manifest: Manifest, table: Table, feeds: TableFeeds): void {
  const n = table.size;
  if (s.numeric.length) {
    const data = new Float64Array(n * s.numeric.length);
    s.numeric.forEach((c, j) => cellsOf(manifest, table, c.column).forEach((cell, r) => (data[r * s.numeric.length + j] = parseNumber(cell) ?? NaN)));
    feeds.set(graphInputName(s.name, "numeric"), { type: "float64", data, rowShape: [s.numeric.length] });
  }
  if (s.categorical.length) {
    const data = new Array<string>(n * s.categorical.length);
    s.categorical.forEach((c, j) => cellsOf(manifest, table, c.column).forEach((cell, r) => (data[r * s.categorical.length + j] = categoryOf(cell) ?? "")));
    feeds.set(graphInputName(s.name, "categorical"), { type: "string", data, rowShape: [s.categorical.length] });
  }
}

/** Decoded pixels uint8 [rows, 3, H, W] of an image part (the engine gathers the rows). */
async function imagePixels(part: MediaPart): Promise<{ data: Uint8Array; rowShape: number[] }> {
  const { gatherRows } = await import("../../inputs/media.js");
  const { tidy } = await import("../../torch/index.js");
  return tidy(() => {
    const rows = gatherRows(part.media);
    return { data: rows.toTypedArray() as Uint8Array, rowShape: rows.shape.slice(1) };
  });
}

/** Waveforms float32 [rows, samples] at the run's rate, decoded and resampled as training did. */
async function audioWaveforms(s: AudioState, manifest: Manifest, table: Table): Promise<Float32Array> {
  const { loadWaveforms } = await import("../../data/workers/media-loader.js");
  const { basename } = await import("node:path");
  const { data } = await loadWaveforms({ cells: cellsOf(manifest, table, s.column), column: s.column, dir: manifest.dir, manifest: basename(manifest.path) }, s);
  return data;
}

/** Every graph input's values for the table. */
export async function tableFeeds(inputs: InputState[], manifest: Manifest, table: Table): Promise<TableFeeds> {
  const feeds: TableFeeds = new Map();
  for (const s of inputs) {
    const part = table.inputs[s.name];
    if (!part) throw new Error(`onnx: the table has no input ${s.name}`);
    feeds.set(graphInputName(s.name, "present"), { type: "bool", data: Uint8Array.from(part.present), rowShape: [] });
    if (s.kind === "tabular") tabularFeeds(s as TabularState, manifest, table, feeds);
    else if (s.kind === "image") feeds.set(graphInputName(s.name, "values"), { type: "uint8", ...(await imagePixels(part as MediaPart)) });
    else if (s.kind === "audio") {
      const a = s as AudioState;
      feeds.set(graphInputName(s.name, "values"), { type: "float32", data: await audioWaveforms(a, manifest, table), rowShape: [Math.round(a.sampleRate * a.seconds)] });
    } else {
      const t = part as TextPart;
      feeds.set(graphInputName(s.name, "ids"), { type: "int64", data: BigInt64Array.from(t.ids, (v) => BigInt(v)), rowShape: [t.width] });
    }
  }
  return feeds;
}

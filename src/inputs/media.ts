// What image and audio inputs share: a decoded column's rows picked by index without
// copying, its statistics summed a chunk at a time, and its rows held for a dataset on
// the device when they fit there.
import type { LoadedColumn } from "../data/workers/media-loader.js";
import { arange, bytesPerElement, noGrad, tensor, tidy, type Tensor } from "../torch/index.js";
import type { DecodedInput, Placer, TablePart } from "./kind.js";

/**
 * A table's rows of a media column without copying them: `source` is the decoded column
 * (one row per manifest row, memory-mapped from the cache when there is one) and `rows`
 * picks this table's rows from it, in order.
 */
export interface MediaRows {
  source: Tensor;
  rows: Int32Array;
}

export interface DecodedMedia extends DecodedInput {
  column: LoadedColumn;
}

export interface MediaPart extends TablePart {
  media: MediaRows;
}

/** A table's rows of a media column, gathered into one tensor [size, ...]. */
export function gatherRows(media: MediaRows): Tensor {
  return tidy(() => media.source.indexSelect(0, tensor(Array.from(media.rows), [media.rows.length], { dtype: "int64" })));
}

/** MediaRows over a tensor that holds exactly a table's rows, in order. */
export function ownRows(source: Tensor): MediaRows {
  return { source, rows: Int32Array.from({ length: source.shape[0] as number }, (_, i) => i) };
}

export function decodedMedia(column: LoadedColumn): DecodedMedia {
  return { column, issues: column.issues, broken: column.broken };
}

/** Manifest rows `indices` of a decoded column; presence is per manifest row. */
export function selectMedia(decoded: DecodedMedia, indices: number[]): MediaPart {
  return {
    present: Uint8Array.from(indices, (src) => Number(decoded.column.present[src] ?? false)),
    media: { source: decoded.column.data.tensor, rows: Int32Array.from(indices) },
  };
}

export function withoutMediaRows(part: MediaPart): MediaPart {
  return { ...part, present: new Uint8Array(part.present.length) };
}

/**
 * Mean and std of the present training rows of a column, per channel (dimension 1) when
 * `perChannel`, else over everything; summed by the engine a chunk of rows at a time, so a
 * memory-mapped column is never copied whole.
 */
export function columnStats(column: LoadedColumn, rows: number[], scale: number, perChannel: boolean): { mean: number[]; std: number[] } | null {
  const used = rows.filter((r) => column.present[r]);
  if (used.length === 0) return null;
  const channels = perChannel ? (column.data.rowShape[0] as number) : 1;
  const sum = new Float64Array(channels);
  const sq = new Float64Array(channels);
  for (let start = 0; start < used.length; start += 256) {
    const part = used.slice(start, start + 256);
    tidy(() =>
      noGrad(() => {
        // Each row's sums in float32 (a few thousand values, summed pairwise), then across
        // rows in float64, rather than every value widened to float64 first: every run pays
        // for this.
        const x = column.data.tensor.indexSelect(0, tensor(part, [part.length], { dtype: "int64" })).float().reshape([part.length, channels, -1]);
        const s = x.sum(2).to({ dtype: "float64" }).sum(0).toArray() as number[];
        const q = x.mul(x).sum(2).to({ dtype: "float64" }).sum(0).toArray() as number[];
        for (let c = 0; c < channels; c++) {
          sum[c] = (sum[c] as number) + (s[c] as number) / scale;
          sq[c] = (sq[c] as number) + (q[c] as number) / (scale * scale);
        }
      }),
    );
  }
  const count = used.length * (column.data.rowShape.reduce((a, b) => a * b, 1) / channels);
  const mean = Array.from(sum, (s) => s / count);
  const std = Array.from(sq, (q, c) => Math.sqrt(Math.max(q / count - (mean[c] as number) ** 2, 1e-6)));
  return { mean, std };
}

/**
 * A media column's rows as a dataset holds them: `source` on the training device
 * (resident) or left in host memory, where each batch is gathered and then copied over.
 */
export interface SourceRows {
  source: Tensor;
  rows: Tensor;
  resident: boolean;
}

function isOutOfMemory(error: unknown): boolean {
  return error instanceof Error && /out of memory/i.test(error.message);
}

/**
 * Media stays where the decoder put it (memory-mapped from the cache, on CPU): a view of it
 * and the table's row numbers are all a CPU dataset holds. On another device the rows are
 * copied there once when they fit, so batches never cross the bus.
 */
export function placeMedia(media: MediaRows, place: Placer): SourceRows {
  const inHost = (): SourceRows => ({
    source: place.keep(media.source.view(media.source.shape)),
    rows: place.keep(tensor(Array.from(media.rows), [media.rows.length], { dtype: "int64" })),
    resident: place.device === "cpu",
  });
  if (place.device === "cpu") return inHost();
  const rowElements = media.source.shape.slice(1).reduce((n, d) => n * d, 1);
  const bytes = media.rows.length * rowElements * bytesPerElement(media.source.dtype);
  if (bytes > place.residentLimitBytes) return inHost();
  const gathered = gatherRows(media);
  try {
    return { source: place.own(gathered), rows: place.own(arange(0, media.rows.length, 1, { dtype: "int64", device: place.device })), resident: true };
  } catch (error) {
    gathered.dispose();
    if (!isOutOfMemory(error)) throw error;
    return inHost();
  }
}

/** Rows `indices` of placed media, on the dataset's device. */
export function pickRows(media: SourceRows, indices: Tensor, device: string): Tensor {
  return media.resident
    ? media.source.indexSelect(0, media.rows.indexSelect(0, indices))
    : media.source.indexSelect(0, media.rows.indexSelect(0, indices.to({ device: "cpu" }))).to({ device });
}

/** Zeros where a row lacks the input (normalised absent media is exactly zero). */
export function zeroAbsent(x: Tensor, present: Tensor): Tensor {
  return x.mul(present.view([-1, ...x.shape.slice(1).map(() => 1)]).float());
}

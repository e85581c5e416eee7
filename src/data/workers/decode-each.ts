import { isMediaError, type MediaError } from "../media/media-error.js";

/** A chunk of files decoded: `values` are the files at `decoded`, in order. */
export interface DecodedEach<T> {
  values: T[];
  decoded: number[];
  failures: { index: number; error: MediaError }[];
}

/**
 * Decodes the files of a chunk all at once (their reads, and whatever the decoder does off
 * the thread, overlap) and sorts the outcomes by file: a file that cannot be read is a
 * MediaError in `failures`; any other error is a fault and is thrown.
 */
export async function decodeEach<T>(paths: string[], decode: (path: string) => Promise<T>): Promise<DecodedEach<T>> {
  const settled = await Promise.allSettled(paths.map((path) => decode(path)));
  const out: DecodedEach<T> = { values: [], decoded: [], failures: [] };
  for (const [index, result] of settled.entries()) {
    if (result.status === "fulfilled") {
      out.values.push(result.value);
      out.decoded.push(index);
    } else if (isMediaError(result.reason)) {
      out.failures.push({ index, error: result.reason });
    } else {
      throw result.reason;
    }
  }
  return out;
}

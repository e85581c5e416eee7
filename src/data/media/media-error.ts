/**
 * The one error the media decoders throw for a file they cannot turn into data.
 *
 * The data rules treat the two kinds differently, so the kind is part of the error:
 *  - "missing": no file at that path. The modality is missing for that row, like an empty cell.
 *  - "bad": a file exists but is not usable media (empty, truncated, corrupt, not media,
 *    decodes to nothing, or the decoder's own claims fail a check). Recorded in
 *    data_issues.csv with `problem` as its text, then handled per `on_bad_file`.
 *
 * Anything else thrown by a decoder function (a RangeError for an impossible target size,
 * say) is a bug in the caller, not a property of the file.
 */
export type MediaErrorKind = "missing" | "bad";

export class MediaError extends Error {
  override readonly name = "MediaError";

  constructor(
    readonly kind: MediaErrorKind,
    /** Short, stable text for data_issues.csv, e.g. "truncated", "not an image". */
    readonly problem: string,
    /** The file's path, or undefined when the bytes came from memory. */
    readonly path: string | undefined,
    /** What the underlying library said, kept for debugging; not meant for users. */
    readonly detail?: string,
  ) {
    super(`${path ?? "<in-memory media>"}: ${problem}${detail ? ` (${detail})` : ""}`);
  }
}

export function badMedia(problem: string, path: string | undefined, detail?: string): MediaError {
  return new MediaError("bad", problem, path, detail);
}

export function isMediaError(error: unknown): error is MediaError {
  return error instanceof MediaError;
}

/** The message of anything thrown, including the bare strings some WASM libraries throw. */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  return String(thrown);
}

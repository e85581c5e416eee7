import { readFile } from "node:fs/promises";
import { MediaError, badMedia } from "./media-error.js";

/** A media file given by path, or its bytes already in memory (e.g. an upload). */
export type MediaSource = string | Uint8Array;

export interface MediaBytes {
  bytes: Uint8Array;
  /** The path for error messages; undefined for in-memory sources. */
  path: string | undefined;
}

/**
 * Reads a media file whole. Decoders need all of it anyway, and reading it ourselves means
 * "no such file" is told apart from "not media" by the operating system, not by guessing
 * from a library's error text.
 */
export async function readMediaBytes(source: MediaSource): Promise<MediaBytes> {
  if (typeof source !== "string") {
    if (source.byteLength === 0) throw badMedia("empty file", undefined);
    return { bytes: source, path: undefined };
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(source);
  } catch (thrown) {
    throw fileSystemError(thrown, source);
  }
  if (bytes.byteLength === 0) throw badMedia("empty file", source);
  return { bytes, path: source };
}

function fileSystemError(thrown: unknown, path: string): MediaError {
  const code = (thrown as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
    case "ENOTDIR": // a folder on the way is missing or is a file: still no file here
      return new MediaError("missing", "file not found", path);
    case "EISDIR":
      return badMedia("is a directory", path);
    case "EACCES":
    case "EPERM":
      return badMedia("permission denied", path);
    default:
      return badMedia("unreadable file", path, code ?? String(thrown));
  }
}

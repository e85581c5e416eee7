// Zero-configuration training: each column's kind is inferred from the table's own rows, and
// every choice carries a short reason, printed before training so that a wrong guess is seen
// at once and fixed with a config. When in doubt a column is ignored rather than guessed.
import { open, type FileHandle } from "node:fs/promises";
import { extname, isAbsolute, join } from "node:path";
import { ascii } from "../data/audio/audio-container.js";
import { sniffImageFormat } from "../data/image/image-format.js";
import { isBlank, requireColumns, type Cell, type Manifest } from "../data/table/manifest.js";
import { categoryOf, parseNumber } from "../data/table/tabular.js";
import { UserError } from "../errors.js";

export type ColumnKind = "label" | "id" | "numeric" | "categorical" | "image" | "audio" | "text" | "ignored";

export interface ColumnChoice {
  column: string;
  kind: ColumnKind;
  /** Why, in a few plain words, e.g. "all 1,200 values are numbers". */
  reason: string;
}

/** Exactly the `data:` section of the YAML config, as plain JSON. */
export interface InferredData {
  train: string;
  label: string;
  id: string | null;
  tabular: { numeric: string[]; categorical: string[] } | null;
  image: { column: string; size: number }[];
  audio: { column: string; sample_rate: number; seconds: number; n_mels: number }[];
  text: { column: string }[];
}

export interface Inferred {
  columns: ColumnChoice[];
  data: InferredData;
}

const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff", ".bmp"]);
const AUDIO_EXTENSIONS = new Set([".wav", ".flac", ".ogg", ".mp3", ".oga"]);

/** Share of non-empty values that must be numbers for a numeric column (the rest count as missing). */
const NUMERIC_SHARE = 0.95;
/** Share of non-empty values that must end in a media extension for a media column. */
const MEDIA_SHARE = 0.8;
/** Whole-number columns with at most this many values are codes, not quantities. */
const MAX_INTEGER_CODES = 10;
const MAX_CATEGORIES = 50;
/** Files sniffed to confirm a media column, and paths tried to find them. */
const FILES_TO_SNIFF = 5;
const PATHS_TO_TRY = 50;
/** Bytes read from each file: enough for magic numbers and a WAV header with its usual chunks. */
const HEAD_BYTES = 64 * 1024;

const IMAGE_SIZE = 32;
const AUDIO_DEFAULTS = { sample_rate: 16000, n_mels: 64, seconds: 1.5, maxSeconds: 10 };

export async function inferColumns(manifest: Manifest, label: string): Promise<Inferred> {
  requireColumns(manifest, [label], "label column");
  checkLabelIsClasses(manifest, label);

  const columns: ColumnChoice[] = [];
  const audioSeconds = new Map<string, number>();
  let id: string | null = null;
  for (const column of manifest.columns) {
    if (column === label) {
      const classes = new Set(manifest.rows.map((r) => categoryOf(r[column] ?? null)).filter((v) => v !== null)).size;
      columns.push({ column, kind: "label", reason: `the --label column: ${count(classes)} classes` });
      continue;
    }
    const choice = await classify(manifest, column, id);
    if (choice.kind === "id") id = column;
    if (choice.seconds !== undefined) audioSeconds.set(column, choice.seconds);
    columns.push({ column, kind: choice.kind, reason: choice.reason });
  }

  const of = (kind: ColumnKind) => columns.filter((c) => c.kind === kind).map((c) => c.column);
  const numeric = of("numeric");
  const categorical = of("categorical");
  const audio = of("audio").map((column) => ({
    column,
    sample_rate: AUDIO_DEFAULTS.sample_rate,
    seconds: audioSeconds.get(column) ?? AUDIO_DEFAULTS.seconds,
    n_mels: AUDIO_DEFAULTS.n_mels,
  }));
  return {
    columns,
    data: {
      train: manifest.path,
      label,
      id,
      tabular: numeric.length || categorical.length ? { numeric, categorical } : null,
      image: of("image").map((column) => ({ column, size: IMAGE_SIZE })),
      audio,
      text: of("text").map((column) => ({ column })),
    },
  };
}

/** The table of choices as aligned plain text: column, kind, why. */
export function formatColumnTable(columns: ColumnChoice[]): string {
  const rows = [["column", "kind", "why"], ...columns.map((c) => [c.column, c.kind, c.reason])];
  const width = (i: number) => Math.max(...rows.map((r) => r[i]!.length));
  const [w0, w1] = [width(0), width(1)];
  return rows.map(([a, b, c]) => `${a!.padEnd(w0)}  ${b!.padEnd(w1)}  ${c}`.trimEnd()).join("\n");
}

/** modalfuse classifies; a label that is a measurement would give one class per row. */
export function checkLabelIsClasses(manifest: Manifest, label: string, option = "--label"): void {
  const values = nonEmpty(manifest, label);
  if (values.length === 0) throw new UserError(`${manifest.path}: label column ${label} is empty in every row`);
  const numbers = values.map(parseNumber).filter((v): v is number => v !== null);
  if (values.every((v) => typeof v === "boolean") || numbers.length < NUMERIC_SHARE * values.length) return;
  const distinct = new Set(numbers).size;
  if (distinct > 20 && distinct > values.length / 2) {
    throw new UserError(
      `${manifest.path}: label column ${label} looks like a regression target (${count(distinct)} distinct numbers in ${count(values.length)} rows); ` +
        `modalfuse trains classifiers: bin the values into classes in a new column, or pick another ${option}`,
    );
  }
}

/** A column's choice, with the audio length measured when it is an audio column. */
type Classified = ColumnChoice & { seconds?: number };

async function classify(manifest: Manifest, column: string, id: string | null): Promise<Classified> {
  const choice = (kind: ColumnKind, reason: string): Classified => ({ column, kind, reason });
  const values = nonEmpty(manifest, column);
  const n = values.length;
  if (n === 0) return choice("ignored", "empty in every row");
  if (values.every((v) => typeof v === "boolean")) return choice("categorical", "true/false values");

  const strings = values.map((v) => String(v).trim());
  const distinct = new Set(strings).size;
  const unique = distinct === n && n > 1;
  // A second id-like column is left out: it identifies rows, it does not describe them.
  const idOrIgnored = (why: string) =>
    id === null ? choice("id", `${why}: carried as the id`) : choice("ignored", `${why}, like an id (${id} is the id)`);

  const media = mediaByExtension(strings);
  if (media) return confirmMedia(manifest, column, strings, media);

  const numbers = values.map(parseNumber).filter((v): v is number => v !== null);
  if (numbers.length >= NUMERIC_SHARE * n) {
    if (unique && isSequential(numbers)) return idOrIgnored("unique per row and sequential");
    const distinctNumbers = new Set(numbers).size;
    if (distinctNumbers <= MAX_INTEGER_CODES && numbers.every(Number.isInteger)) {
      return choice("categorical", `only ${distinctNumbers} distinct whole numbers`);
    }
    const others = n - numbers.length;
    return choice("numeric", others === 0
      ? `all ${count(n)} values are numbers`
      : `${count(numbers.length)} of ${count(n)} values are numbers; the other ${count(others)} count as missing`);
  }

  const pathLike = strings.filter(looksLikePath).length;
  if (unique && pathLike === 0 && strings.every((s) => !/\s/.test(s))) return idOrIgnored("unique per row, not numbers");
  if (distinct <= MAX_CATEGORIES && distinct <= n / 2) return choice("categorical", `${count(distinct)} distinct values in ${count(n)} rows`);
  if (pathLike > n / 2) {
    const ext = topExtensions(strings);
    return choice("ignored", `file paths${ext ? ` ending ${ext}` : ""}, not images or audio`);
  }
  const words = strings.reduce((sum, s) => sum + s.split(/\s+/).filter(Boolean).length, 0) / n;
  if (words >= 2) return choice("text", `free text: ${count(distinct)} distinct values, ${words.toFixed(1)} words on average`);
  return choice("ignored", `${count(distinct)} distinct values of ${words.toFixed(1)} words on average: too many for categories, too short for text`);
}

function nonEmpty(manifest: Manifest, column: string): Cell[] {
  return manifest.rows.map((r) => r[column] ?? null).filter((v) => !isBlank(v));
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** Consecutive whole numbers, either 0..n-1 or 1..n in any order, or rising by 1 row by row. */
function isSequential(numbers: number[]): boolean {
  if (!numbers.every(Number.isInteger)) return false;
  const sorted = [...numbers].sort((a, b) => a - b);
  if (!sorted.every((v, i) => i === 0 || v === sorted[i - 1]! + 1)) return false;
  return sorted[0] === 0 || sorted[0] === 1 || numbers.every((v, i) => i === 0 || v === numbers[i - 1]! + 1);
}

function looksLikePath(s: string): boolean {
  return !/\s/.test(s) && (/[\\/]/.test(s) || /\.[A-Za-z][A-Za-z0-9]{1,4}$/.test(s));
}

/** The most common extensions, e.g. ".png/.jpg", or "" when the values have none. */
function topExtensions(strings: string[]): string {
  const counts = new Map<string, number>();
  for (const s of strings) {
    const ext = extname(s).toLowerCase();
    if (ext) counts.set(ext, (counts.get(ext) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([e]) => e).join("/");
}

type MediaKind = "image" | "audio";

function mediaByExtension(strings: string[]): MediaKind | null {
  let images = 0;
  let audio = 0;
  for (const s of strings) {
    const ext = extname(s).toLowerCase();
    if (IMAGE_EXTENSIONS.has(ext)) images++;
    else if (AUDIO_EXTENSIONS.has(ext)) audio++;
  }
  if (images >= MEDIA_SHARE * strings.length) return "image";
  if (audio >= MEDIA_SHARE * strings.length) return "audio";
  return null;
}

interface Sniffed {
  /** Formats of the files found, in path order, e.g. "PNG". */
  formats: SniffedFormat[];
  /** Files found whose bytes are no format named here. */
  unknown: number;
  missing: number;
  tried: number;
  /** The audio length to train on, from the WAV files' headers; undefined when none was measured. */
  seconds: number | undefined;
}

/** Reads the heads of the first few files that exist, in row order. */
async function sniffFiles(dir: string, paths: string[]): Promise<Sniffed> {
  const result: Sniffed = { formats: [], unknown: 0, missing: 0, tried: 0, seconds: undefined };
  const durations: number[] = [];
  for (const path of paths) {
    if (result.formats.length + result.unknown >= FILES_TO_SNIFF || result.tried >= PATHS_TO_TRY) break;
    result.tried++;
    const head = await readHead(isAbsolute(path) ? path : join(dir, path));
    if (!head) {
      result.missing++;
      continue;
    }
    const format = sniffFormat(head.bytes);
    if (!format) result.unknown++;
    else result.formats.push(format);
    const seconds = wavSeconds(head.bytes, head.size);
    if (seconds !== undefined) durations.push(seconds);
  }
  if (durations.length) {
    // Long enough for the typical clip, in half seconds (the epsilon keeps 1.5 s at 1.5 despite
    // rounding), but never a long crop of every file.
    result.seconds = Math.min(AUDIO_DEFAULTS.maxSeconds, Math.max(0.5, Math.ceil(median(durations) * 2 - 1e-9) / 2));
  }
  return result;
}

async function readHead(path: string): Promise<{ bytes: Uint8Array; size: number } | null> {
  let file: FileHandle | undefined;
  try {
    file = await open(path, "r");
    const info = await file.stat();
    if (!info.isFile()) return null;
    const length = Math.min(info.size, HEAD_BYTES);
    const bytes = new Uint8Array(length);
    const { bytesRead } = await file.read(bytes, 0, length, 0);
    return { bytes: bytes.subarray(0, bytesRead), size: info.size };
  } catch {
    return null; // missing or unreadable: the training run reports such files row by row
  } finally {
    await file?.close();
  }
}

interface SniffedFormat {
  kind: MediaKind;
  name: string;
  /** Whether modalfuse decodes it: BMP has the look of an image, but sharp does not read it. */
  readable: boolean;
}

function sniffFormat(bytes: Uint8Array): SniffedFormat | null {
  const format = (kind: MediaKind, name: string, readable = true): SniffedFormat => ({ kind, name, readable });
  const image = sniffImageFormat(bytes);
  if (image) return format("image", image.toUpperCase());
  if (ascii(bytes, 0, "BM") && bytes.length >= 26) return format("image", "BMP", false);
  if (ascii(bytes, 0, "RIFF") && ascii(bytes, 8, "WAVE")) return format("audio", "WAV");
  if (ascii(bytes, 0, "fLaC")) return format("audio", "FLAC");
  if (ascii(bytes, 0, "OggS")) return format("audio", "OGG");
  // MP3: an ID3 tag, or straight into an MPEG frame (its 11 sync bits set).
  if (ascii(bytes, 0, "ID3") || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0)) return format("audio", "MP3");
  return null;
}

/** A WAV file's length from its header: data chunk bytes / (sample rate × block align). */
function wavSeconds(bytes: Uint8Array, fileSize: number): number | undefined {
  if (!ascii(bytes, 0, "RIFF") || !ascii(bytes, 8, "WAVE")) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let rate = 0;
  let blockAlign = 0;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const size = view.getUint32(at + 4, true);
    if (ascii(bytes, at, "fmt ") && at + 24 <= bytes.length) {
      rate = view.getUint32(at + 12, true);
      blockAlign = view.getUint16(at + 20, true);
    } else if (ascii(bytes, at, "data")) {
      if (rate <= 0 || blockAlign <= 0) return undefined;
      // Streaming writers leave 0 or 0xFFFFFFFF; a cut file holds less than it declares.
      const available = fileSize - (at + 8);
      const dataBytes = size === 0 || size === 0xffffffff ? available : Math.min(size, available);
      return dataBytes > 0 ? dataBytes / (rate * blockAlign) : undefined;
    }
    at += 8 + size + (size & 1);
  }
  return undefined;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The extension says image or audio; the bytes of the first files found confirm it, or not. */
async function confirmMedia(manifest: Manifest, column: string, paths: string[], byExtension: MediaKind): Promise<Classified> {
  const choice = (kind: ColumnKind, reason: string): Classified => ({ column, kind, reason });
  const ext = topExtensions(paths);
  const noun = byExtension === "image" ? "images" : "audio";
  const sniffed = await sniffFiles(manifest.dir, paths);
  const found = sniffed.formats.length + sniffed.unknown;
  if (found === 0) {
    const which = sniffed.tried < paths.length ? `of the first ${count(sniffed.tried)} files exist` : `of the ${count(sniffed.tried)} files exist`;
    return choice(byExtension, `paths ending ${ext}; none ${which}, so decided by extension`);
  }
  const matching = sniffed.formats.filter((f) => f.kind === byExtension && f.readable);
  const names = (formats: SniffedFormat[]) => [...new Set(formats.map((f) => f.name))].join("/");
  if (matching.length * 2 < found) {
    const unreadable = sniffed.formats.filter((f) => !f.readable);
    const why = unreadable.length ? `${names(unreadable)}, which modalfuse does not read` : `not ${noun}`;
    const share = matching.length === 0 ? `the first ${found}` : `${found - matching.length} of the first ${found}`;
    return choice("ignored", `paths ending ${ext}, but ${share} files found are ${why}`);
  }
  const share = matching.length === found ? `first ${found}` : `${matching.length} of the first ${found}`;
  let reason = `paths ending ${ext}; ${share} files found are ${names(matching)} ${noun}`;
  if (sniffed.missing) reason += ` (${count(sniffed.missing)} paths before them have no file)`;
  if (byExtension === "image") return choice("image", reason);
  const { seconds } = sniffed;
  if (seconds === undefined) return choice("audio", `${reason}; length not measured, so ${AUDIO_DEFAULTS.seconds} s`);
  return { ...choice("audio", `${reason}; ${seconds} s per clip (the median WAV length, rounded up)`), seconds };
}

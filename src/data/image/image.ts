import sharp from "sharp";
import { readMediaBytes, type MediaSource } from "../media/media-bytes.js";
import { badMedia, describeThrown, MediaError } from "../media/media-error.js";
import { isSupportedImageFormat, lacksFormatEnd, sniffImageFormat } from "./image-format.js";
import { nativeJpeg } from "../media/native-media.js";

/** Which decoder reads a file: libjpeg-turbo for plain JPEG when it is built ("auto"), or sharp for all. */
export type ImageDecoderChoice = "auto" | "sharp";

export interface ImageSize {
  height: number;
  width: number;
}

/**
 * Transparent pixels are composited onto white, the page a person sees them on. Dropping
 * alpha instead would expose whatever colour the encoder left under transparent pixels.
 */
export const ALPHA_BACKGROUND = { r: 255, g: 255, b: 255 } as const;

/**
 * Decodes an image to 8-bit RGB, channel-first (CHW: all R, then all G, then all B, each row
 * by row), 3 * height * width bytes, stretched to exactly `size` so nothing is cropped away.
 *
 * Reads PNG, JPEG, GIF (first frame), WebP and TIFF (first page) of any size and mode:
 * grayscale, palette, alpha (flattened onto ALPHA_BACKGROUND), 16-bit (scaled to 8),
 * CMYK (converted to sRGB). EXIF orientation is applied, so the image is the way up a viewer
 * shows it. Resizing is linear and antialiased, like torchvision's default; unlike
 * sharp's default Lanczos it never overshoots a flat colour next to an edge.
 *
 * Throws MediaError for every file that cannot be read faithfully: kind "missing" when no
 * file exists, "bad" otherwise. Decoding is strict: libvips warnings (corrupt entropy data,
 * a premature end) fail the file instead of returning a partly grey image.
 */
export async function decodeImage(source: MediaSource, size: ImageSize, decoder: ImageDecoderChoice = "auto"): Promise<Uint8Array> {
  assertValidSize(size);
  const { bytes, path } = await readMediaBytes(source);
  // A cut PNG, GIF, WebP or TIFF still decodes when its pixels came before the cut, so its
  // missing end is checked first. JPEG is left to the decoder, which warns on a premature
  // end: phones append data after a JPEG's end marker, so its absence near the end proves little.
  const sniffed = sniffImageFormat(bytes);
  // A plain JPEG goes to libjpeg-turbo, when the addon has it, on this thread (a decoding
  // worker's, or the main thread's for a handful of files); it declines whatever sharp
  // would read differently, and every file libjpeg warns about, leaving sharp the verdict.
  const jpeg = decoder === "auto" && sniffed === "jpeg" ? nativeJpeg() : null;
  const fast = jpeg?.(bytes, size.width, size.height);
  if (fast) return fast;
  if (sniffed !== undefined && sniffed !== "jpeg" && lacksFormatEnd(sniffed, bytes)) {
    throw badMedia("truncated", path);
  }

  // pages: 1 is the first frame of a GIF or the first page of a TIFF; failOn "warning" is the
  // strictest level, the only one that catches scrambled JPEG data.
  const image = sharp(bytes, { failOn: "warning", pages: 1 });
  // A file whose signature is a supported format goes to that format's loader in libvips
  // too, so only other files need libvips's own look at them (a second pass over the
  // header, a quarter of the cost of a small image).
  if (sniffed === undefined) {
    let format: string | undefined;
    try {
      const metadata = await image.metadata();
      format = metadata.format;
      if (!(metadata.width > 0 && metadata.height > 0)) throw badMedia("no pixels", path);
    } catch (thrown) {
      throw decodeFailure(thrown, bytes, path);
    }
    if (!isSupportedImageFormat(format)) throw badMedia(`unsupported image format (${format})`, path);
  }

  let rgb: Buffer;
  try {
    const { data, info } = await image
      .autoOrient()
      .flatten({ background: ALPHA_BACKGROUND })
      .toColourspace("srgb")
      .resize(size.width, size.height, { fit: "fill", kernel: "linear" })
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== size.width || info.height !== size.height
        || data.length !== 3 * size.width * size.height) {
      throw badMedia("decoder returned an unexpected layout", path,
        `${info.width}x${info.height}x${info.channels}, ${data.length} bytes`);
    }
    rgb = data;
  } catch (thrown) {
    throw decodeFailure(thrown, bytes, path);
  }
  return interleavedToChannelFirst(rgb, size.height * size.width);
}

let uncachedScopes = 0;
let savedCacheLimits: { memory: number; files: number; items: number } | null = null;

/**
 * Runs `work` with libvips's operation cache off. The cache serves repeated operations on
 * the same image; decoding a column meets each file once, so there it only costs hashing and
 * bookkeeping (measured: a fifth of the CPU time of a 320x240 JPEG). The limits are put back
 * when the last overlapping caller finishes, as other sharp users in the process may want them.
 */
export async function withoutImageCache<T>(work: () => Promise<T>): Promise<T> {
  if (uncachedScopes++ === 0) {
    const { memory, files, items } = sharp.cache();
    savedCacheLimits = { memory: memory.max, files: files.max, items: items.max };
    sharp.cache(false);
  }
  try {
    return await work();
  } finally {
    if (--uncachedScopes === 0 && savedCacheLimits) sharp.cache(savedCacheLimits);
  }
}

function assertValidSize(size: ImageSize): void {
  for (const [name, value] of Object.entries(size)) {
    if (!Number.isInteger(value) || value < 1 || value > 16384) {
      throw new RangeError(`image ${name} must be an integer from 1 to 16384, got ${value}`);
    }
  }
}

function decodeFailure(thrown: unknown, bytes: Uint8Array, path: string | undefined): MediaError {
  if (thrown instanceof MediaError) return thrown;
  const detail = describeThrown(thrown);
  const format = sniffImageFormat(bytes);
  if (format === undefined) return badMedia("not an image", path, detail);
  // Judged from the bytes, not the message: libjpeg says "premature end of data segment"
  // about scrambled data in a file that is whole.
  if (lacksFormatEnd(format, bytes)) return badMedia("truncated", path, detail);
  return badMedia(`corrupt ${format}`, path, detail);
}

/** HWC (how decoders write pixels) to CHW (how convolution layers read them). */
function interleavedToChannelFirst(rgb: Uint8Array, pixels: number): Uint8Array {
  const planes = new Uint8Array(3 * pixels);
  for (let p = 0, i = 0; p < pixels; p++, i += 3) {
    planes[p] = rgb[i]!;
    planes[pixels + p] = rgb[i + 1]!;
    planes[2 * pixels + p] = rgb[i + 2]!;
  }
  return planes;
}

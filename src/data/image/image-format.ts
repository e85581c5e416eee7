/**
 * Recognises the image formats modalfuse reads from their first bytes, so that a failed
 * decode can be reported as "truncated" or "corrupt png" rather than "not an image".
 * sharp decides what it can decode; this only sharpens the words of the report.
 */
export const SUPPORTED_IMAGE_FORMATS = ["png", "jpeg", "gif", "webp", "tiff"] as const;
export type SupportedImageFormat = (typeof SUPPORTED_IMAGE_FORMATS)[number];

export function isSupportedImageFormat(format: string | undefined): format is SupportedImageFormat {
  return (SUPPORTED_IMAGE_FORMATS as readonly string[]).includes(format ?? "");
}

export function sniffImageFormat(bytes: Uint8Array): SupportedImageFormat | undefined {
  const starts = (...signature: number[]): boolean => signature.every((byte, i) => bytes[i] === byte);
  const ascii = (offset: number, text: string): boolean =>
    [...text].every((ch, i) => bytes[offset + i] === ch.charCodeAt(0));
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "png";
  if (starts(0xff, 0xd8, 0xff)) return "jpeg";
  if (ascii(0, "GIF87a") || ascii(0, "GIF89a")) return "gif";
  if (ascii(0, "RIFF") && ascii(8, "WEBP")) return "webp";
  if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a)) return "tiff";
  return undefined;
}

/**
 * Whether a file of this format lacks the end its format requires (for TIFF: whether its
 * first directory lies past the end), the mark of a file cut short.
 */
export function lacksFormatEnd(format: SupportedImageFormat, bytes: Uint8Array): boolean {
  const n = bytes.length;
  switch (format) {
    case "png": // the IEND chunk: zero length, type, fixed CRC; trailing bytes after it are allowed
      return indexOfSequence(bytes, [0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]) < 0;
    case "jpeg": // an EOI marker (FF D9) somewhere in the last bytes; some writers pad after it
      return indexOfSequence(bytes.subarray(Math.max(0, n - 1024)), [0xff, 0xd9]) < 0;
    case "gif": { // the trailer byte ";" ends the file, give or take zero padding
      let last = n - 1;
      while (last > 0 && bytes[last] === 0) last--;
      return bytes[last] !== 0x3b;
    }
    case "webp": { // RIFF declares its own size
      const riffSize = (bytes[4] ?? 0) | ((bytes[5] ?? 0) << 8) | ((bytes[6] ?? 0) << 16) | ((bytes[7] ?? 0) << 24);
      return (riffSize >>> 0) + 8 > n;
    }
    case "tiff": { // writers often put the first directory (IFD) after the pixel data
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (n < 8) return true;
      const firstDirectory = view.getUint32(4, bytes[0] === 0x49 /* "II": little-endian */);
      return firstDirectory + 2 > n;
    }
  }
}

function indexOfSequence(haystack: Uint8Array, needle: readonly number[]): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(Buffer.from(needle));
}

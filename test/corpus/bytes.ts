// Bad bytes made from good ones: cuts, flips, and headers that claim what the data is not.
// Every function is pure (bytes in, bytes out), so the corpus and the fuzz test share them.
import type { Random } from "../../src/util/random.js";

/**
 * A copy that owns its memory. Buffer#slice (what readFileSync's result has) returns a view,
 * and changing a view would change the original bytes too.
 */
export function copy(bytes: Uint8Array, end = bytes.length): Uint8Array {
  return new Uint8Array(bytes.subarray(0, end));
}

/** The first `fraction` of the bytes: a download or copy that stopped early. */
export function truncate(bytes: Uint8Array, fraction = 0.5): Uint8Array {
  return copy(bytes, Math.floor(bytes.length * fraction));
}

/** `count` bytes set to random values at random positions (the length never changes). */
export function flipBytes(bytes: Uint8Array, random: Random, count: number): Uint8Array {
  const out = copy(bytes);
  if (out.length === 0) return out;
  for (let i = 0; i < count; i++) out[random.int(0, out.length - 1)] = random.int(0, 255);
  return out;
}

/**
 * A random cut, or changed bytes, or both: what the fuzz test does to one file. Positions are
 * drawn from the first `focus` bytes (default: all), so a header can be aimed at.
 */
export function mutate(bytes: Uint8Array, random: Random, focus = bytes.length): { bytes: Uint8Array; what: string } {
  const span = Math.max(1, Math.min(focus, bytes.length));
  const roll = random.next();
  const count = random.int(1, 16);
  const at = random.int(0, span - 1);
  if (roll < 0.4) return { bytes: copy(bytes, at), what: `cut to ${at} of ${bytes.length} bytes` };
  const changed = (b: Uint8Array) => {
    const out = copy(b);
    for (let i = 0; i < count && out.length > 0; i++) out[random.int(0, Math.min(span, out.length) - 1)] = random.int(0, 255);
    return out;
  };
  if (roll < 0.8) return { bytes: changed(bytes), what: `${count} byte(s) changed in the first ${span} of ${bytes.length}` };
  return { bytes: changed(copy(bytes, at)), what: `cut to ${at} of ${bytes.length} bytes, then ${count} byte(s) changed` };
}

/** `count` seeded random bytes: never media, never text. */
export function noise(random: Random, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = random.int(0, 255);
  return out;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG chunks use it (zlib.crc32 is not in every Node 20). */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A PNG whose IHDR claims width x height, with a correct CRC so that only the size is
 * wrong: the pixel data that follows is the original's. A decoder that allocates what the
 * header claims before reading the data would need width * height * 3 bytes.
 */
export function pngWithSize(png: Uint8Array, width: number, height: number): Uint8Array {
  const out = copy(png);
  const view = new DataView(out.buffer);
  // Signature (8), IHDR length (4), "IHDR" (4), then width and height; the CRC covers type and data.
  if (String.fromCharCode(...out.subarray(12, 16)) !== "IHDR") throw new Error("not a PNG with IHDR first");
  view.setUint32(16, width);
  view.setUint32(20, height);
  view.setUint32(8 + 4 + 4 + 13, crc32(out.subarray(12, 12 + 4 + 13)));
  return out;
}

/** A JPEG whose start-of-frame marker claims width x height (each at most 65535). */
export function jpegWithSize(jpeg: Uint8Array, width: number, height: number): Uint8Array {
  const out = copy(jpeg);
  let at = 2;
  while (at + 4 <= out.length && out[at] === 0xff) {
    const marker = out[at + 1]!;
    const length = (out[at + 2]! << 8) | out[at + 3]!;
    if (marker >= 0xc0 && marker <= 0xc3) {
      // Length (2), precision (1), then height and width, big-endian.
      out[at + 5] = height >> 8;
      out[at + 6] = height & 0xff;
      out[at + 7] = width >> 8;
      out[at + 8] = width & 0xff;
      return out;
    }
    at += 2 + length;
  }
  throw new Error("no start-of-frame marker found");
}

/**
 * A GIF whose logical screen and first frame both claim width x height (each at most 65535).
 * The frame's size is what decoders allocate; the screen's alone is only advisory.
 */
export function gifWithSize(gif: Uint8Array, width: number, height: number): Uint8Array {
  const out = copy(gif);
  const view = new DataView(out.buffer);
  view.setUint16(6, width, true);
  view.setUint16(8, height, true);
  const packed = out[10]!;
  let at = 13 + (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
  while (at < out.length && out[at] === 0x21) {
    // An extension: introducer, label, then sub-blocks until one of length 0.
    at += 2;
    while (at < out.length && out[at] !== 0) at += out[at]! + 1;
    at += 1;
  }
  if (out[at] !== 0x2c) throw new Error("no image descriptor found");
  // Separator (1), left (2), top (2), then width and height, little-endian.
  view.setUint16(at + 5, width, true);
  view.setUint16(at + 7, height, true);
  return out;
}

/**
 * The safetensors header of a file, and a function that writes a new header in front of the
 * same tensor bytes (offsets are relative to the end of the header, so they stay valid).
 */
export function safetensorsHeader(file: Uint8Array): { header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; withHeader: (h: object) => Uint8Array } {
  const buffer = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const length = Number(buffer.readBigUInt64LE(0));
  const header = JSON.parse(buffer.subarray(8, 8 + length).toString("utf8")) as ReturnType<typeof safetensorsHeader>["header"];
  const data = buffer.subarray(8 + length);
  const withHeader = (h: object) => {
    let json = Buffer.from(JSON.stringify(h), "utf8");
    json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(json.length));
    return new Uint8Array(Buffer.concat([size, json, data]));
  };
  return { header, withHeader };
}

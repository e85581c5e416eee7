// libjpeg-turbo decodes plain JPEGs where the addon has it; sharp decodes everything else.
// The two must give the same pictures within a level on average, and whatever libjpeg-turbo's
// path would read differently from sharp (orientation, colour profiles, CMYK, damage) must
// be left to sharp, so that its result and its verdict stand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { decodeImage } from "../../src/data/image/image.js";
import { loadImageColumn, type LoadedColumn } from "../../src/data/workers/media-loader.js";
import { nativeImageStatus, nativeJpeg } from "../../src/data/media/native-media.js";
import { tidy } from "../../src/torch/index.js";
import { tempDir } from "../helpers/cli.js";
import { mediaFixtureBytes } from "./media-fixtures.js";

const jpeg = nativeJpeg();
// Built only where libjpeg-turbo's headers are installed, as `make` does.
const skip = jpeg ? false : `the native JPEG decoder is not built (${nativeImageStatus()})`;

/** A photo-like picture: smooth gradients, a few hard-edged shapes, and fine noise. */
async function photo(width: number, height: number, seed: number): Promise<ReturnType<typeof sharp>> {
  const rgb = Buffer.alloc(width * height * 3);
  let state = seed * 2654435761;
  const noise = () => ((state = (state * 1103515245 + 12345) >>> 0) >>> 24) / 32 - 4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inDisc = (x - width / 3) ** 2 + (y - height / 2) ** 2 < (height / 4) ** 2;
      const inBar = x > (2 * width) / 3 && x < (2 * width) / 3 + width / 10;
      const base = [(255 * x) / width, (255 * y) / height, 128 + 100 * Math.sin((x + y) / 17)];
      const colour = inDisc ? [230, 40, 30] : inBar ? [20, 30, 200] : base;
      for (let c = 0; c < 3; c++) rgb[3 * (y * width + x) + c] = Math.max(0, Math.min(255, Math.round((colour[c] as number) + noise())));
    }
  }
  return sharp(rgb, { raw: { width, height, channels: 3 } });
}

/** The JPEG with its EXIF orientation tag (which must be there) set to `value`. */
function withOrientation(jpeg: Uint8Array, value: number): Uint8Array {
  const bytes = Buffer.from(jpeg);
  const exif = bytes.indexOf("Exif\0\0");
  assert.ok(exif > 0, "an EXIF block");
  const tiff = exif + 6;
  const little = bytes.toString("latin1", tiff, tiff + 2) === "II";
  const u16 = (at: number) => (little ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at));
  const ifd = tiff + (little ? bytes.readUInt32LE(tiff + 4) : bytes.readUInt32BE(tiff + 4));
  for (let i = 0; i < u16(ifd); i++) {
    const entry = ifd + 2 + 12 * i;
    if (u16(entry) !== 0x0112) continue;
    if (little) bytes.writeUInt16LE(value, entry + 8);
    else bytes.writeUInt16BE(value, entry + 8);
    return bytes;
  }
  throw new Error("no orientation tag");
}

function differences(a: Uint8Array, b: Uint8Array): { mean: number; p99: number } {
  assert.equal(a.length, b.length);
  const d = Array.from(a, (v, i) => Math.abs(v - (b[i] as number))).sort((x, y) => x - y);
  return { mean: d.reduce((s, v) => s + v, 0) / d.length, p99: d[Math.floor(0.99 * (d.length - 1))] as number };
}

test("libjpeg-turbo and sharp give the same pictures of plain JPEGs, within a level on average", { skip }, async () => {
  const cases = [
    { width: 320, height: 240, size: { width: 64, height: 64 }, options: { quality: 85 } },
    { width: 4032, height: 3024, size: { width: 64, height: 64 }, options: { quality: 90, progressive: true } },
    { width: 1024, height: 768, size: { width: 100, height: 80 }, options: { quality: 90 } },
    { width: 320, height: 240, size: { width: 224, height: 224 }, options: { quality: 95, chromaSubsampling: "4:4:4" } },
    { width: 322, height: 242, size: { width: 64, height: 64 }, options: { quality: 80 } },
    { width: 97, height: 61, size: { width: 32, height: 32 }, options: { quality: 80 } },
    { width: 64, height: 64, size: { width: 64, height: 64 }, options: { quality: 90 } },
  ];
  for (const [i, c] of cases.entries()) {
    const bytes = await (await photo(c.width, c.height, i + 1)).jpeg(c.options).toBuffer();
    const label = `${c.width}x${c.height} → ${c.size.width}x${c.size.height} ${JSON.stringify(c.options)}`;
    assert.ok(jpeg?.(bytes, c.size.width, c.size.height), `${label}: taken by libjpeg-turbo`);
    const { mean, p99 } = differences(await decodeImage(bytes, c.size), await decodeImage(bytes, c.size, "sharp"));
    process.stderr.write(`CASE ${label} mean ${mean.toFixed(3)} p99 ${p99}\n`);
    assert.ok(mean <= 1 && p99 <= 8, `${label}: mean difference ${mean.toFixed(3)}, 99th percentile ${p99}`);
  }
  const grey = await (await photo(200, 150, 9)).greyscale().jpeg({ quality: 90 }).toBuffer();
  assert.ok(jpeg?.(grey, 48, 48), "a grey JPEG is taken too");
  const { mean, p99 } = differences(await decodeImage(grey, { width: 48, height: 48 }), await decodeImage(grey, { width: 48, height: 48 }, "sharp"));
  assert.ok(mean <= 1 && p99 <= 8, `grey: mean difference ${mean.toFixed(3)}, 99th percentile ${p99}`);
});

test("what sharp reads or resizes differently is left to sharp: orientation, a colour profile, CMYK, enlarging, uneven shrinking, damage", { skip }, async () => {
  const size = { width: 32, height: 24 };
  const plain = await (await photo(160, 120, 3)).jpeg({ quality: 90 }).toBuffer();
  const upright = await sharp(plain).withExif({ IFD0: { Orientation: "1" } }).jpeg().toBuffer();
  const files: [string, Uint8Array][] = [
    ["rotated by EXIF", mediaFixtureBytes("image/oriented.jpg")],
    ["CMYK", mediaFixtureBytes("image/cmyk.jpg")],
    ["with a P3 profile", await (await photo(160, 120, 4)).withIccProfile("p3").jpeg({ quality: 90 }).toBuffer()],
    ["EXIF orientation 6, no colour profile", withOrientation(upright, 6)],
    ["to be enlarged", await (await photo(24, 16, 5)).jpeg({ quality: 90 }).toBuffer()],
    ["with sides sharp's shrink-on-load leaves uneven", await (await photo(1001, 757, 6)).jpeg({ quality: 90 }).toBuffer()],
    ["corrupt", mediaFixtureBytes("broken/corrupt.jpg")],
    ["truncated", mediaFixtureBytes("broken/truncated.jpg")],
    ["cut in its entropy data", plain.subarray(0, Math.floor(plain.length * 0.6))],
  ];
  for (const [label, bytes] of files) {
    assert.equal(jpeg?.(bytes, size.width, size.height), null, `${label}: declined`);
    const verdict = (decoder: "auto" | "sharp") => decodeImage(bytes, size, decoder).then((px) => Buffer.from(px).toString("base64"), (e: Error) => `error: ${e.message}`);
    assert.equal(await verdict("auto"), await verdict("sharp"), `${label}: the same result or verdict as sharp's`);
  }
  // Orientation 1 (upright) is no reason to decline.
  assert.ok(jpeg?.(upright, size.width, size.height), "upright EXIF: taken");
  assert.equal((await sharp(withOrientation(upright, 6)).metadata()).orientation, 6, "the patched file is what it says");
});

test("worker threads give a large image column the pictures this thread gives small ones", { skip }, async () => {
  const dir = tempDir("mf-jpeg-pool-");
  const cells: (string | null)[] = [];
  for (let i = 0; i < 30; i++) {
    const image = await photo(120 + 7 * i, 90 + 3 * i, 20 + i);
    const name = i % 4 === 3 ? `p${i}.png` : `p${i}.jpg`;
    writeFileSync(join(dir, name), await (i % 4 === 3 ? image.png() : image.jpeg({ quality: 85 })).toBuffer());
    cells.push(name);
  }
  writeFileSync(join(dir, "broken.jpg"), mediaFixtureBytes("broken/corrupt.jpg"));
  cells.splice(4, 0, "broken.jpg");
  cells.splice(17, 0, "absent.jpg");
  cells.splice(25, 0, null);
  const size = { height: 32, width: 40 };
  const load = (part: (string | null)[]) => loadImageColumn({ cells: part, column: "photo", dir, manifest: "m.csv", cache: null }, size);
  const values = (c: LoadedColumn) => tidy(() => c.data.tensor.toArray() as number[]);
  const pooled = await load(cells); // 33 cells: worker threads
  const parts = [cells.slice(0, 11), cells.slice(11, 22), cells.slice(22)]; // under 16 each: this thread
  const inline = await Promise.all(parts.map(load));
  assert.deepEqual(pooled.present, inline.flatMap((c) => c.present));
  assert.deepEqual([...pooled.broken], [4]);
  assert.deepEqual(pooled.issues.map((i) => [i.row, i.path]), [[4, "broken.jpg"], [17, "absent.jpg"]]);
  assert.deepEqual(values(pooled), inline.flatMap(values));
});

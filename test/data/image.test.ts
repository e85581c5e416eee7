import { test } from "node:test";
import assert from "node:assert/strict";
import sharp from "sharp";
import { decodeImage, withoutImageCache } from "../../src/data/image/image.js";
import { MediaError } from "../../src/data/media/media-error.js";
import { closeColour, mediaFixture, mediaFixtureBytes, pixelAt, type Rgb } from "./media-fixtures.js";

const RED: Rgb = [255, 0, 0];
const BLUE: Rgb = [0, 0, 255];
const WHITE: Rgb = [255, 255, 255];

// Each is 64x32, left half red and right half blue (the GIF's second frame is swapped).
const redBlue = [
  { file: "image/red_blue.png", tolerance: 0 },
  { file: "image/palette.png", tolerance: 0 },
  { file: "image/red_blue.webp", tolerance: 0 },
  { file: "image/red_blue.tif", tolerance: 0 },
  { file: "image/animated.gif", tolerance: 0 },
  { file: "image/red_blue.jpg", tolerance: 8 },
  { file: "image/png_named.jpg", tolerance: 0 }, // a PNG whose extension lies
] as const;

for (const { file, tolerance } of redBlue) {
  for (const size of [{ height: 16, width: 16 }, { height: 50, width: 100 }, { height: 3, width: 8 }]) {
    test(`${file} at ${size.height}x${size.width}: red left, blue right, channel-first`, async () => {
      const chw = await decodeImage(mediaFixture(file), size);
      assert.equal(chw.length, 3 * size.height * size.width);
      for (let y = 0; y < size.height; y++) {
        const left = pixelAt(chw, size, y, 0), right = pixelAt(chw, size, y, size.width - 1);
        assert.ok(closeColour(left, RED, tolerance), `row ${y} left is ${left}`);
        assert.ok(closeColour(right, BLUE, tolerance), `row ${y} right is ${right}`);
      }
    });
  }
}

test("the layout is CHW: the whole red plane, then green, then blue", async () => {
  const size = { height: 2, width: 8 };
  const chw = await decodeImage(mediaFixture("image/red_blue.png"), size);
  const plane = 16;
  // Rows 0 and 1 start red (R plane 255) and end blue (B plane 255); G is 0 throughout.
  for (const row of [0, 8]) {
    assert.deepEqual([chw[row], chw[plane + row], chw[2 * plane + row]], [255, 0, 0]);
    assert.deepEqual([chw[row + 7], chw[plane + row + 7], chw[2 * plane + row + 7]], [0, 0, 255]);
  }
  assert.ok(chw.subarray(plane, 2 * plane).every((g) => g === 0));
});

test("a stretch, never a crop: both ends of a wide gradient survive a square size", async () => {
  const size = { height: 64, width: 64 };
  const chw = await decodeImage(mediaFixture("image/gray_gradient.png"), size);
  const first = pixelAt(chw, size, 32, 0), last = pixelAt(chw, size, 32, 63);
  assert.ok(first[0] <= 8, `left edge ${first}`);
  assert.ok(last[0] >= 247, `right edge ${last}`);
});

test("8-bit grayscale becomes equal R, G, B with its exact values", async () => {
  const size = { height: 4, width: 256 };
  for (const [file, tolerance] of [["image/gray_gradient.png", 0], ["image/gray_gradient.jpg", 4]] as const) {
    const chw = await decodeImage(mediaFixture(file), size);
    for (let x = 0; x < 256; x++) {
      const [r, g, b] = pixelAt(chw, size, 2, x);
      assert.ok(r === g && g === b, `${file} x=${x} is ${[r, g, b]}`);
      assert.ok(Math.abs(r - x) <= tolerance, `${file} x=${x} is ${r}`);
    }
  }
});

test("alpha is flattened onto white", async () => {
  // 48x16: opaque green | transparent (red underneath) | 50% black
  const size = { height: 16, width: 48 };
  const chw = await decodeImage(mediaFixture("image/rgba.png"), size);
  assert.deepEqual(pixelAt(chw, size, 8, 4), [0, 255, 0]);
  assert.deepEqual(pixelAt(chw, size, 8, 24), WHITE);
  assert.ok(closeColour(pixelAt(chw, size, 8, 44), [128, 128, 128], 2), `half black is ${pixelAt(chw, size, 8, 44)}`);
});

test("grayscale with alpha is flattened onto white too", async () => {
  const size = { height: 16, width: 32 };
  const chw = await decodeImage(mediaFixture("image/gray_alpha.png"), size);
  assert.deepEqual(pixelAt(chw, size, 8, 2), [0, 0, 0]);
  assert.deepEqual(pixelAt(chw, size, 8, 29), WHITE);
});

test("16-bit images are scaled to 8 bits", async () => {
  const size = { height: 16, width: 32 };
  const rgb = await decodeImage(mediaFixture("image/rgb16.png"), size);
  assert.deepEqual(pixelAt(rgb, size, 8, 2), RED);
  assert.ok(closeColour(pixelAt(rgb, size, 8, 29), [0, 0, 128], 1), `${pixelAt(rgb, size, 8, 29)}`);
  const gray = await decodeImage(mediaFixture("image/gray16.png"), size);
  assert.deepEqual(pixelAt(gray, size, 8, 2), [0, 0, 0]);
  assert.deepEqual(pixelAt(gray, size, 8, 29), WHITE);
});

test("a CMYK JPEG is converted to RGB", async () => {
  const size = { height: 8, width: 16 };
  const chw = await decodeImage(mediaFixture("image/cmyk.jpg"), size);
  const [lr, lg, lb] = pixelAt(chw, size, 4, 1);
  const [rr, rg, rb] = pixelAt(chw, size, 4, 14);
  assert.ok(lr > 180 && lg < 80 && lb < 80, `left is ${[lr, lg, lb]}, expected red`);
  assert.ok(rb > rr + 50 && rb > rg + 50, `right is ${[rr, rg, rb]}, expected blue`);
});

test("EXIF orientation is applied: stored sideways, decoded upright", async () => {
  // Stored as red|blue with orientation 6 (turn 90 degrees clockwise): upright, red is on top.
  const size = { height: 64, width: 32 };
  const chw = await decodeImage(mediaFixture("image/oriented.jpg"), size);
  for (const x of [0, 16, 31]) {
    assert.ok(closeColour(pixelAt(chw, size, 2, x), RED, 8), `top at x=${x} is ${pixelAt(chw, size, 2, x)}`);
    assert.ok(closeColour(pixelAt(chw, size, 61, x), BLUE, 8), `bottom at x=${x} is ${pixelAt(chw, size, 61, x)}`);
  }
});

test("a single pixel fills any size", async () => {
  const size = { height: 5, width: 7 };
  const chw = await decodeImage(mediaFixture("image/orange_1x1.png"), size);
  for (let y = 0; y < 5; y++) for (let x = 0; x < 7; x++) assert.deepEqual(pixelAt(chw, size, y, x), [255, 128, 0]);
});

test("bytes in memory decode the same as the file", async () => {
  const size = { height: 10, width: 12 };
  for (const file of ["image/cmyk.jpg", "image/red_blue.webp", "image/animated.gif"]) {
    assert.deepEqual(await decodeImage(mediaFixtureBytes(file), size), await decodeImage(mediaFixture(file), size));
  }
});

test("impossible sizes are the caller's bug, not the file's", async () => {
  for (const size of [{ height: 0, width: 8 }, { height: 8, width: 2.5 }, { height: Number.NaN, width: 8 }, { height: 8, width: 100_000 }]) {
    await assert.rejects(decodeImage(mediaFixture("image/red_blue.png"), size),
      (error: unknown) => error instanceof RangeError && !(error instanceof MediaError));
  }
});

test("column decoding turns libvips's cache off while it runs and puts the limits back after the last overlapping scope", async () => {
  const limits = () => {
    const { memory, files, items } = sharp.cache();
    return { memory: memory.max, files: files.max, items: items.max };
  };
  const before = limits();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const first = withoutImageCache(async () => {
    await gate;
    return limits().items;
  });
  const second = withoutImageCache(async () => limits().items);
  assert.equal(await second, 0, "off inside a scope");
  assert.equal(limits().items, 0, "still off while the first scope runs");
  release();
  assert.equal(await first, 0);
  assert.deepEqual(limits(), before, "restored");
  await assert.rejects(withoutImageCache(async () => { throw new Error("boom"); }), /boom/);
  assert.deepEqual(limits(), before, "restored after a failure too");
});

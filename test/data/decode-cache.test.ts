// The decode cache: entries survive across runs, a changed file or parameter decodes
// again, a damaged entry is detected and rebuilt, broken files stay recorded as broken,
// and a run from a warm cache trains the same model as a cold one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { DecodeCache } from "../../src/data/cache/decode-cache.js";
import { loadImageColumn } from "../../src/data/workers/media-loader.js";
import { tidy } from "../../src/torch/index.js";
import { train } from "../../src/index.js";
import { tempDir } from "../helpers/cli.js";
import { mediaFixtureBytes } from "./media-fixtures.js";
import { writeClinic } from "../helpers/clinic.js";

const entryFiles = (root: string): string[] =>
  existsSync(join(root, "decoded")) ? readdirSync(join(root, "decoded"), { recursive: true }).map(String).filter((f) => f.endsWith(".bin")).map((f) => join(root, "decoded", f)) : [];

test("entries round-trip; a damaged entry reads as absent and is removed", async () => {
  const cache = new DecodeCache(tempDir("mf-cache-unit-"));
  await cache.write("ab01", { ok: true, bytes: new Uint8Array([1, 2, 3, 250]) });
  await cache.write("ab02", { ok: false, problem: "truncated" });
  assert.deepEqual(await cache.read("ab01"), { ok: true, bytes: Buffer.from([1, 2, 3, 250]) });
  assert.deepEqual(await cache.read("ab02"), { ok: false, problem: "truncated" });
  assert.equal(await cache.read("ab03"), null);
  const [one, two] = entryFiles(cache.root).sort();
  truncateSync(one as string, 14); // half-written
  const flipped = readFileSync(two as string);
  flipped.writeUInt8((flipped.at(-1) as number) ^ 0xff, flipped.length - 1); // a flipped payload byte fails the CRC
  writeFileSync(two as string, flipped);
  assert.equal(await cache.read("ab01"), null);
  assert.equal(await cache.read("ab02"), null);
  assert.deepEqual(entryFiles(cache.root), [], "damaged entries are deleted");
});

/** A whole-second time, so that a file's times can be set back exactly. */
const PINNED = new Date("2020-01-01T00:00:00Z");

/**
 * Writes `bytes` over a file of the same size and gives it back its pinned modification time:
 * a file changed behind the cache's back, which the cache can only miss, so reading its old
 * entry proves the entry was used.
 */
function swapBehindCache(path: string, bytes: Uint8Array): void {
  assert.equal(bytes.length, statSync(path).size, "same size, so only the content differs");
  writeFileSync(path, bytes);
  utimesSync(path, PINNED, PINNED);
}

test("a file is decoded once per parameters, and again when it changes", async () => {
  const dir = tempDir("mf-cache-file-");
  const cache = new DecodeCache(join(dir, "cache"));
  // Uncompressed TIFF: a picture and its mirror image are files of the same size.
  const picture = sharp(mediaFixtureBytes("image/red_blue.png"));
  const path = join(dir, "a.tif");
  writeFileSync(path, await picture.clone().tiff({ compression: "none" }).toBuffer());
  utimesSync(path, PINNED, PINNED);
  // Per-file entries only (no column array), on this thread: one cell.
  const load = async (size: { height: number; width: number }) => {
    const column = await loadImageColumn({ cells: [path], column: "photo", dir, manifest: "m.csv", cache, keepArray: false }, size);
    return tidy(() => column.data.tensor.toArray() as number[]);
  };
  const first = await load({ height: 4, width: 4 });
  swapBehindCache(path, await picture.clone().flop().tiff({ compression: "none" }).toBuffer()); // blue left, red right
  assert.deepEqual(await load({ height: 4, width: 4 }), first, "the second read comes from the cache");
  assert.notDeepEqual(await load({ height: 8, width: 8 }).then((v) => v.slice(0, 1)), first.slice(0, 1), "other parameters decode again, the new picture");
  utimesSync(path, new Date(), new Date(Date.now() + 5000));
  assert.notDeepEqual(await load({ height: 4, width: 4 }), first, "a changed file decodes again");
});

test("a broken file's failure is cached; an absent file is never cached", async () => {
  const dir = tempDir("mf-cache-bad-");
  const cache = new DecodeCache(join(dir, "cache"));
  const good = await sharp({ create: { width: 2, height: 2, channels: 3, background: "red" } }).tiff({ compression: "none" }).toBuffer();
  writeFileSync(join(dir, "bad.png"), "t".repeat(good.length)); // text, the size of the picture
  utimesSync(join(dir, "bad.png"), PINNED, PINNED);
  const load = () => loadImageColumn({ cells: ["bad.png", "absent.png"], column: "photo", dir, manifest: "m.csv", cache, keepArray: false }, { height: 4, width: 4 });
  const first = await load();
  assert.deepEqual(first.issues.map((i) => i.problem), ["not an image", "file not found"]);
  assert.equal(entryFiles(cache.root).length, 1, "one entry: the broken file's verdict");
  swapBehindCache(join(dir, "bad.png"), good); // a picture behind the cache's back: still the cached verdict
  assert.deepEqual((await load()).issues.map((i) => i.problem), ["not an image", "file not found"]);
  writeFileSync(join(dir, "absent.png"), good);
  assert.deepEqual((await load()).issues.map((i) => i.problem), ["not an image"], "an absent file was never cached as absent");
});

test("a run from a warm cache trains the same model as a cold one; cache_dir: false writes nothing", async () => {
  const dir = tempDir("mf-cache-run-");
  const clinic = writeClinic(dir, 24);
  const cacheDir = join(dir, "cache");
  const config = (out: string, cache: string | false) =>
    train(
      {
        data: { train: clinic.manifest, label: "diagnosis", image: { column: "scan", size: 8 }, audio: { column: "voice", sample_rate: 8000, seconds: 0.25, n_mels: 8 }, cache_dir: cache },
        model: { preset: "seed", features: 8 },
        train: { epochs: 1, batch_size: 8 },
      },
      { out: join(dir, out) },
    );
  await config("cold", cacheDir);
  const entries = entryFiles(cacheDir).length;
  assert.ok(entries >= 40, `expected an entry per readable or broken file, found ${entries}`);
  await config("warm", cacheDir);
  assert.equal(entryFiles(cacheDir).length, entries, "a warm run adds nothing");
  assert.deepEqual(readFileSync(join(dir, "warm", "model.safetensors")), readFileSync(join(dir, "cold", "model.safetensors")));
  assert.equal(JSON.parse(readFileSync(join(dir, "warm", "metrics.json"), "utf8")).data_issues, 4, "broken files are still reported from the cache");
  const before = entryFiles(cacheDir).length;
  await config("uncached", false);
  assert.equal(entryFiles(cacheDir).length, before);
  assert.equal(entryFiles(process.env.MODALFUSE_CACHE_DIR as string).length, 0, "cache_dir: false touches no cache at all");
});

// Column arrays in the cache: a warm load maps the array without decoding anything, a
// changed file re-decodes only itself, a damaged array is rebuilt rather than trusted, and
// a mapped array lives in file-backed memory, not in the process's anonymous memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DecodeCache } from "../../src/data/cache/decode-cache.js";
import { ArrayStore } from "../../src/data/cache/media-array.js";
import { loadAudioColumn, loadImageColumn, type LoadedColumn } from "../../src/data/workers/media-loader.js";
import { tidy } from "../../src/torch/index.js";
import { tempDir, useFixture } from "../helpers/cli.js";

const filesUnder = (dir: string, suffix: string): string[] =>
  existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith(suffix)).map((f) => join(dir, f)) : [];

const values = (column: LoadedColumn): number[] => tidy(() => column.data.tensor.float().toArray() as number[]);

function imageSet(): { dir: string; cells: string[]; cache: DecodeCache } {
  const dir = tempDir("mf-array-");
  const png = readFileSync(join(dir, useFixture(dir, "image/gray_gradient.png", "whole.png")));
  writeFileSync(join(dir, "broken.png"), png.subarray(0, png.length >> 1));
  const cells = [useFixture(dir, "image/red_blue.png", "a.png"), useFixture(dir, "image/cmyk.jpg", "b.jpg"), "", "absent.png", "broken.png", useFixture(dir, "image/animated.gif", "c.gif")];
  return { dir, cells, cache: new DecodeCache(join(dir, "cache")) };
}

const loadImages = (s: ReturnType<typeof imageSet>) => loadImageColumn({ cells: s.cells, column: "pic", dir: s.dir, manifest: "m.csv", cache: s.cache }, { height: 6, width: 5 });

test("a warm load maps the cached array and decodes nothing; row status comes back with it", async () => {
  const s = imageSet();
  const cold = await loadImages(s);
  assert.deepEqual(cold.present, [true, true, false, false, false, true]);
  assert.deepEqual(cold.data.tensor.shape, [6, 3, 6, 5]);
  assert.equal(filesUnder(join(s.cache.root, "arrays"), ".bin").length, 1);
  // Without the per-file entries, only the array can answer: nothing may be decoded again.
  rmSync(join(s.cache.root, "decoded"), { recursive: true });
  const warm = await loadImages(s);
  assert.deepEqual(values(warm), values(cold));
  assert.deepEqual(warm.present, cold.present);
  assert.deepEqual(warm.issues, cold.issues);
  assert.deepEqual([...warm.broken], [4]);
  assert.ok(!existsSync(join(s.cache.root, "decoded")), "a warm load decoded files again");
});

test("a changed file re-decodes only itself; the other rows come from their cached entries", async () => {
  const s = imageSet();
  const cold = await loadImages(s);
  const entries = filesUnder(join(s.cache.root, "decoded"), ".bin");
  writeFileSync(join(s.dir, "media", "c.gif"), readFileSync(join(s.dir, "media", "a.png"))); // row 5 now holds row 0's picture
  utimesSync(join(s.dir, "media", "c.gif"), new Date(), new Date(Date.now() + 5000));
  const changed = await loadImages(s);
  const after = filesUnder(join(s.cache.root, "decoded"), ".bin");
  assert.equal(after.length, entries.length + 1, "exactly one new decoded entry");
  const stride = 3 * 6 * 5;
  const [was, now] = [values(cold), values(changed)];
  assert.deepEqual(now.slice(5 * stride), was.slice(0, stride));
  assert.deepEqual(now.slice(0, 5 * stride), was.slice(0, 5 * stride));
});

test("a damaged, truncated or unlabelled array is rebuilt, never trusted", async () => {
  const s = imageSet();
  const expected = values(await loadImages(s));
  const arrays = join(s.cache.root, "arrays");
  const damage: ((bin: string, meta: string) => void)[] = [
    (bin) => {
      const bytes = readFileSync(bin);
      bytes[100] = (bytes[100] as number) ^ 0x5a;
      writeFileSync(bin, bytes);
    },
    (bin) => truncateSync(bin, 50),
    (_bin, meta) => writeFileSync(meta, "{ half a json"),
    (_bin, meta) => unlinkSync(meta),
  ];
  for (const [i, harm] of damage.entries()) {
    const [bin] = filesUnder(arrays, ".bin");
    harm(bin as string, (bin as string).replace(/\.bin$/, ".json"));
    const rebuilt = await loadImages(s);
    assert.deepEqual(values(rebuilt), expected, `damage ${i} changed the data`);
    assert.equal(filesUnder(arrays, ".bin").length, 1);
  }
});

test("audio columns hold float16 log-mel rows, with broken files recorded", async () => {
  const dir = tempDir("mf-array-audio-");
  writeFileSync(join(dir, "bad.wav"), "not a sound");
  const cells = [useFixture(dir, "audio/tone440_pcm16_mono_16k.wav", "a.wav"), "bad.wav", useFixture(dir, "audio/tone440_s24_mono_48k.flac", "b.flac")];
  const params = { sampleRate: 8000, seconds: 0.5, nMels: 16, hopMs: 10, windowMs: 25 };
  const load = (cache: DecodeCache | null) => loadAudioColumn({ cells, column: "voice", dir, manifest: "m.csv", cache }, params);
  const cached = await load(new DecodeCache(join(dir, "cache")));
  const plain = await load(null);
  assert.equal(cached.data.tensor.dtype, "float16");
  assert.deepEqual(cached.data.tensor.shape, [3, 16, 51]);
  assert.deepEqual(cached.present, [true, false, true]);
  assert.deepEqual([...cached.broken], [1]);
  assert.deepEqual(values(cached), values(plain));
  const row0 = values(cached).slice(0, 16 * 51);
  assert.ok(row0.some((v) => v > 0) && row0.every(Number.isFinite), "a tone has log-mel energy above the floor");
});

test("a mapped array lives in file-backed memory: reading all of it leaves anonymous memory flat", async (t) => {
  if (!existsSync("/proc/self/status")) return t.skip("needs Linux's /proc to read RssAnon");
  const dir = tempDir("mf-array-rss-");
  const store = new ArrayStore(dir);
  const spec = { kind: "test", params: {}, dtype: "uint8" as const, rowShape: [1 << 20] };
  const rows = 96;
  const builder = await store.create("ff00", spec, rows);
  const row = new Uint8Array(1 << 20).fill(3);
  for (let r = 0; r < rows; r++) await builder.write(r, row);
  (await builder.finish({ present: new Array(rows).fill(true), failures: [] })).tensor.dispose();
  const rssAnonMb = () => Number(/RssAnon:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]) / 1024;
  const mapped = await store.read("ff00", spec, rows);
  assert.ok(mapped);
  const before = rssAnonMb();
  const total = tidy(() => mapped.tensor.sum().item());
  const grown = rssAnonMb() - before;
  mapped.tensor.dispose();
  assert.equal(total, 3 * rows * (1 << 20));
  assert.ok(grown < 24, `reading a 96 MB mapped array grew anonymous memory by ${grown.toFixed(1)} MB`);
});

test("a column kept out of the array store still reads and writes per-file entries", async () => {
  const s = imageSet();
  const load = () => loadImageColumn({ cells: s.cells, column: "pic", dir: s.dir, manifest: "m.csv", cache: s.cache, keepArray: false }, { height: 6, width: 5 });
  const first = await load();
  assert.equal(filesUnder(join(s.cache.root, "arrays"), ".bin").length, 0, "no array file for a small request");
  assert.equal(filesUnder(join(s.cache.root, "decoded"), ".bin").length, 4, "an entry per readable or broken file");
  assert.deepEqual(first.present, [true, true, false, false, false, true]);
  const kept = await loadImages(s);
  assert.deepEqual(values(first), values(kept));
  assert.deepEqual([...(await load()).broken], [4]);
});

test("an array store that cannot be written costs only memory: the column is built in memory", async () => {
  const s = imageSet();
  const expected = values(await loadImageColumn({ cells: s.cells, column: "pic", dir: s.dir, manifest: "m.csv", cache: null }, { height: 6, width: 5 }));
  mkdirSync(s.cache.root, { recursive: true });
  writeFileSync(join(s.cache.root, "arrays"), "a file where the arrays folder should be");
  const loaded = await loadImages(s);
  assert.deepEqual(values(loaded), expected);
  assert.deepEqual([...loaded.broken], [4]);
});

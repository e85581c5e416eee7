// The decode cache: entries survive across runs, a changed file or parameter decodes
// again, a damaged entry is detected and rebuilt, broken files stay recorded as broken,
// and a run from a warm cache trains the same model as a cold one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cachedDecoder, DecodeCache } from "../../src/data/decode-cache.js";
import { decodeImage } from "../../src/data/image.js";
import { badMedia, isMediaError } from "../../src/data/media-error.js";
import { train } from "../../src/index.js";
import { tempDir, useFixture } from "../helpers/cli.js";
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

test("a file is decoded once per parameters, and again when it changes", async () => {
  const dir = tempDir("mf-cache-file-");
  const path = join(dir, useFixture(dir, "image/red_blue.png", "a.png"));
  const cache = new DecodeCache(join(dir, "cache"));
  let calls = 0;
  const decoderFor = (size: { height: number; width: number }) =>
    cachedDecoder(cache, "image-v1", size, (p) => (calls++, decodeImage(p, size)), { toBytes: (v) => v, fromBytes: (b) => b });
  const first = await decoderFor({ height: 4, width: 4 })(path);
  const second = await decoderFor({ height: 4, width: 4 })(path);
  assert.equal(calls, 1, "the second read comes from the cache");
  assert.deepEqual(Buffer.from(second), Buffer.from(first));
  await decoderFor({ height: 8, width: 8 })(path);
  assert.equal(calls, 2, "other parameters decode again");
  utimesSync(path, new Date(), new Date(Date.now() + 5000));
  await decoderFor({ height: 4, width: 4 })(path);
  assert.equal(calls, 3, "a changed file decodes again");
});

test("a broken file's failure is cached; an absent file is never cached", async () => {
  const dir = tempDir("mf-cache-bad-");
  const cache = new DecodeCache(join(dir, "cache"));
  let calls = 0;
  const decode = cachedDecoder(cache, "test", {}, async (p: string) => {
    calls++;
    if (p.endsWith("absent.png")) throw Object.assign(badMedia("file not found", p), { kind: "missing" });
    throw badMedia("not an image", p);
  }, { toBytes: (v: Uint8Array) => v, fromBytes: (b) => b });
  writeFileSync(join(dir, "bad.png"), "text");
  for (let i = 0; i < 2; i++) {
    await assert.rejects(decode(join(dir, "bad.png")), (e) => isMediaError(e) && e.kind === "bad" && e.problem === "not an image");
    await assert.rejects(decode(join(dir, "absent.png")));
  }
  assert.equal(calls, 3, "the broken file was decoded once, the absent one each time");
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

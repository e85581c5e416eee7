// A table as it comes, through the real CLI with no config: two image columns, an audio
// column, a text column, numbers, a category and an id. The kinds are inferred and printed,
// every input gets its own encoder, the fused model beats every single input (compare), and
// predict --explain gives one contribution column per input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import sharp from "sharp";
import { encodeWav } from "../../src/demo/encode-audio.js";
import { Random } from "../../src/util/random.js";
import { runCli, tempDir, userErrorLine, writeCsv } from "../helpers/cli.js";

const readCsv = (path: string) => parse(readFileSync(path, "utf8"), { columns: true }) as Record<string, string>[];

const CLASSES = ["a", "b", "c", "d"];
const COLOURS = [
  [220, 30, 30],
  [30, 200, 40],
  [40, 60, 220],
  [230, 220, 40],
];
const GREYS = [40, 100, 160, 220];
const TONES_HZ = [300, 600, 1200, 2400];
const CLASS_WORDS = ["alpha", "bravo", "charlie", "delta"];
const FILLER = ["the", "item", "looks", "fine", "today", "seen", "near", "river", "old", "new", "small", "large", "quiet", "bright", "north", "south"];
const INPUTS = ["front", "back", "sound", "note", "x"] as const;
const ROWS = 320;

/**
 * Each row's class shows in three of its five inputs, chosen at random; the other two show
 * a random class. Any single input is right on about 70% of rows; together they agree.
 */
async function writeTable(dir: string): Promise<string> {
  mkdirSync(join(dir, "media"), { recursive: true });
  const random = new Random(7);
  const rows: (string | number)[][] = [];
  for (let r = 0; r < ROWS; r++) {
    const label = r % CLASSES.length;
    const informative = new Set<string>();
    while (informative.size < 3) informative.add(INPUTS[random.int(0, INPUTS.length - 1)] as string);
    const shown = (input: string) => (informative.has(input) ? label : random.int(0, CLASSES.length - 1));
    const [red, green, blue] = COLOURS[shown("front")] as number[];
    const front = `media/f${r}.png`;
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: red as number, g: green as number, b: blue as number } } }).png().toFile(join(dir, front));
    const grey = GREYS[shown("back")] as number;
    const back = `media/b${r}.jpg`;
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: grey, g: grey, b: grey } } }).jpeg().toFile(join(dir, back));
    const hz = TONES_HZ[shown("sound")] as number;
    const wave = Float32Array.from({ length: 4000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / 8000) + 0.05 * (random.next() - 0.5));
    const sound = `media/s${r}.wav`;
    writeFileSync(join(dir, sound), encodeWav({ channels: [wave], sampleRate: 8000 }));
    const words = Array.from({ length: 5 }, () => FILLER[random.int(0, FILLER.length - 1)] as string);
    words.splice(random.int(0, 5), 0, CLASS_WORDS[shown("note")] as string);
    const x = shown("x") + 0.3 * random.normal();
    rows.push([`r${String(r).padStart(4, "0")}`, r % 20 === 3 ? "" : front, back, sound, r % 25 === 4 ? "" : words.join(" "), x.toFixed(3), ["north", "south", "east"][random.int(0, 2)] as string, CLASSES[label] as string]);
  }
  const path = join(dir, "items.csv");
  writeCsv(path, ["item", "front", "back", "sound", "note", "x", "site", "y"], rows);
  return path;
}

const dir = tempDir("mf-zero-config-");
const table = writeTable(dir);
const run = join(dir, "run");

test("train on a table with no config: the kinds are inferred, printed with reasons, and written as a config", async () => {
  const r = runCli(["train", await table, "--label", "y", "--out", run, "--set", "train.epochs=12", "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  const kinds = Object.fromEntries(
    r.stdout
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter((cells) => cells.length >= 3)
      .map((cells) => [cells[0], cells[1]]),
  );
  assert.deepEqual(
    { item: kinds.item, front: kinds.front, back: kinds.back, sound: kinds.sound, note: kinds.note, x: kinds.x, site: kinds.site, y: kinds.y },
    { item: "id", front: "image", back: "image", sound: "audio", note: "text", x: "numeric", site: "categorical", y: "label" },
  );
  const state = JSON.parse(readFileSync(join(run, "preprocess.json"), "utf8")) as { version: number; inputs: { name: string; kind: string }[] };
  assert.equal(state.version, 2);
  assert.deepEqual(
    state.inputs.map((i) => `${i.name}:${i.kind}`),
    ["tabular:tabular", "front:image", "back:image", "sound:audio", "note:text"],
  );
  const config = readFileSync(join(run, "config.yaml"), "utf8");
  assert.match(config, /column: front/);
  assert.match(config, /column: note/);
  // The written config trains again as it is.
  const again = runCli(["train", join(run, "config.yaml"), "--out", join(dir, "again"), "--set", "train.epochs=1", "--quiet"]);
  assert.equal(again.status, 0, again.stderr);
});

test("init prints the inferred config without training; a continuous label is refused in one line", async () => {
  const r = runCli(["init", await table, "--label", "y"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^data:/m);
  assert.match(r.stdout, /text:\n\s+- column: note/);
  assert.match(userErrorLine(runCli(["init", await table, "--label", "x"])), /looks like a regression target/);
});

test("compare: the fused model beats every single input", async () => {
  const out = join(dir, "compare");
  const r = runCli(["compare", join(run, "config.yaml"), "--out", out, "--seeds", "1", "--fusions", "late", "--set", "train.epochs=12", "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  const rows = readCsv(join(out, "compare.csv"));
  const accuracy = (set: string) => Number(rows.find((x) => x.modalities === set)?.accuracy);
  const full = accuracy(["back", "front", "note", "sound", "tabular"].join("+"));
  const singles = ["tabular", "front", "back", "sound", "note"].map((m) => [m, accuracy(m)] as const);
  for (const [m, a] of singles) assert.ok(Number.isFinite(a), `no single-input row for ${m}`);
  for (const [m, a] of singles) assert.ok(full > a, `all inputs ${full} should beat ${m} alone (${a})`);
});

test("predict --explain has one contribution column per input", () => {
  const output = join(dir, "predictions.csv");
  const r = runCli(["predict", run, "--data", join(dir, "items.csv"), "--output", output, "--explain", "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  const rows = readCsv(output);
  assert.equal(rows.length, ROWS);
  assert.deepEqual(
    Object.keys(rows[0] ?? {}).filter((k) => k.startsWith("contrib_")),
    ["contrib_tabular", "contrib_front", "contrib_back", "contrib_sound", "contrib_note"],
  );
  assert.ok(rows.some((row) => Number(row.contrib_note) !== 0), "the text input contributes");
});

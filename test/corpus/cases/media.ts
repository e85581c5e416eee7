// Bad media files of every format. The contract for them is not a user error: training goes
// on (on_bad_file: missing), and data_issues.csv names each file with its problem. They all
// sit in one manifest, so one training run answers every case.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Random } from "../../../src/util/random.js";
import { MEDIA, writeCsv } from "../../helpers/cli.js";
import { type Builder, literal, succeeds } from "../builder.js";
import { copy, flipBytes, gifWithSize, jpegWithSize, noise, pngWithSize, truncate } from "../bytes.js";
import { baseConfig, copyFixture, goodRow, HEADER, put, yaml } from "../data.js";
import type { CorpusCase } from "../types.js";

interface BadFile {
  name: string;
  column: "scan" | "voice";
  /** File bytes, a fixture under test/fixtures/media, or "folder" for a directory in the file's place. */
  content: Uint8Array | { fixture: string } | "folder";
  problem: RegExp;
}

const fixture = (path: string) => readFileSync(join(MEDIA, path));
const TEXT = new TextEncoder().encode("id,label\n1,cat\n2,dog\n");
/**
 * A header claiming far more pixels than the file holds: too large to decode, or (since the
 * pixel data does not match the claim) corrupt or truncated; any of these is the truth.
 */
const TOO_LARGE = /too large|exceeds|dimensions|pixel limit|corrupt|truncated/i;

function badFiles(): BadFile[] {
  const random = new Random(11);
  const png = fixture("image/red_blue.png");
  const image = (name: string, content: BadFile["content"], problem: RegExp): BadFile => ({ name, column: "scan", content, problem });
  const audio = (name: string, content: BadFile["content"], problem: RegExp): BadFile => ({ name, column: "voice", content, problem });
  // Bytes changed inside the pixel data (from byte 60 on, past IHDR), CRCs left as they were.
  const scrambledPng = copy(png);
  scrambledPng.set(flipBytes(png.subarray(60, png.length - 12), random, 8), 60);
  return [
    image("truncated.png", { fixture: "broken/truncated.png" }, /truncated/),
    image("empty.png", { fixture: "broken/empty.png" }, /empty/),
    image("random.png", { fixture: "broken/random.png" }, /not an image|corrupt/),
    image("text.png", { fixture: "broken/text.png" }, /not an image/),
    image("vector.png", { fixture: "broken/vector.png" }, /unsupported image format|not an image/),
    image("scrambled.png", scrambledPng, /corrupt png|truncated/),
    image("huge.png", pngWithSize(png, 100_000, 100_000), TOO_LARGE),
    image("truncated.jpg", { fixture: "broken/truncated.jpg" }, /truncated/),
    image("corrupt.jpg", { fixture: "broken/corrupt.jpg" }, /corrupt jpeg/),
    image("empty.jpg", new Uint8Array(0), /empty/),
    image("text.jpg", TEXT, /not an image/),
    image("huge.jpg", jpegWithSize(fixture("image/red_blue.jpg"), 65_000, 65_000), TOO_LARGE),
    image("truncated.gif", truncate(fixture("image/animated.gif")), /truncated/),
    image("header-only.gif", new TextEncoder().encode("GIF89a"), /truncated|corrupt gif/),
    image("huge.gif", gifWithSize(fixture("image/animated.gif"), 65_535, 65_535), TOO_LARGE),
    image("truncated.webp", { fixture: "broken/truncated.webp" }, /truncated/),
    image("random.webp", noise(random, 2048), /not an image/),
    image("empty.webp", new Uint8Array(0), /empty/),
    image("truncated.tif", { fixture: "broken/truncated.tif" }, /truncated/),
    // A little-endian TIFF header whose first directory lies past the end of the file.
    image("header-only.tif", new Uint8Array([0x49, 0x49, 0x2a, 0x00, 0x00, 0x10, 0x00, 0x00]), /truncated|corrupt tiff/),
    image("empty.tif", new Uint8Array(0), /empty/),
    image("folder.png", "folder", /directory/),
    audio("truncated.wav", { fixture: "broken/truncated.wav" }, /truncated/),
    audio("empty.wav", { fixture: "broken/empty.wav" }, /empty/),
    audio("text.wav", { fixture: "broken/text.wav" }, /not audio/),
    audio("random.wav", { fixture: "broken/random.wav" }, /not audio|corrupt/),
    audio("no-frames.wav", { fixture: "broken/no_frames.wav" }, /no audio frames/),
    audio("zero-rate.wav", { fixture: "broken/zero_rate.wav" }, /sample rate/),
    audio("zero-channels.wav", { fixture: "broken/zero_channels.wav" }, /channel|not audio|corrupt/),
    audio("nan-sample.wav", { fixture: "broken/nan_sample.wav" }, /non-finite/),
    audio("truncated.flac", { fixture: "broken/truncated.flac" }, /truncated/),
    audio("random.flac", noise(random, 2048), /not audio|corrupt/),
    audio("header-only.flac", new TextEncoder().encode("fLaC"), /truncated|corrupt|not audio|no audio frames/),
    audio("truncated.ogg", { fixture: "broken/truncated.ogg" }, /truncated/),
    audio("empty.ogg", new Uint8Array(0), /empty/),
    audio("random.ogg", noise(random, 2048), /not audio|corrupt/),
    audio("truncated.mp3", { fixture: "broken/truncated.mp3" }, /truncated|corrupt/),
    audio("id3-only.mp3", { fixture: "broken/id3_only.mp3" }, /no audio frames|truncated|not audio/),
    audio("text.mp3", TEXT, /not audio/),
    audio("folder.wav", "folder", /directory/),
  ];
}

export function mediaCases(b: Builder): CorpusCase[] {
  const dir = b.folder("media", "every-bad-file", true);
  const files = badFiles();
  const rows = Array.from({ length: 8 + files.length }, (_, i) => goodRow(dir, i));
  const placed = files.map((file, k) => {
    const rel = `media/bad/${file.name}`;
    if (file.content === "folder") mkdirSync(join(dir, rel), { recursive: true });
    else if (file.content instanceof Uint8Array) put(dir, rel, file.content);
    else copyFixture(dir, file.content.fixture, rel);
    // Good rows first, then one bad file per row, the other medium of that row good.
    const row = 8 + k;
    rows[row]![HEADER.indexOf(file.column)] = rel;
    return { file, rel, row };
  });
  writeCsv(join(dir, "m.csv"), HEADER, rows);
  put(dir, "config.yaml", yaml(baseConfig()));
  const args = ["train", "config.yaml", "--out", "run", "--quiet"];
  return placed.map(({ file, rel, row }) =>
    succeeds("media", file.name, dir, args, new RegExp(`^${row},${file.column},${literal(rel)},.*(?:${file.problem.source})`, file.problem.flags), "run/data_issues.csv", ["run"]),
  );
}

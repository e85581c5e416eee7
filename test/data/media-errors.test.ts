import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeAudio } from "../../src/data/audio/audio.js";
import { decodeImage } from "../../src/data/image/image.js";
import { MediaError, type MediaErrorKind } from "../../src/data/media/media-error.js";
import { mediaFixture, mediaFixtureBytes } from "./media-fixtures.js";

const AUDIO = { sampleRate: 16000, seconds: 0.5 };
const IMAGE = { height: 8, width: 8 };
const decodeAsAudio = (source: string | Uint8Array) => decodeAudio(source, AUDIO);
const decodeAsImage = (source: string | Uint8Array) => decodeImage(source, IMAGE);

function isMediaError(kind: MediaErrorKind, problem: string | RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof MediaError, `expected a MediaError, got ${String(error)}`);
    assert.equal(error.kind, kind);
    if (typeof problem === "string") assert.equal(error.problem, problem);
    else assert.match(error.problem, problem);
    return true;
  };
}

const brokenAudio: Array<[file: string, problem: string]> = [
  ["broken/empty.wav", "empty file"],
  ["broken/truncated.wav", "truncated"],
  ["broken/truncated.flac", "truncated"],
  ["broken/truncated.ogg", "truncated"],
  ["broken/truncated.mp3", "truncated"],
  ["broken/no_frames.wav", "no audio frames"],
  ["broken/zero_rate.wav", "decoder claims sample rate 0"],
  ["broken/zero_channels.wav", "WAV header claims 0 channels"],
  ["broken/nan_sample.wav", "non-finite samples"],
  ["broken/id3_only.mp3", "no audio frames"],
  ["broken/random.wav", "not audio"],
  ["broken/text.wav", "not audio"],
  ["image/red_blue.png", "not audio"],
];
for (const [file, problem] of brokenAudio) {
  test(`audio ${file}: bad, "${problem}"`, async () => {
    await assert.rejects(decodeAsAudio(mediaFixture(file)), isMediaError("bad", problem));
  });
}

const brokenImages: Array<[file: string, problem: string]> = [
  ["broken/empty.png", "empty file"],
  ["broken/truncated.png", "truncated"],
  ["broken/truncated.jpg", "truncated"],
  ["broken/truncated.webp", "truncated"],
  ["broken/truncated.tif", "truncated"],
  ["broken/corrupt.jpg", "corrupt jpeg"],
  ["broken/random.png", "not an image"],
  ["broken/text.png", "not an image"],
  ["broken/vector.png", "unsupported image format (svg)"],
  ["audio/tone440_pcm16_mono_16k.wav", "not an image"],
];
for (const [file, problem] of brokenImages) {
  test(`image ${file}: bad, "${problem}"`, async () => {
    await assert.rejects(decodeAsImage(mediaFixture(file)), isMediaError("bad", problem));
  });
}

test("an absent file is missing, not bad, and the error names the path", async () => {
  for (const path of [mediaFixture("audio/no-such.wav"), mediaFixture("no-such-folder/x.png"), ""]) {
    await assert.rejects(decodeAsAudio(path), isMediaError("missing", "file not found"));
    await assert.rejects(decodeAsImage(path), isMediaError("missing", "file not found"));
  }
  // A path through a file, as if the file were a folder, is just as absent.
  await assert.rejects(decodeAsImage(join(mediaFixture("image/red_blue.png"), "x.png")), isMediaError("missing", "file not found"));
  const error = await decodeAsImage(mediaFixture("image/gone.png")).catch((e: unknown) => e);
  assert.ok(error instanceof MediaError && error.path === mediaFixture("image/gone.png") && error.message.includes("gone.png"));
});

test("a directory, an unreadable file and empty bytes in memory are bad", async () => {
  await assert.rejects(decodeAsAudio(mediaFixture("audio")), isMediaError("bad", "is a directory"));
  await assert.rejects(decodeAsImage(new Uint8Array(0)), isMediaError("bad", "empty file"));
  await assert.rejects(decodeAsAudio(new Uint8Array(0)), isMediaError("bad", "empty file"));
  if (process.getuid?.() === 0) return; // root reads any file, so no permission error to see
  const folder = await mkdtemp(join(tmpdir(), "modalfuse-media-"));
  try {
    const locked = join(folder, "locked.png");
    await writeFile(locked, mediaFixtureBytes("image/red_blue.png"));
    await chmod(locked, 0o000);
    await assert.rejects(decodeAsImage(locked), isMediaError("bad", "permission denied"));
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

// Files cut at many points, and random bytes: each gives a MediaError of kind "bad", never
// another exception, never a result.
const goodFiles = {
  audio: ["tone440_pcm16_mono_16k.wav", "tone1k_f32_stereo_44k.wav", "tone440_u8_mono_8k.wav", "three_channel_8k.wav",
    "tone440_s24_mono_48k.flac", "tone1k_stereo_44k.ogg", "tone440_mono_22k.mp3", "tone1k_stereo_44k.mp3"],
  image: ["red_blue.png", "palette.png", "rgba.png", "rgb16.png", "gray16.png", "red_blue.jpg", "cmyk.jpg",
    "oriented.jpg", "red_blue.webp", "animated.gif", "red_blue.tif"],
} as const;

for (const [folder, files] of Object.entries(goodFiles)) {
  const decode = folder === "audio" ? decodeAsAudio : decodeAsImage;
  test(`${folder} files cut anywhere are reported as bad`, async () => {
    for (const file of files) {
      const bytes = mediaFixtureBytes(`${folder}/${file}`);
      for (let k = 1; k < 24; k++) {
        const cut = bytes.subarray(0, Math.floor((bytes.length * k) / 24));
        await assert.rejects(decode(cut), isMediaError("bad", /^(truncated|not an image|not audio|corrupt \w+|no audio frames)$/),
          `${file} cut to ${cut.length} of ${bytes.length} bytes`);
      }
    }
  });
}

test("random bytes are reported as bad by both decoders", async () => {
  let state = 12345; // a fixed LCG so a failure can be replayed
  const random = (n: number) => Uint8Array.from({ length: n }, () => (state = (state * 1103515245 + 12345) >>> 0) >>> 24);
  for (let i = 0; i < 40; i++) {
    const bytes = random(1 + (i * 97) % 3000);
    await assert.rejects(decodeAsAudio(bytes), isMediaError("bad", "not audio"));
    await assert.rejects(decodeAsImage(bytes), isMediaError("bad", "not an image"));
  }
});

test("a valid header followed by garbage is reported as bad", async () => {
  let state = 99;
  const garbage = (n: number) => Uint8Array.from({ length: n }, () => (state = (state * 1103515245 + 12345) >>> 0) >>> 24);
  const cases: Array<[string, (source: Uint8Array) => Promise<unknown>, number]> = [
    ["audio/tone440_s24_mono_48k.flac", decodeAsAudio, 42],
    ["audio/tone1k_stereo_44k.ogg", decodeAsAudio, 200],
    ["audio/tone440_mono_22k.mp3", decodeAsAudio, 400],
    ["image/red_blue.png", decodeAsImage, 60],
    ["image/red_blue.jpg", decodeAsImage, 200],
    ["image/red_blue.webp", decodeAsImage, 20],
  ];
  for (const [file, decode, keep] of cases) {
    const good = mediaFixtureBytes(file);
    const spoiled = new Uint8Array(good.length);
    spoiled.set(good.subarray(0, keep));
    spoiled.set(garbage(good.length - keep), keep);
    await assert.rejects(decode(spoiled), isMediaError("bad", /.+/), file);
  }
});

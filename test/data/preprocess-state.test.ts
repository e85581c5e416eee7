// preprocess.json read back: both versions load as the trainer wrote them, and every value
// that predicting divides by, sizes a layer with or indexes by is checked, with one line
// naming the file and the key.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkPreprocessState, readPreprocessState, type PreprocessState } from "../../src/data/preprocess-state.js";
import type { AudioState } from "../../src/inputs/audio/index.js";
import type { ImageState } from "../../src/inputs/image/index.js";
import type { TabularState } from "../../src/inputs/tabular/index.js";
import type { TextState } from "../../src/inputs/text/index.js";

const SOURCE = "RUN/preprocess.json";

/** A state as plain JSON-like data, so that the cases can damage any of it. */
interface Loose {
  [key: string]: unknown;
  classes: string[];
  inputs: Record<string, unknown>[];
  model: Record<string, unknown>;
}

/** A version 2 state with one input of every kind, as the trainer writes it. */
function stateV2(): Loose {
  const inputs: Array<TabularState | ImageState | AudioState | TextState> = [
    { name: "tabular", kind: "tabular", numeric: [{ column: "lab_a", mean: 3.2, std: 2 }, { column: "lab_b", mean: 5.5, std: 3.3 }], categorical: [{ column: "site", values: ["east", "north"] }] },
    { name: "scan", kind: "image", column: "scan", height: 16, width: 24, share: false, mean: [0.5, 0.1, 0.4], std: [0.47, 0.27, 0.46] },
    { name: "voice", kind: "audio", column: "voice", sampleRate: 8000, seconds: 0.5, nMels: 16, hopMs: 10, windowMs: 25, share: false, frames: 51, mean: -10.7, std: 4.9 },
    { name: "note", kind: "text", column: "note", encoder: "transformer", maxTokens: 64, buckets: 50000, share: false, vocabulary: ["pain", "fever"] },
    { name: "title", kind: "text", column: "title", encoder: "ngram", maxTokens: 32, buckets: 1024, share: false, vocabulary: [], tokenizerJson: { model: { vocab: {} } }, tokenizerIds: 12 },
  ];
  const state: PreprocessState = {
    version: 2,
    label: "diagnosis",
    id: "patient",
    classes: ["healthy", "ill"],
    inputs,
    onBadFile: "missing",
    model: { preset: "standard", fusion: "late", features: 16 },
  };
  return state as unknown as Loose;
}

test("a version 2 state reads back exactly as it was written", () => {
  const written = stateV2();
  assert.deepEqual(readPreprocessState(JSON.parse(JSON.stringify(written)), SOURCE), written);
  assert.doesNotThrow(() => checkPreprocessState(written as unknown as PreprocessState, SOURCE));
});

test("a version 1 state reads as version 2, its inputs named after their kinds", () => {
  const v1 = {
    version: 1,
    label: "event",
    id: "event_id",
    classes: ["concert", "lecture", "sports"],
    modalities: ["tabular", "image", "audio"],
    tabular: { numeric: [{ column: "attendees", mean: 3941.1, std: 6968.1 }], categorical: [{ column: "venue_type", values: ["arena", "club"] }] },
    image: { column: "photo", height: 32, width: 32, mean: [0.31, 0.34, 0.28], std: [0.17, 0.21, 0.17] },
    audio: { column: "recording", sampleRate: 16000, seconds: 1.5, nMels: 64, frames: 151, mean: -6.1, std: 3.3 },
    onBadFile: "missing",
    model: { preset: "standard", features: 64, fusion: "late" },
  };
  const state = readPreprocessState(v1, SOURCE);
  assert.equal(state.version, 2);
  assert.deepEqual(state.inputs.map((i) => `${i.name}:${i.kind}`), ["tabular:tabular", "image:image", "audio:audio"]);
  assert.deepEqual(state.inputs[2], { ...v1.audio, name: "audio", kind: "audio", hopMs: 10, windowMs: 25 });
  const broken = { ...v1, audio: { ...v1.audio, std: 0 } };
  assert.throws(() => readPreprocessState(broken, SOURCE), { message: `${SOURCE}: audio.std must be positive` });
});

const damaged: Array<[string, (s: Loose) => void, string]> = [
  ["a std of 0", (s) => ((s.inputs[0]!.numeric as { std: number }[])[1]!.std = 0), "inputs.0.numeric.1.std must be positive"],
  ["a negative std", (s) => ((s.inputs[0]!.numeric as { std: number }[])[0]!.std = -2), "inputs.0.numeric.0.std must be positive"],
  ["a NaN std (null in JSON)", (s) => ((s.inputs[0]!.numeric as { std: number | null }[])[0]!.std = null), "inputs.0.numeric.0.std must be a finite number (found null)"],
  ["a mean that is text", (s) => ((s.inputs[0]!.numeric as { mean: unknown }[])[0]!.mean = "3.2"), 'inputs.0.numeric.0.mean must be a finite number (found "3.2")'],
  ["a numeric column twice", (s) => ((s.inputs[0]!.numeric as { column: string }[])[1]!.column = "lab_a"), 'inputs.0.numeric.1.column must be unique: "lab_a" appears more than once'],
  ["a category twice", (s) => ((s.inputs[0]!.categorical as { values: string[] }[])[0]!.values = ["east", "east"]), 'inputs.0.categorical.0.values.1 must be unique: "east" appears more than once'],
  ["a negative image size", (s) => (s.inputs[1]!.height = -16), "inputs.1.height must be positive"],
  ["a fractional image size", (s) => (s.inputs[1]!.width = 2.5), "inputs.1.width must be a whole number (found 2.5)"],
  ["an image std of 0", (s) => (s.inputs[1]!.std = [0.4, 0, 0.4]), "inputs.1.std.1 must be positive"],
  ["an image std of two channels", (s) => (s.inputs[1]!.std = [0.4, 0.4]), "inputs.1.std must have at least 3 items"],
  ["a sample rate of 0", (s) => (s.inputs[2]!.sampleRate = 0), "inputs.2.sampleRate must be positive"],
  ["no frames", (s) => delete s.inputs[2]!.frames, "inputs.2.frames is missing"],
  ["an audio std below 0", (s) => (s.inputs[2]!.std = -4.9), "inputs.2.std must be positive"],
  ["a text width of 0", (s) => (s.inputs[3]!.maxTokens = 0), "inputs.3.maxTokens must be positive"],
  ["a word twice", (s) => (s.inputs[3]!.vocabulary = ["pain", "pain"]), 'inputs.3.vocabulary.1 must be unique: "pain" appears more than once'],
  ["an unknown encoder", (s) => (s.inputs[3]!.encoder = "lstm"), 'inputs.3.encoder must be "ngram" or "transformer" (found "lstm")'],
  ["an unknown kind", (s) => (s.inputs[1]!.kind = "video"), 'inputs.1.kind must be one of tabular, image, audio, text (found "video")'],
  ["two inputs of one name", (s) => (s.inputs[4]!.name = "note"), 'inputs.4.name must be unique: "note" appears more than once'],
  ["no inputs", (s) => (s.inputs = []), "inputs must not be empty"],
  ["no classes", (s) => (s.classes = []), "classes must not be empty"],
  ["a class twice", (s) => (s.classes = ["ill", "healthy", "ill"]), 'classes.2 must be unique: "ill" appears more than once'],
  ["an unknown fusion", (s) => (s.model.fusion = "sum"), "model.fusion must be one of concat, gated, attention, late (found \"sum\")"],
  ["features of 0", (s) => (s.model.features = 0), "model.features must be positive"],
  ["no label", (s) => delete s.label, "label is missing"],
];

for (const [what, damage, message] of damaged) {
  test(`a state with ${what} is refused in one line naming the key`, () => {
    const state = stateV2();
    damage(state);
    assert.throws(() => readPreprocessState(JSON.parse(JSON.stringify(state)), SOURCE), { message: `${SOURCE}: ${message}` });
  });
}

test("a file that is not a state, or from a later version, says so", () => {
  for (const value of [null, [], "text", { classes: ["a"] }, { version: "2" }]) {
    assert.throws(() => readPreprocessState(value, SOURCE), { message: `${SOURCE}: not a modalfuse preprocess.json` });
  }
  assert.throws(() => readPreprocessState({ ...stateV2(), version: 3 }, SOURCE), { message: `${SOURCE}: version 3 is not one this modalfuse reads (1 or 2)` });
});

test("the trainer's state is checked before it is written", () => {
  const state = stateV2();
  state.inputs[2]!.std = Number.NaN;
  assert.throws(() => checkPreprocessState(state as unknown as PreprocessState, SOURCE), { message: `${SOURCE}: inputs.2.std must be a finite number (found NaN)` });
});

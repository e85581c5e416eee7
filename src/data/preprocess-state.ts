// Everything fitted on training rows that predicting needs again: classes, and each
// input's fitted state (statistics, vocabularies, media parameters). Saved as
// preprocess.json; version 1 (one input per kind, before inputs were plug-ins) is read too.
// Both versions are read through zod schemas whose types are checked against the ones the
// trainer writes, so a damaged or hand-edited file stops with the key that is wrong rather
// than predicting NaN.
import { z } from "zod";
import { FUSIONS, type Fusion } from "../config/schema.js";
import type { AudioState } from "../inputs/audio/index.js";
import { audioFittedSchema, audioStateSchema } from "../inputs/audio/state.js";
import type { ImageState } from "../inputs/image/index.js";
import { imageFittedSchema, imageStateSchema } from "../inputs/image/state.js";
import type { InputState, KindName } from "../inputs/kind.js";
import { distinctBy, nonEmpty, positive, positiveInt } from "../inputs/state-schema.js";
import type { TabularState } from "../inputs/tabular/index.js";
import { tabularStateSchema, tabularStatsSchema } from "../inputs/tabular/state.js";
import type { TextState } from "../inputs/text/index.js";
import { textStateSchema } from "../inputs/text/state.js";
import { issueLine } from "../util/issue-line.js";
import type { Same } from "../util/same-type.js";

export const PREPROCESS_VERSION = 2;

export interface PreprocessState {
  version: typeof PREPROCESS_VERSION;
  label: string;
  id: string | null;
  classes: string[];
  /** In the order the model's encoders and the fusion see them. */
  inputs: InputState[];
  onBadFile: "missing" | "skip_row" | "error";
  /** The architecture to rebuild before loading model.safetensors. */
  model: { preset: "seed" | "standard"; fusion: Fusion; features: number; encoders?: Record<string, { features?: number | undefined; backbone?: string | undefined }> | undefined };
}

/** The names of a state's inputs, in order. */
export function inputNames(state: PreprocessState): string[] {
  return state.inputs.map((i) => i.name);
}

const shared = {
  label: nonEmpty,
  id: nonEmpty.nullable(),
  // A class's index is its position: an empty list has nothing to predict, a repeated class two indices for one name.
  classes: distinctBy(z.array(z.string("must be a string")).min(1), (c) => c),
  onBadFile: z.enum(["missing", "skip_row", "error"]),
  // encoders is absent from runs trained before inputs had their own widths.
  model: z.object({ preset: z.enum(["seed", "standard"]), fusion: z.enum(FUSIONS), features: positiveInt, encoders: z.record(z.string(), z.object({ features: positiveInt.optional(), backbone: z.string().min(1).optional() }).strict()).optional() }),
};

/** One input's state, told apart by its kind. Adding a kind adds its state schema here. */
const inputStateSchema = z.discriminatedUnion("kind", [tabularStateSchema, imageStateSchema, audioStateSchema, textStateSchema]);

export const preprocessStateSchema = z.object({
  version: z.literal(PREPROCESS_VERSION),
  ...shared,
  // Names key the encoders' weights and the contrib_ columns, so two inputs cannot share one.
  inputs: distinctBy(z.array(inputStateSchema).min(1), (i) => i.name, "name"),
});

// The trainer writes PreprocessState; the reader returns the schema's output. They must be one type.
true satisfies Same<Omit<z.output<typeof preprocessStateSchema>, "inputs">, Omit<PreprocessState, "inputs">>;
true satisfies Same<z.output<typeof inputStateSchema>, TabularState | ImageState | AudioState | TextState>;
// Every kind of input has a state schema here (a new kind fails the build until it has one).
true satisfies Same<z.output<typeof inputStateSchema>["kind"], KindName>;

const stateV1Schema = z.object({
  version: z.literal(1),
  ...shared,
  modalities: z.array(z.enum(["tabular", "image", "audio"])),
  tabular: tabularStatsSchema.nullable(),
  image: imageFittedSchema.nullable(),
  // Written before the log-mel hop and window were settings: they were 10 and 25 ms.
  audio: audioFittedSchema.extend({ hopMs: positive.optional(), windowMs: positive.optional() }).nullable(),
});

type StateV1 = z.output<typeof stateV1Schema>;

/** Checks an object literal against one kind's state type before it joins a list of InputState. */
const typed = <T extends InputState>(state: T): T => state;

/** A version 1 state as version 2: its inputs were named after their kinds. */
function fromV1(v: StateV1): PreprocessState {
  const inputs: InputState[] = [];
  for (const m of v.modalities) {
    if (m === "tabular" && v.tabular) inputs.push(typed<TabularState>({ name: "tabular", kind: "tabular", ...v.tabular }));
    if (m === "image" && v.image) inputs.push(typed<ImageState>({ name: "image", kind: "image", ...v.image }));
    if (m === "audio" && v.audio) inputs.push(typed<AudioState>({ ...v.audio, name: "audio", kind: "audio", hopMs: v.audio.hopMs ?? 10, windowMs: v.audio.windowMs ?? 25 }));
  }
  return { version: PREPROCESS_VERSION, label: v.label, id: v.id, classes: v.classes, inputs, onBadFile: v.onBadFile, model: v.model };
}

/**
 * A parsed preprocess.json as the current version. Throws an Error of one line naming
 * `source` and the key that is wrong (`RUN/preprocess.json: inputs.0.numeric.1.std must be
 * positive`) on a foreign, damaged or hand-edited file.
 */
export function readPreprocessState(value: unknown, source: string): PreprocessState {
  const version = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as { version?: unknown }).version : undefined;
  if (version !== 1 && version !== PREPROCESS_VERSION) {
    if (typeof version === "number") throw new Error(`${source}: version ${version} is not one this modalfuse reads (1 or ${PREPROCESS_VERSION})`);
    throw new Error(`${source}: not a modalfuse preprocess.json`);
  }
  const parsed = version === 1 ? stateV1Schema.safeParse(value) : preprocessStateSchema.safeParse(value);
  if (!parsed.success) throw new Error(`${source}: ${issueLine(parsed.error.issues[0] as z.core.$ZodIssue, value)}`);
  return parsed.data.version === 1 ? fromV1(parsed.data) : parsed.data;
}

/** Checks a state before it is written, with the reader's schema: a run that cannot be loaded is never saved. */
export function checkPreprocessState(state: PreprocessState, source: string): void {
  readPreprocessState(state, source);
}

// Everything fitted on training rows that predicting needs again: classes, and each
// input's fitted state (statistics, vocabularies, media parameters). Saved as
// preprocess.json; version 1 (one input per kind, before inputs were plug-ins) is read too.
import type { Fusion } from "../config/schema.js";
import type { AudioState } from "../inputs/audio/index.js";
import type { ImageState } from "../inputs/image/index.js";
import type { InputState } from "../inputs/kind.js";
import type { TabularState } from "../inputs/tabular/index.js";

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
  model: { preset: "seed" | "standard"; fusion: Fusion; features: number };
}

/** The names of a state's inputs, in order. */
export function inputNames(state: PreprocessState): string[] {
  return state.inputs.map((i) => i.name);
}

interface StateV1 {
  version: 1;
  label: string;
  id: string | null;
  classes: string[];
  modalities: string[];
  tabular: Omit<TabularState, "name" | "kind"> | null;
  image: Omit<ImageState, "name" | "kind"> | null;
  audio: (Omit<AudioState, "name" | "kind" | "hopMs" | "windowMs"> & { hopMs?: number; windowMs?: number }) | null;
  onBadFile: PreprocessState["onBadFile"];
  model: PreprocessState["model"];
}

/** A version 1 state as version 2: its inputs were named after their kinds. */
function fromV1(v: StateV1): PreprocessState {
  const inputs: InputState[] = [];
  for (const m of v.modalities) {
    if (m === "tabular" && v.tabular) inputs.push({ name: "tabular", kind: "tabular", ...v.tabular } as TabularState);
    if (m === "image" && v.image) inputs.push({ name: "image", kind: "image", ...v.image } as ImageState);
    if (m === "audio" && v.audio) inputs.push({ ...v.audio, name: "audio", kind: "audio", hopMs: v.audio.hopMs ?? 10, windowMs: v.audio.windowMs ?? 25 } as AudioState);
  }
  return { version: PREPROCESS_VERSION, label: v.label, id: v.id, classes: v.classes, inputs, onBadFile: v.onBadFile, model: v.model };
}

/** A parsed preprocess.json as the current version; fails clearly on a foreign or damaged file. */
export function readPreprocessState(value: unknown, source: string): PreprocessState {
  const v = (value ?? {}) as { version?: unknown; classes?: unknown; label?: unknown; modalities?: unknown; inputs?: unknown };
  const common = Array.isArray(v.classes) && typeof v.label === "string";
  if (common && v.version === 1 && Array.isArray(v.modalities)) return fromV1(v as StateV1);
  const inputs = Array.isArray(v.inputs) ? (v.inputs as { name?: unknown; kind?: unknown }[]) : null;
  if (common && v.version === PREPROCESS_VERSION && inputs?.every((i) => typeof i?.name === "string" && typeof i.kind === "string")) return v as PreprocessState;
  throw new Error(`${source}: not a modalfuse preprocess.json`);
}

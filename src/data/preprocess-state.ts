// Everything fitted on training rows that predicting needs again: classes, tabular
// statistics and vocabularies, media parameters and normalisation. Saved as preprocess.json.
import type { Fusion, Modality } from "../config/schema.js";
import type { TabularStats } from "./tabular.js";

export interface ImageState {
  column: string;
  height: number;
  width: number;
  /** Per-channel mean and std of training pixels, on the 0..1 scale. */
  mean: [number, number, number];
  std: [number, number, number];
}

export interface AudioState {
  column: string;
  sampleRate: number;
  seconds: number;
  nMels: number;
  /** Log-mel hop and window; absent in runs saved before they were settable (10 and 25 ms). */
  hopMs?: number;
  windowMs?: number;
  frames: number;
  /** Mean and std of training log-mel values. */
  mean: number;
  std: number;
}

export interface PreprocessState {
  version: 1;
  label: string;
  id: string | null;
  classes: string[];
  modalities: Modality[];
  tabular: TabularStats | null;
  image: ImageState | null;
  audio: AudioState | null;
  onBadFile: "missing" | "skip_row" | "error";
  /** The architecture to rebuild before loading model.safetensors. */
  model: { preset: "seed" | "standard"; fusion: Fusion; features: number };
}

/** Checks a parsed preprocess.json enough to fail clearly on a foreign or damaged file. */
export function assertPreprocessState(value: unknown, source: string): asserts value is PreprocessState {
  const v = value as Partial<PreprocessState> | null;
  if (!v || v.version !== 1 || !Array.isArray(v.classes) || !Array.isArray(v.modalities) || typeof v.label !== "string") {
    throw new Error(`${source}: not a modalfuse preprocess.json`);
  }
}

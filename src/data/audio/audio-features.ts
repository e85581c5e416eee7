// Decoded clips → float16 log-mel rows (or float32 waveforms, for a backbone with its own
// front end), in the engine: each group of clips resampled in one call per source rate,
// then featurised in one batch. The main thread uses it for a small
// column; each decoding worker thread uses its own for its chunks of a large one.
import { fitLength, type MonoClip } from "./audio.js";
import { LogMelFrontEnd } from "./logmel.js";
import { resampleMono } from "./resample.js";
import { SincResampler } from "./sinc-resample.js";
import { arange, cat, F, tensor, tidy, type Tensor } from "../../torch/index.js";

/**
 * What an audio row holds: log-mel features at the input's settings, or the waveform
 * itself, for an encoder whose own front end turns waveforms into features.
 */
export type AudioRepresentation = "logmel" | "waveform";

export interface AudioFeatureParams {
  sampleRate: number;
  seconds: number;
  nMels: number;
  hopMs: number;
  windowMs: number;
  /** Absent: log-mel. */
  representation?: AudioRepresentation | undefined;
}

/** Log-mel options of the audio parameters. */
export function logMelOptionsOf(a: AudioFeatureParams): { sampleRate: number; nMels: number; hopLength: number; winLength: number } {
  return { sampleRate: a.sampleRate, nMels: a.nMels, hopLength: Math.round((a.hopMs / 1000) * a.sampleRate), winLength: Math.round((a.windowMs / 1000) * a.sampleRate) };
}

/**
 * Clips at any rates → waveforms [N, length] at `rate`, in order, each cut or zero-padded to
 * `length`, as a tensor the caller disposes: one engine call per source rate; libsamplerate
 * for the rare pair of rates that no filter bank suits. Resamplers are kept in `resamplers`
 * across calls. Each group of clips is laid straight into one buffer with the filter's
 * padding, so the samples are copied once on their way into the engine.
 */
export async function resampleClips(clips: MonoClip[], rate: number, length: number, resamplers: Map<number, SincResampler>): Promise<Tensor> {
  const fitted = new Map<number, Float32Array>(); // clips that need no filter bank, at `rate` already
  const byRate = new Map<number, number[]>();
  for (const [i, clip] of clips.entries()) {
    if (clip.sampleRate === rate) fitted.set(i, clip.samples);
    else if (SincResampler.supports(clip.sampleRate, rate)) byRate.set(clip.sampleRate, [...(byRate.get(clip.sampleRate) ?? []), i]);
    else fitted.set(i, await resampleMono(clip.samples, clip.sampleRate, rate));
  }
  for (const from of byRate.keys()) if (!resamplers.has(from)) resamplers.set(from, new SincResampler(from, rate));
  return tidy(() => {
    const rows = new Array<Tensor>(clips.length);
    for (const [from, members] of byRate) {
      const resampler = resamplers.get(from) as SincResampler;
      const { before, after } = resampler.padding();
      const longest = Math.max(...members.map((i) => (clips[i] as MonoClip).samples.length));
      const width = before + longest + after;
      const framed = new Float32Array(members.length * width);
      members.forEach((i, k) => framed.set((clips[i] as MonoClip).samples, k * width + before));
      const resampled = resampler.resampleFramed(tensor(framed, [members.length, width]), longest);
      // A shorter clip's filter tail runs on into the group's zero padding: it is cut where the
      // clip's own output ends, as resampling the clip alone does, so that no row depends on
      // which clips shared its call. Only the first `length` columns are kept, so only a clip
      // ending before them is masked.
      const ends = members.map((i) => resampler.outputLength((clips[i] as MonoClip).samples.length));
      const kept = resampled.narrow(1, 0, Math.min(length, resampled.shape[1] as number));
      const columns = kept.shape[1] as number;
      const own = ends.every((end) => end >= columns) ? kept : kept.maskedFill(arange(0, columns).unsqueeze(0).ge(tensor(Float32Array.from(ends), [members.length, 1])), 0);
      const waves = fitColumns(own, length);
      if (members.length === clips.length) return waves; // the usual case: one rate for all
      members.forEach((i, k) => (rows[i] = waves.narrow(0, k, 1)));
    }
    for (const [i, samples] of fitted) rows[i] = tensor(fitLength(samples, length), [1, length]);
    return cat(rows, 0);
  });
}

/** [N, L] → [N, length]: the first `length` columns, zero-padded at the end when L is shorter. */
function fitColumns(x: Tensor, length: number): Tensor {
  const have = x.shape[1] as number;
  return have >= length ? x.narrow(1, 0, length) : F.pad(x, [0, length - have]);
}

/**
 * Features of clips for one set of parameters, on one device; keeps its window, filterbank
 * and resamplers across calls. Call dispose() when done.
 */
export class ClipFeaturizer {
  /** Null for waveform rows, which are the resampled clips as they are. */
  readonly #frontEnd: LogMelFrontEnd | null;
  readonly #resamplers = new Map<number, SincResampler>();
  readonly #sampleRate: number;
  readonly #samples: number;
  readonly #device: string;

  constructor(a: AudioFeatureParams, device = "cpu") {
    this.#frontEnd = a.representation === "waveform" ? null : new LogMelFrontEnd(logMelOptionsOf(a), device);
    this.#sampleRate = a.sampleRate;
    this.#samples = Math.round(a.sampleRate * a.seconds);
    this.#device = device;
  }

  /**
   * The clips' features, one row per clip, in order: float16 log-mel [nMels, frames], or
   * float32 waveforms [samples] (float16 would round away the quiet detail that a decibel
   * front end still resolves).
   */
  async features(clips: MonoClip[]): Promise<Buffer> {
    const waves = await resampleClips(clips, this.#sampleRate, this.#samples, this.#resamplers);
    try {
      const device = this.#device;
      const frontEnd = this.#frontEnd;
      if (frontEnd === null) return waves.toBuffer();
      return tidy(() => frontEnd.forward(device === "cpu" ? waves : waves.to({ device })).to({ dtype: "float16" }).toBuffer());
    } finally {
      waves.dispose();
    }
  }

  dispose(): void {
    this.#frontEnd?.dispose();
    for (const r of this.#resamplers.values()) r.dispose();
    this.#resamplers.clear();
  }
}

/**
 * Audio helpers shared by the quality data sets: speech through sox, a word placed at a
 * random onset in a fixed-length clip, and noise (white, brown, and babble of real recorded
 * speech) added at a drawn signal-to-noise ratio.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Random } from "../../../src/util/random.js";
import { runPipeline, type Command } from "./shell.js";

/** What sox reads: audio files (joined end to end), or the WAV a synthesiser writes to its stdout. */
export type SoxSource = { files: readonly string[] } | { synthesizer: Command };

/** Audio through sox: converted to mono float samples at `sampleRate`, with `effects` (sox effect arguments) applied. */
export async function soxToSamples(source: SoxSource, sampleRate: number, effects: readonly string[] = []): Promise<Float32Array> {
  const input = "files" in source ? source.files : ["-t", "wav", "-"];
  // -R: repeatable (fixed seeds in any effect that draws); -D: no dither on the way out.
  const sox = ["sox", "-R", "-D", "-V1", ...input, "-t", "f32", "-c", "1", "-r", String(sampleRate), "-", ...effects];
  const bytes = await ("files" in source ? runPipeline(sox) : runPipeline(source.synthesizer, sox));
  const samples = new Float32Array(bytes.length >> 2);
  new Uint8Array(samples.buffer).set(bytes.subarray(0, samples.length * 4));
  return samples;
}

/** sox effects that cut leading and trailing silence, so the onset is the word's own. */
export const TRIM_SILENCE = ["silence", "1", "0.02", "-40d", "reverse", "silence", "1", "0.02", "-40d", "reverse"];

/**
 * A clip of `seconds` holding `word` from a random onset; a word longer than the room left
 * is cut at the clip's end (the window modalfuse reads).
 */
function placeAtRandomOnset(word: Float32Array, sampleRate: number, seconds: number, rng: Random): Float32Array {
  const clip = new Float32Array(Math.round(sampleRate * seconds));
  const onset = rng.int(0, Math.max(0, clip.length - word.length));
  clip.set(word.subarray(0, clip.length - onset), onset);
  return clip;
}

/** The word at a random onset in a clip of `seconds`, buried in noise (see buryInNoise). */
export async function wordInNoise(word: Float32Array, sampleRate: number, seconds: number, snrDb: readonly [number, number], rng: Random): Promise<Float32Array> {
  const clip = placeAtRandomOnset(word, sampleRate, seconds, rng);
  await buryInNoise(clip, rms(word), sampleRate, snrDb, rng);
  return clip;
}

/** Adds a random mix of white, brown and babble noise at an SNR drawn from `snrDb`, then scales to a random peak. */
export async function buryInNoise(clip: Float32Array, signalRms: number, sampleRate: number, snrDb: readonly [number, number], rng: Random): Promise<void> {
  const mix: NoiseMix = { snrDb: rng.uniform(snrDb[0], snrDb[1]), white: rng.next(), brown: rng.next(), babble: rng.next() };
  await addNoise(clip, signalRms, sampleRate, mix, rng);
  scaleToPeak(clip, rng.uniform(0.2, 0.95));
}

interface NoiseMix {
  /** Signal-to-noise ratio of the word (over its own length) to the noise, in dB. */
  snrDb: number;
  /** Relative weights of white, brown and babble noise. */
  white: number;
  brown: number;
  babble: number;
}

/** Adds the noise mix to `clip` in place; `signalRms` is the signal's own RMS (a word's before placing). */
async function addNoise(clip: Float32Array, signalRms: number, sampleRate: number, mix: NoiseMix, rng: Random): Promise<void> {
  const n = clip.length;
  const noise = new Float32Array(n);
  const parts: [number, () => Promise<Float32Array> | Float32Array][] = [
    [mix.white, () => whiteNoise(n, rng)],
    [mix.brown, () => brownNoise(n, rng)],
    [mix.babble, () => babble(n, sampleRate, rng)],
  ];
  for (const [weight, make] of parts) {
    if (weight <= 0) continue;
    const part = await make();
    scaleToRms(part, 1);
    for (let i = 0; i < n; i++) noise[i]! += weight * part[i]!;
  }
  scaleToRms(noise, signalRms / 10 ** (mix.snrDb / 20));
  for (let i = 0; i < n; i++) clip[i]! += noise[i]!;
}

export function rms(samples: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

function scaleToRms(samples: Float32Array, target: number): void {
  const current = rms(samples);
  if (current > 0) for (let i = 0; i < samples.length; i++) samples[i]! *= target / current;
}

/** Scales to a peak of `peak`, so loudness varies but nothing clips. */
function scaleToPeak(samples: Float32Array, peak: number): void {
  let max = 0;
  for (let i = 0; i < samples.length; i++) max = Math.max(max, Math.abs(samples[i]!));
  if (max > 0) for (let i = 0; i < samples.length; i++) samples[i]! *= peak / max;
}

function whiteNoise(n: number, rng: Random): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** Integrated white noise with a slow leak: the rumble of traffic, wind or a machine room. */
function brownNoise(n: number, rng: Random): Float32Array {
  const out = new Float32Array(n);
  let y = 0;
  for (let i = 0; i < n; i++) {
    y = 0.995 * y + rng.normal();
    out[i] = y;
  }
  return out;
}

// ---- babble: several real voices talking at once -------------------------------------------

/** Asterisk's recorded voicemail prompts: real speech, none of it a lone digit. */
export const PROMPT_DIR = "/usr/share/asterisk/sounds/en";
const BABBLE_PROMPTS = 40;
const BABBLE_SECONDS = 40;

const babbleBanks = new Map<number, Promise<Float32Array>>();

/** The prompts joined into one long recording at `sampleRate`, made once per thread. */
function babbleBank(sampleRate: number): Promise<Float32Array> {
  let bank = babbleBanks.get(sampleRate);
  if (bank === undefined) {
    const prompts = readdirSync(PROMPT_DIR).filter((name) => /^vm-.*\.wav$/.test(name)).sort().slice(0, BABBLE_PROMPTS);
    bank = soxToSamples({ files: prompts.map((name) => join(PROMPT_DIR, name)) }, sampleRate, ["trim", "0", String(BABBLE_SECONDS)]);
    babbleBanks.set(sampleRate, bank);
  }
  return bank;
}

/** Three to six stretches of the bank, from random places, talking over each other. */
async function babble(n: number, sampleRate: number, rng: Random): Promise<Float32Array> {
  const bank = await babbleBank(sampleRate);
  const out = new Float32Array(n);
  for (let voices = rng.int(3, 6); voices > 0; voices--) {
    const from = rng.int(0, bank.length - n - 1);
    const gain = rng.uniform(0.5, 1);
    for (let i = 0; i < n; i++) out[i]! += gain * bank[from + i]!;
  }
  return out;
}

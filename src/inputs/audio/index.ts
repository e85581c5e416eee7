// An audio column: WAV, FLAC, OGG or MP3 files, mixed to mono, resampled, cut or padded to
// a fixed length and turned into log-mel spectrograms, normalised with training
// statistics and encoded by a CNN that reads the spectrogram as a one-channel picture.
// An input read by a pretrained backbone with its own front end (model/backbones) holds
// the waveforms instead, at the backbone's rate, and passes them on as they are.
import { basename } from "node:path";
import { logMelOptionsOf, type AudioRepresentation } from "../../data/audio/audio-features.js";
import { logMel, LogMelFrontEnd, resolveLogMelOptions } from "../../data/audio/logmel.js";
import { readManifest } from "../../data/table/manifest.js";
import { loadAudioColumn, loadWaveforms } from "../../data/workers/media-loader.js";
import { CnnEncoder } from "../../model/encoders.js";
import { arange, cat, rand, randint, tensor, tidy, type Tensor } from "../../torch/index.js";
import { deriveSeed, Random } from "../../util/random.js";
import type { DatasetPart, InputKind, InputParams, PerturbContext, Perturbation, Placer } from "../kind.js";
import { columnStats, decodedMedia, ownRows, pickRows, placeMedia, selectMedia, withoutMediaRows, zeroAbsent, type DecodedMedia, type MediaPart } from "../media.js";

export interface AudioParams extends InputParams {
  kind: "audio";
  column: string;
  sampleRate: number;
  seconds: number;
  nMels: number;
  /** Log-mel hop and analysis window in milliseconds. */
  hopMs: number;
  windowMs: number;
  /** "waveform" for a backbone that reads waveforms; absent: log-mel. */
  representation?: AudioRepresentation | undefined;
}

export interface AudioState extends AudioParams {
  /** Time steps of one row: log-mel frames, or samples for waveforms. */
  frames: number;
  /** Mean and std of training log-mel values; 0 and 1 for waveforms, which pass unchanged. */
  mean: number;
  std: number;
}

const isWaveform = (p: AudioParams): boolean => p.representation === "waveform";

/** White noise added to the waveform at these signal-to-noise ratios (dB), for robustness. */
export const AUDIO_SNR_DB = [20, 10, 5, 0, -5, -10];

/** Zeroes a random band of up to maxWidth along `dim` (2: mel bands, 3: frames), per sample. */
function maskBand(x: Tensor, dim: 2 | 3, maxWidth: number): Tensor {
  const n = x.size(0);
  const length = x.size(dim);
  const width = rand([n, 1, 1, 1], { device: x.device }).mul(maxWidth).floor();
  const start = rand([n, 1, 1, 1], { device: x.device }).mul(length - maxWidth).floor();
  const shape = dim === 2 ? [1, 1, length, 1] : [1, 1, 1, length];
  const position = arange(0, length, 1, { dtype: "float32", device: x.device }).view(shape);
  const inside = position.ge(start).logicalAnd(position.lt(start.add(width)));
  return x.maskedFill(inside, 0);
}

/** Rolls every clip of the batch by one random number of steps along its last (time) axis, up to `fraction` of its length. */
function shiftTime(audio: Tensor, fraction: number): Tensor {
  const time = audio.ndim - 1;
  const frames = audio.size(time);
  const limit = Math.floor(frames * fraction);
  if (limit < 1) return audio;
  const by = (tidy(() => randint(0, 2 * limit + 1, [1]).toArray() as number[])[0] as number) - limit;
  const at = (by + frames) % frames;
  return at === 0 ? audio : cat([audio.narrow(time, at, frames - at), audio.narrow(time, 0, at)], time);
}

/** Raw waveforms of the table's rows, decoded once, for re-featurising at each SNR. */
async function waveformsOf(s: AudioState, c: PerturbContext): Promise<Float32Array> {
  const manifest = await readManifest(c.manifestPath);
  const samples = Math.round(s.sampleRate * s.seconds);
  const column = await loadWaveforms(
    { cells: manifest.rows.map((r) => r[s.column] ?? null), column: s.column, dir: manifest.dir, manifest: basename(c.manifestPath), onProgress: (d, t) => c.onProgress?.(`${s.name} waveforms`, d, t) },
    s,
  );
  const out = new Float32Array(c.rows.length * samples);
  c.rows.forEach((src, k) => out.set(column.data.subarray(src * samples, (src + 1) * samples), k * samples));
  return out;
}

/** The waveforms with white noise at `snrDb` below each clip's own power. */
function addNoise(waves: Float32Array, rows: number, snrDb: number, seed: number): Float32Array {
  const samples = waves.length / rows;
  const random = new Random(deriveSeed(seed, 4));
  const noisy = new Float32Array(waves.length);
  for (let r = 0; r < rows; r++) {
    const clip = waves.subarray(r * samples, (r + 1) * samples);
    const power = clip.reduce((a, v) => a + v * v, 0) / samples;
    const sigma = Math.sqrt(power / 10 ** (snrDb / 10));
    for (let i = 0; i < samples; i++) noisy[r * samples + i] = (clip[i] as number) + sigma * random.normal();
  }
  return noisy;
}

/** The input's rows of noisy waveforms as it holds them: log-mel, or the waveforms themselves. */
function noisyRows(waves: Float32Array, rows: number, s: AudioState, snrDb: number, seed: number): Tensor {
  const noisy = addNoise(waves, rows, snrDb, seed);
  const samples = waves.length / rows;
  if (isWaveform(s)) return tensor(noisy, [rows, samples]);
  const frontEnd = new LogMelFrontEnd(logMelOptionsOf(s));
  const frames = frontEnd.frames(samples);
  try {
    const out = new Float32Array(rows * s.nMels * frames);
    const chunk = 64;
    for (let start = 0; start < rows; start += chunk) {
      const count = Math.min(chunk, rows - start);
      const part = tidy(() => frontEnd.forward(tensor(noisy.subarray(start * samples, (start + count) * samples), [count, samples])).toTypedArray() as Float32Array);
      out.set(part, start * s.nMels * frames);
    }
    return tensor(out, [rows, s.nMels, frames]);
  } finally {
    frontEnd.dispose();
  }
}

export const audioKind: InputKind<AudioParams, AudioState, DecodedMedia, MediaPart> = {
  kind: "audio",
  readsFiles: true,
  columns: (p) => [p.column],
  fields: (s) => [{ column: s.column, type: "audio", sampleRate: s.sampleRate, seconds: s.seconds }],
  async decode(manifest, p, c): Promise<DecodedMedia> {
    const cells = manifest.rows.map((r) => r[p.column] ?? null);
    const column = await loadAudioColumn(
      { cells, column: p.column, dir: manifest.dir, manifest: c.manifestName, cache: c.cache, keepArray: c.keepArray, onProgress: c.onProgress },
      { sampleRate: p.sampleRate, seconds: p.seconds, nMels: p.nMels, hopMs: p.hopMs, windowMs: p.windowMs, representation: p.representation },
      { device: c.featureDevice },
    );
    return decodedMedia(column);
  },
  fit(p, decoded, trainRows) {
    const frames = decoded.column.data.rowShape.at(-1) as number;
    // A waveform's reader normalises it in its own front end (the backbone's, as trained).
    if (isWaveform(p)) return { ...p, frames, mean: 0, std: 1 };
    const stats = columnStats(decoded.column, trainRows, 1, false);
    return { ...p, frames, mean: stats?.mean[0] ?? 0, std: stats?.std[0] ?? 1 };
  },
  paramsOf: (s) => ({
    name: s.name,
    kind: "audio",
    column: s.column,
    sampleRate: s.sampleRate,
    seconds: s.seconds,
    nMels: s.nMels,
    hopMs: s.hopMs,
    windowMs: s.windowMs,
    ...(s.representation !== undefined ? { representation: s.representation } : {}),
  }),
  select: (_s, decoded, indices) => selectMedia(decoded, indices),
  withoutRows: withoutMediaRows,
  tensors(s: AudioState, part: MediaPart, place: Placer): DatasetPart {
    const rows = placeMedia(part.media, place);
    if (isWaveform(s)) return { batch: (indices, present) => ({ values: zeroAbsent(pickRows(rows, indices, place.device).float().view([-1, s.frames]), present) }) };
    return { batch: (indices, present) => ({ values: zeroAbsent(pickRows(rows, indices, place.device).float().view([-1, 1, s.nMels, s.frames]).sub(s.mean).div(s.std), present) }) };
  },
  encoder(s, features, preset) {
    if (isWaveform(s)) throw new Error(`audio input ${s.name} holds waveforms, which only a backbone with its own front end reads`);
    return new CnnEncoder(s.name, 1, s.nMels, s.frames, features, preset.audio);
  },
  simpleFeatures(x, s) {
    // Waveforms are summarised as log-mel rows are: by a log-mel at the input's own settings.
    const bands = isWaveform(s) ? logMel(x.values as Tensor, resolveLogMelOptions(logMelOptionsOf(s))) : (x.values as Tensor).flatten(1, 2);
    return cat([bands.mean(2), bands.std(2, false, false), bands.amax(2)], 1);
  },
  simpleWidth: (s) => 3 * s.nMels,
  augment(x, a) {
    let audio = x.values as Tensor;
    if (a.timeShift > 0) audio = shiftTime(audio, a.timeShift);
    // Band masks are for spectrograms; a waveform's spectrogram is made inside its encoder.
    if (a.specAugment && audio.ndim === 4) {
      const mels = audio.size(2);
      const frames = audio.size(3);
      audio = maskBand(maskBand(audio, 2, Math.max(1, Math.floor(mels / 8))), 3, Math.max(1, Math.floor(frames / 10)));
    }
    return { ...x, values: audio };
  },
  async *perturbations(s, part, c): AsyncIterable<Perturbation<MediaPart>> {
    const waves = await waveformsOf(s, c);
    for (const snr of AUDIO_SNR_DB) yield { condition: "noise", level: snr, unit: "dB SNR", part: { ...part, media: ownRows(noisyRows(waves, c.rows.length, s, snr, c.seed)) } };
  },
};

// The audio front end: waveforms → mel power → log-mel, one batched engine call per batch.
// It reproduces librosa's `melspectrogram` (Slaney mel scale, Slaney area normalisation,
// centred zero-padded STFT with a periodic Hann window), so features and tolerances can be
// checked against librosa and a model's audio input means what the literature means by it.
import { F, hannWindow, keep, noGrad, tensor, tidy, type Tensor } from "../../torch/index.js";

export interface LogMelOptions {
  /** Rate of the waveforms, in Hz. */
  sampleRate: number;
  /** Mel bands. */
  nMels: number;
  /** FFT size; default: the smallest power of two >= winLength. */
  nFft?: number;
  /** Analysis window in samples; default 25 ms. */
  winLength?: number;
  /** Step between frames in samples; default 10 ms. */
  hopLength?: number;
  /** Lowest filter edge in Hz; default 0. */
  fMin?: number;
  /** Highest filter edge in Hz; default sampleRate / 2. */
  fMax?: number;
}

/**
 * Added to mel power before the log, so silence maps to log(1e-6) ≈ -13.8 rather than -inf.
 * It sits far below any audible band's power for samples in [-1, 1] (a full-scale tone
 * reaches ~1e3-1e4), so it only shapes the floor of silent or zero-padded frames.
 */
export const LOG_FLOOR = 1e-6;

/** The options with every default filled in (25 ms window, 10 ms hop, full band), checked. */
export function resolveLogMelOptions(o: LogMelOptions): Required<LogMelOptions> {
  const { sampleRate, nMels } = o;
  if (!(Number.isFinite(sampleRate) && sampleRate > 0)) throw new RangeError(`log-mel sample rate must be positive, got ${sampleRate}`);
  if (!(Number.isInteger(nMels) && nMels > 0)) throw new RangeError(`log-mel band count must be a positive integer, got ${nMels}`);
  const winLength = o.winLength ?? Math.round(0.025 * sampleRate);
  const hopLength = o.hopLength ?? Math.round(0.01 * sampleRate);
  const nFft = o.nFft ?? nextPowerOfTwo(winLength);
  const fMin = o.fMin ?? 0;
  const fMax = o.fMax ?? sampleRate / 2;
  positiveInteger("window length", winLength);
  positiveInteger("hop length", hopLength);
  positiveInteger("FFT size", nFft);
  if (winLength > nFft) throw new RangeError(`log-mel window length ${winLength} exceeds the FFT size ${nFft}`);
  if (!(fMin >= 0 && fMin < fMax && fMax <= sampleRate / 2)) {
    throw new RangeError(`log-mel band edges must satisfy 0 <= fMin < fMax <= sampleRate/2, got ${fMin} and ${fMax} at ${sampleRate} Hz`);
  }
  return { sampleRate, nMels, nFft, winLength, hopLength, fMin, fMax };
}

/** STFT frames of a clip of `samples` samples: centred framing adds one frame at the start. */
export function logMelFrames(samples: number, hopLength: number): number {
  return 1 + Math.floor(samples / hopLength);
}

// Slaney's mel scale (librosa's htk=False): linear below 1 kHz at 200/3 Hz per mel,
// logarithmic above, with 27 mels per factor 6.4 so both parts meet at 15 mels.
const SLANEY_HZ_PER_MEL = 200 / 3;
const SLANEY_BREAK_HZ = 1000;
const SLANEY_BREAK_MEL = SLANEY_BREAK_HZ / SLANEY_HZ_PER_MEL;
const SLANEY_LOG_STEP = Math.log(6.4) / 27;

export function hzToMel(hz: number): number {
  return hz >= SLANEY_BREAK_HZ ? SLANEY_BREAK_MEL + Math.log(hz / SLANEY_BREAK_HZ) / SLANEY_LOG_STEP : hz / SLANEY_HZ_PER_MEL;
}

export function melToHz(mel: number): number {
  return mel >= SLANEY_BREAK_MEL ? SLANEY_BREAK_HZ * Math.exp(SLANEY_LOG_STEP * (mel - SLANEY_BREAK_MEL)) : mel * SLANEY_HZ_PER_MEL;
}

/**
 * Band edges and centres in Hz: nMels + 2 points evenly spaced in mel from fMin to fMax
 * (band i rises from point i, peaks at i+1, falls to i+2). Spaced as numpy.linspace does,
 * end point exact, so the filterbank matches librosa's to float32 rounding.
 */
export function melBandEdges(o: { nMels: number; fMin: number; fMax: number }): Float64Array {
  const lo = hzToMel(o.fMin);
  const hi = hzToMel(o.fMax);
  const points = o.nMels + 2;
  const step = (hi - lo) / (points - 1);
  const edges = new Float64Array(points);
  for (let i = 0; i < points; i++) edges[i] = melToHz(i * step + lo);
  edges[points - 1] = melToHz(hi);
  return edges;
}

/**
 * Triangular mel filters, nMels × (nFft/2 + 1), row-major: librosa.filters.mel with htk=False
 * and norm="slaney". Each triangle is scaled by 2 / (its width in Hz), so every band gathers
 * the same total weight and a flat spectrum gives flat mel power.
 */
export function melFilterbank(o: { sampleRate: number; nFft: number; nMels: number; fMin: number; fMax: number }): Float32Array {
  const bins = Math.floor(o.nFft / 2) + 1;
  const edges = melBandEdges(o);
  // numpy.fft.rfftfreq's spacing, computed its way, so bin frequencies agree to the last bit.
  const binHz = 1 / (o.nFft * (1 / o.sampleRate));
  const weights = new Float32Array(o.nMels * bins);
  for (let m = 0; m < o.nMels; m++) {
    const left = edges[m]!;
    const centre = edges[m + 1]!;
    const right = edges[m + 2]!;
    const scale = 2 / (right - left);
    for (let k = 0; k < bins; k++) {
      const hz = k * binHz;
      const rising = (hz - left) / (centre - left);
      const falling = (right - hz) / (right - centre);
      // librosa stores the triangle in float32, then scales it: round twice, as it does.
      weights[m * bins + k] = Math.fround(Math.max(0, Math.min(rising, falling))) * scale;
    }
  }
  return weights;
}

/**
 * Mel power, [N, nMels, frames], of float waveforms [N, samples] at o.sampleRate: |STFT|²
 * (periodic Hann window of winLength centred in nFft, frames centred on hop multiples with
 * zero padding at the edges) through the mel filterbank. `filterbank` ([nMels, nFft/2+1], on
 * the waveforms' device) saves rebuilding it per call; LogMelFrontEnd keeps both for you.
 */
export function melPower(waveforms: Tensor, o: Required<LogMelOptions>, filterbank?: Tensor): Tensor {
  return tidy(() => {
    const placement = { dtype: "float32" as const, device: waveforms.device };
    const window = hannWindow(o.winLength, true, placement);
    const bank = filterbank ?? tensor(melFilterbank(o), [o.nMels, Math.floor(o.nFft / 2) + 1], placement);
    return melPowerWith(waveforms, o, window, bank);
  });
}

/** log(melPower + LOG_FLOOR), natural log, [N, nMels, frames]. The caller owns the result. */
export function logMel(waveforms: Tensor, o: Required<LogMelOptions>, filterbank?: Tensor): Tensor {
  return tidy(() => melPower(waveforms, o, filterbank).add(LOG_FLOOR).log());
}

/**
 * The front end for a run: resolves the options once and keeps the window and filterbank
 * on the device, so each batch costs one STFT and one matmul. Call dispose() when done.
 */
export class LogMelFrontEnd {
  readonly options: Required<LogMelOptions>;
  readonly #window: Tensor;
  readonly #filterbank: Tensor;

  constructor(options: LogMelOptions, device = "cpu") {
    this.options = resolveLogMelOptions(options);
    const o = this.options;
    const placement = { dtype: "float32" as const, device };
    this.#window = keep(hannWindow(o.winLength, true, placement));
    this.#filterbank = keep(tensor(melFilterbank(o), [o.nMels, Math.floor(o.nFft / 2) + 1], placement));
  }

  /** Log-mel features [N, nMels, frames] of waveforms [N, samples]. */
  forward(waveforms: Tensor): Tensor {
    return tidy(() => melPowerWith(waveforms, this.options, this.#window, this.#filterbank).add(LOG_FLOOR).log());
  }

  /** Frames that a clip of `samples` samples yields. */
  frames(samples: number): number {
    return logMelFrames(samples, this.options.hopLength);
  }

  dispose(): void {
    this.#window.dispose();
    this.#filterbank.dispose();
  }
}

// Call inside a tidy scope: intermediates are left to it.
function melPowerWith(waveforms: Tensor, o: Required<LogMelOptions>, window: Tensor, filterbank: Tensor): Tensor {
  if (waveforms.ndim !== 2) throw new RangeError(`log-mel expects waveforms [N, samples], got shape [${waveforms.shape.join(", ")}]`);
  // Features are inputs, never trained through: no autograd graph to build or hold.
  return noGrad(() => {
    const x = waveforms.dtype === "float32" ? waveforms : waveforms.float();
    const spectrum = F.stft(x, {
      nFft: o.nFft,
      hopLength: o.hopLength,
      winLength: o.winLength,
      window,
      center: true,
      padMode: "constant",
      onesided: true,
    });
    // |z|² as re² + im², skipping abs()'s square root; [N, bins, frames]. Two strided
    // products, not pow(2).sum(-1): a reduction over a last dimension of 2 is ~10x slower.
    const parts = spectrum.viewAsReal();
    const re = parts.select(-1, 0);
    const im = parts.select(-1, 1);
    const power = re.mul(re).add(im.mul(im));
    // [nMels, bins] @ [N, bins, frames] broadcasts over the batch: [N, nMels, frames].
    return filterbank.matmul(power);
  });
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function positiveInteger(what: string, value: number): void {
  if (!(Number.isInteger(value) && value > 0)) throw new RangeError(`log-mel ${what} must be a positive integer, got ${value}`);
}

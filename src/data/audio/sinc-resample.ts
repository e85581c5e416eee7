// Band-limited resampling by the engine, many clips in one call: a bank of windowed-sinc
// filters, one per output phase, applied as a single strided 1-D convolution. This is the
// method and the defaults of torchaudio.functional.resample (6 zero crossings each side,
// roll-off 0.99 of the lower Nyquist rate, Hann window), the resampler most PyTorch audio
// pipelines train with. Per clip it costs a few milliseconds where the WebAssembly
// libsamplerate (kept for single files, see resample.ts) costs ~90 ms for 5 s at 44.1 kHz.
import { F, keep, noGrad, tensor, tidy, type Tensor } from "../../torch/index.js";

const ZERO_CROSSINGS = 6;
const ROLLOFF = 0.99;
/**
 * Largest filter bank built ([output phases × taps]). Rates whose ratio reduces to large
 * coprime numbers (44,100 → 16,001) would need hundreds of millions of taps; callers fall
 * back to libsamplerate for those.
 */
const MAX_TAPS = 4_000_000;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export class SincResampler {
  readonly #from: number;
  readonly #to: number;
  readonly #width: number;
  readonly #kernel: Tensor;

  /** Whether a filter bank for this pair of rates is small enough to build. */
  static supports(fromRate: number, toRate: number): boolean {
    const g = gcd(fromRate, toRate);
    const [from, to] = [fromRate / g, toRate / g];
    const width = Math.ceil((ZERO_CROSSINGS * from) / (Math.min(from, to) * ROLLOFF));
    return to * (2 * width + from) <= MAX_TAPS;
  }

  constructor(fromRate: number, toRate: number) {
    if (!SincResampler.supports(fromRate, toRate)) throw new RangeError(`no sinc filter bank for ${fromRate} → ${toRate} Hz: the rates reduce to too large a ratio`);
    const g = gcd(fromRate, toRate);
    this.#from = fromRate / g;
    this.#to = toRate / g;
    const base = Math.min(this.#from, this.#to) * ROLLOFF;
    this.#width = Math.ceil((ZERO_CROSSINGS * this.#from) / base);
    const taps = 2 * this.#width + this.#from;
    const kernel = new Float32Array(this.#to * taps);
    for (let phase = 0; phase < this.#to; phase++) {
      for (let k = 0; k < taps; k++) {
        // Distance, in input periods scaled to the filter's cut-off, from output sample
        // `phase` to input sample `k - width` of its group.
        let t = (-phase / this.#to + (k - this.#width) / this.#from) * base;
        t = Math.min(ZERO_CROSSINGS, Math.max(-ZERO_CROSSINGS, t));
        const window = Math.cos((t * Math.PI) / ZERO_CROSSINGS / 2) ** 2;
        const x = t * Math.PI;
        kernel[phase * taps + k] = (x === 0 ? 1 : Math.sin(x) / x) * window * (base / this.#from);
      }
    }
    this.#kernel = keep(tensor(kernel, [this.#to, 1, taps]));
  }

  /** Samples out for `length` samples in: ceil(length × to / from). */
  outputLength(length: number): number {
    return Math.ceil((this.#to * length) / this.#from);
  }

  /** Waveforms [N, L] at the source rate → [N, outputLength(L)] at the target rate. */
  resample(waves: Tensor): Tensor {
    if (this.#from === this.#to) return waves.clone();
    const { before, after } = this.padding();
    const length = waves.shape[1] as number;
    return tidy(() => this.resampleFramed(noGrad(() => F.pad(waves, [before, after])), length));
  }

  /**
   * The zeros the filter reads before and after a clip. Callers that lay many clips into one
   * buffer write them there and call resampleFramed, saving resample()'s padded copy.
   */
  padding(): { before: number; after: number } {
    return { before: this.#width, after: this.#width + this.#from };
  }

  /** resample() of waveforms that already carry padding()'s zeros: [N, before + L + after] → [N, outputLength(L)]. */
  resampleFramed(framed: Tensor, length: number): Tensor {
    const { before, after } = this.padding();
    if (framed.ndim !== 2 || framed.shape[1] !== before + length + after) {
      throw new RangeError(`resampleFramed: expected [N, ${before + length + after}], got [${framed.shape.join(", ")}]`);
    }
    return tidy(() =>
      noGrad(() => {
        const n = framed.shape[0] as number;
        const phases = F.conv1d(framed.unsqueeze(1), this.#kernel, null, { stride: this.#from }); // [N, to, groups]
        return phases.transpose(1, 2).reshape([n, -1]).narrow(1, 0, this.outputLength(length));
      }),
    );
  }

  dispose(): void {
    this.#kernel.dispose();
  }
}

// Cnn14's front end, as PANNs lays it out: a centred STFT (reflect padding) computed as two
// strided 1-D convolutions whose kernels are the windowed DFT's real and imaginary rows,
// power, a mel filterbank as one matrix, then decibels. Its kernels and filterbank are
// buffers named as in PANNs' checkpoints (spectrogram_extractor.stft.conv_real.weight,
// logmel_extractor.melW), so loading a checkpoint replaces them and the front end is
// the checkpoint's; built here, they are what PANNs builds (periodic Hann window, Slaney
// mel scale and area normalisation, as librosa's defaults are).
import { melFilterbank } from "../../data/audio/logmel.js";
import { F, isAutocastEnabled, nn, tensor, type Tensor } from "../../torch/index.js";

export interface FrontEndSettings {
  sampleRate: number;
  nFft: number;
  hop: number;
  nMels: number;
  fMin: number;
  fMax: number;
}

/** Power below this is clamped before the log (PANNs' amin); the reference power is 1. */
export const AMIN = 1e-10;

/**
 * Rows k = 0..nFft/2 of the DFT times a periodic Hann window, [bins, 1, nFft] each:
 * real = w[n] cos(2πkn/N), imaginary = -w[n] sin(2πkn/N).
 */
export function stftKernels(nFft: number): { real: Float32Array; imag: Float32Array } {
  const bins = Math.floor(nFft / 2) + 1;
  const real = new Float32Array(bins * nFft);
  const imag = new Float32Array(bins * nFft);
  for (let k = 0; k < bins; k++) {
    for (let n = 0; n < nFft; n++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / nFft);
      // (k·n mod N) keeps the angle small, so it is exact to double rounding.
      const angle = (2 * Math.PI * ((k * n) % nFft)) / nFft;
      real[k * nFft + n] = w * Math.cos(angle);
      imag[k * nFft + n] = -w * Math.sin(angle);
    }
  }
  return { real, imag };
}

/** The mel filterbank as PANNs stores it: [bins, nMels], so power [.., bins] @ melW → [.., nMels]. */
export function melMatrix(s: FrontEndSettings): Float32Array {
  const bins = Math.floor(s.nFft / 2) + 1;
  const rows = melFilterbank({ sampleRate: s.sampleRate, nFft: s.nFft, nMels: s.nMels, fMin: s.fMin, fMax: s.fMax });
  const out = new Float32Array(bins * s.nMels);
  for (let m = 0; m < s.nMels; m++) for (let k = 0; k < bins; k++) out[k * s.nMels + m] = rows[m * bins + k] as number;
  return out;
}

/**
 * fn(t), then t freed: intermediates of a batch of long clips are large, so each goes as
 * soon as the next is computed (autograd keeps what backward needs; nothing here is trained).
 */
function freeing(t: Tensor, fn: (t: Tensor) => Tensor): Tensor {
  try {
    return fn(t);
  } finally {
    t.dispose();
  }
}

/** A module holding one fixed tensor named `weight` (PANNs' frozen convolutions). */
class FixedConv extends nn.Module {
  readonly weight: Tensor;
  constructor(weight: Tensor) {
    super();
    this.weight = this.buffer("weight", weight);
  }
}

class Stft extends nn.Module {
  readonly conv_real: FixedConv;
  readonly conv_imag: FixedConv;
  constructor(nFft: number) {
    super();
    const { real, imag } = stftKernels(nFft);
    const shape = [Math.floor(nFft / 2) + 1, 1, nFft];
    this.conv_real = this.child("conv_real", new FixedConv(tensor(real, shape)));
    this.conv_imag = this.child("conv_imag", new FixedConv(tensor(imag, shape)));
  }
}

export class Spectrogram extends nn.Module {
  readonly stft: Stft;
  constructor(
    readonly nFft: number,
    readonly hop: number,
  ) {
    super();
    this.stft = this.child("stft", new Stft(nFft));
  }

  /** Waveforms [N, samples] → power [N, bins, frames], frames centred on multiples of the hop. */
  power(x: Tensor): Tensor {
    const half = Math.floor(this.nFft / 2);
    const padded = freeing(x.unsqueeze(1), (t) => F.pad(t, [half, half], "reflect"));
    const part = (conv: FixedConv) => (conv.weight.dtype === x.dtype ? F.conv1d(padded, conv.weight, null, { stride: this.hop }) : freeing(conv.weight.to({ dtype: x.dtype }), (w) => F.conv1d(padded, w, null, { stride: this.hop })));
    const real = freeing(part(this.stft.conv_real), (r) => r.mul(r));
    const imag = freeing(part(this.stft.conv_imag), (i) => i.mul(i));
    padded.dispose();
    return freeing(real, (r) => freeing(imag, (i) => r.add(i)));
  }
}

export class LogmelFilterBank extends nn.Module {
  readonly melW: Tensor;
  constructor(s: FrontEndSettings) {
    super();
    this.melW = this.buffer("melW", tensor(melMatrix(s), [Math.floor(s.nFft / 2) + 1, s.nMels]));
  }

  /** Power [N, bins, frames] → decibels [N, frames, nMels]. */
  decibels(power: Tensor): Tensor {
    let x = freeing(power.transpose(1, 2), (p) => (this.melW.dtype === p.dtype ? p.matmul(this.melW) : freeing(this.melW.to({ dtype: p.dtype }), (w) => p.matmul(w))));
    x = freeing(x, (mel) => mel.clamp(AMIN));
    x = freeing(x, (mel) => mel.log());
    // 10·log10 as a natural log times a constant: the engine has no log10.
    return freeing(x, (ln) => ln.mul(10 / Math.LN10));
  }
}

/**
 * Waveforms [N, samples] → log-mel decibels [N, 1, frames, nMels] (time as height, mel as
 * width, as PANNs' convolutions read them). Under CUDA autocast the front end runs in
 * float64, which autocast leaves alone: bfloat16 power would lose the quiet bins that
 * decibels reach. The caller owns the result.
 */
export function logMelDecibels(spectrogram: Spectrogram, logmel: LogmelFilterBank, waveforms: Tensor): Tensor {
  if (waveforms.ndim !== 2) throw new RangeError(`Cnn14 reads waveforms [N, samples], got shape [${waveforms.shape.join(", ")}]`);
  const wide = isAutocastEnabled() && waveforms.device !== "cpu";
  const power = wide ? freeing(waveforms.to({ dtype: "float64" }), (x) => spectrogram.power(x)) : spectrogram.power(waveforms);
  const db = freeing(power, (p) => logmel.decibels(p));
  return freeing(db, (d) => (wide ? freeing(d.float(), (f) => f.unsqueeze(1)) : d.unsqueeze(1)));
}

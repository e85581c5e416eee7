// The audio front end as ONNX nodes: waveforms [B, samples] → log-mel [B, nMels, frames],
// as data/audio/logmel.ts computes it: centred frames with zero padding, a periodic Hann
// window of winLength centred in nFft, |STFT|² and modalfuse's own Slaney filterbank (ONNX's
// MelWeightMatrix places band edges differently). The STFT is one gather of the frames and a
// matrix product with constant window-weighted DFT cos and sin matrices.
import { LOG_FLOOR, logMelFrames, melFilterbank, type LogMelOptions } from "../../data/audio/logmel.js";
import type { Graph } from "./graph.js";
import { DataType } from "./proto.js";

/** [nFft, 2·bins]: window-weighted cos columns, then sin columns, of the one-sided DFT. */
function dftMatrix(o: Required<LogMelOptions>): Float64Array {
  const bins = Math.floor(o.nFft / 2) + 1;
  // torch.stft pads the window to nFft with (nFft − winLength) / 2 zeros on the left.
  const left = Math.floor((o.nFft - o.winLength) / 2);
  const m = new Float64Array(o.nFft * 2 * bins);
  for (let n = 0; n < o.winLength; n++) {
    // Periodic Hann, in float32 as the engine's window is.
    const w = Math.fround(0.5 - 0.5 * Math.cos((2 * Math.PI * n) / o.winLength));
    const t = left + n;
    for (let k = 0; k < bins; k++) {
      // The angle reduced modulo nFft first, so large k·t lose no precision.
      const angle = (2 * Math.PI * ((k * t) % o.nFft)) / o.nFft;
      m[t * 2 * bins + k] = w * Math.cos(angle);
      m[t * 2 * bins + bins + k] = -w * Math.sin(angle);
    }
  }
  return m;
}

/** [frames, nFft] sample positions of each frame in the padded waveform. */
function frameIndices(samples: number, o: Required<LogMelOptions>): number[] {
  const frames = logMelFrames(samples, o.hopLength);
  const idx: number[] = [];
  for (let t = 0; t < frames; t++) for (let n = 0; n < o.nFft; n++) idx.push(t * o.hopLength + n);
  return idx;
}

/** Log-mel [B, nMels, frames] of the waveform value `x` [B, samples]. */
export function logMelGraph(g: Graph, x: string, samples: number, o: Required<LogMelOptions>): string {
  const bins = Math.floor(o.nFft / 2) + 1;
  const frames = logMelFrames(samples, o.hopLength);
  const half = Math.floor(o.nFft / 2);
  const wide = g.op("Cast", [x], { to: { int: DataType.DOUBLE } });
  const padded = g.op("Pad", [wide, g.int64s([0, half, 0, half]), g.doubles([0], [])], { mode: { string: "constant" } });
  const framed = g.op("Gather", [padded, g.int64s(frameIndices(samples, o), [frames, o.nFft], "frame_indices")], { axis: { int: 1 } }); // [B, frames, nFft]
  const spectrum = g.op("MatMul", [framed, g.doubles(dftMatrix(o), [o.nFft, 2 * bins], "dft")]); // [B, frames, 2·bins]
  const [re, im] = g.ops("Split", [spectrum, g.int64s([bins, bins])], 2, { axis: { int: 2 } }) as [string, string];
  const power = g.op("Add", [g.op("Mul", [re, re]), g.op("Mul", [im, im])]);
  const bank = melFilterbank(o);
  // The filterbank transposed to [bins, nMels], so the frames multiply it from the left.
  const bankT = new Float32Array(bank.length);
  for (let m = 0; m < o.nMels; m++) for (let k = 0; k < bins; k++) bankT[k * o.nMels + m] = bank[m * bins + k] as number;
  const mel = g.op("Transpose", [g.op("MatMul", [power, g.doubles(bankT, [bins, o.nMels], "mel_filterbank")])], { perm: { ints: [0, 2, 1] } });
  const logMel = g.op("Log", [g.op("Add", [mel, g.doubles([LOG_FLOOR], [])])]);
  return g.op("Cast", [logMel], { to: { int: DataType.FLOAT } });
}

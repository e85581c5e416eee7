// Layers the encoders are built from beyond torch's standard set: parallel branches,
// summary statistics of a spectrogram, and per-clip normalisation.
import { cat, nn, type Tensor } from "../torch/index.js";

/** Runs every branch on the same input and concatenates their [B, n] outputs. */
export class Branches extends nn.Layer {
  readonly branches: nn.Sequential[];
  constructor(...branches: nn.Sequential[]) {
    super();
    this.branches = branches.map((b, i) => this.child(String(i), b));
  }
  forward(x: Tensor): Tensor {
    const outs = this.branches.map((b) => b.forward(x));
    return outs.length === 1 ? (outs[0] as Tensor) : cat(outs, 1);
  }
  override describe(): string {
    return this.branches.map((b) => b.layers.map((l) => l.constructor.name).join("-")).join(" ‖ ");
  }
}

/** [B, 1, bands, frames] → [B, 3·bands]: each band's mean, standard deviation and maximum over time. */
export class BandStatistics extends nn.Layer {
  forward(x: Tensor): Tensor {
    const bands = x.flatten(1, 2); // [B, bands, frames]
    return cat([bands.mean(2), bands.std(2, false, false), bands.amax(2)], 1);
  }
  override describe(): string {
    return "mean, std, max over time per band";
  }
}

/**
 * Per clip, removes each band's mean over time (the channel and the steady noise) and
 * divides by the clip's overall spread, so loud and quiet recordings look alike. Zeroed
 * (absent) clips stay zero.
 */
export class ClipNormalise extends nn.Layer {
  forward(x: Tensor): Tensor {
    const centred = x.sub(x.mean(3, true));
    return centred.div(centred.std([1, 2, 3], true, false).add(1e-3));
  }
  override describe(): string {
    return "band mean removed, clip spread 1";
  }
}

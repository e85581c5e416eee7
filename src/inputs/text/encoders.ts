// Text encoders over token ids [B, L] (0: padding): a bag (the mean of n-gram embeddings,
// fast and order-free) and a small transformer over fitted word ids, both ending in the
// mean over the row's tokens and an MLP to the input's feature width.
import { Encoder } from "../../model/encoders.js";
import type { TextSettings } from "../../model/presets.js";
import { nn, noGrad, zeros, type Tensor } from "../../torch/index.js";
import type { BatchInput } from "../kind.js";

/** The mean over each row's tokens of x [B, L, d]; a row with none gives zeros. */
function maskedMean(x: Tensor, ids: Tensor): Tensor {
  const mask = ids.gt(0).float().unsqueeze(2);
  return x.mul(mask).sum(1).div(mask.sum(1).clamp(1));
}

function mlp(width: number, features: number, s: TextSettings): nn.Sequential {
  return new nn.Sequential(new nn.LayerNorm(width), new nn.Linear(width, s.hidden), new nn.ReLU(), new nn.Dropout(s.dropout), new nn.Linear(s.hidden, features));
}

/** The mean of the row's n-gram embeddings, as fastText reads text, then an MLP. */
export class TextBagEncoder extends Encoder {
  readonly embedding: nn.Embedding;
  protected readonly body: nn.Sequential;
  constructor(
    readonly inputName: string,
    ids: number,
    readonly features: number,
    s: TextSettings,
  ) {
    super();
    this.embedding = this.child("embedding", new nn.Embedding(ids, s.embedding, { paddingIdx: 0 }));
    noGrad(() => this.embedding.weight.mul_(0.1));
    this.body = this.child("body", mlp(s.embedding, features, s));
  }
  protected input(x: BatchInput): Tensor {
    const ids = x.ids as Tensor;
    return maskedMean(this.embedding.forward(ids), ids);
  }
}

/** Word embeddings with learned positions through pre-norm transformer layers, then the mean and an MLP. */
export class TextTransformerEncoder extends Encoder {
  readonly embedding: nn.Embedding;
  readonly positions: Tensor;
  readonly layers: nn.TransformerEncoderLayer[];
  protected readonly body: nn.Sequential;
  constructor(
    readonly inputName: string,
    ids: number,
    maxTokens: number,
    readonly features: number,
    s: TextSettings,
  ) {
    super();
    this.embedding = this.child("embedding", new nn.Embedding(ids, s.embedding, { paddingIdx: 0 }));
    noGrad(() => this.embedding.weight.mul_(0.1));
    this.positions = this.param("positions", noGrad(() => zeros([maxTokens, s.embedding]).normal_(0, 0.02)));
    this.layers = Array.from({ length: s.layers }, (_, i) => this.child(`layer${i}`, new nn.TransformerEncoderLayer(s.embedding, s.heads, 2 * s.embedding, s.dropout)));
    this.body = this.child("body", mlp(s.embedding, features, s));
  }
  protected input(x: BatchInput): Tensor {
    const ids = x.ids as Tensor;
    const length = ids.size(1);
    let h = this.embedding.forward(ids).add(this.positions.narrow(0, 0, length).unsqueeze(0));
    // A row with no tokens attends to its padding rather than to nothing (its output is masked out).
    const padding = ids.eq(0).logicalAnd(ids.gt(0).sum(1, true).gt(0));
    for (const layer of this.layers) h = layer.forward(h, padding);
    return maskedMean(h, ids);
  }
}

// Multi-head attention (batch first) with PyTorch's parameter layout, and a
// pre-norm transformer encoder layer built from it.
import * as F from "../functional.js";
import { noGrad } from "../runtime.js";
import type { Tensor } from "../tensor.js";
import { xavierUniform, zeros } from "./init.js";
import { Dropout, LayerNorm, Linear } from "./layers.js";
import { Layer, Module } from "./module.js";

export interface AttentionOptions {
  /** [N, S] bool: true where a key must be ignored (absent). */
  keyPaddingMask?: Tensor | null;
  /** Also return the attention weights averaged over heads, [N, L, S]. */
  needWeights?: boolean;
}

export class MultiheadAttention extends Module {
  readonly inProjWeight: Tensor;
  readonly inProjBias: Tensor;
  readonly outProj: Linear;
  readonly headDim: number;
  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    readonly dropout = 0,
  ) {
    super();
    if (embedDim % numHeads !== 0) throw new Error(`embedDim ${embedDim} is not divisible by numHeads ${numHeads}`);
    this.headDim = embedDim / numHeads;
    this.inProjWeight = this.param("in_proj_weight", xavierUniform([3 * embedDim, embedDim], embedDim, 3 * embedDim));
    this.inProjBias = this.param("in_proj_bias", zeros([3 * embedDim]));
    this.outProj = this.child("out_proj", new Linear(embedDim, embedDim));
    noGrad(() => this.outProj.bias?.zero_());
  }

  /** query [N, L, E], key and value [N, S, E] → output [N, L, E]. */
  forward(query: Tensor, key: Tensor, value: Tensor, options: AttentionOptions = {}): { output: Tensor; weights: Tensor | null } {
    const [n, l] = query.shape as [number, number];
    const s = key.size(1);
    const e = this.embedDim;
    const [wq, wk, wv] = this.inProjWeight.chunk(3, 0) as [Tensor, Tensor, Tensor];
    const [bq, bk, bv] = this.inProjBias.chunk(3, 0) as [Tensor, Tensor, Tensor];
    const heads = (x: Tensor, len: number) => x.view([n, len, this.numHeads, this.headDim]).transpose(1, 2);
    const q = heads(F.linear(query, wq, bq), l);
    const k = heads(F.linear(key, wk, bk), s);
    const v = heads(F.linear(value, wv, bv), s);
    let scores = q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(this.headDim));
    if (options.keyPaddingMask) scores = scores.maskedFill(options.keyPaddingMask.view([n, 1, 1, s]), -Infinity);
    let attn = scores.softmax(-1);
    if (this.dropout > 0) attn = F.dropout(attn, this.dropout, this.training);
    const context = attn.matmul(v).transpose(1, 2).reshape([n, l, e]);
    const output = this.outProj.forward(context);
    return { output, weights: options.needWeights ? attn.mean(1) : null };
  }

  override describe(): string {
    return `${this.embedDim}, heads=${this.numHeads}`;
  }
}

/** x + attention(norm(x)), then x + mlp(norm(x)): stable without warm-up tricks. */
export class TransformerEncoderLayer extends Module {
  readonly attention: MultiheadAttention;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly drop: Dropout;
  constructor(dModel: number, numHeads: number, dimFeedforward = 4 * dModel, dropout = 0.1) {
    super();
    this.attention = this.child("self_attn", new MultiheadAttention(dModel, numHeads, dropout));
    this.norm1 = this.child("norm1", new LayerNorm(dModel));
    this.norm2 = this.child("norm2", new LayerNorm(dModel));
    this.linear1 = this.child("linear1", new Linear(dModel, dimFeedforward));
    this.linear2 = this.child("linear2", new Linear(dimFeedforward, dModel));
    this.drop = this.child("dropout", new Dropout(dropout));
  }

  forward(x: Tensor, keyPaddingMask?: Tensor | null): Tensor {
    const h = this.norm1.forward(x);
    const attended = this.attention.forward(h, h, h, { keyPaddingMask }).output;
    const x1 = x.add(this.drop.forward(attended));
    const mlp = this.linear2.forward(this.drop.forward(this.linear1.forward(this.norm2.forward(x1)).gelu()));
    return x1.add(this.drop.forward(mlp));
  }
}

export { Layer };

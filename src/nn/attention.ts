// Multi-head self-attention: query, key and value projections, the fused scaled
// dot-product attention op over [batch, heads, tokens, headDim], and an output
// projection.

import { scaledDotProductAttention } from '../ops/attention.js';
import { defaultRng } from '../ops/create.js';
import { permute, reshape } from '../ops/shape-ops.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../util/rng.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

export interface MultiHeadAttentionOptions {
  rng?: Rng;
  /** Mask every key after the query's own position. Default false. */
  causal?: boolean;
}

export class MultiHeadAttention extends Module {
  readonly dim: number;
  readonly heads: number;
  readonly headDim: number;
  readonly causal: boolean;
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly out: Linear;

  constructor(dim: number, heads: number, options: MultiHeadAttentionOptions = {}) {
    super();
    if (!Number.isInteger(heads) || heads < 1 || dim % heads !== 0) {
      throw new Error(`MultiHeadAttention: dim ${dim} must be a multiple of heads ${heads}`);
    }
    const rng = options.rng ?? defaultRng();
    this.dim = dim;
    this.heads = heads;
    this.headDim = dim / heads;
    this.causal = options.causal ?? false;
    // Xavier uniform kernels and zero biases, as the reference ViT (Flax) initializes attention.
    this.query = this.registerModule('query', new Linear(dim, dim, { rng }));
    this.key = this.registerModule('key', new Linear(dim, dim, { rng }));
    this.value = this.registerModule('value', new Linear(dim, dim, { rng }));
    this.out = this.registerModule('out', new Linear(dim, dim, { rng }));
  }

  /** Applies self-attention to tokens [B, T, dim] and returns [B, T, dim]. */
  forward(x: Tensor): Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.dim) {
      throw new Error(`MultiHeadAttention: input ${formatShape(x.shape)} must be [B, T, ${this.dim}]`);
    }
    const [batch, tokens] = x.shape;
    const splitHeads = (t: Tensor) => permute(reshape(t, [batch, tokens, this.heads, this.headDim]), [0, 2, 1, 3]);

    const q = splitHeads(this.query.forward(x));
    const k = splitHeads(this.key.forward(x));
    const v = splitHeads(this.value.forward(x));
    const attended = scaledDotProductAttention(q, k, v, { causal: this.causal });
    const merged = reshape(permute(attended, [0, 2, 1, 3]), [batch, tokens, this.dim]);
    return this.out.forward(merged);
  }
}

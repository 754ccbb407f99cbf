// The pre-LN transformer encoder block of ViT:
//   x = x + Dropout(Attention(LayerNorm(x)))
//   x = x + MlpBlock(LayerNorm(x)),  MlpBlock = Dense, GELU, Dropout, Dense, Dropout
// Initialization follows the reference ViT (Flax): Xavier uniform kernels, MLP biases
// normal with std 1e-6, attention biases zero, LayerNorm ones and zeros.

import { defaultRng } from '../ops/create.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../util/rng.js';
import { GELU } from './activations.js';
import { MultiHeadAttention } from './attention.js';
import { Dropout } from './dropout.js';
import { LayerNorm } from './layernorm.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

export interface TransformerOptions {
  rng?: Rng;
  /** Dropout after the attention and inside the MLP block. Default 0. */
  dropout?: number;
  /** LayerNorm eps. Default 1e-6, as the reference ViT. */
  eps?: number;
  /** GELU form: 'none' (exact, default, as PyTorch and Hugging Face ViT) or 'tanh' (Flax's default). */
  geluApproximate?: 'none' | 'tanh';
}

export class MlpBlock extends Module {
  readonly dense1: Linear;
  readonly activation: GELU;
  readonly dropout1: Dropout;
  readonly dense2: Linear;
  readonly dropout2: Dropout;

  constructor(dim: number, mlpDim: number, options: TransformerOptions = {}) {
    super();
    const rng = options.rng ?? defaultRng();
    this.dense1 = this.registerModule('dense1', new Linear(dim, mlpDim, { rng, biasStd: 1e-6 }));
    this.activation = this.registerModule('activation', new GELU({ approximate: options.geluApproximate }));
    this.dropout1 = this.registerModule('dropout1', new Dropout(options.dropout ?? 0, { rng }));
    this.dense2 = this.registerModule('dense2', new Linear(mlpDim, dim, { rng, biasStd: 1e-6 }));
    this.dropout2 = this.registerModule('dropout2', new Dropout(options.dropout ?? 0, { rng }));
  }

  forward(x: Tensor): Tensor {
    const h = this.dropout1.forward(this.activation.forward(this.dense1.forward(x)));
    return this.dropout2.forward(this.dense2.forward(h));
  }
}

export class TransformerBlock extends Module {
  readonly norm1: LayerNorm;
  readonly attention: MultiHeadAttention;
  readonly dropout: Dropout;
  readonly norm2: LayerNorm;
  readonly mlp: MlpBlock;

  constructor(dim: number, heads: number, mlpDim: number, options: TransformerOptions = {}) {
    super();
    const rng = options.rng ?? defaultRng();
    const eps = options.eps ?? 1e-6;
    this.norm1 = this.registerModule('norm1', new LayerNorm(dim, { eps }));
    this.attention = this.registerModule('attention', new MultiHeadAttention(dim, heads, { rng }));
    this.dropout = this.registerModule('dropout', new Dropout(options.dropout ?? 0, { rng }));
    this.norm2 = this.registerModule('norm2', new LayerNorm(dim, { eps }));
    this.mlp = this.registerModule('mlp', new MlpBlock(dim, mlpDim, { ...options, rng }));
  }

  /** Maps tokens [B, T, dim] to [B, T, dim]. */
  forward(x: Tensor): Tensor {
    const attended = x.add(this.dropout.forward(this.attention.forward(this.norm1.forward(x))));
    return attended.add(this.mlp.forward(this.norm2.forward(attended)));
  }
}

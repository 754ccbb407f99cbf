// Layer normalization over the last dim with a learned scale (ones) and shift (zeros).

import { ones, zeros } from '../ops/create.js';
import { layerNorm } from '../ops/layernorm.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

export interface LayerNormLayerOptions {
  /** Added to the variance. Default 1e-5 as in PyTorch. The reference ViT uses 1e-6 and Hugging Face ViT 1e-12. */
  eps?: number;
  /** Learn weight and bias. Default true. */
  elementwiseAffine?: boolean;
}

export class LayerNorm extends Module {
  readonly normalizedShape: number;
  readonly eps: number;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(normalizedShape: number, options: LayerNormLayerOptions = {}) {
    super();
    if (!Number.isInteger(normalizedShape) || normalizedShape < 1) {
      throw new Error(`LayerNorm: normalizedShape must be a positive integer, got ${normalizedShape}`);
    }
    this.normalizedShape = normalizedShape;
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? this.registerParameter('weight', ones([normalizedShape])) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([normalizedShape])) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, { eps: this.eps });
  }
}

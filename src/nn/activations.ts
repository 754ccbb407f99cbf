// Activation layers without parameters, so they can sit in a Sequential.

import { gelu, relu, type GeluOptions } from '../ops/elementwise.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';

  /** approximate 'none' (default) is the exact erf form, as in PyTorch and the ViT reference. */
  constructor(options: GeluOptions = {}) {
    super();
    this.approximate = options.approximate ?? 'none';
  }

  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }
}

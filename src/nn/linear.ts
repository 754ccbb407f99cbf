// Dense layer y = x W + b over the last dim of x, with the bias and an optional ReLU
// fused into the matmul kernel.

import { defaultRng, zeros } from '../ops/create.js';
import { matmul, type Epilogue } from '../ops/matmul.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../util/rng.js';
import { normal, xavierUniform } from './init.js';
import { Module } from './module.js';

export interface LinearOptions {
  /** Add a learned bias. Default true. */
  bias?: boolean;
  /** Activation fused after the bias. Default 'none'. */
  activation?: Epilogue;
  /** Generator for the initial weights. Defaults to the global one seeded by manualSeed. */
  rng?: Rng;
  /** 'xavierUniform' (default) or 'zeros' (e.g. a classification head that starts at zero). */
  weightInit?: 'xavierUniform' | 'zeros';
  /** Std of a normal initial bias. The default 0 gives zeros, and the ViT MLP block uses 1e-6. */
  biasStd?: number;
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly activation: Epilogue;
  /** Kernel of shape [inFeatures, outFeatures] (the transpose of PyTorch's [out, in]). */
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    for (const [name, value] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`Linear: ${name} must be a positive integer, got ${value}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.activation = options.activation ?? 'none';

    const rng = options.rng ?? defaultRng();
    const weight = options.weightInit === 'zeros' ? zeros([inFeatures, outFeatures]) : xavierUniform([inFeatures, outFeatures], rng);
    this.weight = this.registerParameter('weight', weight);
    const biasStd = options.biasStd ?? 0;
    if (options.bias ?? true) {
      this.bias = this.registerParameter('bias', biasStd > 0 ? normal([outFeatures], biasStd, rng) : zeros([outFeatures]));
    } else {
      this.bias = null;
    }
  }

  /** Maps [..., inFeatures] to [..., outFeatures]. */
  forward(x: Tensor): Tensor {
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(`Linear: input ${formatShape(x.shape)} does not end in inFeatures ${this.inFeatures}`);
    }
    return matmul(x, this.weight, { bias: this.bias ?? undefined, activation: this.activation });
  }
}

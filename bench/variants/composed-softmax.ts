// softmax and logSoftmax composed from primitive ops (max, sub, exp, sum, div, log),
// the baseline that the fused row kernel (shaders/softmax.wgsl) is measured against.
// Their gradients come from autograd of those primitives.

import { noGrad } from '../../src/autograd/grad-mode.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { registerVariant } from '../registry.js';

/**
 * Returns the row max along the last dim with keepDim, outside autograd. Any shift
 * leaves softmax unchanged, so its exact gradient is zero, and detaching it spares
 * the composition the max backward (a compare, a sum and a div) that would add zeros.
 */
function detachedRowMax(x: Tensor): Tensor {
  return noGrad(() => x.max(-1, { keepDim: true }));
}

/** Computes softmax over the last dim as exp(x - max) / sum exp(x - max), one primitive op per step. */
export function composedSoftmax(x: Tensor): Tensor {
  const e = x.sub(detachedRowMax(x)).exp();
  return e.div(e.sum(-1, { keepDim: true }));
}

/** Computes logSoftmax over the last dim as (x - max) - log(sum exp(x - max)), one primitive op per step. */
export function composedLogSoftmax(x: Tensor): Tensor {
  const shifted = x.sub(detachedRowMax(x));
  return shifted.sub(shifted.exp().sum(-1, { keepDim: true }).log());
}

registerVariant({
  family: 'softmax',
  name: 'composed-softmax',
  description: 'softmax composed from max, sub, exp, sum and div; gradients from autograd',
  run: ([x]) => composedSoftmax(x),
});

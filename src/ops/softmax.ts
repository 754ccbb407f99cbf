// softmax and logSoftmax along one dim, stable for large logits: the row maximum
// is subtracted first (outside the graph, since it cancels in the gradient).

import { noGrad } from '../autograd/grad-mode.js';
import type { Tensor } from '../tensor/tensor.js';
import { normalizeDim } from '../tensor/shape.js';
import { max, sum } from './reduce.js';

function shifted(x: Tensor, dim: number): Tensor {
  const d = normalizeDim('softmax', dim, x.rank);
  const rowMax = noGrad(() => max(x, d, { keepDim: true }));
  return x.sub(rowMax);
}

export function softmax(x: Tensor, dim = -1): Tensor {
  const e = shifted(x, dim).exp();
  return e.div(sum(e, dim, { keepDim: true }));
}

export function logSoftmax(x: Tensor, dim = -1): Tensor {
  const z = shifted(x, dim);
  return z.sub(sum(z.exp(), dim, { keepDim: true }).log());
}

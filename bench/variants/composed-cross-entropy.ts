// crossEntropy composed from primitive ops: composed logSoftmax, the target picked
// by a one-hot mask (an embedding lookup of identity rows), then a mean over rows.
// The baseline for the fused kernels (shaders/cross-entropy*.wgsl).

import { tensor } from '../../src/ops/create.js';
import { embedding } from '../../src/ops/embedding.js';
import { keep } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { registerVariant } from '../registry.js';
import { composedLogSoftmax } from './composed-softmax.js';

/** Identity matrices by class count, made once: the one-hot rows that embedding() gathers. */
const identities = new Map<number, Tensor>();

function identity(classes: number): Tensor {
  let eye = identities.get(classes);
  if (eye === undefined) {
    const values = new Float32Array(classes * classes);
    for (let c = 0; c < classes; c++) values[c * classes + c] = 1;
    // Kept, because the first call may run inside the timer's tidy().
    eye = keep(tensor(values, { shape: [classes, classes] }));
    identities.set(classes, eye);
  }
  return eye;
}

function composedCrossEntropy(logits: Tensor, targets: Tensor): Tensor {
  const [rows, classes] = logits.shape;
  const oneHot = embedding(identity(classes), targets);
  return composedLogSoftmax(logits).mul(oneHot).sum().mul(-1 / rows);
}

registerVariant({
  family: 'crossEntropy',
  name: 'composed-crossEntropy',
  description: 'composed logSoftmax, one-hot mul (embedding of identity rows), mean; gradients from autograd',
  run: ([logits, targets]) => composedCrossEntropy(logits, targets),
});

// The two reference models of the step benchmark (sizes.ts), built from the
// library's own modules, each trained with Adam on a few fixed random batches that
// the steps cycle through, as the TF.js and PyTorch versions are.

import { ViT } from '../../src/models/vit.js';
import { Linear } from '../../src/nn/linear.js';
import type { Module } from '../../src/nn/module.js';
import { Sequential } from '../../src/nn/sequential.js';
import { randn, tensor } from '../../src/ops/create.js';
import { crossEntropy, mseLoss } from '../../src/ops/losses.js';
import { reshape } from '../../src/ops/shape-ops.js';
import { Adam } from '../../src/optim/adam.js';
import { keep, tidy } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';
import type { StepCase } from './protocol.js';
import { BATCHES_IN_CYCLE, REFERENCE_SIZES } from './sizes.js';

interface Batch {
  x: Tensor;
  y: Tensor;
}

/**
 * Wraps a model, its loss and its batches as a StepCase. The loss of each step is
 * added to a running sum on the GPU, which readLoss reads back, as a training loop does.
 */
export function supervisedCase(model: string, module: Module, loss: (batch: Batch) => Tensor, batches: Batch[]): StepCase {
  const optimizer = new Adam(module.parameters(), { lr: 1e-3 });
  module.train();
  let stepIndex = 0;
  let sum: Tensor | null = null;
  let count = 0;

  return {
    model,
    parameters: module.numParameters(),
    step() {
      const batch = batches[stepIndex++ % batches.length];
      const value = tidy(() => {
        optimizer.zeroGrad();
        const l = loss(batch);
        l.backward();
        optimizer.step();
        return l.detach();
      });
      const next = sum === null ? value : keep(tidy(() => (sum as Tensor).add(value)));
      if (sum !== null) {
        sum.dispose();
        value.dispose();
      }
      sum = next;
      count++;
    },
    async readLoss() {
      if (sum === null) return Number.NaN;
      const mean = (await sum.item()) / count;
      sum.dispose();
      sum = null;
      count = 0;
      return mean;
    },
    dispose() {
      sum?.dispose();
      optimizer.dispose();
      module.dispose();
      for (const b of batches) {
        b.x.dispose();
        b.y.dispose();
      }
    },
  };
}

export function mlpReferenceCase(seed: number): StepCase {
  const { batch, widths } = REFERENCE_SIZES.mlp;
  const rng = new Rng(seed);
  const layers = widths.slice(1).map((width, i) => new Linear(widths[i], width, { rng, activation: i < widths.length - 2 ? 'relu' : 'none' }));
  const model = new Sequential(...layers);
  const batches = Array.from({ length: BATCHES_IN_CYCLE }, () => ({
    x: randn([batch, widths[0]], { rng }),
    y: randn([batch], { rng }),
  }));
  const loss = (b: Batch) => mseLoss(reshape(model.forward(b.x), [batch]), b.y);
  return supervisedCase('mlp', model, loss, batches);
}

export function vitReferenceCase(seed: number): StepCase {
  const sizes = REFERENCE_SIZES.vit;
  const rng = new Rng(seed);
  const model = new ViT({ ...sizes, seed });
  const batches = Array.from({ length: BATCHES_IN_CYCLE }, () => ({
    x: randn([sizes.batch, sizes.channels, sizes.imageSize, sizes.imageSize], { rng }),
    y: tensor(Int32Array.from({ length: sizes.batch }, () => rng.int(sizes.numClasses))),
  }));
  const loss = (b: Batch) => crossEntropy(model.forward(b.x), b.y);
  return supervisedCase('vit', model, loss, batches);
}

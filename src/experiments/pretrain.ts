// Supervised pre-training of a teacher: Adam on the task loss over seeded epochs.
// The loss is read back only every `logEvery` steps, because each read waits for
// the GPU.

import { EpochSampler } from '../data/batching.js';
import type { Module } from '../nn/module.js';
import { Adam } from '../optim/adam.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

export interface SupervisedBatch<Input> {
  x: Input;
  y: Tensor;
  dispose(): void;
}

export interface PretrainOptions<Input> {
  model: Module & { forward(x: Input): Tensor };
  loss: (prediction: Tensor, target: Tensor) => Tensor;
  /** Builds the batch of the training examples at `indices`. */
  batch: (indices: Int32Array) => SupervisedBatch<Input>;
  trainSize: number;
  batchSize: number;
  steps: number;
  lr: number;
  seed: number;
  logEvery?: number;
  /** Called after every step; `loss` is the mean over the last logEvery steps, present only when it was read. */
  onProgress?: (step: number, loss: number | undefined) => void;
}

/** Trains `model` in place and returns the mean loss of the last logged interval. */
export async function pretrain<Input>(options: PretrainOptions<Input>): Promise<number> {
  const { model, steps } = options;
  const logEvery = options.logEvery ?? 50;
  const sampler = new EpochSampler({ size: options.trainSize, batchSize: Math.min(options.batchSize, options.trainSize), seed: options.seed });
  const optimizer = new Adam(model.parameters(), { lr: options.lr });
  model.train();

  let lastLoss = Number.NaN;
  let sum: Tensor | null = null;
  try {
    for (let step = 1; step <= steps; step++) {
      const batch = options.batch(sampler.nextBatch());
      try {
        const loss = tidy(() => {
          optimizer.zeroGrad();
          const value = options.loss(model.forward(batch.x), batch.y);
          value.backward();
          optimizer.step();
          return value.detach();
        });
        const next: Tensor = sum === null ? loss : tidy(() => (sum as Tensor).add(loss));
        if (sum !== null) {
          sum.dispose();
          loss.dispose();
        }
        sum = next;
      } finally {
        batch.dispose();
      }

      let reported: number | undefined;
      if (step % logEvery === 0 || step === steps) {
        const count = step % logEvery === 0 ? logEvery : step % logEvery;
        reported = (await (sum as Tensor).item()) / count;
        lastLoss = reported;
        (sum as Tensor).dispose();
        sum = null;
      }
      options.onProgress?.(step, reported);
    }
  } finally {
    (sum as Tensor | null)?.dispose();
    optimizer.dispose();
  }
  model.eval();
  return lastLoss;
}

// A linear probe on the frozen teacher's e_h, for label distillation where the
// teacher's own head does not fit the downstream labels (e.g. a teacher pre-trained on
// other classes). The probe is fitted on the downstream training set before
// distillation and then replaces the teacher's head, which results should state.

import { noGrad } from '../autograd/grad-mode.js';
import type { StagedModel } from '../models/staged.js';
import { Linear } from '../nn/linear.js';
import type { Module } from '../nn/module.js';
import { Adam } from '../optim/adam.js';
import { keep, tidy } from '../tensor/scope.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Rng } from '../util/rng.js';
import type { TeacherHead } from './distiller.js';
import { evaluatePredictions, type EvalBatches } from './evaluate.js';
import { resolveTask } from './task.js';

export interface LinearProbeOptions {
  task: 'regression' | 'classification';
  /** Outputs of the probe: the class count for classification (required), 1 for regression. */
  classes?: number;
  /** Passes over the training batches. Default 10. */
  epochs?: number;
  /** Adam learning rate. Default 1e-2. */
  lr?: number;
  /** Pooling of token states e_h [B, T, D] to one vector per example: 'mean' (default) or 'first' (a CLS token). */
  tokenPooling?: 'mean' | 'first';
  /** Seed of the probe's initial weights and of the batch order. Default 0. */
  seed?: number;
}

export interface LinearProbe extends TeacherHead {
  readonly linear: Linear;
  /** The task's metrics of the fitted probe on its training batches. */
  readonly trainMetrics: Record<string, number>;
  dispose(): void;
}

function pool(e: Tensor, pooling: 'mean' | 'first'): Tensor {
  if (e.rank === 2) return e;
  if (e.rank !== 3) throw new Error(`fitLinearProbe: e_h must be [batch, dim] or [batch, tokens, dim], got ${formatShape(e.shape)}`);
  return pooling === 'mean' ? e.mean(1) : e.slice(1, 0, 1).reshape([e.shape[0], e.shape[2]]);
}

/**
 * Fits y ~ pool(e_h) W + b with Adam and returns it as a TeacherHead. The batches are
 * read once, and their features stay on the GPU during the fit.
 */
export async function fitLinearProbe<Input>(
  teacher: StagedModel<Input> & Module,
  batches: EvalBatches<Input>,
  options: LinearProbeOptions,
): Promise<LinearProbe> {
  const task = resolveTask(options.task);
  const outputs = options.task === 'classification' ? options.classes : 1;
  if (outputs === undefined || !Number.isInteger(outputs) || outputs < 1) {
    throw new Error(`fitLinearProbe: classification needs classes (a positive integer), got ${options.classes}`);
  }
  const epochs = options.epochs ?? 10;
  const pooling = options.tokenPooling ?? 'mean';
  const rng = new Rng(options.seed ?? 0);

  const mode = teacher.training;
  teacher.eval();
  const data: { x: Tensor; y: Tensor }[] = [];
  let tokenStates = false;
  try {
    for await (const batch of batches) {
      const features = noGrad(() =>
        tidy(() => {
          const e = teacher.upper(teacher.lower(batch.x));
          tokenStates = e.rank === 3;
          return pool(e, pooling);
        }),
      );
      data.push({ x: keep(features), y: keep(batch.y.clone()) });
    }
  } finally {
    teacher.train(mode);
  }
  if (data.length === 0) throw new Error('fitLinearProbe: the batches hold no examples');

  const linear = new Linear(data[0].x.shape[1], outputs, { rng });
  const optimizer = new Adam(linear.parameters(), { lr: options.lr ?? 1e-2 });
  const predict = (features: Tensor) => (outputs === 1 && options.task === 'regression' ? linear.forward(features).reshape([features.shape[0]]) : linear.forward(features));
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const k of rng.permutation(data.length)) {
      tidy(() => {
        optimizer.zeroGrad();
        task.loss(predict(data[k].x), data[k].y).backward();
        optimizer.step();
      });
    }
  }
  linear.freeze();
  const trainMetrics = await evaluatePredictions((x) => noGrad(() => predict(x)), data, task);
  optimizer.dispose();
  for (const { x, y } of data) {
    x.dispose();
    y.dispose();
  }

  const metricText = Object.entries(trainMetrics)
    .filter(([name]) => name !== 'count')
    .map(([name, value]) => `train ${name} ${value.toFixed(4)}`)
    .join(', ');
  return {
    linear,
    trainMetrics,
    forward: (e) => predict(pool(e, pooling)),
    description: `linear probe on e_h (${tokenStates ? `${pooling} token pooling, ` : ''}${epochs} epochs, ${metricText})`,
    dispose: () => linear.dispose(),
  };
}

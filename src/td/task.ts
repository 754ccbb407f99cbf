// Downstream tasks: the ground-truth loss L(y, y_g) of the student and its evaluation
// metrics. Regression predicts one value per example (e.g. a rating) with mean
// squared error; classification predicts logits [batch, classes] with cross-entropy.

import { crossEntropy, mseLoss } from '../ops/losses.js';
import { reshape } from '../ops/shape-ops.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

export interface Task {
  kind: 'regression' | 'classification';
  /** Ground-truth loss of a batch, reduced to a scalar. */
  loss(prediction: Tensor, target: Tensor): Tensor;
  /** Adds a batch's predictions and targets (read back) to running metric sums. */
  accumulate(sums: MetricSums, prediction: Float32Array, target: Float32Array, classes: number): void;
  /** Final metrics from the sums, e.g. { mse, rmse } or { crossEntropy, accuracy }. */
  finish(sums: MetricSums): Record<string, number>;
}

/** Running float64 sums of an evaluation. */
export interface MetricSums {
  count: number;
  values: Record<string, number>;
}

function regressionPrediction(prediction: Tensor, target: Tensor): Tensor {
  if (prediction.size !== target.size) {
    throw new Error(`regression task: prediction ${formatShape(prediction.shape)} and target ${formatShape(target.shape)} differ in size`);
  }
  return reshape(prediction, [...target.shape]);
}

/** Mean squared error on one predicted value per example; reports mse and rmse. */
export const regressionTask: Task = {
  kind: 'regression',
  loss: (prediction, target) => mseLoss(regressionPrediction(prediction, target), target),
  accumulate(sums, prediction, target) {
    let squared = 0;
    for (let i = 0; i < target.length; i++) squared += (prediction[i] - target[i]) ** 2;
    sums.values.squaredError = (sums.values.squaredError ?? 0) + squared;
    sums.count += target.length;
  },
  finish(sums) {
    const mse = (sums.values.squaredError ?? 0) / sums.count;
    return { mse, rmse: Math.sqrt(mse) };
  },
};

/** Cross-entropy on logits [batch, classes] with int32 labels; reports crossEntropy and accuracy. */
export const classificationTask: Task = {
  kind: 'classification',
  loss: (prediction, target) => crossEntropy(prediction, target),
  accumulate(sums, logits, target, classes) {
    let correct = 0;
    let nll = 0;
    for (let i = 0; i < target.length; i++) {
      const row = logits.subarray(i * classes, (i + 1) * classes);
      let best = 0;
      let max = -Infinity;
      for (let c = 0; c < classes; c++) {
        if (row[c] > max) {
          max = row[c];
          best = c;
        }
      }
      let total = 0;
      for (let c = 0; c < classes; c++) total += Math.exp(row[c] - max);
      nll += Math.log(total) + max - row[target[i]];
      if (best === target[i]) correct++;
    }
    sums.values.correct = (sums.values.correct ?? 0) + correct;
    sums.values.nll = (sums.values.nll ?? 0) + nll;
    sums.count += target.length;
  },
  finish(sums) {
    return { crossEntropy: (sums.values.nll ?? 0) / sums.count, accuracy: (sums.values.correct ?? 0) / sums.count };
  },
};

/** Returns the built-in task of a kind name, or the given task object. */
export function resolveTask(task: 'regression' | 'classification' | Task): Task {
  if (task === 'regression') return regressionTask;
  if (task === 'classification') return classificationTask;
  return task;
}

// Evaluation of any predictor on batches: predictions and targets are read back and
// the task's metrics are summed in float64 on the CPU.

import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { MetricSums, Task } from './task.js';

/** Batches with inputs x and targets y (float32 values or int32 class ids). */
export type EvalBatches<Input> = Iterable<{ x: Input; y: Tensor }> | AsyncIterable<{ x: Input; y: Tensor }>;

/**
 * Runs `predict` on every batch and returns the task's metrics plus `count`, the
 * number of examples. `predict` must not record gradients (wrap it in noGrad).
 */
export async function evaluatePredictions<Input>(
  predict: (x: Input) => Tensor,
  batches: EvalBatches<Input>,
  task: Task,
): Promise<Record<string, number>> {
  const sums: MetricSums = { count: 0, values: {} };
  for await (const batch of batches) {
    const prediction = tidy(() => predict(batch.x));
    try {
      const [values, targets] = await Promise.all([prediction.data(), batch.y.data()]);
      const classes = task.kind === 'classification' ? prediction.shape[prediction.rank - 1] : 1;
      task.accumulate(sums, values, targets, classes);
    } finally {
      prediction.dispose();
    }
  }
  if (sums.count === 0) throw new Error('evaluate: the batches hold no examples');
  return { ...task.finish(sums), count: sums.count };
}

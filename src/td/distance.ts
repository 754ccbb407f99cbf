// Distances d(a, b) between two states or messages of the same shape, used by every
// distillation loss. Mean squared error is the default, as in Zhao et al. (2023),
// "Talking Models". Smooth L1 and the cosine distance 1 - cos(a, b) along the last
// dim are the alternatives.

import { mseLoss, smoothL1Loss } from '../ops/losses.js';
import { clamp } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { DistanceName, DistanceReduction } from './config.js';

export interface DistanceSpec {
  kind: DistanceName;
  reduction: DistanceReduction;
  /** Quadratic zone of smooth L1. */
  smoothL1Beta?: number;
}

// Lower bound of |a| |b| in the cosine, as in PyTorch's cosine_similarity.
const COSINE_EPS = 1e-8;
// Upper clamp bound in place of +infinity (f32 max is about 3.4e38).
const F32_LARGE = 3e38;

/** Per-vector cosine distance 1 - <a, b> / max(|a| |b|, eps) over the last dim. */
function cosineDistance(a: Tensor, b: Tensor): Tensor {
  const dot = sum(a.mul(b), -1);
  const norms = sum(a.mul(a), -1).mul(sum(b.mul(b), -1)).sqrt();
  return dot.div(clamp(norms, COSINE_EPS, F32_LARGE)).neg().add(1);
}

/** Reduces elementwise (or per-vector) losses whose first dim is the batch. */
function reduceLoss(values: Tensor, reduction: DistanceReduction): Tensor {
  if (reduction === 'mean') return values.mean();
  const total = values.sum();
  if (reduction === 'sum') return total;
  return total.mul(1 / values.shape[0]);
}

/** Computes d(a, b), reduced to a scalar; `lossName` names the loss in errors. */
export function distance(a: Tensor, b: Tensor, spec: DistanceSpec, lossName = 'distance'): Tensor {
  if (!sameShape(a.shape, b.shape)) {
    throw new Error(`${lossName}: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} differ; both sides of a distance need one shape`);
  }
  if (a.rank === 0 || a.shape[0] === 0) {
    throw new Error(`${lossName}: inputs ${formatShape(a.shape)} need a non-empty batch dim`);
  }
  switch (spec.kind) {
    case 'mse':
      return spec.reduction === 'batchMean' ? reduceLoss(mseLoss(a, b, { reduction: 'none' }), 'batchMean') : mseLoss(a, b, { reduction: spec.reduction });
    case 'smoothL1': {
      const beta = spec.smoothL1Beta ?? 1;
      if (spec.reduction === 'batchMean') return reduceLoss(smoothL1Loss(a, b, { reduction: 'none', beta }), 'batchMean');
      return smoothL1Loss(a, b, { reduction: spec.reduction, beta });
    }
    case 'cosine':
      return reduceLoss(cosineDistance(a, b), spec.reduction);
  }
}

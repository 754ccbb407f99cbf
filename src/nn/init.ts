// Parameter initializers, drawn on the CPU from a seeded Rng so that a model built
// with the same seed is bit-identical. Dense kernels use the [fanIn, fanOut] layout
// (y = x W + b), so fanIn is the first dim.

import { rand, randn, tensor } from '../ops/create.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../util/rng.js';

/**
 * Glorot and Bengio (2010) uniform: U(-a, a) with a = gain sqrt(6 / (fanIn + fanOut)).
 * `shape` is [fanIn, fanOut].
 */
export function xavierUniform(shape: [number, number], rng: Rng, gain = 1): Tensor {
  const [fanIn, fanOut] = shape;
  if (fanIn + fanOut <= 0) throw new Error(`xavierUniform: shape ${formatShape(shape)} has no fan-in or fan-out`);
  const limit = gain * Math.sqrt(6 / (fanIn + fanOut));
  return rand(shape, { rng, low: -limit, high: limit });
}

export function normal(shape: number[], std: number, rng: Rng): Tensor {
  return randn(shape, { rng, std });
}

/**
 * LeCun normal as Flax defines it: a normal truncated to [-2, 2] standard deviations,
 * rescaled so the variance is 1 / fanIn. Flax uses it for convolution kernels, and so
 * for the ViT patch embedding.
 */
export function lecunNormal(shape: number[], fanIn: number, rng: Rng): Tensor {
  // The std of a standard normal truncated to [-2, 2] is 0.87962566103423978.
  const std = Math.sqrt(1 / fanIn) / 0.87962566103423978;
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) {
    let z = rng.normal();
    while (Math.abs(z) > 2) z = rng.normal();
    values[i] = z * std;
  }
  return tensor(values, { shape });
}

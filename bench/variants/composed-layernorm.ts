// layerNorm composed from primitive ops: mean, sub, square, mean, add eps, rsqrt,
// mul, mul weight, add bias. The baseline for the fused kernels (shaders/layernorm*.wgsl).

import type { Tensor } from '../../src/tensor/tensor.js';
import { registerVariant } from '../registry.js';

/** The library's default eps, so both variants compute the same function. */
const EPS = 1e-5;

function composedLayerNorm(x: Tensor, weight: Tensor, bias: Tensor): Tensor {
  const centered = x.sub(x.mean(-1, { keepDim: true }));
  const variance = centered.mul(centered).mean(-1, { keepDim: true });
  const rstd = variance.add(EPS).pow(-0.5);
  return centered.mul(rstd).mul(weight).add(bias);
}

registerVariant({
  family: 'layerNorm',
  name: 'composed-layerNorm',
  description: 'layerNorm composed from mean, sub, mul, add, pow(-0.5); gradients from autograd',
  run: ([x, weight, bias]) => composedLayerNorm(x, weight, bias),
});

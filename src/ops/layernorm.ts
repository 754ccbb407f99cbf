// Layer normalization over the last dim, fused: one row kernel forward
// (shaders/layernorm.wgsl), one row kernel for dx and one column kernel for dweight
// and dbias (shaders/layernorm-backward.wgsl, shaders/layernorm-param-backward.wgsl).
// The row kernels take their workgroup shape from src/ops/row-layout.ts.
// The backward pass saves x, weight, and the mean (as shift + mean of x - shift) and
// rstd of every row.

import { record } from '../autograd/engine.js';
import { dispatch, packParams, placeholderBuffer } from '../gpu/runtime.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { assertFloat } from './kernels.js';
import { rowLayout } from './row-layout.js';

export interface LayerNormOptions {
  /** Added to the variance before the square root. */
  eps?: number;
}

/** Columns per workgroup of shaders/layernorm-param-backward.wgsl. */
const PARAM_COLS = 32;

function checkAffine(name: string, t: Tensor | null, len: number, x: Tensor): void {
  if (t === null) return;
  assertFloat('layerNorm', t);
  if (!sameShape(t.shape, [len])) {
    throw new Error(`layerNorm: ${name} must be [${len}] for input ${formatShape(x.shape)}, got ${formatShape(t.shape)}`);
  }
}

/**
 * Normalizes x over the last dim: (x - mean) / sqrt(var + eps) * weight + bias, with
 * the biased variance, as PyTorch's layer_norm does. weight and bias are [D] or null.
 */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, options: LayerNormOptions = {}): Tensor {
  const eps = options.eps ?? 1e-5;
  assertFloat('layerNorm', x);
  if (x.rank === 0) throw new Error('layerNorm: input must have at least 1 dim, got a scalar');
  if (!(eps >= 0)) throw new Error(`layerNorm: eps must be >= 0, got ${eps}`);
  const len = x.shape[x.rank - 1];
  checkAffine('weight', weight, len, x);
  checkAffine('bias', bias, len, x);
  const rows = len === 0 ? 0 : x.size / len;

  const y = Tensor.empty(x.shape, 'float32', 'layerNorm');
  // Per row: (shift, mean of x - shift); see shaders/layernorm.wgsl.
  const mean = Tensor.empty([rows, 2], 'float32', 'layerNorm');
  const rstd = Tensor.empty([rows], 'float32', 'layerNorm');
  if (rows > 0) {
    dispatch({
      shader: 'layernorm',
      ...rowLayout(rows, len),
      buffers: [x.buffer, weight?.buffer ?? placeholderBuffer(), bias?.buffer ?? placeholderBuffer(), y.buffer, mean.buffer, rstd.buffer],
      params: packParams([['u32', rows], ['u32', len], ['f32', eps], ['u32', weight ? 1 : 0], ['u32', bias ? 1 : 0]]),
    });
  }

  const inputs = [x, weight, bias].filter((t): t is Tensor => t !== null);
  record(y, 'layerNorm', inputs, (dy) => {
    const dx = x.requiresGrad ? inputGrad(x, weight, dy, mean, rstd, rows, len) : null;
    const wantParams = (weight?.requiresGrad ?? false) || (bias?.requiresGrad ?? false);
    const [dWeight, dBias] = wantParams ? paramGrads(x, dy, mean, rstd, rows, len) : [null, null];
    const grads: (Tensor | null)[] = [dx];
    if (weight !== null) grads.push(dWeight);
    if (bias !== null) grads.push(dBias);
    return grads;
  });
  if (y.gradFn === null) {
    mean.dispose();
    rstd.dispose();
  }
  return y;
}

function inputGrad(x: Tensor, weight: Tensor | null, dy: Tensor, mean: Tensor, rstd: Tensor, rows: number, len: number): Tensor {
  const dx = Tensor.empty(x.shape, 'float32', 'layerNorm backward');
  if (rows === 0) return dx;
  dispatch({
    shader: 'layernorm-backward',
    ...rowLayout(rows, len),
    buffers: [x.buffer, weight?.buffer ?? placeholderBuffer(), dy.buffer, mean.buffer, rstd.buffer, dx.buffer],
    params: packParams([['u32', rows], ['u32', len], ['u32', weight ? 1 : 0]]),
  });
  return dx;
}

function paramGrads(x: Tensor, dy: Tensor, mean: Tensor, rstd: Tensor, rows: number, len: number): [Tensor, Tensor] {
  const dWeight = Tensor.empty([len], 'float32', 'layerNorm backward');
  const dBias = Tensor.empty([len], 'float32', 'layerNorm backward');
  if (len === 0) return [dWeight, dBias];
  // With no rows the column kernel still runs and writes zeros.
  dispatch({
    shader: 'layernorm-param-backward',
    buffers: [x.buffer, dy.buffer, mean.buffer, rstd.buffer, dWeight.buffer, dBias.buffer],
    params: packParams([['u32', rows], ['u32', len]]),
    workgroups: [Math.ceil(len / PARAM_COLS)],
  });
  return [dWeight, dBias];
}

// softmax and logSoftmax along one dim, each one fused kernel per direction
// (shaders/softmax.wgsl, shaders/softmax-backward.wgsl) over contiguous rows. On
// software adapters the forward pass of rows of 4k elements runs shaders/softmax-rows.wgsl.
// Another dim is moved last by a permute, which copies, and moved back after.
// The backward pass saves only the forward output y.

import { record } from '../autograd/engine.js';
import { gpu } from '../gpu/device.js';
import { dispatch, grid, packParams } from '../gpu/runtime.js';
import { normalizeDim } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { assertFloat } from './kernels.js';
import { rowLayout } from './row-layout.js';
import { permute, reshape } from './shape-ops.js';

/** Bits of -inf as f32, the start of a max fold. */
export const NEG_INF_BITS = 0xff800000;

function rowsOf(x: Tensor): number {
  const len = x.shape[x.rank - 1];
  return len === 0 ? 0 : x.size / len;
}

/** Minimum rows for the one-thread-per-row kernel, so that its 64-thread workgroups keep 2 or more CPU threads busy. */
const MIN_THREAD_ROWS = 128;

function runSoftmax(x: Tensor, log: boolean, op: string): Tensor {
  const out = Tensor.empty(x.shape, 'float32', op);
  const rows = rowsOf(x);
  if (rows === 0) return out;
  const len = x.shape[x.rank - 1];
  // On a software adapter a thread per row with vec4 loads beats a thread team that
  // reduces through workgroup memory (about 2x at 4096 x 256 on lavapipe).
  if (gpu().isSoftware && len % 4 === 0 && len >= 16 && rows >= MIN_THREAD_ROWS) {
    dispatch({
      shader: 'softmax-rows',
      defines: { LOG: log ? 'true' : 'false' },
      buffers: [x.buffer, out.buffer],
      params: packParams([['u32', rows], ['u32', len / 4], ['u32', NEG_INF_BITS]]),
      workgroups: grid(rows, 64),
      label: op,
    });
    return out;
  }
  const layout = rowLayout(rows, len);
  dispatch({
    shader: 'softmax',
    defines: { ...layout.defines, LOG: log ? 'true' : 'false' },
    buffers: [x.buffer, out.buffer],
    params: packParams([['u32', rows], ['u32', x.shape[x.rank - 1]], ['u32', NEG_INF_BITS]]),
    workgroups: layout.workgroups,
  });
  return out;
}

function runSoftmaxBackward(y: Tensor, dy: Tensor, log: boolean, op: string): Tensor {
  const dx = Tensor.empty(y.shape, 'float32', `${op} backward`);
  const rows = rowsOf(y);
  if (rows === 0) return dx;
  const layout = rowLayout(rows, y.shape[y.rank - 1]);
  dispatch({
    shader: 'softmax-backward',
    defines: { ...layout.defines, LOG: log ? 'true' : 'false' },
    buffers: [y.buffer, dy.buffer, dx.buffer],
    params: packParams([['u32', rows], ['u32', y.shape[y.rank - 1]]]),
    workgroups: layout.workgroups,
  });
  return dx;
}

/** Applies the fused kernel over the last dim and records its fused backward. */
function lastDim(x: Tensor, log: boolean, op: string): Tensor {
  const y = runSoftmax(x, log, op);
  return record(y, op, [x], (dy) => [runSoftmaxBackward(y, dy, log, op)]);
}

/** Moves `dim` last, applies `fn`, and moves it back. The permutes record their own gradients. */
function alongDim(x: Tensor, dim: number, op: string, fn: (t: Tensor) => Tensor): Tensor {
  assertFloat(op, x);
  if (x.rank === 0) return reshape(fn(reshape(x, [1])), []);
  const d = normalizeDim(op, dim, x.rank);
  const last = x.rank - 1;
  if (d === last) return fn(x);
  const order = x.shape.map((_, i) => i);
  order[d] = last;
  order[last] = d;
  // Swapping two dims is its own inverse.
  return permute(fn(permute(x, order)), order);
}

/** softmax(x)_i = exp(x_i - max x) / sum_j exp(x_j - max x) along `dim`. */
export function softmax(x: Tensor, dim = -1): Tensor {
  return alongDim(x, dim, 'softmax', (t) => lastDim(t, false, 'softmax'));
}

/** logSoftmax(x)_i = x_i - max x - log sum_j exp(x_j - max x) along `dim`. */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  return alongDim(x, dim, 'logSoftmax', (t) => lastDim(t, true, 'logSoftmax'));
}

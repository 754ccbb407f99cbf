// The matmul kernel the library used before the row-broadcast kernel: 8x8 threads,
// 4x4 outputs each, scalar loads (shaders/matmul-simple.wgsl). Kept as the
// baseline that BENCHMARKS.md compares against.

import { dispatch, packParams, placeholderBuffer } from '../../src/gpu/runtime.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { registerVariant } from '../registry.js';

/** Output tile of one workgroup: 8x8 threads, 4x4 outputs each. */
const TILE = 32;

function simpleMatmul(a: Tensor, b: Tensor): Tensor {
  const [M, K] = a.shape;
  const N = b.shape[1];
  const out = Tensor.empty([M, N], 'float32', 'matmul-simple');
  dispatch({
    shader: 'matmul-simple',
    defines: { EPILOGUE: 'v', HELPERS: '' },
    buffers: [a.buffer, b.buffer, placeholderBuffer(), out.buffer],
    params: packParams([
      ['u32', M], ['u32', N], ['u32', K], ['u32', 1],
      ['u32', K], ['u32', 1], ['u32', 0], ['u32', 0],
      ['u32', N], ['u32', 1], ['u32', 0],
    ]),
    workgroups: [Math.ceil(N / TILE), Math.ceil(M / TILE), 1],
  });
  return out;
}

registerVariant({
  family: 'matmul',
  name: 'matmul-simple',
  description: 'previous kernel: 4x4 register blocking, scalar loads, no workgroup memory',
  run: ([a, b]) => simpleMatmul(a, b),
});

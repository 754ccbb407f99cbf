// Dropout with the mask drawn on the GPU by a counter-based hash of (seed, element
// index) in shaders/dropout.wgsl, so no mask crosses from the CPU and a seed
// reproduces its mask exactly. The backward pass saves only the seed and p: it runs
// the same kernel on dy, which rebuilds the mask and applies the same 1 / (1 - p).

import { record } from '../autograd/engine.js';
import { dispatch, grid, packParams } from '../gpu/runtime.js';
import { Tensor } from '../tensor/tensor.js';
import { defaultRng } from './create.js';
import { assertFloat } from './kernels.js';

export interface DropoutOptions {
  /** false returns x unchanged (evaluation mode). */
  training?: boolean;
  /** uint32 key of the mask; drawn from the global generator (see manualSeed) when absent. */
  seed?: number;
}

/** Largest value of the 32-bit threshold, because the kernel compares u32 hashes against it. */
const MAX_THRESHOLD = 0xffffffff;

function runDropout(x: Tensor, seed: number, p: number, op: string): Tensor {
  const out = Tensor.empty(x.shape, 'float32', op);
  if (x.size === 0) return out;
  const threshold = Math.min(Math.round(p * 2 ** 32), MAX_THRESHOLD);
  dispatch({
    shader: 'dropout',
    buffers: [x.buffer, out.buffer],
    params: packParams([['u32', x.size], ['u32', seed], ['u32', threshold], ['f32', 1 / (1 - p)]]),
    workgroups: grid(x.size, 256),
  });
  return out;
}

/**
 * Zeroes each element with probability p and scales the rest by 1 / (1 - p). The
 * mask is a function of (seed, flat index) only, so equal seeds give equal masks.
 * p = 0 or training = false returns x itself.
 */
export function dropout(x: Tensor, p: number, options: DropoutOptions = {}): Tensor {
  assertFloat('dropout', x);
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  const training = options.training ?? true;
  if (!training || p === 0) return x;
  const seed = options.seed ?? defaultRng().nextUint32();
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`dropout: seed must be an integer in [0, 2^32), got ${seed}`);
  }

  const out = runDropout(x, seed, p, 'dropout');
  return record(out, 'dropout', [x], (dy) => [runDropout(dy, seed, p, 'dropout backward')]);
}

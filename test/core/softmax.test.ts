// Forward and gradient checks of softmax and logSoftmax through the public functions,
// along each dim, on large logits and on rows longer than one workgroup.

import { describe, expect, it } from 'vitest';
import { logSoftmax, softmax, tensor } from '../../src/index.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, gradCheck, randomValues } from '../helpers/check.js';
import { NdArray } from '../reference/ndarray.js';

const CASES: [number[], number][] = [
  [[7], 0],
  [[3, 5], -1],
  [[3, 5], 0],
  [[2, 1, 4], 1],
  [[2, 3, 4], 1],
  [[4, 300], -1],
  [[2, 1, 3, 2, 3], 2],
  // 130 rows of 20 and (after the permute) 387 rows of 16: on a software adapter these
  // take the one-thread-per-row vec4 kernel (shaders/softmax-rows.wgsl).
  [[130, 20], -1],
  [[3, 16, 129], 1],
];

// exp and log lose a few ULP each, and a row sum of n terms adds log2 n roundings.
// Outputs are at most 1 (softmax) or a few units (logSoftmax), so 2e-6 absolute.
const TOL = { rtol: 1e-5, atol: 2e-6 };

describe('softmax', () => {
  CASES.forEach(([shape, dim], i) => {
    it(`softmax [${shape}] dim ${dim}`, async () => {
      const values = randomValues(shape, new Rng(600 + i), -4, 4);
      await gradCheck(`softmax [${shape}]`, ([x]) => softmax(x, dim), ([x]) => new NdArray(shape, x).softmax(dim), [{ shape, values }], TOL);
    });

    it(`logSoftmax [${shape}] dim ${dim}`, async () => {
      const values = randomValues(shape, new Rng(610 + i), -4, 4);
      await gradCheck(`logSoftmax [${shape}]`, ([x]) => logSoftmax(x, dim), ([x]) => new NdArray(shape, x).logSoftmax(dim), [{ shape, values }], TOL);
    });
  });

  it('methods match functions', async () => {
    const x = tensor([[1, 2, 3], [0, -1, 5]]);
    expectAllClose(await x.softmax(0).data(), await softmax(x, 0).data(), { rtol: 0, atol: 0 }, 'softmax');
    expectAllClose(await x.logSoftmax().data(), await logSoftmax(x).data(), { rtol: 0, atol: 0 }, 'logSoftmax');
  });

  it('large logits stay finite', async () => {
    const x = tensor([[1000, 999, -1000], [-500, -501, -502]]);
    const expected = new NdArray([2, 3], [1000, 999, -1000, -500, -501, -502]);
    expectAllClose(await softmax(x).data(), expected.softmax(-1).data, TOL, 'softmax');
    expectAllClose(await logSoftmax(x).data(), expected.logSoftmax(-1).data, { rtol: 1e-6, atol: 2e-6 }, 'logSoftmax');
  });

  it('large logits, row per thread', async () => {
    // 128 rows of 16 with logits spread over [-1000, 1000]: the thread-per-row kernel
    // must subtract the row max too.
    const rng = new Rng(5);
    // Rounded to f32 first, so the float64 reference gets the same logits as the GPU.
    const values = Array.from(Float32Array.from({ length: 128 * 16 }, () => 2000 * rng.uniform() - 1000));
    const expected = new NdArray([128, 16], values);
    const x = tensor(values, { shape: [128, 16] });
    expectAllClose(await softmax(x).data(), expected.softmax(-1).data, TOL, 'softmax');
    expectAllClose(await logSoftmax(x).data(), expected.logSoftmax(-1).data, { rtol: 1e-6, atol: 2e-6 }, 'logSoftmax');
  });

  it('rank 0', async () => {
    expect(await softmax(tensor(3)).item()).toBe(1);
    expect(await logSoftmax(tensor(3)).item()).toBe(0);
  });
});

// Reductions over leading dims with at least 32 kept elements take the column
// kernel (shaders/reduce-columns.wgsl) instead of a permute and the row kernel.

import { describe, expect, it } from 'vitest';
import { dispatchCount } from '../../src/gpu/runtime.js';
import { tensor } from '../../src/index.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, gpuTensor, randomValues } from '../helpers/check.js';

/** float64 reduction of x viewed as [len, cols] over its rows. */
function columns(x: Float64Array, len: number, cols: number, kind: 'sum' | 'max'): Float64Array {
  const out = new Float64Array(cols).fill(kind === 'max' ? -Infinity : 0);
  for (let r = 0; r < len; r++) {
    for (let c = 0; c < cols; c++) {
      const v = Math.fround(x[r * cols + c]);
      out[c] = kind === 'max' ? Math.max(out[c], v) : out[c] + v;
    }
  }
  return out;
}

// [shape, number of leading dims reduced]: 33 columns (not a multiple of the 64-thread
// workgroup), 300 rows, two leading dims, and 4 x 5 x 7 kept as a block of 140.
const CASES: [number[], number][] = [
  [[1, 33], 1],
  [[300, 37], 1],
  [[3, 5, 40], 2],
  [[6, 4, 5, 7], 1],
];

describe('column reduction', () => {
  for (const [shape, lead] of CASES) {
    const len = shape.slice(0, lead).reduce((a, b) => a * b, 1);
    const cols = shape.slice(lead).reduce((a, b) => a * b, 1);
    const dims = Array.from({ length: lead }, (_, d) => d);
    it(`sum [${shape}] dims ${dims}`, async () => {
      const x = randomValues(shape, new Rng(len + cols));
      // An in-order f32 sum of n values in [-2, 2] errs by at most about n^2 * 1.2e-7 (1e-2 at
      // n = 300). Random signs keep the typical error near sqrt(n) times smaller, so atol 2e-4.
      expectAllClose(await gpuTensor(x, shape).sum(dims).data(), columns(x, len, cols, 'sum'), { rtol: 1e-6, atol: 2e-4 }, 'sum');
    });
    it(`max [${shape}] dims ${dims}`, async () => {
      const x = randomValues(shape, new Rng(2 * len + cols));
      expectAllClose(await gpuTensor(x, shape).max(dims).data(), columns(x, len, cols, 'max'), { rtol: 0, atol: 0 }, 'max');
    });
  }

  it('one dispatch, no copy', () => {
    const x = gpuTensor(randomValues([9, 40], new Rng(5)), [9, 40]);
    const before = dispatchCount();
    x.sum(0);
    expect(dispatchCount() - before).toBe(1);
  });

  it('max propagates NaN', async () => {
    const values = randomValues([5, 33], new Rng(6));
    values[3 * 33 + 7] = NaN;
    const got = await tensor(Float32Array.from(values), { shape: [5, 33], allowNonFinite: true }).max(0).data();
    expect(Number.isNaN(got[7])).toBe(true);
    expect(Number.isNaN(got[8])).toBe(false);
  });
});

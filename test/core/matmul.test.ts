// Forward and gradient checks of matmul through the public API: 2D sizes around the
// 32x32 output tile, batches, broadcast batch dims and 1D operands (NumPy rules).

import { describe, expect, it } from 'vitest';
import { matmul } from '../../src/index.js';
import { Rng } from '../../src/util/rng.js';
import { gradCheck, randomValues } from '../helpers/check.js';
import { NdArray } from '../reference/ndarray.js';

// Each output is a K-term dot product of values in [-2, 2], summed in order in f32.
// Its error is below K 6e-8 sum|a_k b_k| <= 65 * 6e-8 * 65 * 4 = 1e-3 in the worst
// case. Random signs keep it about sqrt(K) times smaller, so atol 1e-4. The
// gradients are matmuls of the same sizes.
const TOL = { rtol: 1e-5, atol: 1e-4 };

async function check(a: number[], b: number[], seed: number): Promise<void> {
  const rng = new Rng(seed);
  await gradCheck(
    `matmul [${a}] @ [${b}]`,
    ([x, y]) => matmul(x, y),
    ([x, y]) => new NdArray(a, x).matmul(new NdArray(b, y)),
    [
      { shape: a, values: randomValues(a, rng) },
      { shape: b, values: randomValues(b, rng) },
    ],
    TOL,
  );
}

describe('matmul', () => {
  const TWO_D: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [32, 32, 32],
    [33, 17, 65],
    [31, 33, 1],
    [1, 40, 33],
  ];
  TWO_D.forEach(([m, k, n], i) => {
    it(`2D ${m}x${k}x${n}`, async () => {
      await check([m, k], [k, n], 500 + i);
    });
  });

  const BATCHED: [number[], number[]][] = [
    [[2, 3, 4], [2, 4, 5]],
    [[3, 5, 2], [2, 3]],
    [[2, 3], [4, 3, 5]],
    [[2, 1, 3, 4], [1, 3, 4, 2]],
    [[1, 2, 3], [3, 3, 1]],
    [[2, 1, 2, 3, 4], [3, 1, 4, 5]],
  ];
  BATCHED.forEach(([a, b], i) => {
    it(`batched [${a}] @ [${b}]`, async () => {
      await check(a, b, 510 + i);
    });
  });

  const ONE_D: [number[], number[]][] = [
    [[5], [5]],
    [[4], [4, 3]],
    [[4, 3], [3]],
    [[2, 3, 4], [4]],
    [[4], [2, 4, 3]],
    [[1], [1]],
  ];
  ONE_D.forEach(([a, b], i) => {
    it(`1D [${a}] @ [${b}]`, async () => {
      await check(a, b, 520 + i);
    });
  });

  it('1D dot is rank 0', async () => {
    const rng = new Rng(530);
    const a = new NdArray([3], randomValues([3], rng));
    expect(a.matmul(a).shape).toEqual([]);
    await check([3], [3], 531);
  });
});

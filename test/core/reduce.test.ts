// Forward and gradient checks of sum, mean, max and var over one or more dims,
// with and without keepDim, including rows longer than the 256-thread workgroup.

import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, gradCheck, randomValues, type Tolerance } from '../helpers/check.js';
import { NdArray } from '../reference/ndarray.js';

type Dims = number | number[] | undefined;

// [shape, dims]: all dims, one dim, negative dims, non-adjacent dims, a leading dim
// (moved last by a copy), rows of 300 (> 256 threads), rank 5 and 6.
const CASES: [number[], Dims][] = [
  [[], undefined],
  [[7], 0],
  [[7], undefined],
  [[3, 2, 5], 1],
  [[3, 1, 5], [0, 2]],
  [[3, 1, 5], -1],
  [[2, 3, 4, 5], [1, 3]],
  [[2, 3, 4, 5], 0],
  [[300], 0],
  [[4, 300], -1],
  [[300, 3], 0],
  [[2, 1, 3, 1, 2], [1, 2, 4]],
  [[2, 1, 3, 2, 2, 3], [-1, -3]],
];

// A sum of n values in f32 by a strided fold and a tree has an error below
// (log2 n + 1) 6e-8 sum|x|, at most 2e-4 for n <= 300 values in [-2, 2]. Random signs
// keep the typical error about sqrt(n) times smaller, so atol 2e-5.
const SUM: Tolerance = { rtol: 1e-6, atol: 2e-5 };
// max picks an element: exact.
const EXACT: Tolerance = { rtol: 0, atol: 0 };

function name(op: string, shape: number[], dims: Dims, keepDim: boolean): string {
  return `${op} [${shape}] dims ${JSON.stringify(dims)}${keepDim ? ' keepDim' : ''}`;
}

const OPS: [string, (x: Tensor, dims: Dims, keepDim: boolean) => Tensor, (x: NdArray, dims: Dims, keepDim: boolean) => NdArray, Tolerance][] = [
  ['sum', (x, d, k) => x.sum(d, { keepDim: k }), (x, d, k) => x.sum(d, k), SUM],
  ['mean', (x, d, k) => x.mean(d, { keepDim: k }), (x, d, k) => x.mean(d, k), SUM],
  ['max', (x, d, k) => x.max(d, { keepDim: k }), (x, d, k) => x.max(d, k), EXACT],
];

describe('reductions', () => {
  OPS.forEach(([op, gpu, cpu, tol], seed) => {
    it(`${op} dims and keepDim`, async () => {
      const rng = new Rng(300 + seed);
      for (const [shape, dims] of CASES) {
        for (const keepDim of [false, true]) {
          await gradCheck(
            name(op, shape, dims, keepDim),
            ([x]) => gpu(x, dims, keepDim),
            ([x]) => cpu(new NdArray(shape, x), dims, keepDim),
            [{ shape, values: randomValues(shape, rng) }],
            { ...tol, grad: { rtol: 1e-6, atol: 1e-6 } },
          );
        }
      }
    });
  });

  it('var dims keepDim correction', async () => {
    const rng = new Rng(310);
    for (const [shape, dims] of CASES) {
      for (const correction of [0, 1]) {
        const reduced = new NdArray(shape, randomValues(shape, rng)).countOver(dims);
        if (reduced - correction <= 0) continue;
        for (const keepDim of [false, true]) {
          await gradCheck(
            `${name('var', shape, dims, keepDim)} correction ${correction}`,
            ([x]) => x.var(dims, { keepDim, correction }),
            ([x]) => new NdArray(shape, x).variance(dims, correction, keepDim),
            [{ shape, values: randomValues(shape, rng) }],
            // Two passes of sums, each within SUM, over squares of values up to 4.
            { rtol: 1e-5, atol: 2e-5 },
          );
        }
      }
    }
  });

  it('var default correction is 1', async () => {
    const v = await tensor([1, 2, 3, 4]).var().item();
    expect(v).toBeCloseTo(5 / 3, 6);
  });

  // PyTorch divides by max(0, count - correction): inf, or NaN where the deviations are all 0.
  it('var one element is NaN', async () => {
    const v = await tensor([[0.75], [-1.5], [2.25]]).var(1).data();
    expect(Array.from(v, Number.isNaN)).toEqual([true, true, true]);
  });

  it('var no degrees of freedom', async () => {
    // Row 0 varies. Row 1 is constant, so its deviations are exactly 0.
    const x = tensor([[0.25, -1, 2], [1.5, 1.5, 1.5]]);
    for (const correction of [3, 4]) {
      const [varied, constant] = await x.var(1, { correction }).data();
      expect(varied, `correction ${correction} varied row`).toBe(Infinity);
      expect(constant, `correction ${correction} constant row`).toBeNaN();
    }
  });

  it('large offset var', async () => {
    // Two-pass variance keeps the precision that E[x^2] - E[x]^2 would lose at mean 1e4.
    const values = [1e4 + 1, 1e4 + 2, 1e4 + 3, 1e4 + 4];
    expectAllClose(await tensor(values).var(0, { correction: 0 }).data(), [1.25], { rtol: 1e-5, atol: 0 }, 'var');
  });
});

describe('max ties', () => {
  it('gradient splits among ties', async () => {
    const x = tensor([[1, 3, 3], [2, 2, 2], [5, -1, 0]], { requiresGrad: true });
    const m = x.max(1);
    expect(Array.from(await m.data())).toEqual([3, 2, 5]);
    m.backward(tensor([1, 3, 2]));
    expectAllClose(await x.grad!.data(), [0, 0.5, 0.5, 1, 1, 1, 2, 0, 0], EXACT, 'gradient');
  });

  it('ties over several dims', async () => {
    const x = tensor([[[4, 1], [4, 0]], [[-1, -1], [-2, -1]]], { requiresGrad: true });
    x.max([1, 2], { keepDim: true }).sum().backward();
    expectAllClose(await x.grad!.data(), [0.5, 0, 0.5, 0, 1 / 3, 1 / 3, 0, 1 / 3], { rtol: 1.2e-7, atol: 0 }, 'gradient');
  });

  it('rank 0 dim 0', async () => {
    const x = tensor(2.5, { requiresGrad: true });
    const y = x.sum(0).add(x.max(-1)).add(x.mean(0, { keepDim: true }));
    expect([...y.shape]).toEqual([]);
    expect(await y.item()).toBe(7.5);
    y.backward();
    expect(await x.grad!.item()).toBe(3);
  });

  it('max of negative infinity row', async () => {
    const x = tensor([-Infinity, -Infinity], { allowNonFinite: true });
    expect(await x.max().item()).toBe(-Infinity);
  });
});

describe('reduction errors', () => {
  it('dim out of range', () => {
    expect(() => tensor([[1, 2]]).sum(2)).toThrow(/sum: dim 2 is out of range for a tensor of rank 2/);
  });

  it('repeated dim', () => {
    expect(() => tensor([[1, 2]]).sum([1, -1])).toThrow(/sum: repeated dim/);
  });

  it('max of empty dim', () => {
    expect(() => tensor([[], []]).max(1)).toThrow(/max: reducing \[2,0\] over dims \[1\] has no elements/);
  });
});

// Forward and gradient checks of the broadcasting binary ops, their scalar forms,
// maximum, minimum and where, with broadcasting in each direction.

import { describe, expect, it } from 'vitest';
import { add, compare, div, maximum, minimum, mul, rdiv, sub, tensor, where, type Tensor } from '../../src/index.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, gradCheck, randomValues, sizeOf, type Tolerance } from '../helpers/check.js';
import { NdArray } from '../reference/ndarray.js';

// Pairs of shapes that broadcast: equal, rank 0 on either side, size-1 dims on both
// sides, a missing leading dim on either side, 257 elements and rank 5.
const PAIRS: [number[], number[]][] = [
  [[5], [5]],
  [[], [2, 3]],
  [[2, 3], []],
  [[3, 1], [1, 4]],
  [[2, 3, 4], [4]],
  [[4], [2, 3, 4]],
  [[5, 1, 3], [2, 1]],
  [[1], [257]],
  [[2, 1, 3, 1, 2], [4, 3, 5, 1]],
  [[4, 3, 5, 1], [2, 1, 3, 1, 2]],
];

// add, sub and mul of two f32 values are correctly rounded (0.5 ULP); WGSL allows
// division 2.5 ULP. Gradients of broadcast inputs are sums of up to 60 products,
// each rounded, hence 1e-6.
const FORWARD: Tolerance = { rtol: 1.2e-7, atol: 0 };
const DIVISION: Tolerance = { rtol: 3e-7, atol: 0 };
const GRAD: Tolerance = { rtol: 1e-6, atol: 1e-6 };

/** Values in [-2, -0.5] U [0.5, 2], safe as divisors. */
function awayFromZero(shape: number[], rng: Rng): Float64Array {
  return randomValues(shape, rng, -1.5, 1.5).map((v) => v + Math.sign(v) * 0.5);
}

const OPS: [string, (a: Tensor, b: Tensor) => Tensor, (a: NdArray, b: NdArray) => NdArray, Tolerance][] = [
  ['add', (a, b) => a.add(b), (a, b) => a.add(b), FORWARD],
  ['sub', (a, b) => a.sub(b), (a, b) => a.sub(b), FORWARD],
  ['mul', (a, b) => a.mul(b), (a, b) => a.mul(b), FORWARD],
  ['div', (a, b) => a.div(b), (a, b) => a.div(b), DIVISION],
  ['maximum', (a, b) => maximum(a, b), (a, b) => a.zip(b, Math.max), FORWARD],
  ['minimum', (a, b) => minimum(a, b), (a, b) => a.zip(b, Math.min), FORWARD],
];

describe('binary ops', () => {
  OPS.forEach(([name, gpu, cpu, tol], seed) => {
    it(`${name} broadcast pairs`, async () => {
      const rng = new Rng(200 + seed);
      for (const [sa, sb] of PAIRS) {
        await gradCheck(
          `${name} [${sa}] [${sb}]`,
          ([a, b]) => gpu(a, b),
          ([a, b]) => cpu(new NdArray(sa, a), new NdArray(sb, b)),
          [
            { shape: sa, values: randomValues(sa, rng) },
            { shape: sb, values: awayFromZero(sb, rng) },
          ],
          { ...tol, grad: GRAD },
        );
      }
    });
  });

  it('same tensor on both sides', async () => {
    const rng = new Rng(9);
    const values = awayFromZero([3, 5], rng);
    for (const [name, gpu, cpu] of OPS) {
      await gradCheck(
        `${name} x x`,
        ([x]) => gpu(x, x),
        ([x]) => cpu(new NdArray([3, 5], x), new NdArray([3, 5], x)),
        [{ shape: [3, 5], values }],
        { rtol: 3e-7, atol: 0, grad: GRAD },
      );
    }
  });
});

describe('scalar operands', () => {
  const shape = [3, 1, 5];
  const s = 1.75;
  // Scalar forms run as one fused multiply-add v * a + b, so up to two roundings.
  const tol = { rtol: 2.5e-7, atol: 1e-7, grad: GRAD };
  const CASES: [string, (x: Tensor) => Tensor, (v: number) => number][] = [
    ['x + s', (x) => x.add(s), (v) => v + s],
    ['s + x', (x) => add(s, x), (v) => s + v],
    ['x - s', (x) => x.sub(s), (v) => v - s],
    ['s - x', (x) => sub(s, x), (v) => s - v],
    ['x * s', (x) => x.mul(s), (v) => v * s],
    ['s * x', (x) => mul(s, x), (v) => s * v],
    ['x / s', (x) => x.div(s), (v) => v / s],
    ['s / x', (x) => div(s, x), (v) => s / v],
    ['rdiv', (x) => rdiv(s, x), (v) => s / v],
  ];
  for (const [name, gpu, cpu] of CASES) {
    it(name, async () => {
      await gradCheck(name, ([x]) => gpu(x), ([x]) => new NdArray(shape, x).map(cpu), [{ shape, values: awayFromZero(shape, new Rng(11)) }], tol);
    });
  }

  it('two numbers rejected', () => {
    expect(() => add(1, 2)).toThrow(/add: both operands are numbers/);
  });
});

describe('maximum and minimum ties', () => {
  it('gradient split on ties', async () => {
    const a = tensor([1, 2, 3, -0.5], { requiresGrad: true });
    const b = tensor([1, 5, 0, -0.5], { requiresGrad: true });
    maximum(a, b).sum().backward();
    expect(Array.from(await a.grad!.data())).toEqual([0.5, 0, 1, 0.5]);
    expect(Array.from(await b.grad!.data())).toEqual([0.5, 1, 0, 0.5]);
  });

  it('minimum gradient split on ties', async () => {
    const a = tensor([1, 2, 3, -0.5], { requiresGrad: true });
    const b = tensor([1, 5, 0, -0.5], { requiresGrad: true });
    minimum(a, b).sum().backward();
    expect(Array.from(await a.grad!.data())).toEqual([0.5, 1, 0, 0.5]);
    expect(Array.from(await b.grad!.data())).toEqual([0.5, 0, 1, 0.5]);
  });

  // Values from four levels, so about a quarter of the broadcast pairs tie exactly.
  const LEVELS = [-1.25, -0.5, 0.75, 2];
  const levels = (shape: number[], rng: Rng) => Float64Array.from({ length: sizeOf(shape) }, () => LEVELS[rng.int(LEVELS.length)]);
  const TIE_PAIRS: [number[], number[]][] = [
    [[3, 1, 5], [4, 1]],
    [[2, 3], []],
    [[1], [257]],
    [[2, 1, 3, 1, 2], [4, 3, 5, 1]],
  ];

  /** Sums a gradient of the broadcast shape back to `shape`, as autograd does. */
  function sumBack(g: NdArray, shape: number[]): Float64Array {
    const lead = g.rank - shape.length;
    const dims = g.shape.map((_, d) => d).filter((d) => d < lead || (shape[d - lead] === 1 && g.shape[d] !== 1));
    return dims.length === 0 ? g.data : g.sum(dims, true).data;
  }

  const OPS_WITH_TIES: ['maximum' | 'minimum', (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => boolean][] = [
    ['maximum', maximum, (x, y) => x > y],
    ['minimum', minimum, (x, y) => x < y],
  ];
  OPS_WITH_TIES.forEach(([name, gpu, beats], seed) => {
    it(`${name} broadcast ties`, async () => {
      const rng = new Rng(300 + seed);
      // Each operand's share of dy: 1 where it alone is the result, 1/2 on a tie.
      const share = (x: number, y: number) => {
        if (beats(x, y)) return 1;
        return x === y ? 0.5 : 0;
      };
      for (const [sa, sb] of TIE_PAIRS) {
        const refA = new NdArray(sa, levels(sa, rng));
        const refB = new NdArray(sb, levels(sb, rng));
        const ties = refA.zip(refB, (x, y) => (x === y ? 1 : 0));
        expect(ties.sum().data[0], `${name} [${sa}] [${sb}] has ties`).toBeGreaterThan(0);
        const w = new NdArray(ties.shape, randomValues(ties.shape, rng, 0.5, 1.5).map((v) => Math.fround(v)));

        const a = tensor(Float32Array.from(refA.data), { shape: sa, requiresGrad: true });
        const b = tensor(Float32Array.from(refB.data), { shape: sb, requiresGrad: true });
        gpu(a, b).mul(tensor(Float32Array.from(w.data), { shape: ties.shape })).sum().backward();

        // The products w * share are exact and positive, so each gradient element, a sum
        // of n = out.size / input.size of them, is within n - 1 roundings of 6e-8.
        const tol = (input: NdArray) => ({ rtol: Math.max(ties.size / input.size - 1, 1) * 6e-8, atol: 0 });
        expectAllClose(await a.grad!.data(), sumBack(refA.zip(refB, share).mul(w), sa), tol(refA), `${name} [${sa}] [${sb}] gradient of a`);
        expectAllClose(await b.grad!.data(), sumBack(refB.zip(refA, share).mul(w), sb), tol(refB), `${name} [${sa}] [${sb}] gradient of b`);
      }
    });
  });
});

describe('where', () => {
  // [cond, a, b] shapes: equal, cond broadcast, a and b broadcast, rank 0 branches.
  const CASES: [number[], number[], number[]][] = [
    [[7], [7], [7]],
    [[3, 1], [1, 4], [3, 4]],
    [[2, 3, 4], [4], [3, 1]],
    [[5], [], []],
    [[1], [2, 1, 3], [2, 5, 1]],
  ];

  for (const dtype of ['float32', 'int32'] as const) {
    it(`${dtype} mask broadcast`, async () => {
      const rng = new Rng(dtype === 'int32' ? 31 : 32);
      for (const [sc, sa, sb] of CASES) {
        // Masks hold 0, 1 and other nonzero values, which also count as true.
        const mask = randomValues(sc, rng, 0, 3).map((v) => (v < 1 ? 0 : Math.floor(v) * (v < 2 ? 1 : -1)));
        const cond = tensor(dtype === 'int32' ? Int32Array.from(mask) : Float32Array.from(mask), { shape: sc, dtype });
        await gradCheck(
          `where ${dtype} [${sc}] [${sa}] [${sb}]`,
          ([a, b]) => where(cond, a, b),
          ([a, b]) => NdArray.where(new NdArray(sc, mask), new NdArray(sa, a), new NdArray(sb, b)),
          [
            { shape: sa, values: randomValues(sa, rng) },
            { shape: sb, values: randomValues(sb, rng) },
          ],
          { rtol: 0, atol: 0, grad: GRAD },
        );
        cond.dispose();
      }
    });
  }

  it('negative zero mask is false', async () => {
    const cond = tensor([-0, 0, 1, -1]);
    const out = where(cond, tensor([1, 1, 1, 1]), tensor([2, 2, 2, 2]));
    expect(Array.from(await out.data())).toEqual([2, 2, 1, 1]);
  });
});

describe('compare', () => {
  it('all comparisons broadcast', async () => {
    const a = tensor([[1, 2, 3]]);
    const b = tensor([[2], [3]]);
    const expected: Record<string, number[]> = {
      '==': [0, 1, 0, 0, 0, 1],
      '!=': [1, 0, 1, 1, 1, 0],
      '<': [1, 0, 0, 1, 1, 0],
      '<=': [1, 1, 0, 1, 1, 1],
      '>': [0, 0, 1, 0, 0, 0],
      '>=': [0, 1, 1, 0, 0, 1],
    };
    for (const op of ['==', '!=', '<', '<=', '>', '>='] as const) {
      const out = compare(op, a, b);
      expect([...out.shape], op).toEqual([2, 3]);
      expectAllClose(await out.data(), expected[op], { rtol: 0, atol: 0 }, `compare ${op}`);
    }
  });

  it('no gradient', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    expect(compare('<', a, tensor([2, 2])).requiresGrad).toBe(false);
  });
});

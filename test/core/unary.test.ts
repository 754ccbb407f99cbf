// Forward and gradient checks of every elementwise unary op on awkward shapes:
// rank 0, size-1 dims, odd sizes, 257 elements (one more than a workgroup), rank 5 and 6.

import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';
import { UNARY_OPS, type UnaryOp } from '../../src/ops/elementwise.js';
import { Rng } from '../../src/util/rng.js';
import { avoidKinks, expectAllClose, gradCheck, randomValues, type Tolerance } from '../helpers/check.js';
import { gelu, geluTanh, powScalar, sigmoid } from '../reference/math.js';
import { NdArray } from '../reference/ndarray.js';

const SHAPES = [[], [1], [7], [257], [3, 1, 5], [2, 3, 1, 4, 3], [2, 1, 3, 1, 2, 2]];

// f32 rounds to a relative 6e-8. WGSL lets exp, log, tanh and pow lose a few ULP
// more (exp: 3 + 2|x| ULP), and the gradient multiplies two such values, so 2e-6
// relative (about 30 ULP) bounds both. atol covers results near 0, where the
// relative bound of a difference such as 1 - tanh^2 does not hold.
const TRANSCENDENTAL: Tolerance = { rtol: 2e-6, atol: 1e-6 };
// neg, abs, relu and clamp are exact in f32.
const EXACT: Tolerance = { rtol: 0, atol: 0 };

interface UnaryCase {
  name: string;
  gpu: (x: Tensor) => Tensor;
  cpu: (v: number) => number;
  low: number;
  high: number;
  kinks?: number[];
  tol: Tolerance;
}

const CASES: UnaryCase[] = [
  { name: 'neg', gpu: (x) => x.neg(), cpu: (v) => -v, low: -3, high: 3, tol: EXACT },
  { name: 'exp', gpu: (x) => x.exp(), cpu: Math.exp, low: -4, high: 4, tol: TRANSCENDENTAL },
  { name: 'log', gpu: (x) => x.log(), cpu: Math.log, low: 0.05, high: 5, tol: TRANSCENDENTAL },
  { name: 'sqrt', gpu: (x) => x.sqrt(), cpu: Math.sqrt, low: 0.05, high: 5, tol: TRANSCENDENTAL },
  { name: 'relu', gpu: (x) => x.relu(), cpu: (v) => Math.max(v, 0), low: -2, high: 2, kinks: [0], tol: EXACT },
  { name: 'tanh', gpu: (x) => x.tanh(), cpu: Math.tanh, low: -4, high: 4, tol: TRANSCENDENTAL },
  { name: 'sigmoid', gpu: (x) => x.sigmoid(), cpu: sigmoid, low: -6, high: 6, tol: TRANSCENDENTAL },
  { name: 'abs', gpu: (x) => x.abs(), cpu: Math.abs, low: -2, high: 2, kinks: [0], tol: EXACT },
  {
    name: 'clamp',
    gpu: (x) => x.clamp(-0.5, 0.75),
    cpu: (v) => Math.min(Math.max(v, -0.5), 0.75),
    low: -2,
    high: 2,
    kinks: [-0.5, 0.75],
    tol: EXACT,
  },
  // The erf in the shader has an absolute error below 1.5e-7 (Abramowitz and Stegun
  // 7.1.26), which gelu scales by at most 0.5 |v| <= 1.5.
  { name: 'gelu erf', gpu: (x) => x.gelu(), cpu: gelu, low: -3, high: 3, tol: { rtol: 2e-6, atol: 1e-6 } },
  { name: 'gelu tanh', gpu: (x) => x.gelu({ approximate: 'tanh' }), cpu: geluTanh, low: -3, high: 3, tol: TRANSCENDENTAL },
];

describe('unary ops', () => {
  CASES.forEach((c, seed) => {
    it(`${c.name} forward and gradient`, async () => {
      const rng = new Rng(100 + seed);
      for (const shape of SHAPES) {
        const values = avoidKinks(randomValues(shape, rng, c.low, c.high), c.kinks ?? []);
        await gradCheck(
          `${c.name} [${shape}]`,
          ([x]) => c.gpu(x),
          ([x]) => new NdArray(shape, x).map(c.cpu),
          [{ shape, values }],
          // The gradient of an exact op is still a product dy * w in f32.
          c.tol === EXACT ? { rtol: 0, atol: 0, grad: { rtol: 1e-6, atol: 0 } } : c.tol,
        );
      }
    });
  });

  it('pow scalar exponents', async () => {
    const rng = new Rng(7);
    // Integer exponents take negative bases; fractional ones take positive bases only.
    const exponents: [number, number, number][] = [
      [2, -2, 2],
      [3, -2, 2],
      [-1, -2, 2],
      [-2, -2, 2],
      [1, -2, 2],
      [0.5, 0.1, 3],
      [-1.5, 0.1, 3],
      [2.5, 0.1, 3],
    ];
    for (const [e, low, high] of exponents) {
      for (const shape of [[], [5], [3, 1, 7]]) {
        // Keep |v| >= 0.1 so that v^-2 stays below 100 and its f32 rounding small.
        const values = avoidKinks(randomValues(shape, rng, low, high), [0], 0.1);
        await gradCheck(
          `pow ${e} [${shape}]`,
          ([x]) => x.pow(e),
          ([x]) => new NdArray(shape, x).map((v) => powScalar(v, e)),
          [{ shape, values }],
          // WGSL computes pow as exp2(e log2 |v|): the log2 error 2^-21 times e <= 3
          // gives about 1e-6 relative.
          { rtol: 4e-6, atol: 1e-6 },
        );
      }
    }
  });
});

describe('unary edge values', () => {
  it('relu abs clamp kinks', async () => {
    const x = tensor([-1, 0, 0.5, 1, 2], { requiresGrad: true });
    const y = x.relu().add(x.abs()).add(x.clamp(0.5, 1));
    y.sum().backward();
    // relu'(0) = 0 and abs'(0) = 0 as in PyTorch; clamp passes the gradient at both bounds.
    expect(Array.from(await x.grad!.data())).toEqual([-1, 0, 3, 3, 2]);
  });

  it('pow exponent 0 at base 0', async () => {
    const x = tensor([0, -2, 3], { requiresGrad: true });
    const y = x.pow(0);
    expect(Array.from(await y.data())).toEqual([1, 1, 1]);
    y.sum().backward();
    expect(Array.from(await x.grad!.data())).toEqual([0, 0, 0]);
  });

  it('pow negative base fractional', async () => {
    const y = tensor([-2, -0.5]).pow(0.5);
    const values = await y.data();
    expect(Number.isNaN(values[0])).toBe(true);
    expect(Number.isNaN(values[1])).toBe(true);
  });

  it('pow of -inf', async () => {
    // IEEE pow (and PyTorch): a fractional power of -inf is +inf or +0, an odd one keeps the sign.
    const x = tensor([-Infinity], { allowNonFinite: true });
    expect(await x.pow(0.5).item()).toBe(Infinity);
    expect(await x.pow(-0.5).item()).toBe(0);
    expect(await x.pow(3).item()).toBe(-Infinity);
    expect(await x.pow(2).item()).toBe(Infinity);
    expect(Number.isNaN(await tensor([-2]).pow(0.5).item())).toBe(true);
  });

  it('pow zero base', async () => {
    const x = tensor([0]);
    expect(await x.pow(2).item()).toBe(0);
    expect(await x.pow(0).item()).toBe(1);
    expect(await x.pow(-1).item()).toBe(Infinity);
  });

  it('saturating ops at large inputs', async () => {
    const x = tensor([-100, -30, 30, 100]);
    expectAllClose(await x.tanh().data(), [-1, -1, 1, 1], { rtol: 0, atol: 0 }, 'tanh');
    expectAllClose(await x.sigmoid().data(), [0, sigmoid(-30), 1, 1], { rtol: 1e-5, atol: 0 }, 'sigmoid');
    expectAllClose(await x.gelu().data(), [0, 0, 30, 100], { rtol: 1e-6, atol: 1e-6 }, 'gelu erf');
    expectAllClose(await x.gelu({ approximate: 'tanh' }).data(), [0, 0, 30, 100], { rtol: 1e-6, atol: 1e-6 }, 'gelu tanh');
  });

  it('tanh near zero', async () => {
    // 1 - e^{-2|x|} cancels for small x, so these need the series branch. Each value is
    // its own f32, and tanh stays within a few ULP of it (relative 5e-7), also at 0.1
    // and 0.3 on either side of the switch and at the smallest subnormal.
    const values = [1e-7, -3e-6, 1e-4, 0.0123, -0.0999, 0.1, 0.3, -1.4e-45];
    const x = tensor(values);
    const got = await x.tanh().data();
    values.forEach((v, i) => {
      const expected = Math.tanh(Math.fround(v));
      expect(Math.abs(got[i] - expected), `tanh(${v}) = ${got[i]}`).toBeLessThanOrEqual(5e-7 * Math.abs(expected) + 1e-45);
    });
  });

  it('saturating gradients are finite', async () => {
    const x = tensor([-100, 100], { requiresGrad: true });
    x.tanh().add(x.sigmoid()).add(x.gelu()).add(x.gelu({ approximate: 'tanh' })).sum().backward();
    // tanh' and sigmoid' vanish; gelu' is 0 on the left and 1 on the right.
    expectAllClose(await x.grad!.data(), [0, 2], { rtol: 0, atol: 1e-6 }, 'gradient');
  });

  it('gelu rejects unknown approximation', () => {
    expect(() => tensor([1]).gelu({ approximate: 'fast' as 'tanh' })).toThrow(/gelu: approximate must be/);
  });

  it('clamp rejects min above max', () => {
    expect(() => tensor([1]).clamp(2, 1)).toThrow(/clamp: min 2 is greater than max 1/);
  });

  it('unary rejects int32', () => {
    expect(() => tensor([1, 2], { dtype: 'int32' }).exp()).toThrow(/exp: expected a float32 tensor, got int32 \[2\]/);
  });
});

describe('unary table references', () => {
  // The table's own float64 references serve other tests; they must agree with the
  // independent ones here.
  it('table cpu matches reference', () => {
    const rng = new Rng(3);
    const xs = randomValues([50], rng, 0.1, 3);
    const pairs: [keyof typeof UNARY_OPS, (v: number) => number, number, number][] = [
      ['exp', Math.exp, 0, 0],
      ['sigmoid', sigmoid, 0, 0],
      ['geluErf', gelu, 0, 0],
      ['geluTanh', geluTanh, 0, 0],
      ['pow', (v) => powScalar(v, 2.5), 2.5, 0],
      ['clamp', (v) => Math.min(Math.max(v, 0.5), 2), 0.5, 2],
    ];
    for (const [name, f, a, b] of pairs) {
      const op = UNARY_OPS[name];
      expectAllClose(xs.map((v) => op.cpu(v, a, b)), xs.map(f), { rtol: 1e-12, atol: 1e-14 }, `${name} cpu`);
      const numeric = xs.map((v) => (f(v + 1e-6) - f(v - 1e-6)) / 2e-6);
      expectAllClose(xs.map((v) => op.cpuGrad(v, a, b)), numeric, { rtol: 1e-7, atol: 1e-8 }, `${name} cpuGrad`);
    }
  });

  it('pow cpuGrad exponent 0 at 0', () => {
    const pow: UnaryOp = UNARY_OPS.pow;
    expect(pow.cpuGrad(0, 0, 0)).toBe(0);
  });
});

// NaN inputs: elementwise ops and reductions return NaN where PyTorch does. The
// gradients at NaN follow PyTorch 1.13.0, run on the CPU. There relu passes dy, clamp
// and abs give 0, and maximum and minimum pass dy to both operands. The other unary
// ops give NaN wherever their derivative depends on the input. The NaNs are written
// into the GPU buffer from a Float32Array with three bit patterns (quiet, negative
// quiet, and the smallest signaling payload), because a compiler may mishandle any.

import { describe, expect, it } from 'vitest';
import { compare, matmul, maximum, minimum, rdiv, type Tensor } from '../../src/index.js';
import { UNARY_OPS, type UnaryOp, type UnaryOpName } from '../../src/ops/elementwise.js';
import { upload } from '../../src/ops/kernels.js';
import { Rng } from '../../src/util/rng.js';
import { avoidKinks, expectAllClose, randomValues, type Tolerance } from '../helpers/check.js';
import { NdArray } from '../reference/ndarray.js';

const NAN_BITS = [0x7fc00000, 0xffc00000, 0x7f800001];

/** Returns f32 values from [low, high) with NaN (of each bit pattern in turn) at `nanAt`. */
function valuesWithNans(size: number, rng: Rng, nanAt: number[], low = -2, high = 2, kinks: number[] = []): Float32Array {
  const values = Float32Array.from(avoidKinks(randomValues([size], rng, low, high), kinks));
  const bits = new Uint32Array(values.buffer);
  nanAt.forEach((index, k) => (bits[index] = NAN_BITS[k % NAN_BITS.length]));
  return values;
}

/** Uploads the exact bits of `values`, because tensor() would reject the NaNs. */
function gpuTensorWithNans(values: Float32Array, shape: number[]): Tensor {
  return upload(values, shape, 'float32', 'test input').requiresGrad_(true);
}

/** Returns d(sum(f(x) * w))/dx, so every element of the gradient gets its own cotangent. */
async function forwardAndGradient(f: (x: Tensor) => Tensor, x: Tensor, w: Tensor): Promise<{ out: Float32Array; grad: Float32Array }> {
  const y = f(x);
  y.mul(w).sum().backward();
  return { out: await y.data(), grad: await x.grad!.data() };
}

const SHAPE = [3, 7];
const SIZE = 21;
const NAN_AT = [0, 8, 20];

// f32 rounds to a relative 6e-8, and WGSL lets exp, log, tanh and pow lose a few ULP
// more, so 2e-6 relative (about 30 ULP) bounds them. The other ops are exact in f32,
// and their gradient is dy itself, its negation or a select of it.
const TRANSCENDENTAL: Tolerance = { rtol: 2e-6, atol: 1e-6 };
const EXACT: Tolerance = { rtol: 0, atol: 0 };
// One rounding of the product dy * a in the gradient of a scaled input.
const ONE_ROUNDING: Tolerance = { rtol: 1.2e-7, atol: 0 };

interface NanCase {
  name: string;
  op: UnaryOpName;
  gpu: (x: Tensor) => Tensor;
  a?: number;
  b?: number;
  low?: number;
  high?: number;
  kinks?: number[];
  /** Output at a NaN input: NaN unless stated. */
  outAtNan?: number;
  /** Gradient at a NaN input for cotangent w, from PyTorch 1.13. */
  gradAtNan: (w: number) => number;
  tol: Tolerance;
}

const CASES: NanCase[] = [
  { name: 'relu', op: 'relu', gpu: (x) => x.relu(), kinks: [0], gradAtNan: (w) => w, tol: EXACT },
  { name: 'clamp', op: 'clamp', gpu: (x) => x.clamp(-0.5, 0.75), a: -0.5, b: 0.75, kinks: [-0.5, 0.75], gradAtNan: () => 0, tol: EXACT },
  { name: 'abs', op: 'abs', gpu: (x) => x.abs(), kinks: [0], gradAtNan: () => 0, tol: EXACT },
  { name: 'neg', op: 'neg', gpu: (x) => x.neg(), gradAtNan: (w) => -w, tol: EXACT },
  { name: 'mul scalar', op: 'affine', gpu: (x) => x.mul(1.75), a: 1.75, gradAtNan: (w) => 1.75 * w, tol: ONE_ROUNDING },
  { name: 'exp', op: 'exp', gpu: (x) => x.exp(), gradAtNan: () => NaN, tol: TRANSCENDENTAL },
  { name: 'log', op: 'log', gpu: (x) => x.log(), low: 0.1, high: 3, gradAtNan: () => NaN, tol: TRANSCENDENTAL },
  { name: 'sqrt', op: 'sqrt', gpu: (x) => x.sqrt(), low: 0.1, high: 3, gradAtNan: () => NaN, tol: TRANSCENDENTAL },
  { name: 'tanh', op: 'tanh', gpu: (x) => x.tanh(), gradAtNan: () => NaN, tol: TRANSCENDENTAL },
  { name: 'sigmoid', op: 'sigmoid', gpu: (x) => x.sigmoid(), gradAtNan: () => NaN, tol: TRANSCENDENTAL },
  { name: 'gelu erf', op: 'geluErf', gpu: (x) => x.gelu(), gradAtNan: () => NaN, tol: TRANSCENDENTAL },
  { name: 'gelu tanh', op: 'geluTanh', gpu: (x) => x.gelu({ approximate: 'tanh' }), gradAtNan: () => NaN, tol: TRANSCENDENTAL },
  { name: 'pow 3', op: 'pow', gpu: (x) => x.pow(3), a: 3, low: 0.1, high: 2, gradAtNan: () => NaN, tol: TRANSCENDENTAL },
  // PyTorch, like C's pow, gives NaN^0 = 1 with gradient 0.
  { name: 'pow 0', op: 'pow', gpu: (x) => x.pow(0), a: 0, outAtNan: 1, gradAtNan: () => 0, tol: EXACT },
  { name: 'reciprocal', op: 'reciprocal', gpu: (x) => rdiv(3, x), a: 3, low: 0.5, high: 2, gradAtNan: () => NaN, tol: TRANSCENDENTAL },
];

describe('unary ops at NaN', () => {
  CASES.forEach((c, seed) => {
    it(`${c.name} NaN input`, async () => {
      const rng = new Rng(500 + seed);
      const values = valuesWithNans(SIZE, rng, NAN_AT, c.low, c.high, c.kinks);
      const weights = Float32Array.from(randomValues(SHAPE, rng, 0.5, 1.5));
      const { out, grad } = await forwardAndGradient(c.gpu, gpuTensorWithNans(values, SHAPE), upload(weights, SHAPE, 'float32', 'cotangent'));

      const table = UNARY_OPS[c.op];
      const [a, b] = [c.a ?? 0, c.b ?? 0];
      const isNan = (i: number) => NAN_AT.includes(i);
      const expectedOut = Array.from(values, (v, i) => (isNan(i) ? (c.outAtNan ?? NaN) : table.cpu(v, a, b)));
      const expectedGrad = Array.from(values, (v, i) => (isNan(i) ? c.gradAtNan(weights[i]) : table.cpuGrad(v, a, b) * weights[i]));
      expectAllClose(out, expectedOut, c.tol, `${c.name} forward`);
      expectAllClose(grad, expectedGrad, c.tol, `${c.name} gradient`);
    });
  });

  it('table references at NaN', () => {
    // The float64 references that other tests use must agree with PyTorch at NaN too.
    const op = (name: UnaryOpName): UnaryOp => UNARY_OPS[name];
    expect(op('relu').cpuGrad(NaN, 0, 0)).toBe(1);
    expect(op('abs').cpuGrad(NaN, 0, 0)).toBe(0);
    expect(op('clamp').cpuGrad(NaN, -1, 1)).toBe(0);
    expect(op('pow').cpu(NaN, 0, 0)).toBe(1);
    expect(op('relu').cpu(NaN, 0, 0)).toBeNaN();
    expect(op('clamp').cpu(NaN, -1, 1)).toBeNaN();
  });
});

// a [3, 1, 5] and b [4, 1] broadcast to [3, 4, 5]; each has NaNs, so output elements
// see a NaN in a only, in b only, in both, and in neither.
const SHAPE_A = [3, 1, 5];
const SHAPE_B = [4, 1];
const OUT_SHAPE = [3, 4, 5];

/** Sums a [3, 4, 5] gradient back to `shape` (one of SHAPE_A, SHAPE_B). */
function sumBack(g: NdArray, shape: number[]): Float64Array {
  const dims = shape === SHAPE_A ? [1] : [0, 2];
  return g.sum(dims, true).data;
}

type Extremum = 'maximum' | 'minimum';

/**
 * Returns PyTorch 1.13's rule. The output is NaN where either operand is NaN. An operand's
 * gradient share is 1 there too, and elsewhere 1 where it alone is the result, 1/2 on a tie, else 0.
 */
function reference(op: Extremum) {
  const pick = op === 'maximum' ? Math.max : Math.min;
  const beats = (x: number, y: number) => (op === 'maximum' ? x > y : x < y);
  const share = (x: number, y: number) => {
    if (Number.isNaN(x) || Number.isNaN(y) || beats(x, y)) return 1;
    return x === y ? 0.5 : 0;
  };
  return {
    forward: (x: number, y: number) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : pick(x, y)),
    shareA: share,
    shareB: (x: number, y: number) => share(y, x),
  };
}

describe('maximum and minimum at NaN', () => {
  const OPS: [Extremum, (a: Tensor, b: Tensor) => Tensor][] = [
    ['maximum', maximum],
    ['minimum', minimum],
  ];
  OPS.forEach(([name, gpu], seed) => {
    it(`${name} NaN operands`, async () => {
      const rng = new Rng(600 + seed);
      const aValues = valuesWithNans(15, rng, [1, 7, 13]);
      const bValues = valuesWithNans(4, rng, [2]);
      const weights = Float32Array.from(randomValues(OUT_SHAPE, rng, 0.5, 1.5));
      const a = gpuTensorWithNans(aValues, SHAPE_A);
      const b = gpuTensorWithNans(bValues, SHAPE_B);
      const out = gpu(a, b);
      out.mul(upload(weights, OUT_SHAPE, 'float32', 'cotangent')).sum().backward();

      const ref = reference(name);
      const refA = new NdArray(SHAPE_A, Float64Array.from(aValues));
      const refB = new NdArray(SHAPE_B, Float64Array.from(bValues));
      const w = new NdArray(OUT_SHAPE, Float64Array.from(weights));
      expectAllClose(await out.data(), refA.zip(refB, ref.forward).data, EXACT, `${name} forward`);
      // The products w * share are exact and positive, so a sum of n of them is within
      // (n - 1) roundings: 3 for a (4 terms) and 14 for b (15 terms), at 6e-8 each.
      const gradA: Tolerance = { rtol: 2e-7, atol: 0 };
      const gradB: Tolerance = { rtol: 9e-7, atol: 0 };
      expectAllClose(await a.grad!.data(), sumBack(refA.zip(refB, ref.shareA).mul(w), SHAPE_A), gradA, `${name} gradient of a`);
      expectAllClose(await b.grad!.data(), sumBack(refA.zip(refB, ref.shareB).mul(w), SHAPE_B), gradB, `${name} gradient of b`);
    });
  });
});

describe('compare at NaN', () => {
  // JavaScript compares numbers by IEEE 754, as PyTorch does, so only != is true with a NaN.
  const OPS: ['==' | '!=' | '<' | '<=' | '>' | '>=', (x: number, y: number) => boolean][] = [
    ['==', (x, y) => x === y],
    ['!=', (x, y) => x !== y],
    ['<', (x, y) => x < y],
    ['<=', (x, y) => x <= y],
    ['>', (x, y) => x > y],
    ['>=', (x, y) => x >= y],
  ];
  for (const [op, cpu] of OPS) {
    it(`compare ${op} NaN operands`, async () => {
      const rng = new Rng(700);
      const aValues = valuesWithNans(15, rng, [1, 7, 13]);
      const bValues = valuesWithNans(4, rng, [2]);
      // Ties, so that == and <= have true cases.
      aValues[4] = bValues[0];
      aValues[10] = bValues[3];
      const actual = await compare(op, upload(aValues, SHAPE_A, 'float32', 'a'), upload(bValues, SHAPE_B, 'float32', 'b')).data();
      const refA = new NdArray(SHAPE_A, Float64Array.from(aValues));
      const expected = refA.zip(new NdArray(SHAPE_B, Float64Array.from(bValues)), (x, y) => (cpu(x, y) ? 1 : 0));
      expectAllClose(actual, expected.data, EXACT, `compare ${op}`);
    });
  }
});

describe('reductions at NaN', () => {
  // Rows 0 and 2 of x [3, 5] contain a NaN, and row 1 does not.
  const values = valuesWithNans(15, new Rng(800), [3, 10]);
  const x = () => upload(values, [3, 5], 'float32', 'x');
  const ref = new NdArray([3, 5], Float64Array.from(values));
  // Row sums of 5 values in [-2, 2): 4 roundings of a partial sum below 10.
  const SUM: Tolerance = { rtol: 0, atol: 4e-6 };

  it('sum NaN row', async () => {
    expectAllClose(await x().sum(1).data(), ref.sum(1).data, SUM, 'sum');
  });

  it('mean NaN row', async () => {
    expectAllClose(await x().mean(1).data(), ref.mean(1).data, SUM, 'mean');
  });

  it('max NaN row', async () => {
    expectAllClose(await x().max(1).data(), ref.max(1).data, EXACT, 'max');
  });

  it('sum and max NaN column', async () => {
    // Leading reduced dims over many columns, the layout of a bias gradient.
    const columns = valuesWithNans(4 * 33, new Rng(801), [5, 40, 131]);
    const xc = upload(columns, [4, 33], 'float32', 'x');
    const refColumns = new NdArray([4, 33], Float64Array.from(columns));
    // Column sums of 4 values in [-2, 2): 3 roundings of a partial sum below 8.
    expectAllClose(await xc.sum(0).data(), refColumns.sum(0).data, { rtol: 0, atol: 3e-6 }, 'sum');
    expectAllClose(await xc.max(0).data(), refColumns.max(0).data, EXACT, 'max');
  });

  it('var NaN row', async () => {
    // Squares of deviations below 4, summed and divided: about 1e-6 absolute.
    expectAllClose(await x().var(1).data(), ref.variance(1).data, { rtol: 1e-6, atol: 1e-6 }, 'var');
  });
});

describe('matmul fused relu', () => {
  it('relu epilogue NaN', async () => {
    // x [2, 3] with one NaN in row 1; w [3, 5]. Row 1 of x @ w is NaN everywhere, and the
    // fused ReLU must keep it NaN and pass dy through, as relu() does.
    const rng = new Rng(31);
    const x = gpuTensorWithNans(valuesWithNans(6, rng, [4]), [2, 3]);
    const w = upload(Float32Array.from(randomValues([3, 5], rng)), [3, 5], 'float32', 'test input');
    const dy = upload(Float32Array.from(randomValues([2, 5], rng)), [2, 5], 'float32', 'test input');
    const y = matmul(x, w, { activation: 'relu' });
    const out = await y.data();
    y.backward(dy);
    const grad = await x.grad!.data();
    for (let j = 0; j < 5; j++) expect(Number.isNaN(out[5 + j]), `out[1, ${j}]`).toBe(true);
    for (let j = 0; j < 5; j++) expect(Number.isNaN(out[j]), `out[0, ${j}]`).toBe(false);
    // dx = dz @ w^T, and dz = dy on the NaN row, so that row's gradient is finite.
    const dyValues = await dy.data();
    const wValues = await w.data();
    for (let k = 0; k < 3; k++) {
      let expected = 0;
      for (let j = 0; j < 5; j++) expected += dyValues[5 + j] * wValues[k * 5 + j];
      expect(grad[3 + k], `dx[1, ${k}]`).toBeCloseTo(expected, 5);
    }
  });
});

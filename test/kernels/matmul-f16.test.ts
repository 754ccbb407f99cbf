// matmul with precision 'f16': A and B rounded to f16, each product rounded to f16,
// sums in f32. Checked against float64 with a per-element bound from f16 rounding.
// Skipped where the adapter lacks the 'shader-f16' feature.

import { beforeAll, describe, expect, it } from 'vitest';
import { gpu, matmul, matmulReference, noGrad, setMatmulTuning } from '../../src/index.js';
import { Rng } from '../../src/util/rng.js';
import { gpuTensor, randomValues, roundF32 } from '../helpers/check.js';

const hasF16 = gpu().hasF16;
const SKIP_REASON = "the adapter lacks 'shader-f16'";

// f16 unit roundoff u = 2^-11. Rounding a, b and their product each adds at most u
// relative, so one product is off by at most 3.01u |a b|, plus 2^-25 absolute where it
// falls in the f16 subnormal range. The f32 sum of K terms adds K * 2^-24 * sum|a b|.
const U16 = 2 ** -11;

// The fixed default tiling keeps the test free of the background autotune.
beforeAll(() => setMatmulTuning('off'));

/** Per-element error bound: (3.01 u16 + K 2^-24) (|A| @ |B|)_ij + K 2^-25. */
function bounds(absProduct: Float64Array, K: number): Float64Array {
  return absProduct.map((s) => (3.01 * U16 + K * 2 ** -24) * s + K * 2 ** -25);
}

function expectWithin(actual: ArrayLike<number>, expected: Float64Array, bound: Float64Array, label: string): void {
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - bound[i];
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  const detail = worst < 0 ? '' : `element ${worst}: ${actual[worst]} vs ${expected[worst]} (bound ${bound[worst]})`;
  expect(worst, `${label}: ${detail}`).toBe(-1);
}

interface Case {
  M: number;
  K: number;
  N: number;
  transA?: boolean;
  transB?: boolean;
}

async function checkF16(c: Case, rng: Rng): Promise<{ f16: Float32Array; f32: Float32Array }> {
  const { M, K, N } = c;
  const aShape = c.transA ? [K, M] : [M, K];
  const bShape = c.transB ? [N, K] : [K, N];
  const a = roundF32(randomValues(aShape, rng, -1, 1));
  const b = roundF32(randomValues(bShape, rng, -1, 1));
  const options = { transA: c.transA, transB: c.transB };
  const x = gpuTensor(a, aShape);
  const y = gpuTensor(b, bShape);

  const f16 = await matmul(x, y, { ...options, precision: 'f16' }).data();
  const f32 = await matmul(x, y, options).data();
  const expected = matmulReference(a, b, M, K, N, options);
  const absProduct = matmulReference(a.map(Math.abs), b.map(Math.abs), M, K, N, options);
  expectWithin(f16, expected, bounds(absProduct, K), `${M}x${K}x${N} ${JSON.stringify(options)}`);
  return { f16, f32 };
}

function maxDifference(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  return max;
}

describe('matmul f16', () => {
  it.skipIf(!hasF16)(`matmul f16 awkward shapes (skipped when ${SKIP_REASON})`, async () => {
    const rng = new Rng(81);
    // 1x1x1, the row kernel with odd N (strided B) and with N % 4 == 0 (vec4 B),
    // the N <= 4 kernel, and both operands transposed.
    const cases: Case[] = [
      { M: 1, K: 1, N: 1 },
      { M: 17, K: 33, N: 5 },
      { M: 19, K: 65, N: 68 },
      { M: 3, K: 65, N: 4 },
      { M: 65, K: 9, N: 1 },
      { M: 9, K: 31, N: 37, transA: true, transB: true },
      { M: 33, K: 17, N: 64, transB: true },
    ];
    for (const c of cases) await checkF16(c, rng);
  });

  it.skipIf(!hasF16)('matmul f16 rounds products', async () => {
    // Proves the f16 path is taken: its result differs from the f32 kernel by far more
    // than f32 rounding (65 terms: about 65 * 6e-8 = 4e-6 at most).
    const { f16, f32 } = await checkF16({ M: 9, K: 65, N: 12 }, new Rng(82));
    expect(maxDifference(f16, f32)).toBeGreaterThan(1e-4);
  });

  it.skipIf(!hasF16)('matmul f16 batched bias relu', async () => {
    const rng = new Rng(83);
    const [B, M, K, N] = [3, 7, 21, 13];
    const a = roundF32(randomValues([B, M, K], rng, -1, 1));
    const b = roundF32(randomValues([K, N], rng, -1, 1));
    const bias = roundF32(randomValues([N], rng, -1, 1));
    const out = noGrad(() => matmul(gpuTensor(a, [B, M, K]), gpuTensor(b, [K, N]), { bias: gpuTensor(bias, [N]), activation: 'relu', precision: 'f16' }));
    expect(out.shape).toEqual([B, M, N]);
    // The batch folds into M: one [B M, K] @ [K, N] product.
    const expected = matmulReference(a, b, B * M, K, N, { bias }).map((v) => Math.max(v, 0));
    const absProduct = matmulReference(a.map(Math.abs), b.map(Math.abs), B * M, K, N);
    // relu does not increase a difference; the bias add rounds once more in f32, by at
    // most 2^-24 (|sum| + |bias|) <= 2^-24 (sum|a b| + 1).
    const bound = bounds(absProduct, K).map((t, i) => t + 2 ** -24 * (absProduct[i] + 1));
    expectWithin(await out.data(), expected, bound, 'batched bias relu');
  });

  it.skipIf(!hasF16)('matmul f16 gradient of A', async () => {
    const rng = new Rng(84);
    const [M, K, N] = [5, 19, 11];
    const a = roundF32(randomValues([M, K], rng, -1, 1));
    const b = roundF32(randomValues([K, N], rng, -1, 1));
    const dy = roundF32(randomValues([M, N], rng, -1, 1));
    const x = gpuTensor(a, [M, K], true);
    const out = matmul(x, gpuTensor(b, [K, N]), { precision: 'f16' });
    out.backward(gpuTensor(dy, [M, N]));
    // dA = dY B^T: an [M, N] x [N, K] product in f16, so N terms per element.
    const bT = new Float64Array(N * K);
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) bT[j * K + k] = b[k * N + j];
    const expected = matmulReference(dy, bT, M, N, K);
    const absProduct = matmulReference(dy.map(Math.abs), bT.map(Math.abs), M, N, K);
    expectWithin(await x.grad!.data(), expected, bounds(absProduct, N), 'dA');
  });
});

describe('matmul precision option', () => {
  it('matmul rejects unknown precision', () => {
    const rng = new Rng(85);
    const a = gpuTensor(randomValues([2, 3], rng), [2, 3]);
    const b = gpuTensor(randomValues([3, 2], rng), [3, 2]);
    expect(() => matmul(a, b, { precision: 'f64' as 'f32' })).toThrow("matmul: precision must be 'f32' or 'f16', got \"f64\"");
  });
});

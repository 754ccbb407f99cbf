// The N <= 4 matmul kernel with B columns read as vec4 (contiguous, 4-aligned columns:
// matrix-vector products and transposed B) and read through strides, against float64.

import { beforeAll, describe, expect, it } from 'vitest';
import { matmul, matmulReference, setMatmulTuning } from '../../src/index.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, gpuTensor, randomValues, roundF32 } from '../helpers/check.js';

beforeAll(() => setMatmulTuning('off'));

// Values in [-1, 1], K-term f32 sums: error below K 2^-24 sum|a b| <= K^2 6e-8, and
// about sqrt(K) times smaller for random signs; 4e-7 K + 1e-6 leaves room for K <= 520.
function tolerance(K: number): { rtol: number; atol: number } {
  return { rtol: 1e-5, atol: 4e-7 * K + 1e-6 };
}

describe('matmul vector kernel', () => {
  it('matmul vector aligned columns', async () => {
    const rng = new Rng(71);
    // (M, K, N, transB): N = 1 with K % 4 == 0 and with K % 4 != 0, and transposed B
    // whose rows (the columns of op(B)) are contiguous.
    const cases: [number, number, number, boolean][] = [
      [65, 64, 1, false], [1, 8, 1, false], [257, 516, 1, false], [33, 37, 1, false],
      [17, 12, 3, true], [9, 20, 4, true], [3, 7, 2, true],
    ];
    for (const [M, K, N, transB] of cases) {
      const bShape = transB ? [N, K] : [K, N];
      const a = roundF32(randomValues([M, K], rng, -1, 1));
      const b = roundF32(randomValues(bShape, rng, -1, 1));
      const out = matmul(gpuTensor(a, [M, K]), gpuTensor(b, bShape), { transB });
      expect(out.shape, `${M}x${K}x${N} shape`).toEqual([M, N]);
      expectAllClose(await out.data(), matmulReference(a, b, M, K, N, { transB }), tolerance(K), `${M}x${K}x${N} transB ${transB}`);
    }
  });

  it('matmul vector batched columns', async () => {
    const rng = new Rng(72);
    // Batched B of [3, K, 1]: each batch starts at a multiple of 4 floats when K % 4 == 0.
    for (const K of [12, 13]) {
      const [batch, M] = [3, 7];
      const a = roundF32(randomValues([batch, M, K], rng, -1, 1));
      const b = roundF32(randomValues([batch, K, 1], rng, -1, 1));
      const out = await matmul(gpuTensor(a, [batch, M, K]), gpuTensor(b, [batch, K, 1])).data();
      for (let i = 0; i < batch; i++) {
        const expected = matmulReference(a.subarray(i * M * K), b.subarray(i * K), M, K, 1);
        expectAllClose(out.subarray(i * M, (i + 1) * M), expected, tolerance(K), `K ${K} batch ${i}`);
      }
    }
  });
});

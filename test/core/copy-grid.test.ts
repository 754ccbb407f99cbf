// The strided copy picks one of three kernels by shape (src/ops/kernels.ts): the 2D
// grid for long last dims, one thread per row for short ones with many rows, and the
// per-element kernel for the rest. Each must agree exactly with a CPU permute.

import { describe, expect, it } from 'vitest';
import { gpu } from '../../src/gpu/device.js';
import { tensor } from '../../src/index.js';
import { Rng } from '../../src/util/rng.js';

/** CPU permute of a row-major array. */
function permuteCpu(values: Float32Array, shape: number[], order: number[]): Float32Array {
  const outShape = order.map((d) => shape[d]);
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(values.length);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let rest = i;
    for (let d = outShape.length - 1; d >= 0; d--) {
      index[d] = rest % outShape[d];
      rest = Math.floor(rest / outShape[d]);
    }
    out[i] = values[order.reduce((sum, d, k) => sum + index[k] * strides[d], 0)];
  }
  return out;
}

function randomF32(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => 4 * rng.uniform() - 2);
}

describe('strided copy', () => {
  // Grid: last dims of 65 and 70 (not multiples of the 64-thread workgroup), two
  // leading dims folded into z. Rows: attention's head split, and 144 rows of 3.
  // Per element: few rows.
  const CASES: [number[], number[]][] = [
    [[65, 7], [1, 0]],
    [[2, 70, 3], [1, 2, 0]],
    [[3, 4, 65, 6], [2, 0, 3, 1]],
    [[5, 17, 4, 16], [0, 2, 1, 3]],
    [[3, 16, 9], [1, 2, 0]],
    [[1, 5, 3], [2, 0, 1]],
    [[7, 5], [1, 0]],
  ];
  for (const [shape, order] of CASES) {
    it(`permute [${shape}] by [${order}]`, async () => {
      const values = randomF32(shape.reduce((a, b) => a * b, 1), shape.length);
      const got = await tensor(values, { shape }).permute(order).data();
      expect(Array.from(got)).toEqual(Array.from(permuteCpu(values, shape, order)));
    });
  }

  it('falls back past the grid limit', async () => {
    const rows = gpu().limits.maxComputeWorkgroupsPerDimension + 2;
    const values = randomF32(rows * 64, 9);
    // The transposed copy iterates [rows, 64] with rows in y, beyond the limit of the grid kernel.
    const got = await tensor(values, { shape: [64, rows] }).transpose(0, 1).data();
    const want = permuteCpu(values, [64, rows], [1, 0]);
    let wrong = 0;
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) wrong++;
    expect(wrong).toBe(0);
  });
});

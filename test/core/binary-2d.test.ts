// Broadcasts that collapse to two dims run shaders/binary-2d.wgsl, which finds an
// element's row by an f32 division with a one-step correction. These cases check the
// collapse itself and exact results with many rows and with long rows. A correctly
// rounded division never needs the correction below 2^24 elements. It is there for
// adapters that use WGSL's allowance of 2.5 ULP, and these cases would catch its absence.

import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/index.js';
import { collapseBroadcast } from '../../src/ops/broadcast-plan.js';
import { Rng } from '../../src/util/rng.js';

function randomF32(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => 4 * rng.uniform() - 2);
}

describe('collapseBroadcast', () => {
  it('bias over tokens', () => {
    expect(collapseBroadcast([4, 17, 64], [4, 17, 64], [64])).toEqual([
      { size: 68, strides: [64, 0] },
      { size: 64, strides: [1, 1] },
    ]);
  });
  it('same shapes', () => {
    expect(collapseBroadcast([3, 5, 7], [3, 5, 7], [3, 5, 7])).toEqual([{ size: 105, strides: [1, 1] }]);
  });
  it('size-1 dims dropped', () => {
    expect(collapseBroadcast([1, 6, 1], [1, 6, 1], [1])).toEqual([{ size: 6, strides: [1, 0] }]);
  });
  it('outer product stays 2D', () => {
    expect(collapseBroadcast([3, 5], [3, 1], [1, 5])).toEqual([
      { size: 3, strides: [1, 0] },
      { size: 5, strides: [0, 1] },
    ]);
  });
  it('alternating broadcast stays 3D', () => {
    expect(collapseBroadcast([5, 2, 3], [5, 1, 3], [2, 1])).toHaveLength(3);
  });
});

describe('binary-2d', () => {
  // [rows, cols] + [cols] and [rows, 1] * [1, cols]: 70001 rows of 3, and 3 rows of 70001.
  const CASES: [number[], number[]][] = [
    [[70001, 3], [3]],
    [[3, 1], [1, 70001]],
    [[70001, 1], [1, 3]],
  ];
  for (const [sa, sb] of CASES) {
    it(`[${sa}] with [${sb}]`, async () => {
      const a = randomF32(sa[0] * sa[1], 1);
      const b = randomF32(sb.reduce((x, y) => x * y, 1), 2);
      const rows = Math.max(sa[0], sb.length === 2 ? sb[0] : 1);
      const cols = Math.max(sa[1], sb[sb.length - 1]);
      const at = (values: Float32Array, shape: number[], r: number, c: number) =>
        values[(shape.length === 2 && shape[0] > 1 ? r * shape[1] : 0) + (shape[shape.length - 1] > 1 ? c : 0)];
      const got = await tensor(a, { shape: sa }).mul(tensor(b, { shape: sb })).data();
      let wrong = 0;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          if (got[r * cols + c] !== Math.fround(at(a, sa, r, c) * at(b, sb, r, c))) wrong++;
        }
      }
      expect(wrong).toBe(0);
    });
  }
});

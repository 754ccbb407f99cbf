// Hand-computed cases for the float64 reference, so that the op tests compare the
// GPU against something known to be right.

import { describe, expect, it } from 'vitest';
import { erf, gelu } from './math.js';
import { broadcastShape, NdArray } from './ndarray.js';

const a23 = new NdArray([2, 3], [1, 2, 3, 4, 5, 6]);

describe('reference ndarray', () => {
  it('broadcast shapes', () => {
    expect(broadcastShape([3, 1], [1, 4])).toEqual([3, 4]);
    expect(broadcastShape([], [2, 3])).toEqual([2, 3]);
    expect(broadcastShape([5, 1, 3], [2, 1])).toEqual([5, 2, 3]);
    expect(() => broadcastShape([2], [3])).toThrow();
  });

  it('broadcast add', () => {
    const out = a23.add(new NdArray([3], [10, 20, 30]));
    expect(Array.from(out.data)).toEqual([11, 22, 33, 14, 25, 36]);
    const col = a23.sub(new NdArray([2, 1], [1, 2]));
    expect(Array.from(col.data)).toEqual([0, 1, 2, 2, 3, 4]);
  });

  it('reductions', () => {
    expect(Array.from(a23.sum(0).data)).toEqual([5, 7, 9]);
    expect(a23.sum(1, true).shape).toEqual([2, 1]);
    expect(Array.from(a23.max(-1).data)).toEqual([3, 6]);
    expect(a23.sum().shape).toEqual([]);
    expect(a23.mean().data[0]).toBe(3.5);
    expect(Array.from(a23.variance(1).data)).toEqual([1, 1]);
    expect(a23.variance(undefined, 0).data[0]).toBeCloseTo(35 / 12, 14);
  });

  it('permute and transpose', () => {
    expect(Array.from(a23.transpose(0, 1).data)).toEqual([1, 4, 2, 5, 3, 6]);
    const t = new NdArray([2, 3, 4], Array.from({ length: 24 }, (_, i) => i)).permute([2, 0, 1]);
    expect(t.shape).toEqual([4, 2, 3]);
    // out[k, i, j] = in[i, j, k] = 12 i + 4 j + k
    expect(t.data[1 * 6 + 1 * 3 + 2]).toBe(12 + 8 + 1);
  });

  it('slice and concat', () => {
    expect(Array.from(a23.slice(1, -2).data)).toEqual([2, 3, 5, 6]);
    expect(Array.from(a23.slice(0, 1, 100).data)).toEqual([4, 5, 6]);
    const c = NdArray.concat([a23, new NdArray([2, 1], [7, 8])], 1);
    expect(c.shape).toEqual([2, 4]);
    expect(Array.from(c.data)).toEqual([1, 2, 3, 7, 4, 5, 6, 8]);
  });

  it('expand and reshape', () => {
    expect(Array.from(new NdArray([2, 1], [1, 2]).expand([2, 2, 3]).data)).toEqual([1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2]);
    expect(a23.reshape([-1, 2]).shape).toEqual([3, 2]);
  });

  it('matmul', () => {
    const b = new NdArray([3, 2], [1, 0, 0, 1, 1, 1]);
    expect(Array.from(a23.matmul(b).data)).toEqual([4, 5, 10, 11]);
    expect(new NdArray([3], [1, 2, 3]).matmul(new NdArray([3], [4, 5, 6])).shape).toEqual([]);
    const batched = new NdArray([2, 1, 2], [1, 2, 3, 4]).matmul(new NdArray([2, 1], [1, 1]));
    expect(batched.shape).toEqual([2, 1, 1]);
    expect(Array.from(batched.data)).toEqual([3, 7]);
  });

  it('where', () => {
    const out = NdArray.where(new NdArray([2, 1], [1, 0]), a23, NdArray.scalar(-1));
    expect(Array.from(out.data)).toEqual([1, 2, 3, -1, -1, -1]);
  });

  it('softmax', () => {
    const s = new NdArray([2], [0, Math.log(3)]).softmax(0);
    expect(s.data[0]).toBeCloseTo(0.25, 15);
    expect(new NdArray([2], [1000, 1000]).logSoftmax(0).data[0]).toBeCloseTo(-Math.LN2, 12);
  });

  it('erf and gelu', () => {
    // Values from tables of erf.
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(2)).toBeCloseTo(0.9953222650189527, 14);
    expect(erf(-3.5)).toBeCloseTo(-0.9999992569016276, 14);
    expect(gelu(1)).toBeCloseTo(0.8413447460685429, 14);
  });
});

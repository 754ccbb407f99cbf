// Invalid shapes and arguments fail when the op is called, with a message that
// names the op and the shapes (or arguments) involved.

import { describe, expect, it } from 'vitest';
import { concat, matmul, tensor, where, zeros } from '../../src/index.js';

describe('shape errors', () => {
  it('matmul inner mismatch', () => {
    expect(() => matmul(zeros([3, 4]), zeros([5, 6]))).toThrow('matmul: shapes [3,4] and [5,6] do not match (4 != 5)');
  });

  it('matmul 1D mismatch', () => {
    expect(() => matmul(zeros([3]), zeros([4]))).toThrow(/matmul: shapes .* do not match \(3 != 4\)/);
  });

  it('matmul batch mismatch', () => {
    expect(() => matmul(zeros([2, 3, 4]), zeros([3, 4, 5]))).toThrow(/matmul: shapes .*\[2.*\[3.* cannot be broadcast/);
  });

  it('matmul rank 0', () => {
    expect(() => matmul(zeros([]), zeros([3]))).toThrow('matmul: both operands need at least 1 dim, got [] and [3]');
  });

  it('broadcast mismatch', () => {
    expect(() => zeros([2, 3]).add(zeros([4]))).toThrow('add: shapes [2,3] and [4] cannot be broadcast (dim -1: 3 vs 4)');
    expect(() => zeros([2, 3]).mul(zeros([3, 3]))).toThrow(/mul: shapes \[2,3\] and \[3,3\] cannot be broadcast/);
  });

  it('where broadcast mismatch', () => {
    expect(() => where(zeros([2]), zeros([3]), zeros([1]))).toThrow(/where: shapes \[2\] and \[3\] and \[1\] cannot be broadcast/);
  });

  it('reshape size mismatch', () => {
    expect(() => zeros([2, 3]).reshape([4, 2])).toThrow('reshape: cannot reshape [2,3] (6 elements) to [4,2]');
    expect(() => zeros([2, 3]).reshape([4, -1])).toThrow(/reshape: cannot reshape \[2,3\] \(6 elements\) to \[4,-1\]/);
  });

  it('reshape invalid target', () => {
    expect(() => zeros([6]).reshape([-1, -1])).toThrow(/reshape: invalid target shape \[-1,-1\]/);
    expect(() => zeros([6]).reshape([-2, -3])).toThrow(/reshape: invalid target shape/);
    expect(() => zeros([6]).reshape([1.5, 4])).toThrow(/reshape: invalid target shape/);
  });

  it('permute wrong count', () => {
    expect(() => zeros([2, 3, 4]).permute([0, 1])).toThrow('permute: got 2 dims [0,1] for a tensor of shape [2,3,4] (rank 3)');
  });

  it('permute repeated dim', () => {
    expect(() => zeros([2, 3, 4]).permute([0, 2, -1])).toThrow(/permute: dims \[0,2,-1\] repeat a dim of \[2,3,4\]/);
  });

  it('permute dim out of range', () => {
    expect(() => zeros([2, 3]).permute([0, 2])).toThrow('permute: dim 2 is out of range for a tensor of rank 2');
  });

  it('transpose dim out of range', () => {
    expect(() => zeros([2, 3]).transpose(0, 3)).toThrow('transpose: dim 3 is out of range for a tensor of rank 2');
  });

  it('flatten reversed dims', () => {
    expect(() => zeros([2, 3, 4]).flatten(2, 1)).toThrow('flatten: startDim 2 comes after endDim 1');
  });

  it('concat mismatch', () => {
    expect(() => concat([zeros([2, 3]), zeros([2, 4])], 0)).toThrow('concat: shapes [2,3] float32, [2,4] float32 differ outside dim 0');
  });

  it('concat rank mismatch', () => {
    expect(() => concat([zeros([2, 3]), zeros([3])], 1)).toThrow(/concat: shapes \[2,3\] float32, \[3\] float32 differ outside dim 1/);
  });

  it('concat dtype mismatch', () => {
    expect(() => concat([zeros([2]), zeros([2], { dtype: 'int32' })])).toThrow('concat: tensors [2] float32, [2] int32 mix dtypes; convert them to one dtype first');
  });

  it('concat empty list', () => {
    expect(() => concat([])).toThrow('concat: needs at least one tensor');
  });

  it('concat bad dim', () => {
    expect(() => concat([zeros([2])], 1)).toThrow('concat: dim 1 is out of range for a tensor of rank 1');
  });

  it('concat rank 0', () => {
    expect(() => concat([tensor(1), tensor(2)])).toThrow('concat: cannot join rank-0 tensors; reshape them to [1] first');
  });

  it('slice bad dim', () => {
    expect(() => zeros([2, 3]).slice(2, 0, 1)).toThrow('slice: dim 2 is out of range for a tensor of rank 2');
    expect(() => zeros([2, 3]).slice(-3, 0, 1)).toThrow('slice: dim -3 is out of range for a tensor of rank 2');
  });

  it('slice non-integer bounds', () => {
    expect(() => zeros([2, 3]).slice(1, 0.5, 2)).toThrow('slice: start 0.5 and end 2 of [2,3] along dim 1 must be integers');
  });

  it('slice rank 0', () => {
    expect(() => tensor(1).slice(0, 0, 1)).toThrow('slice: cannot slice a rank-0 tensor; reshape it to [1] first');
  });

  it('expand invalid target', () => {
    expect(() => zeros([2, 3]).expand([4, 3])).toThrow('expand: cannot expand [2,3] to [4,3]');
    expect(() => zeros([3]).expand([2])).toThrow(/expand: cannot expand \[3\] to \[2\]/);
    expect(() => zeros([3]).expand([-1, 3])).toThrow(/expand: cannot expand \[3\] to \[-1,3\]/);
    expect(() => zeros([1, 3]).expand([-2, 3])).toThrow(/expand: cannot expand \[1,3\] to \[-2,3\]/);
  });

  it('reduce dim out of range', () => {
    expect(() => zeros([2, 3]).mean(-3)).toThrow('mean: dim -3 is out of range for a tensor of rank 2');
  });

  it('rank above 8', () => {
    expect(() => zeros([1, 1, 1, 1, 1, 1, 1, 1, 2]).add(1).add(zeros([1, 1, 1, 1, 1, 1, 1, 1, 2]))).toThrow(
      /add: rank 9 \[1,1,1,1,1,1,1,1,2\] exceeds the maximum of 8/,
    );
  });
});

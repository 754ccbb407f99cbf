// Tensors with a zero-size dim: every op returns a tensor of the right (empty) shape
// without a dispatch out of bounds. A sum over nothing is 0, a mean NaN.

import { describe, expect, it } from 'vitest';
import { concat, matmul, maximum, tensor, where, zeros, type Tensor } from '../../src/index.js';

async function expectEmpty(t: Tensor, shape: number[]): Promise<void> {
  expect([...t.shape]).toEqual(shape);
  expect((await t.data()).length).toBe(0);
}

describe('empty tensors', () => {
  it('creation', async () => {
    await expectEmpty(tensor([]), [0]);
    await expectEmpty(tensor([[], []]), [2, 0]);
    await expectEmpty(zeros([2, 0, 3]), [2, 0, 3]);
    await expectEmpty(tensor(new Float32Array(0)), [0]);
  });

  it('sum of empty is 0', async () => {
    expect(await zeros([0]).sum().item()).toBe(0);
    expect(await zeros([3, 0]).sum().item()).toBe(0);
    expect(Array.from(await zeros([2, 0, 3]).sum(1).data())).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...zeros([2, 0, 3]).sum(1, { keepDim: true }).shape]).toEqual([2, 1, 3]);
  });

  it('reduction over non-empty dims', async () => {
    const x = zeros([0, 4]);
    await expectEmpty(x.sum(1), [0]);
    await expectEmpty(x.max(-1), [0]);
    await expectEmpty(x.mean(1), [0]);
    await expectEmpty(x.var(1), [0]);
  });

  // As in PyTorch: the mean and the variance of zero elements are NaN (0 / 0).
  it('mean over nothing is NaN', async () => {
    expect(await zeros([0]).mean().item()).toBeNaN();
    const perColumn = await zeros([2, 0, 3]).mean(1).data();
    expect(Array.from(perColumn, Number.isNaN)).toEqual([true, true, true, true, true, true]);
    expect([...zeros([2, 0, 3]).mean(1, { keepDim: true }).shape]).toEqual([2, 1, 3]);
    expect([...zeros([2, 0, 3]).mean([0, 1]).shape]).toEqual([3]);
  });

  it('var over nothing is NaN', async () => {
    expect(await zeros([0]).var().item()).toBeNaN();
    expect(await zeros([0]).var(0, { correction: 0 }).item()).toBeNaN();
    const perRow = await zeros([3, 0]).var(1).data();
    expect(Array.from(perRow, Number.isNaN)).toEqual([true, true, true]);
  });

  it('mean over nothing gradient', async () => {
    const x = zeros([2, 0, 3], { requiresGrad: true });
    x.mean(1).sum().backward();
    await expectEmpty(x.grad!, [2, 0, 3]);
  });

  it('max over nothing is rejected', () => {
    // PyTorch rejects it too: a maximum of nothing has no value.
    expect(() => zeros([2, 0]).max(1)).toThrow(/max: reducing \[2,0\] over dims \[1\] has no elements/);
  });

  it('unary ops', async () => {
    const x = zeros([0, 3]);
    const ops: ((t: Tensor) => Tensor)[] = [
      (t) => t.neg(), (t) => t.exp(), (t) => t.log(), (t) => t.sqrt(), (t) => t.pow(2), (t) => t.relu(),
      (t) => t.gelu(), (t) => t.gelu({ approximate: 'tanh' }), (t) => t.tanh(), (t) => t.sigmoid(),
      (t) => t.abs(), (t) => t.clamp(0, 1), (t) => t.add(1), (t) => t.mul(2), (t) => t.div(3),
    ];
    for (const op of ops) await expectEmpty(op(x), [0, 3]);
  });

  it('binary ops broadcast', async () => {
    const x = zeros([0, 3]);
    await expectEmpty(x.add(tensor([1, 2, 3])), [0, 3]);
    await expectEmpty(tensor([[1], [2]]).mul(zeros([2, 0])), [2, 0]);
    await expectEmpty(maximum(x, tensor(1)), [0, 3]);
    await expectEmpty(where(zeros([0, 1]), x, tensor(2)), [0, 3]);
    expect(() => zeros([0]).add(zeros([2]))).toThrow(/add: shapes \[0\] and \[2\] cannot be broadcast/);
  });

  it('matmul', async () => {
    await expectEmpty(matmul(zeros([0, 4]), zeros([4, 3])), [0, 3]);
    await expectEmpty(matmul(zeros([2, 4]), zeros([4, 0])), [2, 0]);
    await expectEmpty(matmul(zeros([0, 2, 4]), zeros([4, 3])), [0, 2, 3]);
    // An inner size of 0 sums nothing: the product is all zeros.
    expect(Array.from(await matmul(zeros([2, 0]), zeros([0, 3])).data())).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('layout ops', async () => {
    const x = zeros([2, 0, 3]);
    await expectEmpty(x.reshape([0, 6]), [0, 6]);
    await expectEmpty(x.reshape([-1, 3]), [0, 3]);
    await expectEmpty(x.flatten(), [0]);
    await expectEmpty(x.transpose(0, 2), [3, 0, 2]);
    await expectEmpty(x.permute([1, 2, 0]), [0, 3, 2]);
    await expectEmpty(x.slice(2, 1), [2, 0, 2]);
    await expectEmpty(zeros([1, 0]).expand([4, 0]), [4, 0]);
    await expectEmpty(concat([x, zeros([2, 0, 3])], 1), [2, 0, 3]);
    await expectEmpty(x.clone(), [2, 0, 3]);
    await expectEmpty(x.softmax(-1), [2, 0, 3]);
    await expectEmpty(x.logSoftmax(0), [2, 0, 3]);
  });

  it('concat with empty part', async () => {
    const y = concat([zeros([0, 2]), tensor([[1, 2]])], 0);
    expect(Array.from(await y.data())).toEqual([1, 2]);
  });

  it('backward through empty', async () => {
    const x = zeros([0, 3], { requiresGrad: true });
    const w = tensor([1, 2, 3], { requiresGrad: true });
    x.exp().mul(w).sum().backward();
    await expectEmpty(x.grad!, [0, 3]);
    expect(Array.from(await w.grad!.data())).toEqual([0, 0, 0]);
  });
});

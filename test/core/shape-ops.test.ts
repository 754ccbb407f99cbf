// Forward and gradient checks of the layout ops: reshape, flatten, transpose,
// permute, slice, expand, concat, clone and detach. They move values without
// arithmetic, so forward results must be exact.

import { describe, expect, it } from 'vitest';
import { concat, tensor, type Tensor } from '../../src/index.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, gradCheck, randomValues, type Tolerance } from '../helpers/check.js';
import { NdArray } from '../reference/ndarray.js';

// The gradient is the cotangent w moved back (exact), or summed over broadcast
// copies for expand (a few roundings).
const TOL = { rtol: 0, atol: 0, grad: { rtol: 1e-6, atol: 1e-7 } };

async function check(name: string, shape: number[], gpu: (x: Tensor) => Tensor, cpu: (x: NdArray) => NdArray, seed: number): Promise<void> {
  const values = randomValues(shape, new Rng(seed));
  await gradCheck(name, ([x]) => gpu(x), ([x]) => cpu(new NdArray(shape, x)), [{ shape, values }], TOL);
}

describe('reshape and flatten', () => {
  const CASES: [number[], number[]][] = [
    [[], [1, 1]],
    [[6], [2, 3]],
    [[2, 3, 4], [-1, 4]],
    [[2, 3, 4], [4, -1, 2]],
    [[5, 1, 7], [-1]],
    [[3, 1, 2, 1, 5], [5, 6]],
    [[1], []],
  ];
  CASES.forEach(([from, to], i) => {
    it(`reshape [${from}] to [${to}]`, async () => {
      await check(`reshape [${from}] [${to}]`, from, (x) => x.reshape(to), (x) => x.reshape(to), 400 + i);
    });
  });

  it('reshape shares storage', () => {
    const x = tensor([1, 2, 3, 4]);
    expect(x.reshape([2, 2]).buffer).toBe(x.buffer);
  });

  const FLATTEN: [number[], number, number, number[]][] = [
    [[2, 3, 4], 0, -1, [24]],
    [[2, 3, 4, 5], 1, 2, [2, 12, 5]],
    [[2, 3, 4], -2, -1, [2, 12]],
    [[3], 0, 0, [3]],
    [[], 0, -1, [1]],
  ];
  FLATTEN.forEach(([shape, start, end, expected], i) => {
    it(`flatten [${shape}] ${start}..${end}`, async () => {
      await check(`flatten [${shape}]`, shape, (x) => x.flatten(start, end), (x) => x.reshape(expected), 410 + i);
    });
  });
});

describe('transpose and permute', () => {
  const TRANSPOSE: [number[], number, number][] = [
    [[3, 5], -2, -1],
    [[1, 7], 0, 1],
    [[2, 3, 4], 0, 2],
    [[2, 3, 4], 1, 1],
    [[33, 17], 0, 1],
  ];
  TRANSPOSE.forEach(([shape, a, b], i) => {
    it(`transpose [${shape}] ${a} ${b}`, async () => {
      await check(`transpose [${shape}]`, shape, (x) => x.transpose(a, b), (x) => x.transpose(a, b), 420 + i);
    });
  });

  it('transpose of rank 1 is identity', async () => {
    const x = tensor([1, 2, 3]);
    expect(x.transpose()).toBe(x);
  });

  const PERMUTE: [number[], number[]][] = [
    [[2, 3, 4], [2, 0, 1]],
    [[2, 3, 4], [0, 1, 2]],
    [[2, 1, 3, 1, 5], [4, 2, 0, 3, 1]],
    [[2, 2, 1, 3, 2, 2], [-1, 0, 3, 2, 1, 4]],
    [[5, 1, 3], [1, 2, 0]],
  ];
  PERMUTE.forEach(([shape, dims], i) => {
    it(`permute [${shape}] [${dims}]`, async () => {
      await check(`permute [${shape}] [${dims}]`, shape, (x) => x.permute(dims), (x) => x.permute(dims), 430 + i);
    });
  });

  it('permute int32 exact', async () => {
    const x = tensor(Int32Array.from([1, -2, 2147483647, -2147483648, 5, 6]), { shape: [2, 3] });
    const y = x.permute([1, 0]);
    expect(y.dtype).toBe('int32');
    expect(Array.from(await y.dataInt32())).toEqual([1, -2147483648, -2, 5, 2147483647, 6]);
  });
});

describe('slice', () => {
  const CASES: [number[], number, number, number | undefined][] = [
    [[7], 0, 2, 5],
    [[7], 0, -3, undefined],
    [[7], -1, -5, -1],
    [[3, 5, 2], 1, 1, 4],
    [[3, 5, 2], -3, 0, 1],
    [[3, 5, 2], 2, -1, undefined],
    [[4, 3], 0, 1, 100],
    [[4, 3], 1, -100, 2],
    [[2, 1, 3, 2, 5], 4, 1, -1],
  ];
  CASES.forEach(([shape, dim, start, end], i) => {
    it(`slice [${shape}] dim ${dim} ${start}:${end ?? ''}`, async () => {
      await check(`slice [${shape}]`, shape, (x) => x.slice(dim, start, end), (x) => x.slice(dim, start, end), 440 + i);
    });
  });

  it('slice empty range', async () => {
    const y = tensor([1, 2, 3]).slice(0, 2, 1);
    expect([...y.shape]).toEqual([0]);
    expect(Array.from(await y.data())).toEqual([]);
  });

  it('slice whole range returns input', () => {
    const x = tensor([1, 2, 3]);
    expect(x.slice(0, 0)).toBe(x);
  });
});

describe('expand', () => {
  const CASES: [number[], number[], number[]][] = [
    [[1], [5], [5]],
    [[3, 1], [3, 4], [3, 4]],
    [[3, 1], [2, 3, 4], [2, 3, 4]],
    [[], [2, 3], [2, 3]],
    [[1, 3, 1], [2, -1, 257], [2, 3, 257]],
    [[2, 1, 3, 1], [2, 2, 2, 3, 2], [2, 2, 2, 3, 2]],
  ];
  CASES.forEach(([from, to, result], i) => {
    it(`expand [${from}] to [${to}]`, async () => {
      await check(`expand [${from}] [${to}]`, from, (x) => x.expand(to), (x) => x.expand(result), 450 + i);
    });
  });
});

describe('concat', () => {
  const CASES: [number[][], number][] = [
    [[[2], [3], [1]], 0],
    [[[2, 3], [2, 1], [2, 5]], 1],
    [[[2, 3], [4, 3]], -2],
    [[[3, 2, 4], [3, 1, 4], [3, 3, 4]], -2],
    [[[1, 2, 1, 3, 2], [1, 2, 4, 3, 2]], 2],
    [[[2, 0], [2, 3]], 1],
    [[[5]], 0],
  ];
  CASES.forEach(([shapes, dim], i) => {
    it(`concat ${shapes.map((s) => `[${s}]`).join(' ')} dim ${dim}`, async () => {
      const rng = new Rng(460 + i);
      await gradCheck(
        `concat dim ${dim}`,
        (xs) => concat(xs, dim),
        (xs) => NdArray.concat(xs.map((x, k) => new NdArray(shapes[k], x)), dim),
        shapes.map((shape) => ({ shape, values: randomValues(shape, rng) })),
        TOL,
      );
    });
  });

  it('concat int32', async () => {
    const y = concat([tensor([[1], [2]], { dtype: 'int32' }), tensor([[3, 4], [5, 6]], { dtype: 'int32' })], 1);
    expect(y.dtype).toBe('int32');
    expect(Array.from(await y.dataInt32())).toEqual([1, 3, 4, 2, 5, 6]);
  });

  it('concat gradient only to trainable parts', async () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3]);
    concat([a, b]).mul(tensor([5, 6, 7])).sum().backward();
    expect(Array.from(await a.grad!.data())).toEqual([5, 6]);
    expect(b.grad).toBeNull();
  });
});

describe('clone and detach', () => {
  it('clone forward and gradient', async () => {
    await check('clone [3,1,5]', [3, 1, 5], (x) => x.clone(), (x) => x, 470);
  });

  it('clone owns its storage', async () => {
    const x = tensor([1, 2, 3]);
    const y = x.clone();
    expect(y.buffer).not.toBe(x.buffer);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3]);
  });

  it('detach stops the gradient', async () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const d = x.mul(2).detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
    const y = x.mul(d).sum();
    y.backward();
    // d/dx sum(x * stop(2x)) = 2x, not 4x.
    expectAllClose(await x.grad!.data(), [2, 4, 6], { rtol: 0, atol: 0 } as Tolerance, 'gradient');
  });

  it('detach shares values', async () => {
    const x = tensor([4, 5], { requiresGrad: true });
    const d = x.detach();
    expect(d.buffer).toBe(x.buffer);
    expect(Array.from(await d.data())).toEqual([4, 5]);
  });
});

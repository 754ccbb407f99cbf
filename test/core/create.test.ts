// Tensor creation (tensor, zeros, ones, full, arange, rand, randn, zerosLike,
// onesLike) and reading (data, dataInt32, toArray, item).

import { describe, expect, it } from 'vitest';
import { arange, full, manualSeed, ones, onesLike, rand, randn, Rng, tensor, zeros, zerosLike } from '../../src/index.js';

describe('tensor from arrays', () => {
  it('nested arrays', async () => {
    const t = tensor([[[1, 2, 3]], [[4, 5, 6]]]);
    expect([...t.shape]).toEqual([2, 1, 3]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(await t.data())).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('number is rank 0', async () => {
    const t = tensor(-2.5);
    expect([...t.shape]).toEqual([]);
    expect(t.size).toBe(1);
    expect(await t.item()).toBe(-2.5);
  });

  it('float32 array with shape', async () => {
    const t = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [3, 2] });
    expect([...t.shape]).toEqual([3, 2]);
    expect(await t.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
  });

  it('typed array defaults to 1D', () => {
    expect([...tensor(new Float32Array(5)).shape]).toEqual([5]);
  });

  it('int32 array keeps dtype', async () => {
    const t = tensor(Int32Array.from([-2147483648, 0, 2147483647]));
    expect(t.dtype).toBe('int32');
    expect(Array.from(await t.dataInt32())).toEqual([-2147483648, 0, 2147483647]);
  });

  it('f32 rounding of values', async () => {
    expect(await tensor(0.1).item()).toBe(Math.fround(0.1));
  });

  it('ragged arrays rejected', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/tensor: nested arrays are ragged \(item 0 has shape \[2\], item 1 has \[1\]\)/);
    expect(() => tensor([[1, 2], 3] as number[][])).toThrow(/ragged/);
    expect(() => tensor([1, [2]] as number[])).toThrow(/ragged/);
  });

  it('wrong shape product rejected', () => {
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow('tensor: shape [2,2] needs 4 values, got 3');
  });

  it('invalid shape rejected', () => {
    expect(() => tensor([1, 2], { shape: [-1, -2] })).toThrow(/tensor: invalid shape \[-1,-2\]/);
    expect(() => tensor([1, 2], { shape: [0.5, 4] })).toThrow(/tensor: invalid shape/);
  });

  it('non-numbers rejected', () => {
    expect(() => tensor(['a'] as unknown as number[])).toThrow(/tensor: expected numbers or nested arrays, got string/);
  });

  it('non-finite rejected by default', () => {
    expect(() => tensor([1, NaN])).toThrow(/tensor: value NaN at flat index 1 is not finite; pass \{ allowNonFinite: true \}/);
    expect(() => tensor([[1], [Infinity]])).toThrow(/value Infinity at flat index 1 is not finite/);
    expect(() => tensor(new Float32Array([-Infinity]))).toThrow(/not finite/);
  });

  it('non-finite allowed on request', async () => {
    const values = await tensor([NaN, Infinity, -Infinity], { allowNonFinite: true }).data();
    expect(Number.isNaN(values[0])).toBe(true);
    expect(values[1]).toBe(Infinity);
    expect(values[2]).toBe(-Infinity);
  });

  it('int32 range enforced', async () => {
    expect(() => tensor([2147483648], { dtype: 'int32' })).toThrow('tensor: value 2147483648 at flat index 0 is not an int32');
    expect(() => tensor([-2147483649], { dtype: 'int32' })).toThrow(/is not an int32/);
    expect(() => tensor([1.5], { dtype: 'int32' })).toThrow(/value 1.5 at flat index 0 is not an int32/);
    expect(Array.from(await tensor([[-2147483648, 7]], { dtype: 'int32' }).dataInt32())).toEqual([-2147483648, 7]);
  });

  it('requiresGrad option', () => {
    expect(tensor([1], { requiresGrad: true }).requiresGrad).toBe(true);
    expect(() => tensor([1], { dtype: 'int32', requiresGrad: true })).toThrow(/an int32 tensor cannot require grad/);
  });
});

describe('constant tensors', () => {
  it('zeros ones full', async () => {
    expect(Array.from(await zeros([2, 3]).data())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(await ones([3]).data())).toEqual([1, 1, 1]);
    expect(Array.from(await full([2], -1.5).data())).toEqual([-1.5, -1.5]);
    expect(await full([], 7).item()).toBe(7);
  });

  it('full int32', async () => {
    const t = full([3], -7, { dtype: 'int32' });
    expect(t.dtype).toBe('int32');
    expect(Array.from(await t.dataInt32())).toEqual([-7, -7, -7]);
    expect(() => full([3], 1.5, { dtype: 'int32' })).toThrow('full: value 1.5 is not an int32');
  });

  it('invalid shape rejected', () => {
    expect(() => zeros([2, -1])).toThrow(/full: invalid shape \[2,-1\]/);
    expect(() => rand([1.5])).toThrow(/rand: invalid shape/);
  });

  it('like keeps shape and dtype', async () => {
    const f = tensor([[1, 2, 3]]);
    const i = tensor([4, 5], { dtype: 'int32' });
    expect([...zerosLike(f).shape]).toEqual([1, 3]);
    expect(Array.from(await zerosLike(f).data())).toEqual([0, 0, 0]);
    expect(Array.from(await f.onesLike().data())).toEqual([1, 1, 1]);
    expect(onesLike(i).dtype).toBe('int32');
    expect(Array.from(await onesLike(i).dataInt32())).toEqual([1, 1]);
  });
});

describe('arange', () => {
  it('end only', async () => {
    expect(Array.from(await arange(5).data())).toEqual([0, 1, 2, 3, 4]);
  });

  it('start end step', async () => {
    expect(Array.from(await arange(2, 7, 2).data())).toEqual([2, 4, 6]);
    expect(Array.from(await arange(0, 1, 0.25).data())).toEqual([0, 0.25, 0.5, 0.75]);
    expect(Array.from(await arange(5, 0, -2).data())).toEqual([5, 3, 1]);
  });

  it('empty range', () => {
    expect([...arange(3, 3).shape]).toEqual([0]);
    expect([...arange(3, 1).shape]).toEqual([0]);
  });

  it('int32', async () => {
    const t = arange(-2, 3, 1, { dtype: 'int32' });
    expect(t.dtype).toBe('int32');
    expect(Array.from(await t.dataInt32())).toEqual([-2, -1, 0, 1, 2]);
  });

  it('invalid arguments rejected', () => {
    expect(() => arange(0, 5, 0)).toThrow('arange: step must not be 0');
    expect(() => arange(0, Infinity)).toThrow(/arange: start 0, end Infinity and step 1 must be finite/);
    expect(() => arange(0, 2, 0.5, { dtype: 'int32' })).toThrow(/arange: int32 values need an integer start and step/);
  });
});

describe('random tensors', () => {
  it('same seed same values', async () => {
    manualSeed(42);
    const a = await rand([20]).data();
    const b = await randn([20]).data();
    manualSeed(42);
    expect(Array.from(await rand([20]).data())).toEqual(Array.from(a));
    expect(Array.from(await randn([20]).data())).toEqual(Array.from(b));
  });

  it('rng option is reproducible', async () => {
    const a = await randn([3, 7], { rng: new Rng(5) }).data();
    const b = await randn([3, 7], { rng: new Rng(5) }).data();
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('different seeds differ', async () => {
    const a = await rand([20], { rng: new Rng(1) }).data();
    const b = await rand([20], { rng: new Rng(2) }).data();
    const same = a.filter((v, i) => v === b[i]).length;
    expect(same).toBe(0);
  });

  it('rand range and moments', async () => {
    const n = 20000;
    const values = await rand([n], { rng: new Rng(9), low: -1, high: 3 }).data();
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...values)).toBeLessThan(3);
    const mean = values.reduce((s, v) => s + v, 0) / n;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    // Uniform on [-1, 3]: mean 1, variance 16/12. The sample mean has std
    // sqrt(16/12/n) = 0.008 and the variance about 0.01, so 5 std bounds both.
    expect(Math.abs(mean - 1)).toBeLessThan(0.04);
    expect(Math.abs(variance - 16 / 12)).toBeLessThan(0.05);
  });

  it('randn moments', async () => {
    const n = 20000;
    const values = await randn([100, 200], { rng: new Rng(10), mean: 2, std: 0.5 }).data();
    const mean = values.reduce((s, v) => s + v, 0) / n;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    const kurtosis = values.reduce((s, v) => s + (v - mean) ** 4, 0) / n / variance ** 2;
    // mean has std 0.5 / sqrt(n) = 0.0035, variance 0.25 sqrt(2/n) = 0.0025 and
    // kurtosis sqrt(24/n) = 0.035; each bound is about 5 std.
    expect(Math.abs(mean - 2)).toBeLessThan(0.018);
    expect(Math.abs(variance - 0.25)).toBeLessThan(0.0125);
    expect(Math.abs(kurtosis - 3)).toBeLessThan(0.18);
  });
});

describe('reading', () => {
  it('toArray nests by shape', async () => {
    expect(await tensor([[1, 2], [3, 4], [5, 6]]).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(await tensor(3).toArray()).toBe(3);
    expect(await zeros([2, 0]).toArray()).toEqual([[], []]);
  });

  it('toArray int32', async () => {
    expect(await tensor([[7], [-8]], { dtype: 'int32' }).toArray()).toEqual([[7], [-8]]);
  });

  it('data converts int32', async () => {
    const values = await tensor([3, -4], { dtype: 'int32' }).data();
    expect(values).toBeInstanceOf(Float32Array);
    expect(Array.from(values)).toEqual([3, -4]);
  });

  it('dataInt32 of float32 rejected', async () => {
    await expect(tensor([1.5]).dataInt32()).rejects.toThrow('dataInt32: tensor is float32; use data()');
  });

  it('item of one element', async () => {
    expect(await tensor([[4.5]]).item()).toBe(4.5);
    expect(await tensor([9], { dtype: 'int32' }).item()).toBe(9);
  });

  it('item of several elements rejected', async () => {
    await expect(tensor([1, 2]).item()).rejects.toThrow('item: tensor has 2 elements [2]; item() needs exactly 1');
  });

  it('reads see later ops', async () => {
    const a = tensor([1, 2]);
    const b = a.add(1);
    expect(Array.from(await b.data())).toEqual([2, 3]);
    expect(Array.from(await a.data())).toEqual([1, 2]);
  });
});

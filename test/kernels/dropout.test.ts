import { describe, expect, it } from 'vitest';
import { dropout, manualSeed } from '../../src/index.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, gpuTensor, gradCheck, randomValues } from '../helpers/check.js';
import { expectAllWritten, LENGTHS, poisonPool } from './kernel-helpers.js';

/** CPU copy of the PCG hash in shaders/dropout.wgsl, in uint32 arithmetic. */
function pcg(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

function referenceMask(n: number, seed: number, p: number): boolean[] {
  const threshold = Math.min(Math.round(p * 2 ** 32), 0xffffffff);
  const key = pcg(seed);
  return Array.from({ length: n }, (_, i) => pcg((pcg((i ^ key) >>> 0) + seed) >>> 0) >= threshold);
}

function applyMask(x: Float64Array, mask: boolean[], p: number): Float64Array {
  return x.map((v, i) => (mask[i] ? v / (1 - p) : 0));
}

// The kept values are x * f32(1 / (1 - p)): one rounding, rtol 1e-6.
const TOL = { rtol: 1e-6, atol: 0 };

describe('dropout', () => {
  it('dropout mask and gradient', async () => {
    const rng = new Rng(81);
    for (const len of LENGTHS) {
      const seed = rng.nextUint32();
      const mask = referenceMask(2 * len, seed, 0.3);
      await gradCheck(
        `dropout [2,${len}]`,
        ([x]) => dropout(x, 0.3, { seed }),
        ([x]) => applyMask(x, mask, 0.3),
        [{ shape: [2, len], values: randomValues([2, len], rng) }],
        { rtol: 1e-6, atol: 1e-6 },
      );
    }
  });

  it('dropout seed reproducible', async () => {
    const rng = new Rng(82);
    const x = gpuTensor(randomValues([4096], rng), [4096]);
    const a = await dropout(x, 0.5, { seed: 1234 }).data();
    const b = await dropout(x, 0.5, { seed: 1234 }).data();
    const c = await dropout(x, 0.5, { seed: 1235 }).data();
    expect(Array.from(b)).toEqual(Array.from(a));
    const differing = a.filter((v, i) => (v === 0) !== (c[i] === 0)).length;
    // Independent masks of p = 0.5 differ in about half the elements.
    expect(differing).toBeGreaterThan(4096 * 0.4);
  });

  it('dropout manualSeed reproducible', async () => {
    const x = gpuTensor(randomValues([999], new Rng(83)), [999]);
    manualSeed(7);
    const first = [await dropout(x, 0.2).data(), await dropout(x, 0.2).data()];
    manualSeed(7);
    const second = [await dropout(x, 0.2).data(), await dropout(x, 0.2).data()];
    expect(Array.from(second[0])).toEqual(Array.from(first[0]));
    expect(Array.from(second[1])).toEqual(Array.from(first[1]));
    expect(Array.from(first[1])).not.toEqual(Array.from(first[0]));
  });

  it('dropout keep rate', async () => {
    const n = 200_000;
    // Values in [1, 2] are never 0, so a 0 in the output means dropped.
    const x = gpuTensor(randomValues([n], new Rng(84), 1, 2), [n]);
    for (const p of [0.1, 0.5, 0.9]) {
      const out = await dropout(x, p, { seed: 99 }).data();
      const kept = out.filter((v) => v !== 0).length;
      // Binomial(n, 1 - p): 5 standard deviations fail a correct hash with probability < 1e-6.
      const bound = 5 * Math.sqrt(n * p * (1 - p));
      expect(Math.abs(kept - n * (1 - p)), `p = ${p}: kept ${kept} of ${n}`).toBeLessThan(bound);
    }
  });

  it('dropout scales kept values', async () => {
    const rng = new Rng(85);
    const values = randomValues([1000], rng);
    const out = await dropout(gpuTensor(values, [1000]), 0.25, { seed: 5 }).data();
    const mask = referenceMask(1000, 5, 0.25);
    expectAllClose(out, applyMask(Float64Array.from(Float32Array.from(values)), mask, 0.25), TOL, 'scaled by 4/3');
  });

  it('dropout identity cases', () => {
    const x = gpuTensor(Float64Array.of(1, 2, 3), [3], true);
    expect(dropout(x, 0)).toBe(x);
    expect(dropout(x, 0.5, { training: false })).toBe(x);
  });

  it('dropout rejects bad input', () => {
    const x = gpuTensor(Float64Array.of(1, 2, 3), [3]);
    expect(() => dropout(x, 1)).toThrow(/p must be in \[0, 1\)/);
    expect(() => dropout(x, -0.1)).toThrow(/p must be in \[0, 1\)/);
    expect(() => dropout(x, 0.5, { seed: -1 })).toThrow(/seed must be an integer/);
  });

  it('dropout poisoned output', async () => {
    const rng = new Rng(86);
    const n = 3 * 257;
    const x = gpuTensor(randomValues([n], rng), [n], true);
    poisonPool(n);
    const y = dropout(x, 0.5, { seed: 3 });
    expectAllWritten(await y.data(), 'dropout forward');
    poisonPool(n);
    y.backward(gpuTensor(randomValues([n], rng), [n]));
    expectAllWritten(await x.grad!.data(), 'dropout backward');
  });
});

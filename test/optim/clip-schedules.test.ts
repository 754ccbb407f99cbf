import { describe, expect, it } from 'vitest';
import { clipGradNorm, constantLr, cosineDecay, linearWarmup } from '../../src/optim/index.js';
import { tensor } from '../../src/ops/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, randomValues, roundF32 } from '../helpers/check.js';

function paramsWithGrads(rng: Rng, shapes: number[][]): { params: Tensor[]; grads: Float64Array[] } {
  const grads = shapes.map((shape) => roundF32(randomValues(shape, rng)));
  const params = shapes.map((shape, i) => {
    const p = tensor(Float32Array.from(randomValues(shape, rng)), { shape, requiresGrad: true });
    p.grad = tensor(Float32Array.from(grads[i]), { shape });
    return p;
  });
  return { params, grads };
}

function globalNorm(grads: Float64Array[]): number {
  return Math.sqrt(grads.reduce((s, g) => s + g.reduce((t, v) => t + v * v, 0), 0));
}

// Sums of a few dozen squares in f32: relative rounding below 1e-6.
const TOL = { rtol: 1e-5, atol: 1e-6 };

describe('clipGradNorm', () => {
  it('scales gradients above maxNorm', async () => {
    const { params, grads } = paramsWithGrads(new Rng(1), [[3, 5], [7], [1]]);
    const norm = globalNorm(grads);
    const maxNorm = norm / 3;
    const returned = await clipGradNorm(params, maxNorm).item();
    expectAllClose([returned], [norm], TOL, 'returned norm');
    const scale = maxNorm / (norm + 1e-6);
    for (let i = 0; i < params.length; i++) {
      expectAllClose(await params[i].grad!.data(), grads[i].map((g) => g * scale), TOL, `clipped grad ${i}`);
    }
  });

  it('leaves gradients below maxNorm', async () => {
    const { params, grads } = paramsWithGrads(new Rng(2), [[4, 2], [3]]);
    const norm = globalNorm(grads);
    clipGradNorm(params, norm * 2);
    for (let i = 0; i < params.length; i++) {
      expect(Array.from(await params[i].grad!.data()), `grad ${i}`).toEqual(Array.from(grads[i]));
    }
  });

  it('skips parameters without gradient', async () => {
    const { params, grads } = paramsWithGrads(new Rng(3), [[5]]);
    const bare = tensor([1, 2], { requiresGrad: true });
    const returned = await clipGradNorm([bare, ...params], 0.5).item();
    expectAllClose([returned], [globalNorm(grads)], TOL, 'norm without the bare parameter');
    expect(bare.grad).toBeNull();
  });

  it('rejects a non-positive maxNorm', () => {
    expect(() => clipGradNorm([], 0)).toThrow(/maxNorm must be positive, got 0/);
  });
});

describe('schedules', () => {
  it('constant', () => {
    expect([0, 10, 1000].map(constantLr(0.3))).toEqual([0.3, 0.3, 0.3]);
  });

  it('linear warmup', () => {
    const lr = linearWarmup(1, 4);
    expect([0, 1, 2, 3, 4, 100].map(lr)).toEqual([0.25, 0.5, 0.75, 1, 1, 1]);
  });

  it('cosine decay with warmup', () => {
    const lr = cosineDecay({ lr: 1, totalSteps: 12, warmupSteps: 2, minLr: 0.1 });
    expect(lr(0)).toBe(0.5);
    expect(lr(1)).toBe(1);
    expect(lr(2)).toBeCloseTo(1, 12);
    expect(lr(7)).toBeCloseTo(0.55, 12);
    expect(lr(12)).toBeCloseTo(0.1, 12);
    expect(lr(50)).toBeCloseTo(0.1, 12);
  });

  it('cosine decay rejects warmup past the end', () => {
    expect(() => cosineDecay({ lr: 1, totalSteps: 5, warmupSteps: 5 })).toThrow(/warmupSteps must be an integer in \[0, totalSteps 5\), got 5/);
  });
});

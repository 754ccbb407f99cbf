import { describe, expect, it } from 'vitest';
import { Dropout, LayerNorm } from '../../src/nn/index.js';
import { randn, tensor } from '../../src/ops/create.js';
import { Rng } from '../../src/util/rng.js';
import { randomValues } from '../helpers/check.js';
import { moduleGradCheck } from './module-check.js';
import { referenceLayerNorm } from './reference.js';

describe('LayerNorm', () => {
  it('rows of 7 with eps 1e-6 and random affine', async () => {
    const rng = new Rng(1);
    const layer = new LayerNorm(7, { eps: 1e-6 });
    layer.loadStateDict({ weight: randn([7], { rng }), bias: randn([7], { rng }) });
    await moduleGradCheck(
      'layerNorm 2x5x7',
      layer,
      ([x]) => layer.forward(x),
      ([x], p) => referenceLayerNorm(x, p.weight, p.bias, 7, 1e-6),
      [{ shape: [2, 5, 7], values: randomValues([2, 5, 7], rng) }],
      // Normalized values near 1 with gradients through 1/std of inputs of size ~1: f32 rounding ~1e-6.
      { rtol: 1e-3, atol: 1e-4 },
    );
  });

  it('defaults to eps 1e-5 and ones, zeros', async () => {
    const layer = new LayerNorm(3);
    expect(layer.eps).toBe(1e-5);
    expect(Array.from(await layer.weight!.data())).toEqual([1, 1, 1]);
    expect(Array.from(await layer.bias!.data())).toEqual([0, 0, 0]);
    expect(new LayerNorm(3, { elementwiseAffine: false }).numParameters()).toBe(0);
  });
});

describe('Dropout', () => {
  it('eval returns the input', () => {
    const layer = new Dropout(0.5).eval();
    const x = randn([4, 3]);
    expect(layer.forward(x)).toBe(x);
  });

  it('training drops about p and scales the rest', async () => {
    const p = 0.3;
    const layer = new Dropout(p, { rng: new Rng(2) });
    const values = Float32Array.from({ length: 4001 }, (_, i) => 1 + (i % 7));
    const x = tensor(values, { requiresGrad: true });
    const y = await layer.forward(x).data();
    const kept = y.filter((v) => v !== 0).length;
    // Binomial(4001, 0.7) has std 29, so 6 std is 174.
    expect(Math.abs(kept - 0.7 * 4001)).toBeLessThan(174);
    const wrongScale = y.findIndex((v, i) => v !== 0 && Math.abs(v - values[i] / (1 - p)) > 1e-5 * v);
    expect(wrongScale).toBe(-1);
  });

  it('mask follows the rng and gradient matches', async () => {
    const x = randn([9, 13], { rng: new Rng(3), requiresGrad: true });
    const a = new Dropout(0.5, { rng: new Rng(4) }).forward(x);
    const b = new Dropout(0.5, { rng: new Rng(4) }).forward(x);
    const c = new Dropout(0.5, { rng: new Rng(5) }).forward(x);
    const ya = await a.data();
    expect(await b.data()).toEqual(ya);
    expect(await c.data()).not.toEqual(ya);
    a.sum().backward();
    const grad = await x.grad!.data();
    const mismatch = grad.findIndex((g, i) => g !== (ya[i] === 0 ? 0 : 2));
    expect(mismatch).toBe(-1);
  });

  it('rejects p of 1', () => {
    expect(() => new Dropout(1)).toThrow(/p must be in \[0, 1\), got 1/);
  });
});

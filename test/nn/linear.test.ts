import { describe, expect, it } from 'vitest';
import { GELU, Linear, ReLU, Sequential } from '../../src/nn/index.js';
import { randn } from '../../src/ops/create.js';
import { Rng } from '../../src/util/rng.js';
import { randomValues } from '../helpers/check.js';
import { moduleGradCheck, readParams } from './module-check.js';
import { referenceGelu, referenceLinear, referenceRelu } from './reference.js';

// Sums of up to 17 f32 products of values below 2 in size: rounding stays below 1e-5 relative.
const TOL = { rtol: 1e-4, atol: 1e-4 };

describe('Linear', () => {
  it('2D input with bias', async () => {
    const rng = new Rng(1);
    const layer = new Linear(5, 3, { rng, biasStd: 0.5 });
    await moduleGradCheck(
      'linear 7x5->3',
      layer,
      ([x]) => layer.forward(x),
      ([x], p) => referenceLinear(x, p.weight, p.bias, 5, 3),
      [{ shape: [7, 5], values: randomValues([7, 5], rng) }],
      TOL,
    );
  });

  it('3D input with fused relu', async () => {
    const rng = new Rng(2);
    const layer = new Linear(17, 9, { rng, activation: 'relu', biasStd: 0.3 });
    await moduleGradCheck(
      'linear relu 2x3x17->9',
      layer,
      ([x]) => layer.forward(x),
      ([x], p) => referenceRelu(referenceLinear(x, p.weight, p.bias, 17, 9)),
      [{ shape: [2, 3, 17], values: randomValues([2, 3, 17], rng) }],
      TOL,
    );
  });

  it('without bias, one row', async () => {
    const rng = new Rng(3);
    const layer = new Linear(4, 1, { rng, bias: false });
    expect(layer.bias).toBeNull();
    expect(layer.namedParameters().map(([n]) => n)).toEqual(['weight']);
    await moduleGradCheck(
      'linear no bias 1x4->1',
      layer,
      ([x]) => layer.forward(x),
      ([x], p) => referenceLinear(x, p.weight, null, 4, 1),
      [{ shape: [1, 4], values: randomValues([1, 4], rng) }],
      TOL,
    );
  });

  it('xavier uniform bounds and seeding', async () => {
    const a = await readParams(new Linear(30, 20, { rng: new Rng(9) }));
    const b = await readParams(new Linear(30, 20, { rng: new Rng(9) }));
    const limit = Math.sqrt(6 / 50);
    expect(Math.max(...a.weight.map(Math.abs))).toBeLessThanOrEqual(limit);
    // 600 uniform draws: the largest magnitude is within 1% of the limit with probability 1 - 0.99^600.
    expect(Math.max(...a.weight.map(Math.abs))).toBeGreaterThan(0.99 * limit);
    expect(a.weight).toEqual(b.weight);
    expect(Array.from(a.bias)).toEqual(new Array(20).fill(0));
  });

  it('zero weight init', async () => {
    const p = await readParams(new Linear(3, 2, { weightInit: 'zeros' }));
    expect(Array.from(p.weight)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('rejects wrong input width', () => {
    const layer = new Linear(4, 2);
    expect(() => layer.forward(randn([1, 3]))).toThrow(/input \[1,3\] does not end in inFeatures 4/);
  });
});

describe('Sequential', () => {
  it('linear relu linear gelu', async () => {
    const rng = new Rng(4);
    const model = new Sequential(new Linear(6, 8, { rng, biasStd: 0.5 }), new ReLU(), new Linear(8, 3, { rng, biasStd: 0.5 }), new GELU());
    expect(model.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    await moduleGradCheck(
      'sequential 5x6',
      model,
      ([x]) => model.forward(x),
      ([x], p) => referenceLinear(referenceRelu(referenceLinear(x, p['0.weight'], p['0.bias'], 6, 8)), p['2.weight'], p['2.bias'], 8, 3).map(referenceGelu),
      [{ shape: [5, 6], values: randomValues([5, 6], rng) }],
      TOL,
    );
  });
});

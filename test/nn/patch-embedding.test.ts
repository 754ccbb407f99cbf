import { describe, expect, it } from 'vitest';
import { PatchEmbedding, TokenEmbedding } from '../../src/nn/index.js';
import { randn } from '../../src/ops/create.js';
import { Rng } from '../../src/util/rng.js';
import { randomValues } from '../helpers/check.js';
import { moduleGradCheck, readParams } from './module-check.js';
import { referencePatchConv, referenceTokens } from './reference.js';

// Dot products of C P^2 = 27 terms of size ~1: f32 rounding ~1e-6 relative.
const TOL = { rtol: 1e-4, atol: 1e-4 };

describe('PatchEmbedding', () => {
  it('matches a stride-P convolution', async () => {
    const rng = new Rng(1);
    const layer = new PatchEmbedding(3, 3, 5, { rng });
    layer.loadStateDict({ weight: layer.weight, bias: randn([5], { rng }) });
    const shape: [number, number, number, number] = [2, 3, 6, 9];
    const out = layer.forward(randn(shape, { rng }));
    expect(out.shape).toEqual([2, 6, 5]);
    await moduleGradCheck(
      'patchEmbedding 2x3x6x9 P3 D5',
      layer,
      ([x]) => layer.forward(x),
      ([x], p) => referencePatchConv(x, p.weight, p.bias, shape, 3, 5),
      [{ shape, values: randomValues(shape, rng) }],
      TOL,
    );
  });

  it('one channel, patch 1', async () => {
    const rng = new Rng(2);
    const layer = new PatchEmbedding(1, 1, 4, { rng });
    const shape: [number, number, number, number] = [1, 1, 2, 3];
    await moduleGradCheck(
      'patchEmbedding P1',
      layer,
      ([x]) => layer.forward(x),
      ([x], p) => referencePatchConv(x, p.weight, p.bias, shape, 1, 4),
      [{ shape, values: randomValues(shape, rng) }],
      TOL,
    );
  });

  it('lecun normal init scale', async () => {
    const p = await readParams(new PatchEmbedding(3, 4, 64, { rng: new Rng(3) }));
    const std = Math.sqrt(p.weight.reduce((s, v) => s + v * v, 0) / p.weight.length);
    // 3072 draws with target std sqrt(1/48) = 0.1443: the sample std is within 5%.
    expect(Math.abs(std / Math.sqrt(1 / 48) - 1)).toBeLessThan(0.05);
    expect(Math.max(...p.weight.map(Math.abs))).toBeLessThanOrEqual((2 * Math.sqrt(1 / 48)) / 0.87962566103423978 + 1e-6);
  });

  it('rejects sizes that are not multiples of the patch', () => {
    const layer = new PatchEmbedding(1, 4, 8);
    expect(() => layer.forward(randn([2, 1, 8, 6]))).toThrow(/images \[2,1,8,6\] must be \[B, 1, H, W\] with H and W multiples of patch size 4/);
  });
});

describe('TokenEmbedding', () => {
  it('class token first plus positions', async () => {
    const rng = new Rng(4);
    const layer = new TokenEmbedding(5, 3, { rng });
    layer.loadStateDict({ classToken: randn([1, 1, 3], { rng }), positionEmbedding: layer.positionEmbedding });
    await moduleGradCheck(
      'tokenEmbedding B2 N5 D3',
      layer,
      ([x]) => layer.forward(x),
      ([x], p) => referenceTokens(x, p.classToken, p.positionEmbedding, 2, 5, 3),
      [{ shape: [2, 5, 3], values: randomValues([2, 5, 3], rng) }],
      { rtol: 1e-5, atol: 1e-6 },
    );
  });
});

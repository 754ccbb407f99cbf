import { describe, expect, it } from 'vitest';
import { MlpBlock, MultiHeadAttention, TransformerBlock } from '../../src/nn/index.js';
import { randn } from '../../src/ops/create.js';
import { Rng } from '../../src/util/rng.js';
import { randomValues } from '../helpers/check.js';
import { referenceAttention, referenceBlock, ourBlockWeights, type DenseWeights } from '../models/vit-reference.js';
import { moduleGradCheck, readParams, type ParamValues } from './module-check.js';

// Softmax over at most 5 keys and dot products of at most 7 terms of size ~1: f32
// rounding ~1e-6 relative, and the finite differences of the float64 reference add ~1e-9.
const TOL = { rtol: 1e-3, atol: 1e-4 };

function attentionWeights(p: ParamValues, prefix = '') {
  const dense = (name: string): DenseWeights => ({ w: p[`${prefix}${name}.weight`], b: p[`${prefix}${name}.bias`], layout: 'inOut' });
  return { query: dense('query'), key: dense('key'), value: dense('value'), out: dense('out') };
}

/** Gives every bias a random value, so a bias gradient bug cannot hide behind zeros. */
function randomizeBiases(module: MultiHeadAttention | TransformerBlock, rng: Rng): void {
  const dict = Object.fromEntries(
    module.namedParameters().filter(([name]) => name.endsWith('bias')).map(([name, t]) => [name, randn([...t.shape], { rng, std: 0.3 })]),
  );
  module.loadStateDict(dict, { strict: false });
}

describe('MultiHeadAttention', () => {
  it('3 heads over 5 tokens', async () => {
    const rng = new Rng(1);
    const layer = new MultiHeadAttention(6, 3, { rng });
    randomizeBiases(layer, rng);
    await moduleGradCheck(
      'attention B2 T5 D6 H3',
      layer,
      ([x]) => layer.forward(x),
      ([x], p) => referenceAttention(x, attentionWeights(p), 2, 5, 6, 3),
      [{ shape: [2, 5, 6], values: randomValues([2, 5, 6], rng) }],
      TOL,
    );
  });

  it('causal, one head, one sequence', async () => {
    const rng = new Rng(2);
    const layer = new MultiHeadAttention(4, 1, { rng, causal: true });
    randomizeBiases(layer, rng);
    await moduleGradCheck(
      'causal attention B1 T3 D4',
      layer,
      ([x]) => layer.forward(x),
      ([x], p) => referenceAttention(x, attentionWeights(p), 1, 3, 4, 1, true),
      [{ shape: [1, 3, 4], values: randomValues([1, 3, 4], rng) }],
      TOL,
    );
  });

  it('rejects dim not divisible by heads', () => {
    expect(() => new MultiHeadAttention(10, 3)).toThrow(/dim 10 must be a multiple of heads 3/);
  });
});

describe('TransformerBlock', () => {
  it('pre-LN block, 2 heads', async () => {
    const rng = new Rng(3);
    const block = new TransformerBlock(4, 2, 7, { rng });
    randomizeBiases(block, rng);
    block.loadStateDict({ 'norm1.weight': randn([4], { rng }), 'norm2.bias': randn([4], { rng }) }, { strict: false });
    const sizes = { B: 2, T: 3, D: 4, heads: 2, mlp: 7, eps: 1e-6 };
    await moduleGradCheck(
      'block B2 T3 D4 H2 M7',
      block,
      ([x]) => block.forward(x),
      ([x], p) => referenceBlock(x, ourBlockWeights(p, ''), sizes),
      [{ shape: [2, 3, 4], values: randomValues([2, 3, 4], rng) }],
      TOL,
    );
  });

  it('eval mode turns dropout off', async () => {
    const rng = new Rng(4);
    const block = new TransformerBlock(8, 2, 16, { rng, dropout: 0.5 });
    const x = randn([2, 5, 8], { rng });
    const trained = await block.forward(x).data();
    block.eval();
    const first = await block.forward(x).data();
    const second = await block.forward(x).data();
    expect(second).toEqual(first);
    expect(trained).not.toEqual(first);
  });
});

describe('MlpBlock', () => {
  it('initializes biases near zero and kernels by xavier', async () => {
    const p = await readParams(new MlpBlock(40, 60, { rng: new Rng(5) }));
    const maxBias = Math.max(...p['dense1.bias'].map(Math.abs), ...p['dense2.bias'].map(Math.abs));
    expect(maxBias).toBeGreaterThan(0);
    // 6e-6 is 6 std, which none of 100 normal draws exceeds except with probability below 1e-6.
    expect(maxBias).toBeLessThan(6e-6);
    expect(Math.max(...p['dense1.weight'].map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 100));
  });
});

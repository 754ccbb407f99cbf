import { describe, expect, it } from 'vitest';
import { ViT, type VitConfig } from '../../src/models/vit.js';
import { Adam } from '../../src/optim/index.js';
import { randn, tensor } from '../../src/ops/create.js';
import { crossEntropy } from '../../src/ops/losses.js';
import { tidy } from '../../src/tensor/scope.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, randomValues, roundF32 } from '../helpers/check.js';
import { readParams, type ParamValues } from '../nn/module-check.js';
import { referenceLayerNorm, referencePatchConv, referenceTokens } from '../nn/reference.js';
import { ourBlockWeights, referenceBlock, referenceDense } from './vit-reference.js';

const SMALL: VitConfig = { imageSize: [8, 12], channels: 2, patchSize: 4, dim: 8, heads: 2, depth: 3, mlpDim: 10, numClasses: 5, seed: 1 };

/** Logits of this library's ViT computed in float64 from its own parameters. */
function referenceVit(images: Float64Array, p: ParamValues, c: VitConfig, B: number): Float64Array {
  const [H, W] = c.imageSize as [number, number];
  const N = (H / c.patchSize) * (W / c.patchSize);
  const T = N + 1;
  const patches = referencePatchConv(images, p['patchEmbedding.weight'], p['patchEmbedding.bias'], [B, c.channels, H, W], c.patchSize, c.dim);
  let x = referenceTokens(patches, p['tokens.classToken'], p['tokens.positionEmbedding'], B, N, c.dim);
  for (let l = 0; l < c.depth; l++) {
    x = referenceBlock(x, ourBlockWeights(p, `blocks.${l}.`), { B, T, D: c.dim, heads: c.heads, mlp: c.mlpDim, eps: c.eps ?? 1e-6 });
  }
  const normed = referenceLayerNorm(x, p['norm.weight'], p['norm.bias'], c.dim, c.eps ?? 1e-6);
  const classTokens = new Float64Array(B * c.dim);
  for (let b = 0; b < B; b++) classTokens.set(normed.subarray(b * T * c.dim, b * T * c.dim + c.dim), b * c.dim);
  return referenceDense(classTokens, { w: p['classifier.weight'], b: p['classifier.bias'], layout: 'inOut' }, c.dim, c.numClasses);
}

/** Replaces every parameter with random values, so no zero-initialized part can hide a bug. */
function randomizeParameters(model: ViT, rng: Rng): void {
  model.loadStateDict(Object.fromEntries(model.namedParameters().map(([name, t]) => [name, randn([...t.shape], { rng, std: 0.5 })])));
}

describe('ViT', () => {
  it('stage shapes and names', () => {
    const model = new ViT(SMALL);
    expect(model.stateDims).toEqual({ s: 8, e: 8 });
    const s = model.lower(randn([3, 2, 8, 12]));
    expect(s.shape).toEqual([3, 7, 8]);
    expect(model.upper(s).shape).toEqual([3, 7, 8]);
    expect(model.forward(randn([3, 2, 8, 12])).shape).toEqual([3, 5]);
    const names = model.namedParameters().map(([n]) => n);
    expect(names.slice(0, 6)).toEqual([
      'patchEmbedding.weight', 'patchEmbedding.bias', 'tokens.classToken', 'tokens.positionEmbedding', 'blocks.0.norm1.weight', 'blocks.0.norm1.bias',
    ]);
    expect(names.slice(-4)).toEqual(['norm.weight', 'norm.bias', 'classifier.weight', 'classifier.bias']);
  });

  it('forward matches a float64 reference', async () => {
    const rng = new Rng(2);
    const model = new ViT(SMALL);
    randomizeParameters(model, rng);
    const images = roundF32(randomValues([2, 2, 8, 12], rng));
    const logits = model.forward(tensor(Float32Array.from(images), { shape: [2, 2, 8, 12] }));
    // Three blocks of LayerNorm, attention and MLP on values of size ~1: the f32 error grows to ~1e-5.
    expectAllClose(await logits.data(), referenceVit(images, await readParams(model), SMALL, 2), { rtol: 1e-3, atol: 1e-4 }, 'logits');
  });

  it('fresh model predicts zero logits', async () => {
    const logits = await new ViT(SMALL).forward(randn([2, 2, 8, 12])).data();
    expect(Array.from(logits)).toEqual(new Array(10).fill(0));
  });

  it('split point moves blocks to the lower stage', async () => {
    const rng = new Rng(3);
    const images = randn([2, 2, 8, 12], { rng });
    const whole = new ViT(SMALL);
    randomizeParameters(whole, rng);
    const split = new ViT({ ...SMALL, split: 2 });
    split.loadStateDict(whole.stateDict());
    const s0 = whole.lower(images);
    const s2 = split.lower(images);
    expectAllClose(await s2.data(), await whole.blocks.layers[1].forward(whole.blocks.layers[0].forward(s0)).data(), { rtol: 0, atol: 0 }, 'lower with split 2');
    expect(await split.forward(images).data()).toEqual(await whole.forward(images).data());
    expect(() => new ViT({ ...SMALL, split: 4 })).toThrow(/split 4 must be an integer in \[0, depth 3\]/);
  });

  it('fromTeacher copies the first blocks', async () => {
    const rng = new Rng(4);
    const teacher = new ViT({ ...SMALL, split: 2 });
    randomizeParameters(teacher, rng);
    const student = ViT.fromTeacher(teacher, { blocks: 1 });
    expect(student.config.depth).toBe(1);
    expect(student.split).toBe(1);
    const teacherState = teacher.stateDict();
    const studentState = student.stateDict();
    expect(Object.keys(studentState).some((k) => k.startsWith('blocks.1.'))).toBe(false);
    for (const [key, t] of Object.entries(studentState)) {
      expect(await t.data(), key).toEqual(await teacherState[key].data());
      expect(t.buffer === teacherState[key].buffer, `${key} shares storage`).toBe(false);
    }
  });

  it('overfits a batch of 8 images', async () => {
    const rng = new Rng(5);
    const model = new ViT({ imageSize: 8, channels: 1, patchSize: 4, dim: 16, heads: 2, depth: 2, mlpDim: 32, numClasses: 4, seed: 6 });
    const images = randn([8, 1, 8, 8], { rng });
    const labels = tensor(Int32Array.from([0, 1, 2, 3, 3, 2, 1, 0]));
    const optimizer = new Adam(model.parameters(), { lr: 1e-2 });
    const losses: number[] = [];
    for (let step = 0; step < 150; step++) {
      const loss = tidy(() => {
        optimizer.zeroGrad();
        const l = crossEntropy(model.forward(images), labels);
        l.backward();
        optimizer.step();
        return l;
      });
      losses.push(await loss.item());
      loss.dispose();
      if (losses[step] < losses[0] / 100) break;
    }
    expect(losses[losses.length - 1], `loss after ${losses.length} steps, from ${losses[0]}`).toBeLessThan(losses[0] / 100);
  });
});
